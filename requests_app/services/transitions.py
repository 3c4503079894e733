"""One service per workflow action (DESIGN §3). Each one, in a single transaction: fetches
the request through the access rule with its row locked, checks the status it was shown, the
role and the conditions (in this order), applies what the action requires, fires the
django-fsm transition, saves, writes the history, moves the SLO clocks and queues the
notifications. Labels, roles, texts and refusal messages come from the registry
(``workflow.TRANSITIONS``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import events, notifications
from requests_app.exceptions import InvalidInput, PermissionDenied
from requests_app.models import Comment, ErpModule, Priority, Request, RequestType
from requests_app.rules import transition_permitted, transition_refusal
from requests_app.services._common import request_for_change, text_length_check
from requests_app.services.attachments import attachments_store, attachments_validate
from requests_app.services.mentions import mentions_record
from requests_app.services.requests import assignment_apply, details_apply
from requests_app.services.search import search_words_add
from requests_app.slo_inputs import clocks_follow, first_response_follow
from requests_app.workflow import TRANSITIONS, ConfirmationState, RequestStatus
from slo.calendar import default_calendar

Prepare = Callable[[Request], None]


def customer_reply_deadline(since: datetime) -> datetime:
    """When "Clore sans réponse" opens for a request that started waiting for its client at
    ``since``: the configured number of business days later."""
    return default_calendar().add_business_days(since, settings.CUSTOMER_WAIT_BUSINESS_DAYS)


def transition_allowed(request: Request, name: str, actor: User) -> bool:
    """Whether the button for ``name`` belongs on this person's page (read-only check)."""
    return transition_permitted(request, name, actor)


def _text(name: str, value: str | None) -> str:
    """The action's text, required when the registry says so (with its message)."""
    spec = TRANSITIONS[name]
    text = (value or "").strip()
    if not text and spec.text_required is not None:
        raise InvalidInput(str(spec.text_required), field=spec.text_param)
    text_length_check(text, field=spec.text_param)
    return text


def _fire(
    *,
    actor: User,
    request: Request | int,
    name: str,
    expected_status: str | None,
    at: datetime | None,
    prepare: Prepare | None = None,
    text: str | None = None,
    comment_internal: bool = False,
    attachments: Iterable[UploadedFile] = (),
    rnd_reference: str = "",
    automatic: bool = False,
) -> Request:
    """Fire ``name``: the request first (``RequestNotFound``, stale, closed), then the
    registry's refusal, then the input (the action's text, files, ``prepare``'s checks).
    ``automatic``: fired by the portal in ``actor``'s name (the history says so)."""
    at = at or timezone.now()
    with transaction.atomic():
        request = request_for_change(actor, request, expected_status=expected_status)
        refusal = transition_refusal(request, name, actor)
        if refusal is not None:
            raise refusal
        comment_body = _text(name, text)
        files = attachments_validate(attachments)
        from_status = request.status
        if prepare is not None:
            prepare(request)
        getattr(request, name)()
        _status_entered(request, from_status=from_status, at=at)
        request.updated_at, request.updated_by = at, actor
        request.save()

        comment = None
        if comment_body:
            comment = Comment.objects.create(
                request=request, author=actor, body=comment_body,
                is_internal=comment_internal, created_at=at,
            )
            search_words_add(request, comment_body, internal=comment_internal)
        if rnd_reference:
            search_words_add(request, rnd_reference, internal=True)
        event = events.status_changed(
            request=request, actor=actor, at=at, transition=name, from_status=from_status,
            comment=comment, rnd_reference=rnd_reference, automatic=automatic,
        )
        notifications.notify(event)
        if comment is not None:
            mentions_record(request=request, comment=comment, event=event,
                            field=TRANSITIONS[name].text_param)
            attachments_store(request=request, actor=actor, files=files, comment=comment,
                              is_internal=comment_internal, at=at)
        if name == "propose_resolution":
            notifications.notify(events.confirmation_requested(
                request=request, actor=actor, at=at, comment=comment))
        first_response_follow(request, event)
        clocks_follow(request, at=at)
    return request


def _status_entered(request: Request, *, from_status: str, at: datetime) -> None:
    """What the new status stores: the client's reply deadline while it waits for them, the
    closing instant once closed."""
    if request.status == RequestStatus.AWAITING_CUSTOMER:
        request.awaiting_customer_since = at
        request.customer_reply_due_at = customer_reply_deadline(at)
    elif from_status == RequestStatus.AWAITING_CUSTOMER:
        request.awaiting_customer_since = None
        request.customer_reply_due_at = None
    if request.status == RequestStatus.CLOSED:
        request.closed_at = at


