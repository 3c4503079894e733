"""What the portal does by itself, on frozen clocks and the seeded SLO calendar (Mon–Fri
08:00–12:00 and 13:30–17:30 in Zurich, federal holidays: Ascension is Thursday 14.05.2026):
the customer reminder and the automatic "Clore sans réponse" each happen once, at their
business instant and not a second before, and not for a customer who answered; the Daily's
morning digest once per business day. Running a job again does nothing more."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from requests_app import services
from requests_app.models import (
    AutomationRun,
    AutomationSettings,
    EventKind,
    NotificationKind,
    OutboundMessage,
    Profile,
    Request,
    RequestEvent,
)
from requests_app.preferences import BACK_OFFICE_KINDS, CLIENT_KINDS, may_turn_off
from requests_app.selectors.portal import request_page_for_user
from requests_app.services import automation
from requests_app.tasks import (
    close_unanswered_requests_task,
    remind_customers_task,
    send_daily_digest_task,
)
from requests_app.templatetags.timeline import timeline_items
from requests_app.workflow import RequestStatus as S
from requests_app.workflow import Resolution
from slo.calendar import calendar_cache_clear
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")


def zurich(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of May 2026 in Zurich (Monday 11.05.2026 is day 11)."""
    return datetime(2026, 5, day, hour, minute, second, tzinfo=ZURICH)


ASKED = zurich(11, 9)  # Monday, 09:00
# Five business days: Tue 12, Wed 13, (Ascension), Fri 15, (weekend), Mon 18, Tue 19.
REMINDER_DUE = zurich(19, 9)
# Ten: Wed 20, Thu 21, Fri 22, Mon 25 (Whit Monday is no federal holiday), Tue 26.
REPLY_DUE = zurich(26, 9)
SECOND = timedelta(seconds=1)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    calendar_cache_clear()


@pytest.fixture
def team(frontdesk, daily, servicedesk):
    return {"frontdesk": frontdesk, "daily": daily, "servicedesk": servicedesk}


def waiting(client_user, team, *, asked: datetime = ASKED, propose: bool = False) -> Request:
    """A request of ``client_user`` that started waiting for their answer at ``asked`` (a
    question, or a proposed resolution), assigned to ``servicedesk``."""
    start = asked - timedelta(hours=1)
    with at(start):
        r = factories.make_request(client_user, at=start)
        r = services.request_qualify(
            actor=team["frontdesk"], request=r, request_type=r.request_type,
            priority=r.priority, module=factories.module(), version="24.1",
            environment="production", at=start)
        r = services.request_start(actor=team["daily"], request=r,
                                   assignee=team["servicedesk"], at=start)
    with at(asked):
        if propose:
            return services.request_propose_resolution(
                actor=team["servicedesk"], request=r, resolution="Paramètre corrigé.",
                at=asked)
        return services.request_ask_customer(actor=team["servicedesk"], request=r,
                                             question="Quelle version exactement ?", at=asked)


def configure(**fields) -> AutomationSettings:
    config = AutomationSettings(pk=AutomationSettings.SINGLETON_PK, **fields)
    config.save()
    return config


def remind(moment: datetime) -> int:
    with at(moment):
        return remind_customers_task()


def close_unanswered(moment: datetime) -> int:
    with at(moment):
        return close_unanswered_requests_task()


def digest(moment: datetime) -> int:
    with at(moment):
        return send_daily_digest_task()


def reminders(request: Request) -> list[RequestEvent]:
    return list(RequestEvent.objects.filter(request=request, kind=EventKind.CUSTOMER_REMINDED))


def reminder_mails(request: Request) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(request=request,
                                               kind=NotificationKind.CUSTOMER_REMINDER))


# ------------------------------------------------------------------- the customer reminder

def test_the_reminder_goes_once_at_its_business_instant(client_user, colleague, team):
    r = waiting(client_user, team)
    services.participant_add(actor=client_user, request=r, user=colleague)
    assert automation.automation_settings_get().reminder_business_days == 5  # the default
    assert remind(REMINDER_DUE - SECOND) == 0  # a weekend and Ascension do not count
    assert reminders(r) == []
    assert remind(REMINDER_DUE) == 1
    [line] = reminders(r)
    assert line.created_at == REMINDER_DUE and line.actor is None and not line.is_internal
    assert line.comment.body == "Quelle version exactement ?"  # the question awaiting
    mails = reminder_mails(r)
    assert {mail.recipient for mail in mails} == {client_user, colleague}
    assert mails[0].subject == (f"[{r.key}] La clôture mensuelle échoue — Relance : votre "
                                "réponse est attendue")
    assert "Quelle version exactement ?" in mails[0].body_text
    assert "26 mai 2026 09:00" in mails[0].body_text  # the reply deadline
    # Beat runs again, twice, later the same wait: nothing more.
    assert remind(REMINDER_DUE) == 0
    assert remind(REMINDER_DUE + timedelta(days=3)) == 0
    assert len(reminders(r)) == 1 and len(reminder_mails(r)) == 2


