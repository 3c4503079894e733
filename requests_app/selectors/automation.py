"""The reads of what the portal does by itself (``services.automation``): its settings, the
requests each job is due for, and the content of the morning digest.

The jobs run as the system, not as a person: they read requests directly, and each effect then
goes through the services (the automatic closing through the agent's own service, as the
assignee, so the access rule is asked there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q

from requests_app.models import (
    KEY_PREFIX,
    AutomationSettings,
    EventKind,
    Organisation,
    Priority,
    Request,
    RequestEvent,
)
from requests_app.people import person_name_of
from requests_app.selectors.access import request_list_visible_to
from requests_app.selectors.reference import reference_row
from requests_app.workflow import OPEN_STATUSES, ConfirmationState, RequestStatus
from slo.calendar import WorkingCalendar, default_calendar
from slo.display import nearest_clock_views_for

# The most requests one digest lists; the queue it links to shows them all.
DIGEST_LIMIT = 50


def automation_settings_get() -> AutomationSettings:
    """The settings row the admin edits, or the defaults while nobody has saved one."""
    found = AutomationSettings.objects.order_by("pk").first()
    return found if found is not None else AutomationSettings(pk=AutomationSettings.SINGLETON_PK)


# ------------------------------------------------------------------- the customer reminder

def _awaiting_the_customer() -> Q:
    """Waiting for the customer's answer: to a question, or to a proposed resolution. Once
    they confirmed it, the closing is Customer Service's."""
    return Q(status=RequestStatus.AWAITING_CUSTOMER) & ~Q(
        confirmation_state=ConfirmationState.CONFIRMED)


def _reminded_since_waiting() -> Exists:
    return Exists(RequestEvent.objects.filter(
        request_id=OuterRef("pk"), kind=EventKind.CUSTOMER_REMINDED,
        created_at__gte=OuterRef("awaiting_customer_since")))


def reminder_due_at(since: datetime, *, business_days: int,
                    calendar: WorkingCalendar | None = None) -> datetime:
    """When a request waiting for its customer since ``since`` is due for its reminder."""
    return (calendar or default_calendar()).add_business_days(since, business_days)


def requests_due_for_reminder(*, now: datetime, business_days: int) -> list[int]:
    """The requests whose customer has not answered for ``business_days`` business days and
    was not reminded yet in this wait, oldest wait first.

    ``business_days`` business days are never fewer than ``business_days - 1`` calendar
    days: that bound lets the database skip the recent waits; the exact instant is the
    calendar's."""
    cutoff = now - timedelta(days=max(business_days - 1, 0))
    candidates = (
        Request.objects.filter(_awaiting_the_customer(), awaiting_customer_since__lte=cutoff)
        .exclude(_reminded_since_waiting())
        .order_by("awaiting_customer_since", "pk")
        .values_list("pk", "awaiting_customer_since")
    )
    calendar = default_calendar()
    return [pk for pk, since in candidates
            if reminder_due_at(since, business_days=business_days, calendar=calendar) <= now]


def reminder_still_due(request: Request, *, now: datetime, business_days: int) -> bool:
    """``requests_due_for_reminder``'s rule for one request, read again under its row lock:
    the customer may have answered, or another run reminded them, in between."""
    since = request.awaiting_customer_since
    if (request.status != RequestStatus.AWAITING_CUSTOMER
            or request.confirmation_state == ConfirmationState.CONFIRMED or since is None):
        return False
    if reminder_due_at(since, business_days=business_days) > now:
        return False
    return not RequestEvent.objects.filter(
        request_id=request.pk, kind=EventKind.CUSTOMER_REMINDED, created_at__gte=since,
    ).exists()


