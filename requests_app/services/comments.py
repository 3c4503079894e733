"""Comments, internal notes and the client's answer to a confirmation request."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import events, permissions
from requests_app.exceptions import InvalidInput, PermissionDenied, TransitionNotAllowed
from requests_app.models import Comment, EventKind, Request
from requests_app.selectors import request_is_visible_to
from requests_app.services._common import lock_request, refuse_if_closed, touch
from requests_app.services.attachments import attachments_store, attachments_validate
from requests_app.services.transitions import customer_reply_fire
from requests_app.workflow import ConfirmationState, RequestStatus
from slo import services as slo_services


def comment_add(
    *,
    actor: AbstractBaseUser,
    request: Request,
    body: str,
    is_internal: bool = False,
    attachments: Iterable[UploadedFile] = (),
    at: datetime | None = None,
) -> Comment:
    """Add a public comment or an internal note (back office only).

    A client's comment on a request En attente client sends it back to En cours; the first
    public answer of an agent meets the Première réponse clock."""
    at = at or timezone.now()
    body = (body or "").strip()
    files = attachments_validate(attachments)
    if not body and not files:
        raise InvalidInput(_("Le commentaire est vide."), field="body")
    if is_internal and not permissions.may_write_internal_note(actor):
        raise PermissionDenied(_("Seul le personnel peut écrire une note interne."))
    with transaction.atomic():
        request = lock_request(request)
        refuse_if_closed(request)
        if not request_is_visible_to(actor, request.pk):
            raise PermissionDenied(_("Vous ne pouvez pas commenter cette demande."))
        comment = Comment.objects.create(
            request=request, author=actor, body=body or _("(pièce jointe)"),
            is_internal=is_internal, created_at=at,
        )
        events.event_record(
            request=request, actor=actor,
            kind=EventKind.INTERNAL_NOTE if is_internal else EventKind.COMMENTED,
            at=at, is_internal=is_internal, comment=comment,
            payload={"by_back_office": permissions.is_back_office(actor)},
        )
        attachments_store(request=request, actor=actor, files=files, comment=comment,
                          is_internal=is_internal)
        # Once the client confirmed the resolution, a "merci" must not undo it: only an
        # answer to a question or to a pending confirmation sends the request back.
        if (
            request.status == RequestStatus.AWAITING_CUSTOMER
            and request.confirmation_state != ConfirmationState.CONFIRMED
            and permissions.may_answer_as_customer(request, actor)
        ):
            customer_reply_fire(actor=actor, request=request, comment=comment, at=at)
        else:
            touch(request, actor=actor, at=at)
        if not is_internal and permissions.is_agent(actor):
            slo_services.first_response_record(request=request, at=at)
    return comment


def _pending_confirmation(request: Request, actor: AbstractBaseUser) -> None:
    if not permissions.may_answer_as_customer(request, actor):
        raise PermissionDenied(
            _("Seuls le demandeur et les participants répondent à la demande de confirmation.")
        )
    if (
        request.status != RequestStatus.AWAITING_CUSTOMER
        or request.confirmation_state != ConfirmationState.REQUESTED
    ):
        raise TransitionNotAllowed(_("Aucune résolution n'attend votre confirmation."))


def resolution_confirm(
    *, actor: AbstractBaseUser, request: Request, body: str = "", at: datetime | None = None
) -> Request:
    """"Confirmer la résolution": the assignee is told to close; the request stays with
    Customer Service until they do."""
    at = at or timezone.now()
    with transaction.atomic():
        request = lock_request(request)
        refuse_if_closed(request)
        _pending_confirmation(request, actor)
        comment = None
        if (body or "").strip():
            comment = Comment.objects.create(
                request=request, author=actor, body=body.strip(), created_at=at
            )
        request.confirmation_state = ConfirmationState.CONFIRMED
        request.updated_at, request.updated_by = at, actor
        request.save()
        events.event_record(
            request=request, actor=actor, kind=EventKind.CONFIRMED, at=at, comment=comment
        )
    return request


def resolution_deny(
    *, actor: AbstractBaseUser, request: Request, body: str,
    attachments: Iterable[UploadedFile] = (), at: datetime | None = None,
) -> Request:
    """"La solution ne convient pas": a comment is required; back to En cours, the clock
    resumes."""
    at = at or timezone.now()
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_("Expliquez pourquoi la solution ne convient pas."), field="body")
    files = attachments_validate(attachments)
    with transaction.atomic():
        request = lock_request(request)
        refuse_if_closed(request)
        _pending_confirmation(request, actor)
        comment = Comment.objects.create(request=request, author=actor, body=body,
                                         created_at=at)
        events.event_record(
            request=request, actor=actor, kind=EventKind.DENIED, at=at, comment=comment
        )
        attachments_store(request=request, actor=actor, files=files, comment=comment)
        customer_reply_fire(actor=actor, request=request, comment=comment, at=at, denied=True)
    return request
