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
from django.utils.dates import MONTHS
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


# Django's date format characters the rows use, as ``str.format`` fields of the local time
# ``d`` (and of its month's name ``month``): what the portal's formats use in its three
# languages ("d/m/Y H:i", "j F Y H:i", "j. F Y H:i", "j F Y, H:i").
_FIELDS = {"d": "{d.day:02d}", "j": "{d.day}", "m": "{d.month:02d}", "n": "{d.month}",
           "Y": "{d.year}", "H": "{d.hour:02d}", "G": "{d.hour}", "i": "{d.minute:02d}",
           "F": "{month}"}


@lru_cache(maxsize=16)
def _date_pattern(format_name: str, language: str | None
                  ) -> tuple[str, dict[int, str]] | None:
    """The language's format as a ``str.format`` pattern and its month names, or None when
    it uses other characters (then Django formats it)."""
    pattern, escaped_next = [], False
    for char in formats.get_format(format_name):
        if escaped_next or not char.isalpha():
            if char == "\\" and not escaped_next:
                escaped_next = True
                continue
            pattern.append(char.replace("{", "{{").replace("}", "}}"))
            escaped_next = False
        elif char in _FIELDS:
            pattern.append(_FIELDS[char])
        else:
            return None
    return "".join(pattern), {number: str(name) for number, name in MONTHS.items()}


def local_text(value: datetime, format_name: str = "SHORT_DATETIME_FORMAT", *,
               is_local: bool = False) -> str:
    """``value|date:format_name`` in local time (``is_local``: ``value`` is already): the
    same text, for a row of a list."""
    local = value if is_local else timezone.localtime(value)
    known = _date_pattern(format_name, get_language())
    if known is None:
        return formats.date_format(local, format_name)
    pattern, months = known
    return pattern.format(d=local, month=months[local.month])
