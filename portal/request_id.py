"""A request id for every request, in its logs, its answer and the tasks it publishes.

``RequestIdMiddleware`` takes the caller's ``X-Request-ID`` when it is a sane token (a proxy
or another system that already numbered the request: its logs and ours then share the id), or
makes one. The id is on ``request.request_id``, in a context variable that
``RequestContextFilter`` adds to every log record of the request (with its method, path and
the signed-in person's id once known), in the answer's ``X-Request-ID`` header, and in a
header of each Celery task published meanwhile, so that the worker's records carry it too.
The middleware also writes the access log: one line per request (``portal.access``).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pythonjsonlogger.json
from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase
from pythonjsonlogger.core import RESERVED_ATTRS

HEADER = "X-Request-ID"
# What a caller may hand us: a uuid (with or without dashes), a trace id, a proxy's counter;
# never spaces, quotes or control characters that would forge a log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}", re.ASCII)
# The Celery message header that carries the id to the worker.
TASK_HEADER = "request_id"

access_logger = logging.getLogger("portal.access")


@dataclass
class RequestContext:
    request_id: str
    method: str = ""
    path: str = ""
    request: HttpRequest | None = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "portal_request_context", default=None)


def request_id_current() -> str | None:
    """The id of the request (or of the task it published) being served, if any."""
    context = _current.get()
    return context.request_id if context else None


def request_id_from(value: str | None) -> str:
    """``value`` when it is a sane request id, else a new one (uuid4, hex)."""
    if value and SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _user_id(request: HttpRequest | None) -> int | None:
    # Only a user already loaded: a log record must never be the reason for a session and
    # user query (nor run one in the middle of a database error being logged).
    user = getattr(request, "_cached_user", None) if request is not None else None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


class RequestIdMiddleware:
    """Near the top of MIDDLEWARE: the id exists before anything logs, and every answer (a
    redirect to https, a 400 of the input checks, a lockout) carries it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.monotonic()
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Left set when the answer leaves this middleware: Django logs a 4xx or 5xx
        # ("django.request") after the whole chain; request_finished clears it.
        _current.set(RequestContext(request_id=request_id, method=request.method or "",
                                    path=request.path, request=request))
        response = self.get_response(request)
        response[HEADER] = request_id
        if getattr(settings, "ACCESS_LOG", True):
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            # The path without its query string: a search's text is nobody's business in the
            # logs.
            access_logger.info(
                "%s %s %s %.1fms", request.method, request.path, response.status_code,
                duration_ms, extra={"status": response.status_code, "duration_ms": duration_ms},
            )
        return response


def request_context_clear(**_kwargs: Any) -> None:
    """``request_finished``: the answer is sent, what follows belongs to no request."""
    _current.set(None)


request_finished.connect(request_context_clear, dispatch_uid="portal_request_id_finished")


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """python-json-logger's, without the ``request`` Django attaches to its records of a 4xx
    or 5xx: an HttpRequest, whose text carries the query string (a search's words). The
    request id, method and path are there instead (``RequestContextFilter``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)


class RequestContextFilter(logging.Filter):
    """On the handlers (so that every logger's records pass it): ``request_id`` on each
    record, ``absent`` outside a request; inside one also ``method``, ``path`` and
    ``user_id`` (once the person is known)."""

    def __init__(self, name: str = "", absent: str | None = None) -> None:
        super().__init__(name)
        self.absent = absent

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        if context is None:
            record.request_id = self.absent
            return True
        record.request_id = context.request_id
        if context.method:
            record.method = context.method
            record.path = context.path
        user_id = _user_id(context.request)
        if user_id is not None:
            record.user_id = user_id
        return True


# --- Celery: the id travels with the tasks a request publishes -------------------------------

_task_tokens: dict[str, contextvars.Token[RequestContext | None]] = {}


def task_headers_add(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """``before_task_publish``: the current request id in the message's headers."""
    request_id = request_id_current()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def task_context_enter(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    """``task_prerun``: the worker's records of this task carry the id it was published with.
    A task run in-process (eager) keeps the id of the request running it."""
    request_id = getattr(getattr(task, "request", None), TASK_HEADER, None)
    if not task_id or not isinstance(request_id, str) or not SANE_REQUEST_ID.fullmatch(
            request_id):
        return
    _task_tokens[task_id] = _current.set(RequestContext(request_id=request_id))


def task_context_leave(task_id: str | None = None, **_kwargs: Any) -> None:
    """``task_postrun``: back to no request."""
    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        _current.reset(token)


def celery_signals_connect() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(task_headers_add, dispatch_uid="portal_request_id_publish",
                                weak=False)
    task_prerun.connect(task_context_enter, dispatch_uid="portal_request_id_prerun",
                        weak=False)
    task_postrun.connect(task_context_leave, dispatch_uid="portal_request_id_postrun",
                         weak=False)
