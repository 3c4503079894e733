"""Bulk actions of a queue: one action on several requests, each done (or refused) on its
own, through the same service as on the request page, against the status its row showed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User

from portal.errors import SptError
from requests_app.exceptions import RequestNotFound
from requests_app.models import KEY_PREFIX
from requests_app.selectors.agent_page import BULK_ASSIGN
from requests_app.selectors.queues import requests_by_numbers
from requests_app.services.requests import request_assign
from requests_app.services.transitions import TRANSITION_SERVICES


@dataclass
class BulkResult:
    """What a bulk action did, in the order of the selection: the keys done, and each key
    refused with the service's reason (as the request page would have said it)."""

    done: list[str] = field(default_factory=list)  # request keys
    refused: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)


def requests_bulk_apply(
    *, actor: User, refs: Iterable[tuple[int, str]], action: str,
    params: dict[str, Any],
) -> BulkResult:
    """``refs``: (number, status the row showed). ``action``: ``BULK_ASSIGN`` or a
    transition's name; ``params``: its service's keyword arguments. A request this person
    may not see is refused as "introuvable", like any other the service refuses. A request
    ticked twice is acted upon once."""
    refs = list(dict.fromkeys(refs))
    found = requests_by_numbers(actor, [number for number, _shown in refs])
    result = BulkResult()
    for number, shown_status in refs:
        target = found.get(number)
        key = target.key if target is not None else f"{KEY_PREFIX}{number}"
        try:
            if target is None:
                raise RequestNotFound()
            if action == BULK_ASSIGN:
                request_assign(actor=actor, request=target, expected_status=shown_status,
                               **params)
            else:
                TRANSITION_SERVICES[action](actor=actor, request=target,
                                            expected_status=shown_status, **params)
        except SptError as error:
            result.refused.append((key, error.message))
        else:
            result.done.append(key)
    return result


__all__ = ["BULK_ASSIGN", "BulkResult", "requests_bulk_apply"]