def test_no_reminder_for_a_customer_who_answered_in_time(client_user, team):
    r = waiting(client_user, team)
    with at(zurich(18, 16)):
        services.comment_add(actor=client_user, request=r, body="La 24.1.3.")
    assert Request.objects.get(pk=r.pk).status == S.IN_PROGRESS
    assert remind(REMINDER_DUE) == 0 and reminders(r) == []


def test_each_wait_gets_its_own_reminder(client_user, team):
    r = waiting(client_user, team)
    assert remind(REMINDER_DUE) == 1
    with at(zurich(19, 10)):
        services.comment_add(actor=client_user, request=r, body="La 24.1.3.")
    again = zurich(19, 11)
    with at(again):
        services.request_ask_customer(actor=team["servicedesk"], request=r,
                                      question="Et l'environnement ?", at=again)
    # 11:00 Tuesday + 5 business days: Wed 20, Thu 21, Fri 22, Mon 25, Tue 26, 11:00.
    assert remind(zurich(26, 10, 59, 59)) == 0
    assert remind(zurich(26, 11)) == 1
    assert [line.comment.body for line in reversed(reminders(r))] == [
        "Quelle version exactement ?", "Et l'environnement ?"]


def test_a_pending_confirmation_is_reminded_a_confirmed_one_is_not(client_user, team):
    pending = waiting(client_user, team, propose=True)
    confirmed = waiting(client_user, team, propose=True)
    with at(zurich(12, 10)):
        services.resolution_confirm(actor=client_user, request=confirmed, body="Merci.")
    assert remind(REMINDER_DUE) == 1
    [mail] = reminder_mails(pending)
    assert mail.subject.endswith("Relance : merci de confirmer la résolution")
    assert "Résolution proposée :" in mail.body_text and "Paramètre corrigé." in mail.body_text
    assert reminders(confirmed) == []


def test_the_reminder_follows_the_settings(client_user, team):
    r = waiting(client_user, team)
    config = configure(reminder_enabled=False)
    assert remind(REMINDER_DUE + timedelta(days=7)) == 0
    config.reminder_enabled, config.reminder_business_days = True, 2
    config.save()
    # Two business days: Tue 12, Wed 13, 09:00.
    assert remind(zurich(13, 8, 59, 59)) == 0
    assert remind(zurich(13, 9)) == 1
    assert reminders(r)[0].payload["business_days"] == 2


def test_a_customer_who_turned_reminders_off_gets_none_but_the_line_is_written(
    client_user, team
):
    Profile.objects.filter(user=client_user).update(
        email_kinds_off=[NotificationKind.CUSTOMER_REMINDER])
    r = waiting(client_user, team)
    assert remind(REMINDER_DUE) == 1
    assert len(reminders(r)) == 1 and reminder_mails(r) == []


def test_the_history_says_the_reminder_to_each_side(client_user, team):
    r = waiting(client_user, team)
    remind(REMINDER_DUE)
    with at(REMINDER_DUE + SECOND):
        customer = request_page_for_user(client_user, r.key, at=REMINDER_DUE)
        agent = request_page_for_user(team["servicedesk"], r.key, at=REMINDER_DUE)
    customer_html = str(timeline_items(customer.timeline, client_user))
    agent_html = str(timeline_items(agent.timeline, team["servicedesk"]))
    assert ("<strong>SPT Portal</strong> <span>vous a envoyé une relance : votre réponse est "
            "attendue</span>") in customer_html
    assert "a envoyé une relance au client : sa réponse est attendue" in agent_html
    # The question is shown once, by the line that asked it.
    assert customer_html.count("Quelle version exactement ?") == 1


# ------------------------------------------------------------- the automatic closing

def test_the_automatic_closing_is_off_by_default(client_user, team):
    r = waiting(client_user, team)
    assert automation.automation_settings_get().auto_close_enabled is False
    assert close_unanswered(REPLY_DUE + timedelta(days=30)) == 0
    assert Request.objects.get(pk=r.pk).status == S.AWAITING_CUSTOMER


