"""What the markup built in Python (``agent_queue``, ``portal_list``, ``timeline``,
``agent_nav``) shares: escaping, URLs reversed once, and dates in the reader's format without
Django parsing the format string for every row."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from html import escape
from typing import Any

from django.urls import get_script_prefix, reverse
from django.utils import formats, timezone
from django.utils.translation import get_language


def escaped(value: Any) -> str:
    """A value escaped for HTML text and attribute values (a lazy translation included)."""
    return escape(str(value), quote=True)


@lru_cache(maxsize=4096)
def escaped_name(text: str) -> str:
    """``escaped`` for the names a list repeats on many rows (organisations, types,
    priorities, people): escaped once."""
    return escape(text, quote=True)


@lru_cache(maxsize=64)
def _url_pattern(name: str, argument: str, marker: str, prefix: str) -> str:
    return reverse(name, kwargs={argument: marker})


def url_of(name: str, argument: str, value: Any, *, marker: str = "SPT-0") -> str:
    """``reverse(name, kwargs={argument: value})`` for a URL of one argument: reversed once
    per script prefix with ``marker`` (a value its converter accepts), then the value put in
    its place (a row of fifty asked the resolver fifty times)."""
    return _url_pattern(name, argument, marker, get_script_prefix()).replace(marker, str(value))


# Django's date format characters that have a strftime equivalent (zero-padded day, month,
# hour and minute, the year): what the portal's short formats use.
_STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y", "H": "%H", "i": "%M"}


@lru_cache(maxsize=16)
def _strftime_pattern(format_name: str, language: str | None) -> str | None:
    """The language's format as a strftime pattern, or None when it uses other characters
    (then Django formats it)."""
    pattern = []
    for char in formats.get_format(format_name):
        if char.isalpha():
            if char not in _STRFTIME:
                return None
            pattern.append(_STRFTIME[char])
        else:
            pattern.append(char.replace("%", "%%"))
    return "".join(pattern)


def local_text(value: datetime, format_name: str = "SHORT_DATETIME_FORMAT", *,
               is_local: bool = False) -> str:
    """``value|date:format_name`` in local time (``is_local``: ``value`` is already): the
    same text, for a row of a list."""
    local = value if is_local else timezone.localtime(value)
    pattern = _strftime_pattern(format_name, get_language())
    return local.strftime(pattern) if pattern else formats.date_format(local, format_name)
