"""What the portal does by itself, each job run by Celery beat (``tasks.py``) and switched on
or off in the admin (``AutomationSettings``). Every effect goes through the outbox after
commit, and each is done once however often beat runs, because each job re-reads its rule
under a row lock (or a unique row) in the transaction that acts:

- **the customer reminder**: a request waiting for its customer's answer (a question or a
  proposed resolution) for ``reminder_business_days`` business days of the SLO calendar gets
  one reminder per wait — an e-mail to the reporter and participants and a history line;
- **the automatic "Clore sans réponse"** (off by default): once the reply deadline stored
  when the wait began has passed, the request is closed through the agent's own service, in
  the assignee's name (the registry says the assignee closes; the history marks it
  automatic), with the configured comment in the reporter's language;
- **the morning digest**: on each business day, from the configured time, the Daily role gets
  the open requests whose SLO is breached or at risk; an empty list sends nothing, and the day
  counts as done either way (a request that becomes at risk later waits for the next
  morning, when the queue already shows it).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from portal.errors import SptError
from requests_app import events, notifications
from requests_app.models import AutomationRun, AutomationSettings, Comment, Profile, Request
from requests_app.preferences import language_offered
from requests_app.selectors.automation import (
    automation_settings_get,
    awaited_answer_comment_id,
    digest_for,
    reminder_still_due,
    reply_deadline_passed,
    requests_due_for_reminder,
    requests_past_reply_deadline,
)
from requests_app.services.transitions import request_close_without_answer
from requests_app.workflow import RequestStatus
from slo.calendar import default_calendar

logger = logging.getLogger(__name__)

DAILY_DIGEST_JOB = "daily_digest"

# The customer reads it in the reporter's language, when the admin wrote none for it.
DEFAULT_AUTO_CLOSE_COMMENT = gettext_noop(
    "Nous n'avons pas reçu de réponse de votre part dans le délai prévu : nous clôturons "
    "donc cette demande. Si la question se pose toujours, créez une demande de suivi depuis "
    "cette page, elle reprendra celle-ci en référence."
)


def _locked(request_id: int) -> Request | None:
    """The request with its own row locked (``FOR UPDATE OF``, as the services lock it)."""
    lock = {"of": ("self",)} if connection.features.has_select_for_update_of else {}
    return (Request.objects.select_for_update(**lock)
            .select_related("request_type", "priority", "organisation")
            .filter(pk=request_id).first())


# ------------------------------------------------------------------- the customer reminder

def customer_reminders_send(*, now: datetime | None = None) -> int:
    """Remind each customer whose answer is awaited since the configured number of business
    days, once per wait. Returns how many requests were reminded."""
    now = now or timezone.now()
    config = automation_settings_get()
    if not config.reminder_enabled:
        return 0
    days = config.reminder_business_days
    reminded = 0
    for request_id in requests_due_for_reminder(now=now, business_days=days):
        try:
            reminded += customer_remind(request_id=request_id, now=now, business_days=days)
        except Exception:  # noqa: BLE001 - one request's failure must not stop the others
            logger.exception("Reminder of request %s failed; the next run tries again",
                             request_id)
    return reminded


def customer_remind(*, request_id: int, now: datetime, business_days: int) -> bool:
    """One reminder: the history line (which names the awaited question) and its e-mail, in
    one transaction with the request locked; nothing when it is no longer due (answered,
    confirmed, closed or reminded meanwhile)."""
    with transaction.atomic():
        request = _locked(request_id)
        if request is None or not reminder_still_due(request, now=now,
                                                     business_days=business_days):
            return False
        comment_id = awaited_answer_comment_id(request)
        comment = Comment.objects.filter(pk=comment_id).first() if comment_id else None
        notifications.notify(events.customer_reminded(
            request=request, at=now, comment=comment, business_days=business_days))
    return True


# ------------------------------------------------------------ the automatic closing

def _language_of(user_id: int) -> str:
    profile = Profile.objects.filter(user_id=user_id).values_list("language", flat=True)
    return language_offered(profile.first(), settings.LANGUAGE_CODE)


def auto_close_comment(config: AutomationSettings, *, language: str) -> str:
    """The comment of the automatic closing in ``language``: the admin's text in it (French
    where it has none), else the standard text."""
    with translation.override(language):
        written = (config.auto_close_comment or "").strip()
        return written or gettext(DEFAULT_AUTO_CLOSE_COMMENT)


def requests_close_unanswered(*, now: datetime | None = None) -> int:
    """"Clore sans réponse" on each request whose customer's reply deadline has passed, when
    the admin turned it on. Returns how many were closed."""
    now = now or timezone.now()
    config = automation_settings_get()
    if not config.auto_close_enabled:
        return 0
    closed = 0
    for request_id in requests_past_reply_deadline(now=now):
        try:
            closed += request_close_unanswered(request_id=request_id, now=now, config=config)
        except SptError as refusal:
            # The service's refusal (the assignee may no longer close it): left to people.
            logger.warning("Automatic closing of request %s refused: %s", request_id,
                           refusal.message)
        except Exception:  # noqa: BLE001 - one request's failure must not stop the others
            logger.exception("Automatic closing of request %s failed; the next run tries "
                             "again", request_id)
    return closed


def request_close_unanswered(*, request_id: int, now: datetime,
                             config: AutomationSettings) -> bool:
    """One automatic "Clore sans réponse", through the agent's own service in the assignee's
    name, the rule read again under the row lock (the customer may have answered or
    confirmed meanwhile). A request nobody is assigned is left to people."""
    with transaction.atomic():
        request = _locked(request_id)
        if request is None or not reply_deadline_passed(request, now=now):
            return False
        if request.assignee_id is None:
            logger.warning("Request %s is past its reply deadline but has no assignee: not "
                           "closed automatically", request.key)
            return False
        assignee = get_user_model().objects.get(pk=request.assignee_id)
        request_close_without_answer(
            actor=assignee, request=request.pk,
            comment=auto_close_comment(config, language=_language_of(request.reporter_id)),
            expected_status=RequestStatus.AWAITING_CUSTOMER, at=now, automatic=True,
        )
    return True


# --------------------------------------------------------------------- the morning digest

def daily_digest_day(*, now: datetime, config: AutomationSettings) -> date | None:
    """The business day whose digest is due at ``now`` (in the calendar's zone), or None: a
    closed day, or before the configured time."""
    calendar = default_calendar()
    local = now.astimezone(calendar.time_zone)
    if not calendar.is_working_day(local.date()) or local.time() < config.digest_time:
        return None
    return local.date()


def daily_digest_send(*, now: datetime | None = None) -> int:
    """The morning digest of the day, once: the first run past the configured time writes
    the day's ``AutomationRun`` and the e-mails in one transaction; any later run finds the
    day taken. Returns how many e-mails were written."""
    now = now or timezone.now()
    config = automation_settings_get()
    if not config.digest_enabled:
        return 0
    day = daily_digest_day(now=now, config=config)
    if day is None:
        return 0
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = AutomationRun.objects.create(job=DAILY_DIGEST_JOB, day=day, ran_at=now)
        except IntegrityError:
            return 0  # another run had it
        messages = notifications.digest_notify(
            people=notifications.digest_recipients(),
            digest_of=lambda person: digest_for(person, now=now), day=day)
        run.sent = len(messages)
        run.save(update_fields=["sent"])
    return len(messages)
