"""Signing in through an OpenID Connect provider: the whole flow against a real provider on
127.0.0.1 (``provider.py``), through the portal's real views, backend and database."""

from __future__ import annotations

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, User
from django.test import Client

from requests_app.models import Profile
from requests_app.permissions import Role
from tests import factories
from tests.sso.conftest import sign_in_through_provider

pytestmark = pytest.mark.django_db

MARC = "marc.keller@spt.example"


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def role_names(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def page_text(response) -> str:
    return response.content.decode()


# --- the login page -------------------------------------------------------------------

def test_without_configuration_the_login_page_has_no_sso_button_and_the_urls_answer_404(
    client: Client,
) -> None:
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "data-sso-sign-in" not in page_text(page)
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_configured_the_login_page_links_to_the_provider_keeping_next(client, sso) -> None:
    page = client.get("/accounts/login/", {"next": "/agent/"})
    html = page_text(page)
    assert "Se connecter avec Entra ID" in html
    assert 'href="/oidc/authenticate/?next=%2Fagent%2F"' in html
    # The local form stays.
    assert 'name="password"' in html


# --- back office ----------------------------------------------------------------------

def test_first_sign_in_creates_a_back_office_person_with_the_mapped_roles(client, sso) -> None:
    sso.sign_in_as(email=MARC, given_name="Marc", family_name="Keller",
                   groups=["spt-frontdesk", "spt-daily", "all-staff"],
                   # Claims never make anyone staff or superuser.
                   is_staff=True, is_superuser=True)
    landed = sign_in_through_provider(client, sso)

    assert landed.redirect_chain[-1][0] == "/agent/"
    assert landed.status_code == 200
    user = signed_in_user(client)
    assert user is not None and user.email == MARC
    assert user.username == "marc.keller"
    assert user.get_full_name() == "Marc Keller"
    assert role_names(user) == {Role.FRONTDESK, Role.DAILY}
    assert not user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    assert Profile.objects.get(user=user).organisation is None


def test_every_sign_in_sets_the_roles_to_the_providers_and_leaves_other_groups(
    client, sso,
) -> None:
    agent = factories.make_agent(Role.FRONTDESK, Role.DAILY, username="marc")
    agent.email = MARC.upper()  # the address is compared without case
    agent.save()
    newsletter = Group.objects.create(name="Lettre d'information")
    agent.groups.add(newsletter)

    sso.sign_in_as(email=MARC, groups=["spt-expert", "spt-rnd"])
    sign_in_through_provider(client, sso)
    assert signed_in_user(client) == agent
    assert role_names(agent) == {Role.EXPERT, Role.RND, "Lettre d'information"}

    client.post("/accounts/logout/")
    sso.sign_in_as(email=MARC, groups=["spt-servicedesk"])
    sign_in_through_provider(client, sso)
    assert signed_in_user(client) == agent
    assert role_names(agent) == {Role.SERVICEDESK, "Lettre d'information"}
    # The agent's pages follow: ServiceDesk sees its queue.
    assert client.get("/agent/").status_code == 200


def test_an_unmapped_person_is_refused_with_a_message(client, sso) -> None:
    sso.sign_in_as(email="lea.favre@spt.example", groups=["marketing"])
    landed = sign_in_through_provider(client, sso)

    assert landed.redirect_chain[-1][0] == "/accounts/login/"
    assert landed.status_code == 200
    assert "aucun rôle du portail" in page_text(landed)
    assert signed_in_user(client) is None
    assert not User.objects.filter(email="lea.favre@spt.example").exists()


def test_roles_removed_at_the_provider_are_removed_here_and_the_person_refused(
    client, sso,
) -> None:
    agent = factories.make_agent(Role.SERVICEDESK, username="marc")
    agent.email = MARC
    agent.save()
    sso.sign_in_as(email=MARC, groups=[])
    landed = sign_in_through_provider(client, sso)
    assert "aucun rôle du portail" in page_text(landed)
    assert signed_in_user(client) is None
    assert role_names(agent) == set()


def test_a_deactivated_account_is_refused(client, sso) -> None:
    agent = factories.make_agent(Role.SERVICEDESK, username="marc")
    User.objects.filter(pk=agent.pk).update(email=MARC, is_active=False)
    sso.sign_in_as(email=MARC, groups=["spt-servicedesk"])
    landed = sign_in_through_provider(client, sso)
    assert "Votre compte du portail est désactivé." in page_text(landed)
    assert signed_in_user(client) is None


def test_a_client_account_never_gets_back_office_roles(client, sso, client_user) -> None:
    sso.sign_in_as(email=client_user.email, groups=["spt-servicedesk"])
    landed = sign_in_through_provider(client, sso)
    assert "compte client" in page_text(landed)
    assert signed_in_user(client) is None
    assert role_names(client_user) == set()


def test_an_address_two_accounts_share_signs_nobody_in(client, sso) -> None:
    for username in ("marc", "marc.k"):
        agent = factories.make_agent(Role.DAILY, username=username)
        User.objects.filter(pk=agent.pk).update(email=MARC)
    sso.sign_in_as(email=MARC, groups=["spt-daily"])
    landed = sign_in_through_provider(client, sso)
    assert "Plusieurs comptes du portail portent l’adresse" in page_text(landed)
    assert signed_in_user(client) is None


def test_an_address_without_verification_is_refused(client, sso) -> None:
    sso.sign_in_as(email=MARC, groups=["spt-daily"], email_verified=False)
    landed = sign_in_through_provider(client, sso)
    assert "adresse e-mail vérifiée" in page_text(landed)
    assert not User.objects.filter(email=MARC).exists()


# --- what the portal checks of the provider's answer ----------------------------------

def test_an_id_token_signed_with_another_key_is_refused(client, sso) -> None:
    sso.sign_in_as(email=MARC, groups=["spt-daily"])
    sso.forge_id_token = True
    landed = sign_in_through_provider(client, sso)
    assert landed.redirect_chain[-1][0] == "/accounts/login/"
    assert "n’a pas pu être vérifiée" in page_text(landed)
    assert signed_in_user(client) is None
    assert not User.objects.filter(email=MARC).exists()


def test_a_callback_replayed_is_refused_with_a_message(client, sso) -> None:
    sso.sign_in_as(email=MARC, groups=["spt-daily"])
    start = client.get("/oidc/authenticate/")
    back = requests.get(start["Location"], allow_redirects=False, timeout=10)
    callback = back.headers["Location"].removeprefix("http://testserver")
    assert client.get(callback).status_code == 302
    client.post("/accounts/logout/")

    again = client.get(callback, follow=True)
    assert again.redirect_chain[-1][0] == "/accounts/login/"
    assert "Cette connexion a expiré ou a déjà servi" in page_text(again)
    assert signed_in_user(client) is None


def test_a_sign_in_cancelled_at_the_provider_returns_to_the_login_page(client, sso) -> None:
    start = client.get("/oidc/authenticate/")
    back = requests.get(start["Location"], allow_redirects=False, timeout=10)  # nobody
    landed = client.get(back.headers["Location"].removeprefix("http://testserver"),
                        follow=True)
    assert "n’a pas confirmé votre identité" in page_text(landed)
    assert signed_in_user(client) is None


def test_a_provider_that_is_down_leaves_the_password_sign_in_working(
    client, sso, settings, servicedesk,
) -> None:
    settings.OIDC_OP_DISCOVERY_URL = f"{sso.url}/down/.well-known/openid-configuration"
    landed = client.get("/oidc/authenticate/", follow=True)
    assert landed.redirect_chain[-1][0] == "/accounts/login/"
    assert "Le fournisseur d’identité ne répond pas" in page_text(landed)

    signed_in = client.post("/accounts/login/", {"username": "servicedesk", "password": "demo"})
    assert signed_in.status_code == 302
    assert signed_in_user(client) == servicedesk


def test_refused_sign_ins_do_not_lock_out_the_next_one(client, sso, settings) -> None:
    sso.sign_in_as(email="lea.favre@spt.example", groups=["marketing"])
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT + 1):
        sign_in_through_provider(client, sso)
    sso.sign_in_as(email=MARC, groups=["spt-daily"])
    landed = sign_in_through_provider(client, sso)
    assert landed.redirect_chain[-1][0] == "/agent/"
    assert signed_in_user(client) is not None


