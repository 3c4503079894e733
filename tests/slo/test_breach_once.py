"""A breach is recorded — and notified — once per clock: a clock over its target stays breached
through pauses, resumes and priority changes; only a change that puts it back under its target
lifts the breach, and the history says so. And the first response is judged the same way live
and when the clocks are replayed from the history."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from requests_app import services
from requests_app.models import EventKind, OutboundMessage, RequestEvent
from requests_app.permissions import Role
from slo import services as slo_services
from slo.calendar import calendar_cache_clear
from slo.models import SloClock
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")


def zurich(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=ZURICH)  # Mon 11.05.2026 is day 11


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def sweep(moment: datetime):
    with at(moment):
        return slo_services.clocks_sweep(now=moment)


def breaches(request, clock: str) -> list[RequestEvent]:
    return [e for e in RequestEvent.objects.filter(request=request, kind=EventKind.SLO_BREACHED)
            if e.payload["clock"] == clock]


def breach_mails(request) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(request=request, kind="slo_breached"))


@pytest.fixture(autouse=True)
def _fresh_calendar():
    calendar_cache_clear()


@pytest.fixture
def team(frontdesk, daily, servicedesk):
    return {"frontdesk": frontdesk, "daily": daily, "servicedesk": servicedesk}


def in_progress(client_user, team, *, priority: str, created: datetime):
    with at(created):
        r = factories.make_request(client_user, priority_code=priority, at=created)
    with at(created.replace(minute=5)):
        r = services.request_qualify(
            actor=team["frontdesk"], request=r, request_type=r.request_type,
            priority=r.priority, module=factories.module(), version="24.1",
            environment="production", at=created.replace(minute=5))
    with at(created.replace(minute=10)):
        r = services.request_start(actor=team["daily"], request=r,
                                   assignee=team["servicedesk"], at=created.replace(minute=10))
    return r


def test_a_breach_survives_a_pause_and_the_client_answer(client_user, team):
    """Bloquante opened Mon 08:00 (4 h to resolve: over from 13:30), breach recorded 13:31,
    En attente client at 14:00, the client answers Wed 10:00: the 10:01 sweep finds nothing."""
    r = in_progress(client_user, team, priority="blocking", created=zurich(11, 8))
    assert sweep(zurich(11, 13, 31)).breaches == 1
    mails_after_breach = len(breach_mails(r))
    assert mails_after_breach == 2  # the assignee and Daily
    with at(zurich(11, 14)):
        services.request_ask_customer(actor=team["servicedesk"], request=r,
                                      question="Quel message exactement ?", at=zurich(11, 14))
    with at(zurich(13, 10)):
        services.comment_add(actor=client_user, request=r, body="Erreur 4512.",
                             at=zurich(13, 10))
    resolution = SloClock.objects.get(request=r, kind="resolution")
    assert resolution.state == "running" and resolution.breached_at is not None
    assert sweep(zurich(13, 10, 1)).breaches == 0
    assert sweep(zurich(14, 9)).breaches == 0
    assert len(breaches(r, "resolution")) == 1
    assert len(breach_mails(r)) == mails_after_breach
    assert not RequestEvent.objects.filter(request=r, kind=EventKind.SLO_BREACH_LIFTED).exists()


def high_breached_then_reprioritised(client_user, team, priority: str):
    """Haute opened Mon 08:00, its first-response breach recorded at 10:05, its priority
    changed at 10:30."""
    with at(zurich(11, 8)):
        r = factories.make_request(client_user, priority_code="high", at=zurich(11, 8))
    assert sweep(zurich(11, 10, 5)).breaches == 1
    with at(zurich(11, 10, 30)):
        services.request_update_details(actor=team["frontdesk"], request=r,
                                        priority=factories.priority(priority),
                                        at=zurich(11, 10, 30))
    return r


def test_a_breach_survives_a_priority_raised(client_user, team):
    """Haute opened Mon 08:00 (2 h for the first response: over from 10:00), breach recorded
    10:05, priority Bloquante (30 min) at 10:30: still over, nothing recorded again."""
    r = high_breached_then_reprioritised(client_user, team, "blocking")
    first = SloClock.objects.get(request=r, kind="first_response")
    assert first.breached_at is not None
    assert sweep(zurich(11, 10, 31)).breaches == 0
    assert sweep(zurich(11, 16)).breaches == 1  # Résolution (4 h) is a crossing of its own
    assert len(breaches(r, "first_response")) == 1
    assert len(breaches(r, "resolution")) == 1
    assert len(breach_mails(r)) == 2  # two crossings, each to Daily (no assignee yet)


def test_a_priority_lowered_after_a_breach_lifts_it_visibly(client, client_user, team):
    """Haute breached at 10:05, lowered to Basse (8 h) at 10:30: back under its target, the
    breach is lifted in the history; crossing the new target is a new breach."""
    r = high_breached_then_reprioritised(client_user, team, "low")
    first = SloClock.objects.get(request=r, kind="first_response")
    assert first.breached_at is None
    lifted = RequestEvent.objects.get(request=r, kind=EventKind.SLO_BREACH_LIFTED)
    assert lifted.payload == {"clock": "first_response"} and lifted.is_internal
    client.force_login(team["frontdesk"])
    with at(zurich(11, 10, 31)):
        page = client.get(f"/agent/requests/{r.key}/").content.decode()
    assert "SLO de nouveau dans les délais (Première réponse)" in page
    # Not a word of it to the client.
    client.force_login(client_user)
    assert "SLO de nouveau" not in client.get(f"/portal/requests/{r.key}/").content.decode()
    # Basse: 8 h of first response from 08:00 Monday: over from Tuesday 08:00.
    assert sweep(zurich(11, 17)).breaches == 0
    assert sweep(zurich(12, 8, 5)).breaches == 1
    assert len(breaches(r, "first_response")) == 2


# --------------------------------------------------------------- first response, one rule

def _first_response(r) -> tuple[str, datetime | None]:
    clock = SloClock.objects.get(request=r, kind="first_response")
    return clock.state, clock.stopped_at


def _replay(r, agent, moment: datetime) -> None:
    """Type changed to Patch and back to Support: the clocks are rebuilt from the history."""
    with at(moment):
        services.request_update_details(actor=agent, request=r,
                                        request_type=factories.request_type("patch"), at=moment)
        assert not SloClock.objects.filter(request=r).exists()
        services.request_update_details(actor=agent, request=r,
                                        request_type=factories.request_type("support"),
                                        at=moment)


def test_a_superusers_public_comment_is_a_first_response_live_and_in_replay(client_user, team):
    admin = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    with at(zurich(11, 8)):
        r = factories.make_request(client_user, at=zurich(11, 8))
    with at(zurich(11, 9)):
        services.comment_add(actor=admin, request=r, body="Nous regardons.", at=zurich(11, 9))
    live = _first_response(r)
    assert live == ("met", zurich(11, 9))
    _replay(r, team["frontdesk"], zurich(11, 11))
    assert _first_response(r) == live


def test_an_internal_note_is_no_first_response_live_nor_in_replay(client_user, team):
    with at(zurich(11, 8)):
        r = factories.make_request(client_user, at=zurich(11, 8))
    with at(zurich(11, 9)):
        services.comment_add(actor=team["frontdesk"], request=r, body="À voir.",
                             is_internal=True, at=zurich(11, 9))
    assert _first_response(r) == ("running", None)
    _replay(r, team["frontdesk"], zurich(11, 9, 30))
    assert _first_response(r) == ("running", None)


def test_a_sales_comment_on_a_licence_counts_when_it_becomes_support(client_user, sales,
                                                                     team):
    """Sales administration answers as the vendor: its public comment is a first response by
    the same definition the live path uses, so a licence turned into Support keeps it."""
    with at(zurich(11, 8)):
        licence = factories.make_licence(sales, client_user, at=zurich(11, 8))
    with at(zurich(11, 9)):
        services.comment_add(actor=sales, request=licence, body="Clé en préparation.",
                             at=zurich(11, 9))
    agent = factories.make_agent(Role.FRONTDESK, username="frontdesk2")
    with at(zurich(11, 10)):
        services.request_update_details(actor=agent, request=licence,
                                        request_type=factories.request_type("support"),
                                        at=zurich(11, 10))
    assert _first_response(licence) == ("met", zurich(11, 9))
