"""``/metrics``: the Prometheus exposition of django-prometheus's metrics (requests, latency,
responses by status, database) and of the portal's own (``requests_app.metrics``), for the
monitoring system only.

Who may scrape: with ``METRICS_TOKEN`` set, a request bearing ``Authorization: Bearer
<METRICS_TOKEN>``; with ``METRICS_ALLOWED_NETWORKS`` set, a client address in one of those
networks; with both set, both; with neither, the local host only (127.0.0.1, ::1). Anyone
else gets a 403 and no metric. A request that came through a reverse proxy (it carries
X-Forwarded-For, Forwarded or X-Real-IP) while ``CLIENT_IP_HEADER`` does not say which header
holds the client's address is never let in by its address: it would be the proxy's.

Several gunicorn workers: with ``PROMETHEUS_MULTIPROC_DIR`` in the environment,
prometheus_client keeps each worker's counters in files there and this page adds them up
(``portal/gunicorn_config.py`` sets it up).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator
from typing import Any

import prometheus_client
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import multiprocess
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from requests_app.login_protection import client_ip_address
from requests_app.metrics import PortalCollector

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
LOCAL_NETWORKS = ("127.0.0.1/32", "::1/128")
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")

_portal_collector = PortalCollector()


def networks_parse(values: list[str]) -> list[IpNetwork]:
    """``METRICS_ALLOWED_NETWORKS``'s CIDR blocks (an address alone is its own /32 or /128);
    ValueError naming the first that is not one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a network (CIDR) nor an address") from exc
    return networks


def _bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _address_allowed(request: HttpRequest, networks: list[IpNetwork]) -> bool:
    if not settings.CLIENT_IP_HEADER and any(request.META.get(h) for h in _PROXY_HEADERS):
        return False
    address = client_ip_address(request)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def scrape_allowed(request: HttpRequest) -> bool:
    """Whether this request may read the metrics (the rules in this module's docstring)."""
    token = str(getattr(settings, "METRICS_TOKEN", "") or "")
    networks: list[IpNetwork] | None = getattr(settings, "METRICS_ALLOWED_NETWORKS", None)
    if token:
        # Compared in constant time: the answer's timing tells nothing of the token.
        if not hmac.compare_digest(_bearer_token(request).encode(), token.encode()):
            return False
        if not networks:
            return True
    return _address_allowed(request, networks or networks_parse(list(LOCAL_NETWORKS)))


class _Exposition:
    """What one scrape exposes: django-prometheus's metrics (this process's, or every
    worker's in multiprocess mode) and the portal's, read now."""

    def __init__(self) -> None:
        self.registry: Any
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            self.registry = prometheus_client.CollectorRegistry()
            multiprocess.MultiProcessCollector(self.registry)
        else:
            self.registry = prometheus_client.REGISTRY

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()
        yield from _portal_collector.collect()


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not scrape_allowed(request):
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain; charset=utf-8")
    # The classic text format (0.0.4), which every Prometheus version reads: the names here
    # need none of 1.0.0's escaping.
    return HttpResponse(prometheus_client.generate_latest(_Exposition()),
                        content_type=CONTENT_TYPE_PLAIN_0_0_4)
