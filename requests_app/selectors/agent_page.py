"""What the agent request page offers this person, decided once from the rules (the buttons,
the comment box, the qualification and assignment panels, the client's reply deadline): the
view turns the answer into forms, and the services enforce the same rules on every POST.
A queue's bulk actions are offered by the same rules, request by request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from requests_app import permissions, rules
from requests_app.models import Request
from requests_app.workflow import (
    AGENT_TRANSITIONS,
    BULK_TRANSITIONS,
    ConfirmationState,
    RequestStatus,
)

# The bulk action that (re)assigns, beside the transitions of the registry.
BULK_ASSIGN = "assign"


@dataclass(frozen=True)
class AgentPageOffer:
    transitions: list[str]  # registry names, in the order of the buttons
    comment: bool  # the comment box (public comment)
    internal_note: bool  # its "note interne" button
    details: bool  # "Modifier la qualification"
    assign: bool  # "Réassigner" / "Prendre la demande"
    reply_due_at: datetime | None  # when "Clore sans réponse" opens, while it is awaited


def agent_page_offer(user: Any, request: Request) -> AgentPageOffer:
    if request.is_closed:
        return AgentPageOffer([], False, False, False, False, None)
    transitions = _transitions_offered(user, request, AGENT_TRANSITIONS)
    awaiting_answer = (request.status == RequestStatus.AWAITING_CUSTOMER
                       and request.confirmation_state != ConfirmationState.CONFIRMED)
    return AgentPageOffer(
        transitions=transitions,
        comment=permissions.may_comment(request, user),
        internal_note=permissions.may_write_internal_note(request, user),
        # While "Qualifier" is on offer, its form is the way to set these fields.
        details="qualify" not in transitions and permissions.may_edit_details(user),
        assign=rules.assignment_offered(request, user),
        reply_due_at=request.customer_reply_due_at if awaiting_answer else None,
    )


def _transitions_offered(user: Any, request: Request, names: Iterable[str]) -> list[str]:
    return [name for name in names if rules.transition_permitted(request, name, user)]


def bulk_actions_for(user: Any, request_ids: Iterable[int]) -> dict[int, list[str]]:
    """{request id: the bulk actions this person may take on it now}, decided as the request
    page decides its buttons and its "Réassigner" (``agent_page_offer``): "assign" first, then
    the registry's bulk transitions in order. One query, of the few columns the rules read,
    whatever the number of requests; none for a closed request."""
    ids = list(request_ids)
    if not ids:
        return {}
    offered: dict[int, list[str]] = {}
    for request in Request.objects.filter(pk__in=ids).only(
            "pk", "status", "confirmation_state", "customer_reply_due_at", "assignee_id",
            "reporter_id"):
        if request.is_closed:
            offered[request.pk] = []
            continue
        names = [BULK_ASSIGN] if rules.assignment_offered(request, user) else []
        offered[request.pk] = names + _transitions_offered(user, request, BULK_TRANSITIONS)
    return offered
