"""Which attachments may be looked at in the page, decided from their first bytes.

The type the browser sent with an upload, and the file's name, are the uploader's to choose:
neither decides what a reader's browser renders. Only a file whose first bytes are one of
these formats' signatures (and agree with its name) is served inline, with the type from
this list; anything else, SVG and HTML included, is only ever a download.
"""

from __future__ import annotations

import mimetypes
from typing import Literal

PreviewKind = Literal["image", "pdf"]

# Content type -> how the page shows it.
PREVIEW_KINDS: dict[str, PreviewKind] = {
    "image/png": "image",
    "image/jpeg": "image",
    "image/gif": "image",
    "image/webp": "image",
    "application/pdf": "pdf",
}

# How many leading bytes ``sniffed_type`` needs.
SNIFF_BYTES = 12


def sniffed_type(head: bytes) -> str | None:
    """The content type the file's first bytes announce, among ``PREVIEW_KINDS`` only."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def named_type(name: str) -> str:
    """The content type an attachment is recorded with: the one its name says."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def preview_kind(content_type: str) -> PreviewKind | None:
    """How the page offers to look at an attachment of this (name-derived) type, if at all."""
    return PREVIEW_KINDS.get(content_type)


def inline_type(head: bytes, *, declared: str) -> str | None:
    """The type to serve the file inline with, or None (download only): its bytes must be one
    of the previewable formats, and the one its name says, so that what the page shows (an
    image or a document frame) is what arrives."""
    sniffed = sniffed_type(head)
    return sniffed if sniffed is not None and sniffed == declared else None
