"""How an attachment leaves the portal, the same for every interface (the pages' download
link and the REST API): only ever as a download, never rendered, never cached, read through
the storage API (the files may live in object storage, which has no local path)."""

from __future__ import annotations

import re

from django.core.files import File
from django.http import FileResponse

from requests_app.models import Attachment

# An attachment's token: ``secrets.token_hex(16)``. Anything else is never looked up (a NUL
# in it made PostgreSQL raise).
ATTACHMENT_TOKEN = re.compile(r"[0-9a-f]{32}", re.ASCII)


def attachment_download_response(attachment: Attachment, handle: File) -> FileResponse:
    """The opened file of ``attachment`` as a download under its original name."""
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
