"""Comments, internal notes and the client's answer to a confirmation request."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import events, notifications, permissions
from requests_app.exceptions import InvalidInput, PermissionDenied, TransitionNotAllowed
from requests_app.models import Comment, Request
from requests_app.services._common import request_for_change, text_length_check, touch
from requests_app.services.attachments import attachments_store, attachments_validate
from requests_app.services.mentions import mentions_record
from requests_app.services.satisfaction import satisfaction_rating_check, satisfaction_record
from requests_app.services.search import search_words_add
from requests_app.services.transitions import customer_reply_fire
from requests_app.slo_inputs import first_response_follow
from requests_app.workflow import ConfirmationState, RequestStatus


def comment_add(
    *,
    actor: User,
    request: Request | int,
    body: str,
    is_internal: bool = False,
    attachments: Iterable[UploadedFile] = (),
    at: datetime | None = None,
) -> Comment:
    """Add a public comment or an internal note.

    A client's comment on a request En attente client sends it back to En cours; the first
    public answer of the vendor's staff meets the Première réponse clock; an internal note
    tells the colleagues it mentions (``services.mentions``)."""
    at = at or timezone.now()
    body = (body or "").strip()
    with transaction.atomic():
        request = request_for_change(actor, request)
        if not permissions.may_comment(request, actor):
            raise PermissionDenied(
                _("L'administration des ventes ne commente que les demandes qu'elle gère "
                  "(licences).")
            )
        if is_internal and not permissions.may_write_internal_note(request, actor):
            raise PermissionDenied(_("Seul le personnel peut écrire une note interne."))
        files = attachments_validate(attachments)
        if not body and not files:
            raise InvalidInput(_("Le commentaire est vide."), field="body")
        text_length_check(body, field="body")
        comment = Comment.objects.create(
            request=request, author=actor, body=body or _("(pièce jointe)"),
            is_internal=is_internal, created_at=at,
        )
        search_words_add(request, body, internal=is_internal)
        event = events.commented(request=request, actor=actor, comment=comment,
                                 by_back_office=permissions.is_back_office(actor))
        notifications.notify(event)
        mentions_record(request=request, comment=comment, event=event, field="body")
        attachments_store(request=request, actor=actor, files=files, comment=comment,
                          is_internal=is_internal, at=at)
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
        first_response_follow(request, event)
    return comment


def _pending_confirmation(request: Request, actor: User) -> None:
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
    *, actor: User, request: Request | int, body: str = "", rating: int | None = None,
    at: datetime | None = None,
) -> Request:
    """"Confirmer la résolution": the assignee is told to close; the request stays with
    Customer Service until they do. ``rating``: the satisfaction given with it (optional)."""
    at = at or timezone.now()
    with transaction.atomic():
        request = request_for_change(actor, request)
        _pending_confirmation(request, actor)
        if rating is not None:
            satisfaction_rating_check(rating)
        comment = None
        text_length_check((body or "").strip(), field="body")
        if (body or "").strip():
            comment = Comment.objects.create(
                request=request, author=actor, body=body.strip(), created_at=at
            )
            search_words_add(request, comment.body, internal=False)
        request.confirmation_state = ConfirmationState.CONFIRMED
        request.updated_at, request.updated_by = at, actor
        request.save()
        notifications.notify(events.resolution_answered(
            request=request, actor=actor, at=at, confirmed=True, comment=comment))
        if rating is not None:
            satisfaction_record(actor=actor, request=request, rating=rating, at=at,
                                agent_id=request.assignee_id)
    return request


def resolution_deny(
    *, actor: User, request: Request | int, body: str,
    attachments: Iterable[UploadedFile] = (), at: datetime | None = None,
) -> Request:
    """"La solution ne convient pas": a comment is required; back to En cours, the clock
    resumes."""
    at = at or timezone.now()
    body = (body or "").strip()
    with transaction.atomic():
        request = request_for_change(actor, request)
        _pending_confirmation(request, actor)
        if not body:
            raise InvalidInput(_("Expliquez pourquoi la solution ne convient pas."),
                               field="body")
        text_length_check(body, field="body")
        files = attachments_validate(attachments)
        comment = Comment.objects.create(request=request, author=actor, body=body,
                                         created_at=at)
        search_words_add(request, body, internal=False)
        notifications.notify(events.resolution_answered(
            request=request, actor=actor, at=at, confirmed=False, comment=comment))
        attachments_store(request=request, actor=actor, files=files, comment=comment, at=at)
        customer_reply_fire(actor=actor, request=request, comment=comment, at=at, denied=True)
    return request
