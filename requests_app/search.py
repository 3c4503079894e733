"""The words a request is found by: the one normalisation of a search, for the text stored and
for the text typed.

A request keeps two search documents (``Request.search_document`` and ``search_internal``),
written by the services in the transaction that changes their words: the title, the
description and the public comments, which everyone who sees the request may search; the
internal notes and the R&D reference, which only the back office may (a client's search never
reads them, so a note's words never make a request findable by a client).

Normalised means: lowercased, accents stripped, every run of characters that are not letters
or digits made one space ("Clôture N°12-b" → "cloture n 12 b"). The title comes first, then
each further text after a newline (the title's words weigh more in PostgreSQL's ranking). Both
databases match the same normalised words: SQLite with LIKE, PostgreSQL with full-text search
over vectors of these columns (``selectors.search``).
"""

from __future__ import annotations

import re
import unicodedata

# Beyond this length a document takes no more words: later comments of a request with
# thousands of them are not searched, and PostgreSQL's vector of it stays far below its
# limit of one megabyte.
DOCUMENT_MAX_LENGTH = 300_000
SEGMENT_SEPARATOR = "\n"

# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({"ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "æ": "ae",
                          "œ": "oe", "ı": "i", "ħ": "h", "ŧ": "t"})
_NOT_ALNUM = re.compile(r"[\W_]+")
_ASCII_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def search_normalise(text: str) -> str:
    """``text`` as it is stored and searched: lowercase, no accents, words separated by one
    space."""
    if text.isascii():  # most texts: no decomposition needed
        return " ".join(_ASCII_NOT_ALNUM.split(text.lower())).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_ALNUM.split(bare)).strip()


def search_document(title: str, description: str) -> str:
    """The public search document of a new request: its title, then its description."""
    return (search_normalise(title) + search_segment(description))[:DOCUMENT_MAX_LENGTH]


def search_segment(text: str) -> str:
    """What one more text (a comment, a note, an R&D reference) adds to a document."""
    return f"{SEGMENT_SEPARATOR}{search_normalise(text)}"


def search_document_extend(document: str, texts: list[str]) -> str:
    """``document`` with the words of ``texts`` added in order, each while the document stays
    within ``DOCUMENT_MAX_LENGTH`` (the rule of the services' appends, for a bulk write)."""
    for text in texts:
        segment = search_segment(text)
        if len(document) + len(segment) <= DOCUMENT_MAX_LENGTH:
            document += segment
    return document


def search_terms(text: str) -> list[list[str]]:
    """The words typed, each as the normalised parts it is made of: ``"SPT-42 clôt"`` →
    ``[["spt", "42"], ["clot"]]``. A word made of several parts matches them side by side
    (a phrase); the last word typed also matches the words it begins (as-you-type)."""
    terms = []
    for word in text.split():
        parts = search_normalise(word).split()
        if parts:
            terms.append(parts)
    return terms


__all__ = ["DOCUMENT_MAX_LENGTH", "SEGMENT_SEPARATOR", "search_document",
           "search_document_extend", "search_normalise", "search_segment", "search_terms"]
