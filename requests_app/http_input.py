"""Text the portal refuses before any view sees it: NUL characters and bytes that are not
UTF-8, in the path, the query string, the cookies and every posted field name, value and file
name (a file's content may be anything).

Django itself does not refuse them: an invalid UTF-8 path comes back re-percent-encoded,
query strings and form fields are decoded with U+FFFD in place of the bad bytes, and a NUL
goes through to the database, where PostgreSQL cannot store or even compare it (a 500). A
U+FFFD typed on purpose (a pasted log) is legitimate text, so the check looks at the bytes as
they arrived, never at the decoded text.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from typing import IO, Any, cast
from urllib.parse import unquote_to_bytes

from csp.utils import build_policy
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParser
from django.shortcuts import render
from django.utils import translation
from django.utils.datastructures import ImmutableList, MultiValueDict
from django.utils.http import parse_header_parameters

# A codec that decodes UTF-8 strictly whatever error mode its caller asks for. Django's
# multipart parser decodes every field with ``errors="replace"``; given this codec it raises
# on the first invalid byte instead, and otherwise produces exactly the same text.
STRICT_UTF8 = "spt-strict-utf-8"


def _strict_decode(data: Any, errors: str = "strict", /) -> tuple[str, int]:
    return codecs.utf_8_decode(data, "strict", True)


def _codec_search(name: str) -> codecs.CodecInfo | None:
    if name.replace("_", "-") != STRICT_UTF8:
        return None
    utf8 = codecs.lookup("utf-8")
    return codecs.CodecInfo(utf8.encode, _strict_decode, name=STRICT_UTF8)


codecs.register(_codec_search)


class InvalidText(ValueError):
    """A NUL character or bytes that are not UTF-8 where the portal expects text."""


def _check_bytes(raw: bytes) -> None:
    if b"\x00" in raw:
        raise InvalidText("NUL")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidText("not UTF-8") from exc


def _check_urlencoded(raw: bytes) -> None:
    """A query string or an urlencoded body: the bytes its percent-escapes stand for. The
    separators (``&``, ``=``) are ASCII, so they never cut a valid UTF-8 sequence and the
    whole string can be checked at once."""
    _check_bytes(unquote_to_bytes(raw.replace(b"+", b" ")))


def _path_bytes(request: HttpRequest) -> bytes:
    """The path's bytes. Django keeps no copy of the raw path: it decodes it and writes
    each byte that is not UTF-8 back as a percent-escape ("%FF"). Unquoting the decoded path
    gives those bytes back (a doubly encoded path, which no page of the portal has, is read
    as what it encodes)."""
    return unquote_to_bytes(request.path_info)


def _query_bytes(request: HttpRequest) -> bytes:
    """The query string as it arrived: WSGI and ASGI both hand it over decoded as
    ISO-8859-1."""
    try:
        return request.META.get("QUERY_STRING", "").encode("iso-8859-1")
    except UnicodeEncodeError as exc:
        raise InvalidText("not bytes") from exc


def _check_texts(values: Iterable[str]) -> None:
    for value in values:
        if "\x00" in value:
            raise InvalidText("NUL")


class _PartHeaderCheck:
    """The body of a multipart form as the parser reads it, each part's headers (its field
    name and file name) checked on the way. Django skips a header line that is not UTF-8,
    silently dropping the field or the file: here it is an error instead."""

    def __init__(self, stream: Any, boundary: bytes) -> None:
        self._stream = stream
        self._marker = b"--" + boundary
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._scan(chunk)
        return chunk

    def _scan(self, chunk: bytes) -> None:
        data = self._pending + chunk
        start = 0
        while (found := data.find(self._marker, start)) != -1:
            end = data.find(b"\r\n\r\n", found)
            if end == -1:
                if len(data) - found > _MAX_PART_HEADERS:
                    raise InvalidText("part headers too long")
                self._pending = data[found:]  # headers cut by the chunk: wait for the rest
                return
            _check_bytes(data[found + len(self._marker):end])
            start = end + 4
        # Keep what may be the start of a marker cut by the chunk.
        self._pending = data[max(start, len(data) - len(self._marker) + 1):]


# Django refuses part headers beyond this size itself (MultiPartParser.MAX_TOTAL_HEADER_SIZE).
_MAX_PART_HEADERS = 1024 * 1024


def _strict_multipart(request: HttpRequest) -> Callable[[Any, Any], tuple[Any, Any]]:
    """``request.parse_file_upload`` as Django's, with the part headers checked and the
    strict codec: the same fields and files, but an invalid byte in a name, a value or a file
    name raises."""

    def parse_file_upload(meta: Any, post_data: Any) -> tuple[QueryDict, MultiValueDict]:
        request.upload_handlers = ImmutableList(
            request.upload_handlers,
            warning="You cannot alter upload handlers after the upload has been processed.",
        )
        _type, options = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        boundary = options.get("boundary", "").encode("ascii", "replace")
        # (A boundary the parser refuses never gets to read the body.)
        stream = _PartHeaderCheck(post_data, boundary) if boundary else post_data
        # The parser only read()s its input: the checking wrapper stands in for the stream.
        parser = MultiPartParser(meta, cast(IO[bytes], stream), request.upload_handlers,
                                 STRICT_UTF8)
        return parser.parse()

    return parse_file_upload


def check_request_text(request: HttpRequest) -> None:
    """Raise ``InvalidText`` if the path, query string, cookies or posted fields carry a NUL
    or bytes that are not UTF-8."""
    _check_bytes(_path_bytes(request))
    _check_urlencoded(_query_bytes(request))
    _check_texts(request.COOKIES)
    _check_texts(request.COOKIES.values())
    if request.method != "POST":
        return
    if request.content_type == "application/x-www-form-urlencoded":
        _check_urlencoded(request.body)
    elif request.content_type == "multipart/form-data":
        # Shadows the method for this request only: the form is parsed once, here, strictly.
        request.parse_file_upload = _strict_multipart(request)  # type: ignore[method-assign,assignment]
        try:
            post, files = request.POST, request.FILES
        except UnicodeDecodeError as exc:
            raise InvalidText("multipart") from exc
        # A malformed body (MultiPartParserError) goes on to Django, which answers 400.
        _check_texts(post.keys())
        _check_texts(value for _key, values in post.lists() for value in values)
        _check_texts(files.keys())
        _check_texts(upload.name or "" for _key, uploads in files.lists() for upload in uploads)


def invalid_text_response(request: HttpRequest) -> HttpResponse:
    """The short error page, in the language the browser asks for (the language middleware
    has not run yet), under the portal's usual Content Security Policy."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        response = render(request, "400.html", {"invalid_text": True}, status=400)
    response["Content-Security-Policy"] = build_policy()
    response["Cache-Control"] = "no-store"
    return response


class RejectInvalidTextMiddleware:
    """Answers 400 to a request whose path, query string, cookies or form fields carry a NUL
    or bytes that are not UTF-8. Placed right after SecurityMiddleware: nothing else (the
    session's database lookup included) reads the request before it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            check_request_text(request)
        except InvalidText:
            return invalid_text_response(request)
        return self.get_response(request)