def test_unanswered_is_closed_once_at_the_reply_deadline_by_the_agents_service(
    client_user, team
):
    r = waiting(client_user, team)
    assert r.customer_reply_due_at == REPLY_DUE
    configure(auto_close_enabled=True)
    assert close_unanswered(REPLY_DUE - SECOND) == 0
    assert Request.objects.get(pk=r.pk).status == S.AWAITING_CUSTOMER
    assert close_unanswered(REPLY_DUE) == 1
    closed = Request.objects.get(pk=r.pk)
    assert (closed.status, closed.resolution, closed.closed_at) == (
        S.CLOSED, Resolution.NO_ANSWER, REPLY_DUE)
    line = RequestEvent.objects.get(request=r, kind=EventKind.STATUS_CHANGED, to_status=S.CLOSED)
    assert line.actor == team["servicedesk"]  # the assignee, in whose name it is done
    assert line.payload["transition"] == "close_without_answer" and line.payload["automatic"]
    assert line.comment.body == automation.DEFAULT_AUTO_CLOSE_COMMENT
    assert not line.comment.is_internal
    [mail] = OutboundMessage.objects.filter(request=r, kind=NotificationKind.CLOSED)
    assert mail.recipient == client_user and automation.DEFAULT_AUTO_CLOSE_COMMENT in (
        mail.body_text.replace("\n", " "))
    # Again, twice: nothing more.
    assert close_unanswered(REPLY_DUE) == 0
    assert close_unanswered(REPLY_DUE + timedelta(hours=1)) == 0
    assert RequestEvent.objects.filter(request=r, to_status=S.CLOSED).count() == 1


def test_the_history_marks_the_closing_automatic(client_user, team):
    r = waiting(client_user, team)
    configure(auto_close_enabled=True)
    close_unanswered(REPLY_DUE)
    page = request_page_for_user(client_user, r.key, at=REPLY_DUE)
    html = str(timeline_items(page.timeline, client_user))
    assert ("a changé le statut (Clore sans réponse) — automatiquement, le délai de réponse "
            "étant passé") in html


def test_an_answer_or_a_confirmation_in_time_keeps_the_request_open(client_user, team):
    answered = waiting(client_user, team)
    confirmed = waiting(client_user, team, propose=True)
    with at(zurich(25, 17)):
        services.comment_add(actor=client_user, request=answered, body="Voici le journal.")
        services.resolution_confirm(actor=client_user, request=confirmed)
    configure(auto_close_enabled=True)
    assert close_unanswered(REPLY_DUE + timedelta(days=1)) == 0
    assert Request.objects.get(pk=answered.pk).status == S.IN_PROGRESS
    # Confirmed: the agent closes it as "Traitée", not the portal as "Sans réponse".
    assert Request.objects.get(pk=confirmed.pk).status == S.AWAITING_CUSTOMER


def test_the_comment_is_the_admins_in_the_reporters_language(org_a, team):
    german = factories.make_client(org_a, "kundin", language="de")
    r = waiting(german, team)
    configure(auto_close_enabled=True, auto_close_comment_fr="Clos faute de réponse.",
              auto_close_comment_de="Mangels Antwort geschlossen.")
    close_unanswered(REPLY_DUE)
    line = RequestEvent.objects.get(request=r, to_status=S.CLOSED)
    assert line.comment.body == "Mangels Antwort geschlossen."
    assert automation.auto_close_comment(automation.automation_settings_get(),
                                         language="en") == "Clos faute de réponse."


def test_a_request_nobody_is_assigned_is_left_to_people(client_user, team):
    r = waiting(client_user, team)
    # No assignee: a state the services never leave, which only a deleted account or a
    # repair by hand could (the foreign key sets it to NULL); the job must survive it.
    Request.objects.filter(pk=r.pk).update(assignee=None)
    configure(auto_close_enabled=True)
    assert close_unanswered(REPLY_DUE) == 0
    assert Request.objects.get(pk=r.pk).status == S.AWAITING_CUSTOMER


# --------------------------------------------------------------------- the morning digest

MONDAY = zurich(18, 8)  # Monday 18.05.2026, opening


@pytest.fixture
def at_risk_desk(client_user, daily):
    """Opened Monday 08:00: a Bloquante (first response breached 08:30, resolution warned
    11:00) and a Moyenne (first response warned at 11:00, due 12:00)."""
    with at(MONDAY):
        return {code: factories.make_request(client_user, priority_code=code, at=MONDAY,
                                             title=f"Demande {code}")
                for code in ("blocking", "medium", "low")}


def digests() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(kind=NotificationKind.DAILY_DIGEST))