# --- the second factor ----------------------------------------------------------------

@pytest.mark.parametrize(("trusted", "first_page"), [(True, "/agent/"),
                                                     (False, "/accounts/two-factor/")])
def test_the_providers_second_factor_stands_for_ours_unless_told_otherwise(
    client, sso, settings, trusted, first_page,
) -> None:
    settings.DEMO_MODE = False  # outside demo mode the back office must have a second factor
    settings.OIDC_TRUST_IDP_MFA = trusted
    sso.sign_in_as(email=MARC, groups=["spt-daily"])
    landed = sign_in_through_provider(client, sso, next_url="/agent/")
    assert landed.redirect_chain[-1][0].split("?")[0] == first_page


# --- customers ------------------------------------------------------------------------

def test_customers_sign_in_only_when_allowed_into_the_organisation_named(
    client, sso, settings, org_a,
) -> None:
    sso.sign_in_as(email="anne@jura.example", organisation="Horlogerie du Jura SA")
    refused = sign_in_through_provider(client, sso)
    assert "aucun rôle du portail" in page_text(refused)

    settings.OIDC_CUSTOMERS = True
    landed = sign_in_through_provider(client, sso)
    assert landed.redirect_chain[-1][0] == "/portal/"
    user = signed_in_user(client)
    assert user is not None and Profile.objects.get(user=user).organisation == org_a
    assert role_names(user) == set()


def test_a_customer_is_found_by_the_domain_of_their_address(client, sso, settings, org_b):
    settings.OIDC_CUSTOMERS = True
    settings.OIDC_CUSTOMER_DOMAINS = {"leman.example": "Chocolats du Léman SA"}
    sso.sign_in_as(email="paul@leman.example")
    landed = sign_in_through_provider(client, sso)
    assert landed.redirect_chain[-1][0] == "/portal/"
    assert Profile.objects.get(user=signed_in_user(client)).organisation == org_b

    client.post("/accounts/logout/")
    sso.sign_in_as(email="ines@unknown.example")
    refused = sign_in_through_provider(client, sso)
    assert "Votre organisation n’est pas connue du portail" in page_text(refused)
    assert signed_in_user(client) is None
