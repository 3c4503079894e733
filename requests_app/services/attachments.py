"""Attachments stored with the request; served only through the access-checked views.

A form sent back with an error keeps the files its sender had chosen as pending uploads
(``pending_uploads_keep``): the form lists them, and when it succeeds they are stored like
the files sent with it (``KeptUpload``). Pending uploads are their uploader's alone, and the
periodic purge removes those left behind (``pending_uploads_purge``)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import events
from requests_app.attachment_types import named_type
from requests_app.exceptions import InvalidInput
from requests_app.models import Attachment, Comment, PendingUpload, Request


class KeptUpload(File):
    """A pending upload handed to the services as the forms hand them an upload: with its
    original name and size, its content read from storage only when it is stored."""

    def __init__(self, pending: PendingUpload) -> None:
        super().__init__(None, name=pending.original_name)
        self.pending = pending
        self.size = pending.size


def _lost_upload() -> InvalidInput:
    return InvalidInput(
        _("Un fichier joint précédemment n'est plus disponible : choisissez-le à nouveau."),
        field="attachments",
    )


def _storage_delete_on_commit(files: Iterable[tuple[Storage, str]]) -> None:
    """Remove stored files once the rows that named them are gone for good (a rollback keeps
    both)."""
    for storage, name in files:
        transaction.on_commit(partial(storage.delete, name))


def attachments_validate(files: Iterable[UploadedFile]) -> list[UploadedFile]:
    """Size, count and type limits, each refused with a message that names the file."""
    files = [f for f in files if f]
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        raise InvalidInput(
            _("Au plus %(n)d fichiers par envoi.") % {"n": settings.ATTACHMENT_MAX_FILES},
            field="attachments",
        )
    allowed = {ext.lower().lstrip(".") for ext in settings.ATTACHMENT_ALLOWED_EXTENSIONS}
    for upload in files:
        name = PurePath(upload.name or "").name
        extension = PurePath(name).suffix.lower().lstrip(".")
        if not name or extension not in allowed:
            raise InvalidInput(
                _("« %(name)s » : type de fichier non accepté. Types acceptés : %(types)s.")
                % {"name": name or "?", "types": ", ".join(sorted(allowed))},
                field="attachments",
            )
        assert upload.size is not None  # every upload handler (and SimpleUploadedFile) sets it
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise InvalidInput(
                _("« %(name)s » dépasse la taille maximale de %(max)d Mo.")
                % {"name": name, "max": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)},
                field="attachments",
            )
        if upload.size == 0:
            raise InvalidInput(_("« %(name)s » est vide.") % {"name": name}, field="attachments")
    return files


def attachments_store(
    *,
    request: Request,
    actor: User,
    files: Iterable[UploadedFile],
    comment: Comment | None = None,
    is_internal: bool = False,
    at: datetime | None = None,
) -> list[Attachment]:
    """Store validated files with the request (and the comment they came with), each with its
    history line."""
    at = at or timezone.now()
    stored = []
    for upload in attachments_validate(files):
        assert upload.name is not None and upload.size is not None  # checked by the validation
        name = PurePath(upload.name).name[:255]
        content: File = upload
        if isinstance(upload, KeptUpload):
            content = _pending_upload_take(upload.pending, actor=actor)
        attachment = Attachment(
            request=request,
            comment=comment,
            token=secrets.token_hex(16),
            original_name=name,
            content_type=named_type(name),
            size=upload.size,
            uploaded_by=actor,
            is_internal=is_internal,
            created_at=at,
        )
        try:
            attachment.file.save(attachment.token, content, save=False)
        finally:
            if content is not upload:
                content.close()
        attachment.save()
        events.attachment_added(request=request, actor=actor, attachment=attachment,
                                comment=comment)
        stored.append(attachment)
    return stored


def _pending_upload_take(pending: PendingUpload, *, actor: User) -> File:
    """The pending upload's content, its row deleted in the caller's transaction (so that a
    second submission of the same form cannot attach it twice) and its file once that
    commits. Someone else's pending upload, or one already used or purged, is refused."""
    if pending.owner_id != actor.pk:
        raise _lost_upload()
    deleted, _rows = PendingUpload.objects.filter(pk=pending.pk, owner=actor).delete()
    if not deleted:
        raise _lost_upload()
    try:
        content = pending.file.open("rb")
    except FileNotFoundError as exc:
        raise _lost_upload() from exc
    _storage_delete_on_commit([(pending.file.storage, pending.file.name)])
    return content


def pending_uploads_keep(
    *,
    owner: User,
    files: Iterable[UploadedFile],
    kept: Iterable[PendingUpload] = (),
    at: datetime | None = None,
) -> list[PendingUpload]:
    """Keep, for ``owner``, the acceptable files of a form sent back with an error, after
    those it had already kept (``kept``, theirs only): what the form lists when it comes
    back. A file the limits refuse is not kept (the form says why), nor any beyond the
    number of files one submission may carry."""
    at = at or timezone.now()
    result = [pending for pending in kept if pending.owner_id == owner.pk]
    for upload in files:
        if not upload or len(result) >= settings.ATTACHMENT_MAX_FILES:
            continue
        try:
            attachments_validate([upload])
        except InvalidInput:
            continue
        assert upload.name is not None and upload.size is not None  # checked by the validation
        pending = PendingUpload(
            token=secrets.token_hex(16),
            original_name=PurePath(upload.name).name[:255],
            size=upload.size,
            owner=owner,
            created_at=at,
        )
        pending.file.save(pending.token, upload, save=False)
        pending.save()
        result.append(pending)
    return result


def pending_uploads_purge(*, before: datetime, batch: int = 500) -> int:
    """Remove the pending uploads kept before ``before`` (forms never sent again), rows and
    files; returns how many. In batches, so that a long backlog never holds one long
    transaction."""
    removed = 0
    while True:
        with transaction.atomic():
            rows = list(
                PendingUpload.objects.filter(created_at__lt=before)
                .order_by("created_at", "pk").values_list("pk", "file")[:batch]
            )
            if not rows:
                return removed
            PendingUpload.objects.filter(pk__in=[pk for pk, _name in rows]).delete()
            storage = PendingUpload._meta.get_field("file").storage
            _storage_delete_on_commit([(storage, name) for _pk, name in rows if name])
        removed += len(rows)
