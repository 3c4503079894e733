"""A Support request's clocks through its whole life, with a frozen clock: opened on a Friday
afternoon, answered, put En attente client, answered by the client days later, resolved,
confirmed and closed. Every figure is read through ``clock_views_for``, exact to the second.

The weekend in between is the one of the spring daylight-saving change (29 March 2026): it
must not matter, nights and weekends are not business time.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from requests_app import services
from slo.display import clock_views_for, customer_status
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
HOUR = 3600
FIRST_TARGET = 4 * HOUR  # Moyenne: Première réponse 4 h
RESOLUTION_TARGET = 40 * HOUR  # Moyenne: Résolution 40 h


def zurich(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZURICH)


def figures(request, at):
    """{kind: (state, elapsed, remaining)} as the pages would show them at ``at``."""
    return {
        view.kind: (view.state, view.elapsed_seconds, view.remaining_seconds)
        for view in clock_views_for([request.pk], at=at)[request.pk]
    }


def test_friday_afternoon_request_through_a_pause_to_closing(
    client_user, frontdesk, daily, servicedesk
) -> None:
    with time_machine.travel(zurich(2026, 3, 27, 15), tick=False) as clock:
        # Friday 27 March, 15:00: the client opens a Support request (Moyenne).
        request = factories.make_request(client_user, priority_code="medium")
        assert figures(request, zurich(2026, 3, 27, 15, 30)) == {
            "first_response": ("running", 1800, FIRST_TARGET - 1800),
            "resolution": ("running", 1800, RESOLUTION_TARGET - 1800),
        }

        # 16:00, FrontDesk qualifies: the first response is met after 1 h.
        clock.move_to(zurich(2026, 3, 27, 16))
        request = services.request_qualify(
            actor=frontdesk, request=request, request_type=request.request_type,
            priority=request.priority, module=factories.module(), version="24.1",
            environment="production",
        )
        # 17:00, Daily assigns it to ServiceDesk.
        clock.move_to(zurich(2026, 3, 27, 17))
        request = services.request_start(actor=daily, request=request, assignee=servicedesk)
        # Saturday: nothing counts over the weekend.
        assert figures(request, zurich(2026, 3, 28, 11)) == {
            "first_response": ("met", HOUR, FIRST_TARGET - HOUR),
            "resolution": ("running", 2 * HOUR + 1800, RESOLUTION_TARGET - 2 * HOUR - 1800),
        }

        # Monday 30 March, 09:00: ServiceDesk asks the client a question; Résolution pauses
        # after Friday 15:00-17:30 and Monday 08:00-09:00.
        clock.move_to(zurich(2026, 3, 30, 9))
        request = services.request_ask_customer(
            actor=servicedesk, request=request, question="Quelle version exactement ?"
        )
        consumed = 2 * HOUR + 1800 + HOUR
        paused = {
            "first_response": ("met", HOUR, FIRST_TARGET - HOUR),
            "resolution": ("paused", consumed, RESOLUTION_TARGET - consumed),
        }
        assert figures(request, zurich(2026, 3, 30, 9)) == paused
        assert figures(request, zurich(2026, 4, 1, 16, 45)) == paused  # Wednesday: frozen

        # Thursday 2 April, 10:00: the client answers; the request is back En cours and the
        # clock resumes with what it had.
        clock.move_to(zurich(2026, 4, 2, 10))
        services.comment_add(actor=client_user, request=request, body="Version 24.1.3.")
        request.refresh_from_db()
        assert request.status == "in_progress"
        assert figures(request, zurich(2026, 4, 2, 11, 0, 7)) == {
            "first_response": ("met", HOUR, FIRST_TARGET - HOUR),
            "resolution": ("running", consumed + HOUR + 7, RESOLUTION_TARGET - consumed - HOUR - 7),
        }
        resolution = clock_views_for([request.pk], at=zurich(2026, 4, 2, 11))[request.pk][1]
        # 36 h 30 left from Thursday 10:00: Thu 6 h, Fri 8 h, Mon 8 h, Tue 8 h, Wed 6 h 30.
        assert resolution.due_at == zurich(2026, 4, 8, 16)
        assert resolution.warn_at == zurich(2026, 4, 7, 14)  # 30 h used: Tuesday 14:00

        # Friday 3 April, 14:00: ServiceDesk proposes the resolution; paused again after
        # Thursday 10:00-12:00, 13:30-17:30 and Friday 08:00-12:00, 13:30-14:00 (10 h 30).
        clock.move_to(zurich(2026, 4, 3, 14))
        request = services.request_propose_resolution(
            actor=servicedesk, request=request, resolution="Paramètre corrigé."
        )
        consumed += 10 * HOUR + 1800
        assert figures(request, zurich(2026, 4, 3, 15)) == {
            "first_response": ("met", HOUR, FIRST_TARGET - HOUR),
            "resolution": ("paused", consumed, RESOLUTION_TARGET - consumed),
        }

        # The client confirms on Friday 16:00 (still En attente client: paused), the assignee
        # closes on Monday 6 April 09:00: Résolution stops, met, with the paused figure.
        clock.move_to(zurich(2026, 4, 3, 16))
        services.resolution_confirm(actor=client_user, request=request)
        clock.move_to(zurich(2026, 4, 6, 9))
        request = services.request_close(actor=servicedesk, request=request)
        assert request.status == "closed"

    final = {
        "first_response": ("met", HOUR, FIRST_TARGET - HOUR),
        "resolution": ("met", consumed, RESOLUTION_TARGET - consumed),
    }
    assert consumed == 14 * HOUR
    assert figures(request, zurich(2026, 4, 6, 9)) == final
    assert figures(request, zurich(2026, 6, 1, 12)) == final  # stopped: never moves again
    views = clock_views_for([request.pk], at=zurich(2026, 6, 1, 12))[request.pk]
    assert [view.stopped_at for view in views] == [zurich(2026, 3, 27, 16), zurich(2026, 4, 6, 9)]
    assert customer_status(views) is None  # closed: the client is told nothing of the SLO