def request_qualify(
    *, actor: User, request: Request, request_type: RequestType,
    priority: Priority, module: ErpModule | None, version: str, environment: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """FrontDesk confirms type and priority and records module, version and environment."""
    at = at or timezone.now()

    def prepare(locked: Request) -> None:
        if module is None:
            raise InvalidInput(_("Le module est obligatoire pour qualifier."), field="module")
        if not (version or "").strip():
            raise InvalidInput(_("La version est obligatoire pour qualifier."), field="version")
        if not (environment or "").strip():
            raise InvalidInput(_("L'environnement est obligatoire pour qualifier."),
                               field="environment")
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
    *, actor: User, request: Request, comment: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """FrontDesk closes a duplicate or out-of-scope request, telling the client why."""
    return _fire(actor=actor, request=request, name="close_without_follow_up",
                 expected_status=expected_status, at=at, text=comment)


def request_start(
    *, actor: User, request: Request, assignee: User | None,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """Daily assigns a ServiceDesk agent, or a ServiceDesk agent takes the request."""
    at = at or timezone.now()

    def prepare(locked: Request) -> None:
        assignment_apply(locked, actor=actor, assignee=assignee, at=at)

    return _fire(actor=actor, request=request, name="start", expected_status=expected_status,
                 at=at, prepare=prepare)


def request_escalate_to_expert(
    *, actor: User, request: Request, note: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    return _fire(actor=actor, request=request, name="escalate_to_expert",
                 expected_status=expected_status, at=at, text=note, comment_internal=True)


def request_return_to_service_desk(
    *, actor: User, request: Request, comment: str, internal: bool = True,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    return _fire(actor=actor, request=request, name="return_to_service_desk",
                 expected_status=expected_status, at=at, text=comment,
                 comment_internal=internal)


def request_send_to_rnd(
    *, actor: User, request: Request, rnd_reference: str, comment: str = "",
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    reference = (rnd_reference or "").strip()

    def prepare(locked: Request) -> None:
        if not reference:
            raise InvalidInput(_("La référence R&D est obligatoire."), field="rnd_reference")
        locked.rnd_reference = reference[:100]

    return _fire(actor=actor, request=request, name="send_to_rnd",
                 expected_status=expected_status, at=at, prepare=prepare,
                 text=comment, comment_internal=True, rnd_reference=reference)


def request_fix_available(
    *, actor: User, request: Request, comment: str, internal: bool = True,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    return _fire(actor=actor, request=request, name="fix_available",
                 expected_status=expected_status, at=at, text=comment,
                 comment_internal=internal)


def request_ask_customer(
    *, actor: User, request: Request, question: str,
    attachments: Iterable[UploadedFile] = (),
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    return _fire(actor=actor, request=request, name="ask_customer",
                 expected_status=expected_status, at=at, text=question,
                 attachments=attachments)


def request_propose_resolution(
    *, actor: User, request: Request, resolution: str,
    attachments: Iterable[UploadedFile] = (),
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """Sends the requester the confirmation request (e-mail and banner)."""
    return _fire(actor=actor, request=request, name="propose_resolution",
                 expected_status=expected_status, at=at, text=resolution,
                 attachments=attachments)


def request_take_back(
    *, actor: User, request: Request, comment: str, internal: bool = True,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """"Reprendre": back to En cours without the customer's answer; the resolution clock runs
    again from now (``clocks_follow``) and their reply deadline is dropped."""
    return _fire(actor=actor, request=request, name="take_back",
                 expected_status=expected_status, at=at, text=comment,
                 comment_internal=internal)


def request_close(
    *, actor: User, request: Request, comment: str = "",
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """The assignee closes once the client has confirmed the resolution."""
    return _fire(actor=actor, request=request, name="close", expected_status=expected_status,
                 at=at, text=comment)


def request_close_without_answer(
    *, actor: User, request: Request | int, comment: str,
    expected_status: str | None = None, at: datetime | None = None,
    automatic: bool = False,
) -> Request:
    """The assignee closes a request whose client did not answer in time; ``automatic``: the
    portal does it in the assignee's name once the deadline passed (``services.automation``)."""
    return _fire(actor=actor, request=request, name="close_without_answer",
                 expected_status=expected_status, at=at, text=comment, automatic=automatic)


def request_close_escalated(
    *, actor: User, request: Request, reason: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    return _fire(actor=actor, request=request, name="close_escalated",
                 expected_status=expected_status, at=at, text=reason)


def request_withdraw(
    *, actor: User, request: Request, reason: str,
    expected_status: str | None = None, at: datetime | None = None,
) -> Request:
    """The reporter withdraws their request ("Retirer ma demande")."""
    return _fire(actor=actor, request=request, name="withdraw", expected_status=expected_status,
                 at=at, text=reason)


def customer_reply_fire(
    *, actor: User, request: Request, comment: Comment, at: datetime,
    denied: bool = False,
) -> None:
    """The automatic move back to En cours when the client answers; called by the comment
    services on a request they fetched with ``request_for_change``."""
    from_status = request.status
    request.customer_reply()
    if denied:
        request.confirmation_state = ConfirmationState.DENIED
    _status_entered(request, from_status=from_status, at=at)
    request.updated_at, request.updated_by = at, actor
    request.save()
    notifications.notify(events.status_changed(
        request=request, actor=actor, at=at, transition="customer_reply",
        from_status=from_status, comment=comment,
    ))
    clocks_follow(request, at=at)


# The services of the actions people fire by name (agent page, bulk, portal): the whitelist a
# posted name is checked against. A test holds it to the registry.
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
    "take_back": request_take_back,
    "close": request_close,
    "close_without_answer": request_close_without_answer,
    "close_escalated": request_close_escalated,
    "withdraw": request_withdraw,
}
