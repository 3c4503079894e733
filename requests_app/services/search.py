"""The words a request is found by, added in the transaction of the write that brings them
(``requests_app.search``): a comment's to the document everyone who sees the request searches,
an internal note's and the R&D reference to the back office's only. The document of a new
request (title and description) is written with it by ``request_create``. On PostgreSQL each
new word also joins the vocabulary that completes a word being typed (``selectors.search``)."""

from __future__ import annotations

from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Concat, Length
from django.db.models.lookups import LessThanOrEqual

from requests_app.models import Request
from requests_app.search import DOCUMENT_MAX_LENGTH, search_normalise, search_segment

# Each word once, in order: two writers adding the same new words take their locks in the
# same order (no deadlock), and a word already known costs nothing.
_VOCABULARY_ADD = (
    "INSERT INTO requests_app_searchword (word) SELECT DISTINCT lexeme "
    "FROM unnest(to_tsvector('spt_search'::regconfig, %s)) ORDER BY lexeme "
    "ON CONFLICT DO NOTHING"
)


def search_vocabulary_add(text: str) -> None:
    """PostgreSQL: the words of ``text`` into the vocabulary of the documents."""
    if connection.vendor != "postgresql":
        return
    words = search_normalise(text)
    if words:
        with connection.cursor() as cursor:
            cursor.execute(_VOCABULARY_ADD, [words])


def search_words_add(request: Request, text: str, *, internal: bool) -> None:
    """``text``'s words added to what finds ``request`` (locked by the caller): in one UPDATE
    that appends them in the database (the request as loaded never holds its documents, so
    no later save of it can undo this), while the document stays within its length."""
    segment = search_segment(text)
    if not segment.strip():
        return
    field = "search_internal" if internal else "search_document"
    added = (Request.objects.filter(pk=request.pk)
             .filter(LessThanOrEqual(Length(field), DOCUMENT_MAX_LENGTH - len(segment)))
             .update(**{field: Concat(F(field), Value(segment))}))
    if added:
        search_vocabulary_add(text)


__all__ = ["search_vocabulary_add", "search_words_add"]
