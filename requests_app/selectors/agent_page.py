"""What the agent request page offers this person, decided once from the rules (the buttons,
the comment box, the qualification and assignment panels, the client's reply deadline): the
view turns the answer into forms, and the services enforce the same rules on every POST."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from requests_app import permissions, rules
from requests_app.models import Request
from requests_app.workflow import AGENT_TRANSITIONS, ConfirmationState, RequestStatus


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
    transitions = [name for name in AGENT_TRANSITIONS
                   if rules.transition_permitted(request, name, user)]
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