def test_the_digest_goes_once_a_business_day_from_its_time(at_risk_desk, daily, servicedesk):
    configure(digest_time=time(11, 30))
    assert digest(zurich(18, 11, 29, 59)) == 0
    assert digest(zurich(18, 11, 30)) == 1
    [mail] = digests()
    assert mail.recipient == daily and mail.request is None and mail.event is None
    assert mail.subject == ("[SPT] Synthèse du matin du 18/05/2026 — 1 demande en retard, "
                            "1 à risque")
    blocking, medium = at_risk_desk["blocking"], at_risk_desk["medium"]
    text = mail.body_text
    assert text.index(blocking.key) < text.index("SLO à risque") < text.index(medium.key)
    assert at_risk_desk["low"].key not in text
    assert f"/agent/requests/{blocking.key}/" in text and "/agent/queues/slo-a-risque/" in text
    # Beat again, the same day: nothing.
    assert digest(zurich(18, 11, 35)) == 0 and digest(zurich(18, 16)) == 0
    assert len(digests()) == 1
    assert AutomationRun.objects.get().sent == 1
    # The next business day, again once.
    assert digest(zurich(19, 11, 30)) == 1 and digest(zurich(19, 11, 35)) == 0
    assert len(digests()) == 2


def test_no_digest_on_a_closed_day(at_risk_desk, daily):
    configure(digest_time=time(8, 0))
    assert digest(zurich(14, 9)) == 0  # Ascension
    assert digest(zurich(16, 9)) == 0  # Saturday
    assert digests() == [] and not AutomationRun.objects.exists()


def test_an_empty_digest_is_not_sent_and_the_day_is_done(client_user, daily):
    with at(MONDAY):
        factories.make_request(client_user, priority_code="low", at=MONDAY)
    assert digest(zurich(18, 9)) == 0  # 08:00 by default; nothing at risk at 09:00
    assert digests() == [] and AutomationRun.objects.get().sent == 0
    assert digest(zurich(18, 17)) == 0  # later that day: the morning has passed


def test_the_digest_follows_the_settings_and_the_profiles(at_risk_desk, daily, org_a):
    other_daily = factories.make_agent("Daily", username="daily2", language="de")
    Profile.objects.filter(user=daily).update(email_kinds_off=[NotificationKind.DAILY_DIGEST])
    configure(digest_enabled=False, digest_time=time(11, 30))
    assert digest(zurich(18, 12)) == 0
    AutomationSettings.objects.update(digest_enabled=True)
    assert digest(zurich(18, 12)) == 1
    [mail] = digests()
    assert mail.recipient == other_daily and mail.language == "de"


# ------------------------------------------------------------------- where it is declared

def test_the_new_kinds_are_offered_to_their_audience():
    assert NotificationKind.CUSTOMER_REMINDER in CLIENT_KINDS
    assert NotificationKind.CUSTOMER_REMINDER not in BACK_OFFICE_KINDS
    assert NotificationKind.DAILY_DIGEST in BACK_OFFICE_KINDS
    assert NotificationKind.DAILY_DIGEST not in CLIENT_KINDS
    assert may_turn_off(NotificationKind.CUSTOMER_REMINDER)
    assert may_turn_off(NotificationKind.DAILY_DIGEST)


def test_each_job_is_on_the_beat_schedule():
    from portal.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"requests_app.tasks.remind_customers_task",
            "requests_app.tasks.close_unanswered_requests_task",
            "requests_app.tasks.send_daily_digest_task"} <= tasks


def test_the_admin_edits_the_one_settings_row(client, django_user_model):
    admin = django_user_model.objects.create_superuser("chef", "chef@example.com", "pw")
    client.force_login(admin)
    response = client.get("/admin/requests_app/automationsettings/")
    assert response["Location"] == "/admin/requests_app/automationsettings/add/"
    response = client.post("/admin/requests_app/automationsettings/add/", {
        "reminder_enabled": "on", "reminder_business_days": "3",
        "auto_close_comment_fr": "Clos faute de réponse.", "auto_close_comment_de": "",
        "auto_close_comment_en": "", "digest_enabled": "on", "digest_time": "07:45",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    config = automation.automation_settings_get()
    assert (config.reminder_business_days, config.auto_close_enabled, config.digest_time) == (
        3, False, time(7, 45))
    response = client.get("/admin/requests_app/automationsettings/")
    assert response["Location"] == f"/admin/requests_app/automationsettings/{config.pk}/change/"
    page = client.get(response["Location"]).content.decode()
    assert "Relance du client" in page and 'name="auto_close_comment_de"' in page
    assert client.get("/admin/requests_app/automationsettings/add/").status_code == 403
    response = client.post("/admin/requests_app/automationsettings/add/", {
        "reminder_business_days": "0", "digest_time": "07:45"})
    assert response.status_code == 403
