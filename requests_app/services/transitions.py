"""One service per workflow action (DESIGN §3). Each one, in a single transaction:
locks the row, checks the status it was shown, the role and the conditions, applies what the
action requires, fires the django-fsm transition, saves, writes the history and moves the SLO
clocks. Notifications follow from the history lines, after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from requests_app import events
from requests_app.exceptions import (
    InvalidInput,
    PermissionDenied,
    RequestNotFound,
    TransitionNotAllowed,
)
from requests_app.models import (
    Comment,
    ErpModule,
    EventKind,
    Priority,
    Request,
    RequestType,
)
from requests_app.selectors import customer_waiting_deadline, request_is_visible_to
from requests_app.services._common import lock_request, refuse_if_closed, refuse_if_stale
from requests_app.services.attachments import attachments_store, attachments_validate
from requests_app.services.requests import assignment_apply, details_apply
from requests_app.workflow import ConfirmationState, RequestStatus, action_label
from slo import services as slo_services

Prepare = Callable[[Request], None]


def _refusal(request: Request, name: str, actor: AbstractBaseUser) -> Exception | None:
    """Why ``actor`` may not fire ``name`` on the locked ``request`` now, or None."""
    # django-fsm's has_transition_perm also checks the conditions; here the role is checked
    # first so that a person without the role hears that, not a condition they cannot meet.
    meta = getattr(request, name)._django_fsm
    transition = meta.get_transition(request.status)
    label = action_label(name)
    if transition is None:
        return TransitionNotAllowed(
            _("« %(action)s » n'est pas possible au statut « %(status)s ».")
            % {"action": label, "status": request.get_status_display()}
        )
    if not transition.has_perm(request, actor):
        return PermissionDenied(
            _("Votre rôle ne permet pas « %(action)s » sur cette demande.") % {"action": label}
        )
    if not meta.conditions_met(request, request.status):
        if name == "close":
            return TransitionNotAllowed(
                _("Le client n'a pas encore confirmé la résolution : la demande ne peut pas "
                  "encore être close.")
            )
        if name == "close_without_answer":
            deadline = customer_waiting_deadline(request.awaiting_customer_since)
            return TransitionNotAllowed(
                _("Le client a jusqu'au %(date)s pour répondre : « Clore sans réponse » n'est "
                  "possible qu'ensuite.")
                % {"date": formats.date_format(timezone.localtime(deadline),
                                               "DATETIME_FORMAT")}
            )
        return TransitionNotAllowed(_("« %(action)s » n'est pas possible maintenant.")
                                    % {"action": label})
    return None


def transition_allowed(request: Request, name: str, actor: AbstractBaseUser) -> bool:
    """Whether the button for ``name`` belongs on this person's page (read-only check)."""
    return _refusal(request, name, actor) is None


def _require_text(value: str | None, message: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, field=field)
    return value


def _fire(
    *,
    actor: AbstractBaseUser,
    request: Request,
    name: str,
    expected_status: str | None,
    at: datetime | None,
    prepare: Prepare | None = None,
    comment_body: str = "",
    comment_internal: bool = False,
    attachments: Iterable[UploadedFile] = (),
    payload: dict[str, Any] | None = None,
) -> Request:
    at = at or timezone.now()
    files = attachments_validate(attachments)
    with transaction.atomic():
        request = lock_request(request)
        if not request_is_visible_to(actor, request.pk):
            raise RequestNotFound(_("Demande introuvable."))
        refuse_if_stale(request, expected_status)
        refuse_if_closed(request)
        refusal = _refusal(request, name, actor)
        if refusal is not None:
            raise refusal
        from_status = request.status
        if prepare is not None:
            prepare(request)
        getattr(request, name)()
        to_status = request.status
        if to_status == RequestStatus.AWAITING_CUSTOMER:
            request.awaiting_customer_since = at
        elif from_status == RequestStatus.AWAITING_CUSTOMER:
            request.awaiting_customer_since = None
        if to_status == RequestStatus.CLOSED:
            request.closed_at = at
        request.updated_at, request.updated_by = at, actor
        request.save()

        comment = None
        if comment_body:
            comment = Comment.objects.create(
                request=request, author=actor, body=comment_body,
                is_internal=comment_internal, created_at=at,
            )
        event_payload = {"transition": name, "label": action_label(name), **(payload or {})}
        if request.resolution and to_status == RequestStatus.CLOSED:
            event_payload["resolution"] = request.get_resolution_display()
        events.event_record(
            request=request, actor=actor, kind=EventKind.STATUS_CHANGED, at=at,
            from_status=from_status, to_status=to_status, comment=comment,
            payload=event_payload,
        )
        if comment is not None:
            attachments_store(request=request, actor=actor, files=files, comment=comment,
                              is_internal=comment_internal)
        if name == "propose_resolution":
            events.event_record(
                request=request, actor=actor, kind=EventKind.CONFIRMATION_REQUESTED, at=at,
                comment=comment,
            )
        if from_status == RequestStatus.OPEN:
            slo_services.first_response_record(request=request, at=at)
        slo_services.clocks_sync(request=request, at=at)
    return request


