"""Single sign-on against the local test provider (``provider.py``), configured for these
tests only: the ``sso`` fixture turns it on through the settings, and off again after."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client

from requests_app import sso as sso_module
from tests.sso.provider import LocalProvider

CLIENT_ID = "spt-portal"
CLIENT_SECRET = "not-a-real-secret"
ROLE_MAP = {
    "spt-frontdesk": "FrontDesk", "spt-daily": "Daily", "spt-servicedesk": "ServiceDesk",
    "spt-expert": "Expert", "spt-rnd": "R&D", "spt-sales": "Administration des ventes",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The browser tests here run on the browser tests' one xdist worker, as tests/browser's
    do (added here: the marker is unknown without xdist)."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def local_provider():
    provider = LocalProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def sso(local_provider, settings):
    """Single sign-on on, with the local provider found by discovery."""
    local_provider.reset()
    sso_module.discovery_forget()
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY_URL = local_provider.discovery_url
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_LABEL = "Se connecter avec Entra ID"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS,
                                        sso_module.BACKEND_PATH]
    yield local_provider
    sso_module.discovery_forget()
    local_provider.reset()


def sign_in_through_provider(client: Client, provider: LocalProvider, *,
                             next_url: str = "", follow: bool = True):
    """The browser's round trip: the portal's start, the provider's /authorize (a real HTTP
    request), then the portal's callback with the code and the state."""
    start = client.get("/oidc/authenticate/", {"next": next_url} if next_url else {})
    assert start.status_code == 302, start
    assert start["Location"].startswith(f"{provider.url}/authorize?")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/oidc/callback/"
    return client.get(f"{back.path}?{back.query}", follow=follow)
