"""Markdown written by people (descriptions, comments) turned into safe HTML.

markdown-it-py renders CommonMark with raw HTML switched off, then nh3 keeps only a short list
of tags and attributes: the sanitiser is the safety net, not the renderer. Links can only be
http(s) or mailto and get ``rel="noopener noreferrer nofollow"``; images become links, because
an image from another site would be loaded by every reader's browser (and CSP blocks it
anyway). Headings are shifted down so that a ``# Title`` in a comment never outranks the
page's own headings.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from requests_app import mentions as mention_syntax

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "span",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
# A span only as a mention (``requests_app.mentions``): its one class.
ALLOWED_CLASSES = {"span": {mention_syntax.CSS_CLASS}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"
# The pages put user text under an <h2> section heading: "#" becomes <h3>.
HEADING_OFFSET = 2


def _heading(renderer, tokens, idx, options, env) -> str:
    token = tokens[idx]
    level = min(int(token.tag[1]) + HEADING_OFFSET, 6)
    return f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n"


def _image_as_link(renderer, tokens, idx, options, env) -> str:
    token = tokens[idx]
    src = token.attrGet("src") or ""
    alt = "".join(child.content for child in (token.children or [])) or src
    return f'<a href="{escape(src)}">{escape(alt)}</a>'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
    parser.enable(["table", "strikethrough"])
    parser.add_render_rule("heading_open", _heading)
    parser.add_render_rule("heading_close", _heading)
    parser.add_render_rule("image", _image_as_link)
    parser.inline.ruler.push("spt_mention", mention_syntax.mention_rule)
    parser.add_render_rule(mention_syntax.TOKEN, mention_syntax.render_mention)
    return parser


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str | None, *, mentions: Mapping[str, str] | None = None
                    ) -> SafeString:
    """Sanitised HTML for ``text`` (Markdown); empty input gives an empty string.
    ``mentions``: {handle (``mention_syntax.handle_key``): name} of the colleagues the text
    mentions, shown by their names; any other ``@handle`` stays as written."""
    if not text:
        return mark_safe("")
    env = {mention_syntax.ENV_NAMES: dict(mentions or {})}
    html = _parser().render(str(text), env)
    return mark_safe(sanitize_html(html))  # noqa: S308 - sanitised by nh3


def mention_handles(text: str | None) -> list[str]:
    """The ``@handles`` a Markdown text mentions (outside code), each once, as first
    written."""
    if not text:
        return []
    found: dict[str, str] = {}
    _parser().parse(str(text), {mention_syntax.ENV_FOUND: found})
    return list(found.values())
