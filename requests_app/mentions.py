"""How a mention is written in people's Markdown, and how it is read back: ``@username``.

The stored text keeps the username as typed (the autocomplete of the agent page inserts it),
so a note reads the same in the admin, in a search and in its edit box. The stored HTML shows
the person's name instead (``@Marc Keller`` in a ``span.spt-mention``), for the colleagues the
comment service found when the note was written (``services.mentions``).

A mention is a markdown-it inline rule, so what Markdown keeps literal stays literal: no
mention inside a code span or block, and ``\\@name`` is an escaped ``@``. An ``@`` glued to
the word before it is part of an address (``jean@example.com``, ``…/@daily``), not a mention.
Usernames follow Django's validator: letters, digits and ``_ . @ + -``; a mention ends before
the punctuation that ends a sentence (``@daily.`` names ``daily``).

Pure: no database. ``markdown.render_markdown`` runs the rule with an ``env`` that says
whether to collect the handles written or to render the names found.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

from django.utils.html import escape
from markdown_it.rules_inline import StateInline

# Django's usernames are at most 150 characters.
HANDLE_MAX = 150
_HANDLE = re.compile(rf"[\w][\w.@+-]{{0,{HANDLE_MAX - 1}}}")
# Characters that end a sentence or an address rather than a username.
_TRAILING = ".@+-"
# Before the "@": anything but a character of a word, an address or a path.
_GLUED = re.compile(r"[\w@/.+`-]")

# The keys of markdown-it's ``env`` the rule reads.
ENV_FOUND = "spt_mentions_found"  # dict: collect {handle.lower(): handle as written}
ENV_NAMES = "spt_mention_names"  # dict: render {handle.lower(): the person's name}

TOKEN = "spt_mention"
CSS_CLASS = "spt-mention"


def handle_key(handle: str) -> str:
    """The form under which a handle is looked up: usernames are matched ignoring case."""
    return handle.lower()


def mention_rule(state: StateInline, silent: bool) -> bool:
    """markdown-it inline rule: an ``@handle`` at ``state.pos``."""
    pos = state.pos
    if state.src[pos] != "@":
        return False
    if pos > 0 and _GLUED.match(state.src[pos - 1]):
        return False
    match = _HANDLE.match(state.src, pos + 1, state.posMax)
    if match is None:
        return False
    handle = match.group(0).rstrip(_TRAILING)
    env: MutableMapping[str, Any] = state.env
    found = env.get(ENV_FOUND)
    if found is not None:
        found.setdefault(handle_key(handle), handle)
        return False  # collecting only: the text stays as it is
    names = env.get(ENV_NAMES) or {}
    name = names.get(handle_key(handle))
    if name is None:
        return False  # not a colleague: plain text
    if not silent:
        token = state.push(TOKEN, "span", 0)
        token.content = handle
        token.meta = {"name": name}
    state.pos = pos + 1 + len(handle)
    return True


def render_mention(renderer: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return f'<span class="{CSS_CLASS}">@{escape(token.meta["name"])}</span>'
