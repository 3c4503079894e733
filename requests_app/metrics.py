"""The portal's own Prometheus metrics, computed when ``/metrics`` is scraped: each is one
cheap, indexed query (or one Redis round trip), so that a scrape every few seconds costs
nothing noticeable. What ``/healthz`` decides (ok or stale), these give as numbers, to graph
and alert on.

A figure that cannot be read (the broker down, a query failing) is left out of the scrape
and logged, never an error of the whole page: the other metrics, and django-prometheus's,
still answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from requests_app import health
from requests_app.models import Request
from requests_app.workflow import OPEN_STATUSES

logger = logging.getLogger(__name__)

PREFIX = "spt_"


def open_requests_by_status() -> dict[str, int]:
    """Open requests per status, every open status present: one count over the partial
    index of open requests (``req_open_status_created``)."""
    found = dict(Request.objects.filter(status__in=OPEN_STATUSES).order_by()
                 .values("status").annotate(n=Count("*")).values_list("status", "n"))
    return {status: int(found.get(status, 0)) for status in OPEN_STATUSES}


def _gauge(name: str, documentation: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, documentation, labels=list(labels))


def _outbox(now: datetime) -> Iterator[Metric]:
    unsent = _gauge("outbox_unsent_messages",
                    "E-mails of the outbox not sent yet, by state (pending, sending).",
                    ["state"])
    for state, count in health.outbox_backlog().items():
        unsent.add_metric([state], count)
    yield unsent
    oldest = health.outbox_oldest_unsent_at()
    yield GaugeMetricFamily(
        PREFIX + "outbox_oldest_unsent_age_seconds",
        "Age of the oldest e-mail to send or being sent (0: nothing unsent).",
        value=0 if oldest is None else max((now - oldest).total_seconds(), 0.0))
    sweep_age = health.heartbeat_age(health.OUTBOX_SWEEP, now=now)
    if sweep_age is not None:
        yield GaugeMetricFamily(PREFIX + "outbox_sweep_age_seconds",
                                "Seconds since beat last swept the outbox (absent: never).",
                                value=sweep_age)


def _webhooks(now: datetime) -> Iterator[Metric]:
    backlog = health.webhook_backlog(now=now)
    if backlog is None:  # the portal has no webhook deliveries
        return
    undelivered = _gauge("webhook_undelivered_deliveries",
                         "Webhook deliveries still to be made, by state.", ["state"])
    for state, count in sorted(backlog["by_state"].items()):
        undelivered.add_metric([state], count)
    yield undelivered
    age = backlog["oldest_age_seconds"]
    yield GaugeMetricFamily(
        PREFIX + "webhook_oldest_undelivered_age_seconds",
        "Age of the oldest webhook delivery still to be made (0: none).",
        value=0 if age is None else age)


def _slo(now: datetime) -> Iterator[Metric]:
    age = health.heartbeat_age(health.SLO_SWEEP, now=now)
    if age is not None:
        yield GaugeMetricFamily(PREFIX + "slo_sweep_age_seconds",
                                "Seconds since the SLO sweep last ran (absent: never).",
                                value=age)


def _queue(now: datetime) -> Iterator[Metric]:
    length = health.celery_queue_length()
    if length is not None:
        family = _gauge("celery_queue_length", "Tasks waiting in the broker's queue.",
                        ["queue"])
        family.add_metric([str(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))],
                          length)
        yield family


def _requests(now: datetime) -> Iterator[Metric]:
    family = _gauge("requests_open", "Open requests, by status.", ["status"])
    for status, count in open_requests_by_status().items():
        family.add_metric([status], count)
    yield family


FIGURES: tuple[Callable[[datetime], Iterator[Metric]], ...] = (
    _outbox, _webhooks, _slo, _queue, _requests)


class PortalCollector:
    """A prometheus_client collector of the figures above, read at each scrape."""

    def describe(self) -> list[Metric]:
        # Registering must not run the queries (at import, without a database).
        return []

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        for figure in FIGURES:
            try:
                # Listed first, so that a figure failing halfway yields none of its metrics.
                metrics = list(figure(now))
            except Exception:  # noqa: BLE001 - one figure missing, the scrape goes on
                logger.warning("Metrics: could not compute %s", figure.__name__.strip("_"),
                               exc_info=True)
                continue
            yield from metrics