def awaited_answer_comment_id(request: Request) -> int | None:
    """The comment the customer is asked to answer: the question, or the proposed resolution,
    that put the request in its current wait."""
    return (
        RequestEvent.objects.filter(
            request_id=request.pk, kind=EventKind.STATUS_CHANGED,
            to_status=RequestStatus.AWAITING_CUSTOMER, comment__isnull=False,
            created_at__gte=request.awaiting_customer_since,
        ).order_by("-created_at", "-pk").values_list("comment_id", flat=True).first()
    )


# ---------------------------------------------------------- the automatic closing

def requests_past_reply_deadline(*, now: datetime) -> list[int]:
    """The requests still waiting for their customer's answer once the reply deadline stored
    when the wait began (``customer_reply_due_at``) has passed, the oldest deadline first."""
    return list(
        Request.objects.filter(_awaiting_the_customer(), customer_reply_due_at__lte=now)
        .order_by("customer_reply_due_at", "pk").values_list("pk", flat=True)
    )


def reply_deadline_passed(request: Request, *, now: datetime) -> bool:
    """``requests_past_reply_deadline``'s rule for one request, under its row lock."""
    due = request.customer_reply_due_at
    return (request.status == RequestStatus.AWAITING_CUSTOMER
            and request.confirmation_state != ConfirmationState.CONFIRMED
            and due is not None and due <= now)


# ------------------------------------------------------------------- the morning digest

@dataclass(frozen=True)
class DigestLine:
    key: str
    title: str
    priority: str
    organisation: str
    assignee: str  # "" when nobody is assigned
    status: str
    breached: bool
    clock: str  # the clock that matters most: "Résolution", "Première réponse"
    remaining: str  # "dépassé de 1 h 05", "1 h 20 ouvrées"


@dataclass(frozen=True)
class Digest:
    lines: list[DigestLine]
    breached_count: int
    at_risk_count: int

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def more(self) -> int:
        """How many at-risk or breached requests the digest does not list."""
        return self.breached_count + self.at_risk_count - len(self.lines)


def _at_risk(now: datetime) -> Q:
    # The queue "SLO à risque ou dépassé": an open request past the warning instant of one of
    # its running clocks (``slo_warn_at``, indexed for open requests).
    return Q(status__in=OPEN_STATUSES, slo_warn_at__lte=now)


def digest_for(user: Any, *, now: datetime) -> Digest:
    """The morning digest as ``user`` may read it (the one access rule), in the active
    language: the open requests whose SLO is breached or at risk, the nearest deadline first
    (breached ones first, then), at most ``DIGEST_LIMIT`` of them. Three queries."""
    risky = request_list_visible_to(user).filter(_at_risk(now))
    counts = risky.aggregate(breached=Count("pk", filter=Q(slo_due_at__lte=now)),
                             total=Count("pk"))
    rows = list(
        risky.order_by(F("slo_due_at").asc(nulls_last=True), "number")
        .values("pk", "number", "title", "status", "slo_due_at", "priority_id",
                "organisation_id", "assignee_id", "assignee__first_name",
                "assignee__last_name", "assignee__username")[:DIGEST_LIMIT]
    )
    clocks = nearest_clock_views_for([row["pk"] for row in rows], at=now)
    lines = []
    for row in rows:
        clock = clocks.get(row["pk"])
        lines.append(DigestLine(
            key=f"{KEY_PREFIX}{row['number']}", title=row["title"],
            priority=reference_row(Priority, row["priority_id"]).name,
            organisation=reference_row(Organisation, row["organisation_id"]).name,
            assignee=person_name_of(row["assignee__first_name"], row["assignee__last_name"],
                                    row["assignee__username"]) if row["assignee_id"] else "",
            status=str(RequestStatus(row["status"]).label),
            breached=row["slo_due_at"] is not None and row["slo_due_at"] <= now,
            clock=clock.label if clock is not None else "",
            remaining=clock.remaining_text if clock is not None else "",
        ))
    breached = counts["breached"] or 0
    return Digest(lines=lines, breached_count=breached,
                  at_risk_count=(counts["total"] or 0) - breached)