def request_qualify(
    *, actor: AbstractBaseUser, request: Request, request_type: RequestType,
    priority: Priority, module: ErpModule | None, version: str, environment: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """FrontDesk confirms type and priority and records module, version and environment."""
    if module is None:
        raise InvalidInput(_("Le module est obligatoire pour qualifier."), field="module")
    _require_text(version, _("La version est obligatoire pour qualifier."), "version")
    _require_text(environment, _("L'environnement est obligatoire pour qualifier."),
                  "environment")
    at = at or timezone.now()

    def prepare(locked: Request) -> None:
        if not request_type.client_can_open and locked.request_type_id != request_type.pk:
            raise PermissionDenied(
                _("Seule l'administration des ventes gère les demandes « %(type)s ».")
                % {"type": request_type.name}
            )
        details_apply(locked, actor=actor, at=at, changes={
            "request_type": request_type, "priority": priority, "module": module,
            "version": version, "environment": environment,
        })
        locked.qualified_by, locked.qualified_at = actor, at

    return _fire(actor=actor, request=request, name="qualify", expected_status=expected_status,
                 at=at, prepare=prepare)


def request_close_without_follow_up(
    *, actor: AbstractBaseUser, request: Request, comment: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """FrontDesk closes a duplicate or out-of-scope request, telling the client why."""
    body = _require_text(comment, _("Expliquez au client pourquoi la demande est close."),
                         "comment")
    return _fire(actor=actor, request=request, name="close_without_follow_up",
                 expected_status=expected_status, at=at, comment_body=body)


def request_start(
    *, actor: AbstractBaseUser, request: Request, assignee: AbstractBaseUser | None,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """Daily assigns a ServiceDesk agent, or a ServiceDesk agent takes the request."""
    at = at or timezone.now()

    def prepare(locked: Request) -> None:
        assignment_apply(locked, actor=actor, assignee=assignee, at=at)

    return _fire(actor=actor, request=request, name="start", expected_status=expected_status,
                 at=at, prepare=prepare)


def request_escalate_to_expert(
    *, actor: AbstractBaseUser, request: Request, note: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    body = _require_text(note, _("Une note interne pour l'expert est obligatoire."), "note")
    return _fire(actor=actor, request=request, name="escalate_to_expert",
                 expected_status=expected_status, at=at, comment_body=body,
                 comment_internal=True)


def request_return_to_service_desk(
    *, actor: AbstractBaseUser, request: Request, comment: str, internal: bool = True,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    body = _require_text(comment, _("Un commentaire pour le ServiceDesk est obligatoire."),
                         "comment")
    return _fire(actor=actor, request=request, name="return_to_service_desk",
                 expected_status=expected_status, at=at, comment_body=body,
                 comment_internal=internal)


def request_send_to_rnd(
    *, actor: AbstractBaseUser, request: Request, rnd_reference: str, comment: str = "",
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    reference = _require_text(rnd_reference, _("La référence R&D est obligatoire."),
                              "rnd_reference")

    def prepare(locked: Request) -> None:
        locked.rnd_reference = reference[:100]

    return _fire(actor=actor, request=request, name="send_to_rnd",
                 expected_status=expected_status, at=at, prepare=prepare,
                 comment_body=(comment or "").strip(), comment_internal=True,
                 payload={"rnd_reference": reference})


def request_fix_available(
    *, actor: AbstractBaseUser, request: Request, comment: str, internal: bool = True,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    body = _require_text(comment, _("Décrivez la correction livrée."), "comment")
    return _fire(actor=actor, request=request, name="fix_available",
                 expected_status=expected_status, at=at, comment_body=body,
                 comment_internal=internal)


def request_ask_customer(
    *, actor: AbstractBaseUser, request: Request, question: str,
    attachments: Iterable[UploadedFile] = (),
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    body = _require_text(question, _("Posez votre question au client."), "comment")
    return _fire(actor=actor, request=request, name="ask_customer",
                 expected_status=expected_status, at=at, comment_body=body,
                 attachments=attachments)


def request_propose_resolution(
    *, actor: AbstractBaseUser, request: Request, resolution: str,
    attachments: Iterable[UploadedFile] = (),
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """Sends the requester the confirmation request (e-mail and banner)."""
    body = _require_text(resolution, _("Décrivez la résolution proposée au client."),
                         "comment")
    return _fire(actor=actor, request=request, name="propose_resolution",
                 expected_status=expected_status, at=at, comment_body=body,
                 attachments=attachments)


def request_close(
    *, actor: AbstractBaseUser, request: Request, comment: str = "",
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """The assignee closes once the client has confirmed the resolution."""
    return _fire(actor=actor, request=request, name="close", expected_status=expected_status,
                 at=at, comment_body=(comment or "").strip())


def request_close_without_answer(
    *, actor: AbstractBaseUser, request: Request, comment: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    body = _require_text(comment, _("Un commentaire au client est obligatoire."), "comment")
    return _fire(actor=actor, request=request, name="close_without_answer",
                 expected_status=expected_status, at=at, comment_body=body)


def request_close_escalated(
    *, actor: AbstractBaseUser, request: Request, reason: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    body = _require_text(reason, _("Indiquez pourquoi la demande est traitée hors niveau 1."),
                         "reason")
    return _fire(actor=actor, request=request, name="close_escalated",
                 expected_status=expected_status, at=at, comment_body=body)


def request_withdraw(
    *, actor: AbstractBaseUser, request: Request, reason: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """The reporter withdraws their request ("Retirer ma demande")."""
    body = _require_text(reason, _("Indiquez pourquoi vous retirez la demande."), "reason")
    return _fire(actor=actor, request=request, name="withdraw", expected_status=expected_status,
                 at=at, comment_body=body)


def customer_reply_fire(
    *, actor: AbstractBaseUser, request: Request, comment: Comment, at: datetime,
    denied: bool = False,
) -> None:
    """The automatic move back to En cours when the client answers; called by the comment
    services on an already locked request."""
    from_status = request.status
    request.customer_reply()
    if denied:
        request.confirmation_state = ConfirmationState.DENIED
    request.awaiting_customer_since = None
    request.updated_at, request.updated_by = at, actor
    request.save()
    events.event_record(
        request=request, actor=actor, kind=EventKind.STATUS_CHANGED, at=at,
        from_status=from_status, to_status=request.status, comment=comment,
        payload={"transition": "customer_reply", "label": action_label("customer_reply")},
    )
    slo_services.clocks_sync(request=request, at=at)


# The agent page posts a transition by name; this is the whitelist it is checked against.
TRANSITION_SERVICES: dict[str, Callable[..., Request]] = {
    "qualify": request_qualify,
    "close_without_follow_up": request_close_without_follow_up,
    "start": request_start,
    "escalate_to_expert": request_escalate_to_expert,
    "return_to_service_desk": request_return_to_service_desk,
    "send_to_rnd": request_send_to_rnd,
    "fix_available": request_fix_available,
    "ask_customer": request_ask_customer,
    "propose_resolution": request_propose_resolution,
    "close": request_close,
    "close_without_answer": request_close_without_answer,
    "close_escalated": request_close_escalated,
    "withdraw": request_withdraw,
}
