"""The refusals of the request app, each in one place: the services enforce them, and the
pages, forms and bulk actions ask them (read-only) to offer only what would succeed.

Each function answers ``None`` (allowed) or the domain error the service raises, with its
message. Nothing here reads the database beyond the person's roles.
"""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _

from portal.errors import SptError
from requests_app import permissions
from requests_app.exceptions import (
    PermissionDenied,
    RequestClosed,
    StaleRequest,
    TransitionNotAllowed,
)
from requests_app.workflow import (
    ASSIGNABLE_STATUSES,
    TRANSITIONS,
    ConfirmationState,
    RequestStatus,
    action_label,
)


def closed_refusal(request: Any) -> SptError | None:
    """Fermé is final: no comment, attachment, edit or transition."""
    if request.is_closed:
        return RequestClosed(
            _("La demande %(key)s est fermée : elle ne peut plus être modifiée. "
              "Créez une demande de suivi.") % {"key": request.key}
        )
    return None


def stale_refusal(request: Any, expected_status: str | None) -> SptError | None:
    """The page showed another status: somebody changed the request in between."""
    if expected_status and request.status != expected_status:
        return StaleRequest(
            _("La demande %(key)s a été modifiée entre-temps (statut actuel : %(status)s). "
              "Rechargez la page.")
            % {"key": request.key, "status": request.get_status_display()}
        )
    return None


class _Refused(enum.Enum):
    """Which check of ``transition_refusal`` refuses (the order is the rule's)."""

    STATUS = "status"
    ROLE = "role"
    CONDITION = "condition"


def _transition_refused(request: Any, name: str, user: Any) -> _Refused | None:
    meta = getattr(request, name)._django_fsm
    transition = meta.get_transition(request.status)
    if transition is None:
        return _Refused.STATUS
    if not transition.has_perm(request, user):
        return _Refused.ROLE
    if not meta.conditions_met(request, request.status):
        return _Refused.CONDITION
    return None


def transition_permitted(request: Any, name: str, user: Any) -> bool:
    """``transition_refusal(...) is None`` without writing the refusal's words: what a page
    asks of every transition to choose its buttons."""
    return _transition_refused(request, name, user) is None


def transition_refusal(request: Any, name: str, user: Any) -> SptError | None:
    """Why ``user`` may not fire ``name`` on ``request`` now: the status first, then the role
    (a person without the role hears that, not a condition they cannot meet), then the
    conditions, each in the registry's words."""
    refused = _transition_refused(request, name, user)
    if refused is None:
        return None
    spec = TRANSITIONS[name]
    if refused is _Refused.STATUS:
        return TransitionNotAllowed(
            _("« %(action)s » n'est pas possible au statut « %(status)s ».")
            % {"action": spec.label, "status": request.get_status_display()}
        )
    if refused is _Refused.ROLE:
        return PermissionDenied(
            _("Votre rôle ne permet pas « %(action)s » sur cette demande.")
            % {"action": spec.label}
        )
    if spec.unmet is not None:
        return TransitionNotAllowed(spec.unmet(request))
    return TransitionNotAllowed(_("« %(action)s » n'est pas possible maintenant.")
                                % {"action": spec.label})


def assignment_refusal(request: Any, user: Any) -> SptError | None:
    """Who may (re)assign, and when: Daily and ServiceDesk, once someone works on the request.
    Before "Prendre en charge / assigner", that action gives it its first assignee."""
    if not permissions.may_assign(user):
        return PermissionDenied(_("Seuls le Daily et le ServiceDesk assignent les demandes."))
    if request.status in ASSIGNABLE_STATUSES:
        return None
    if request.status in (RequestStatus.OPEN, RequestStatus.QUALIFIED):
        return TransitionNotAllowed(
            _("Une demande au statut « %(status)s » ne se réassigne pas : « %(action)s » lui "
              "donne son premier responsable.")
            % {"status": request.get_status_display(), "action": action_label("start")}
        )
    return TransitionNotAllowed(_("Une demande au statut « %(status)s » ne se réassigne pas.")
                                % {"status": request.get_status_display()})


def assignment_offered(request: Any, user: Any) -> bool:
    """Whether a page offers (re)assigning: allowed, and not pointless (a ServiceDesk agent,
    who can only take the request, when it is already theirs)."""
    if assignment_refusal(request, user) is not None:
        return False
    takes_only = not permissions.has_role(user, permissions.Role.DAILY)
    return not (takes_only and request.assignee_id == getattr(user, "pk", None))


# How long after its closing a confirmed request may still be rated (or its rating changed):
# the closing often follows the confirmation within minutes.
SATISFACTION_DAYS_AFTER_CLOSING = 7


def satisfaction_refusal(request: Any, *, at: Any) -> SptError | None:
    """Whether the client's satisfaction may be given or changed now (who may is the
    service's to check): once they confirmed the resolution, until the request is closed and
    for ``SATISFACTION_DAYS_AFTER_CLOSING`` days after."""
    if request.confirmation_state != ConfirmationState.CONFIRMED:
        return TransitionNotAllowed(
            _("Votre satisfaction se note une fois la résolution confirmée."))
    closed_at = request.closed_at if request.is_closed else None
    if closed_at is not None and at >= closed_at + timedelta(days=SATISFACTION_DAYS_AFTER_CLOSING):
        return RequestClosed(
            _("La demande %(key)s est fermée depuis plus de %(days)d jours : votre "
              "satisfaction ne peut plus être notée ni modifiée.")
            % {"key": request.key, "days": SATISFACTION_DAYS_AFTER_CLOSING})
    return None
