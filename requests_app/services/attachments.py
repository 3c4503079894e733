"""Attachments stored with the request; served only through the access-checked view."""

from __future__ import annotations

import mimetypes
import secrets
from collections.abc import Iterable
from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import events
from requests_app.exceptions import InvalidInput
from requests_app.models import Attachment, Comment, Request


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
        attachment = Attachment(
            request=request,
            comment=comment,
            token=secrets.token_hex(16),
            original_name=name,
            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
            size=upload.size,
            uploaded_by=actor,
            is_internal=is_internal,
            created_at=at,
        )
        attachment.file.save(attachment.token, upload, save=False)
        attachment.save()
        events.attachment_added(request=request, actor=actor, attachment=attachment,
                                comment=comment)
        stored.append(attachment)
    return stored
