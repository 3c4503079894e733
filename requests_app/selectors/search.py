"""A search as a filter and an order over requests, on either database: which requests the
words typed find and how well, from the search documents the services keep
(``requests_app.search``). A ``Search`` is prepared once per list and used by each of its
queries.

Every word typed must be found, the last one also as the beginning of a word (as-you-type:
"clot" finds "Clôture"); a word that is a key (``SPT-42``, ``42``) also finds that request.
A client's search reads the public document only; the back office's reads the internal one
too (notes, R&D reference), and the whole text in an organisation's or a reporter's name.
Search only narrows a list: the access rule comes first, always.

PostgreSQL: full-text search over the vector the database generates from both documents
(migration 0012: configuration ``spt_search``, unaccent then simple; GIN indexes), whose
weights tell the title (A) and the rest of the public document (B) from the internal one (C):
a client's search asks for A and B only. The last word is completed from the vocabulary of
the documents (``requests_app_searchword``) into the whole words it begins, which the indexes
find exactly (a prefix match would collect every request of every word it begins); a prefix
that begins too many words is matched as a prefix. Ranked by ``ts_rank``, the title's words
weighing most. SQLite: LIKE over the normalised documents, ranked by how many of the words
the title holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, Expression, F, FloatField, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler

from requests_app.models import Organisation, Request
from requests_app.search import search_normalise, search_terms
from requests_app.selectors.access import parse_request_key
from requests_app.selectors.reference import reference_rows

# The text search configuration of migration 0012, the column it generates, the weights of
# the public document's words in it, and the vocabulary of the documents.
CONFIG = "spt_search"
VECTOR = "search_vector"
PUBLIC_WEIGHTS = "AB"
VOCABULARY = "requests_app_searchword"
# A last word shorter than this is matched whole: one letter begins too many words.
PREFIX_MIN = 2
# How many whole words a prefix is completed into, at most; beyond, a prefix match.
COMPLETIONS_MAX = 50
# The back office's search looks for names from this many characters, and for this many
# people at most.
NAME_MIN = 3
PEOPLE_MAX = 200


@dataclass(frozen=True)
class _Term:
    parts: tuple[str, ...]  # normalised, side by side
    prefix: bool  # the last word typed: also the words it begins
    number: int | None  # the request number the word names, if it is a key

    @property
    def like(self) -> str:
        return " ".join(self.parts)


def _terms(text: str) -> list[_Term]:
    words = [(word, parts[0]) for word in (text or "").split() if (parts := search_terms(word))]
    return [
        _Term(parts=tuple(parts),
              prefix=index == len(words) - 1 and len(parts[-1]) >= PREFIX_MIN,
              number=parse_request_key(word))
        for index, (word, parts) in enumerate(words)
    ]


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _column(compiler: SQLCompiler, name: str) -> str:
    """A column of the query's request table (its alias in a subquery)."""
    alias = compiler.query.base_table
    return f"{compiler.quote_name_unless_alias(alias)}.{compiler.connection.ops.quote_name(name)}"


class _Matches(Expression):
    """PostgreSQL: ``tsquery`` is found in the search vector (its GIN indexes serve it)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, tsquery: str) -> None:
        super().__init__()
        self.tsquery = tsquery

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list]:
        return (f"{_column(compiler, VECTOR)} @@ to_tsquery('{CONFIG}'::regconfig, %s)",
                [self.tsquery])


class _Rank(Expression):
    """PostgreSQL: how well the words are found (``ts_rank``: the title's weigh most, the
    internal notes' least)."""

    output_field = FloatField()

    def __init__(self, tsquery: str) -> None:
        super().__init__()
        self.tsquery = tsquery

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list]:
        # As double precision: ts_rank's real comes back to Python as the double nearest its
        # shortest text, which the real does not equal once compared as a double, and "the
        # next request of a search" (queue_next) compares a rank read with the ranks again.
        return (f"ts_rank({_column(compiler, VECTOR)}, "
                f"to_tsquery('{CONFIG}'::regconfig, %s))::double precision", [self.tsquery])


class _TitleHits(Expression):
    """SQLite: how many of the words the title (the document's first line) holds."""

    output_field = FloatField()

    def __init__(self, likes: list[str]) -> None:
        super().__init__()
        self.likes = likes

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list]:
        document = _column(compiler, "search_document")
        title = f"substr({document}, 1, instr({document}, char(10)))"
        hits = " + ".join(f"(instr({title}, %s) > 0)" for _like in self.likes)
        return f"({hits})", list(self.likes)


class _AnyOf(Expression):
    """PostgreSQL: ``column = ANY(ARRAY(subquery))``: the subquery's rows looked up by an
    index (``IN (subquery)`` would be joined to the whole table)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, subquery: QuerySet) -> None:
        super().__init__()
        self.column, self.subquery = column, subquery

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list]:
        sql, params = self.subquery.query.sql_with_params()
        return f"{_column(compiler, self.column)} = ANY(ARRAY({sql}))", list(params)


class Search:
    """The words typed in a list's search box, ready to filter and order it.

    ``internal``: the back office's search (internal notes, names). On PostgreSQL, preparing
    it reads in one query the whole words the last word begins and, for the back office, the
    people whose name holds the text; nothing on SQLite."""

    def __init__(self, text: str, *, internal: bool = False, prepare: bool = True) -> None:
        self.text = (text or "").strip()
        self.internal = internal
        self.terms = _terms(self.text)
        # The whole words the last word begins (None: too many, or no vocabulary read).
        self.completions: list[str] | None = None
        self.people: list[int] = []
        if prepare:
            self.prepare_together([self])

    @staticmethod
    def prepare_together(searches: list[Search]) -> None:
        """Prepare several searches in one query (a sidebar counting saved views that each
        search for something): each one's part of the UNION tagged with its place."""
        if not _postgres():
            return
        selects: list[str] = []
        params: list[Any] = []
        for place, search in enumerate(searches):
            if search.terms:
                part, part_params = search._selects(place)
                selects += part
                params += part_params
        if not selects:
            return
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(selects), params)
            found = cursor.fetchall()
        for place, search in enumerate(searches):
            if search.terms:
                search._take([(word, person) for tag, word, person in found if tag == place])

    @property
    def active(self) -> bool:
        """Whether there is anything to search for (not only spaces and punctuation)."""
        return bool(self.terms)

    def _names_wanted(self) -> bool:
        return self.internal and len(self.text) >= NAME_MIN

    def _selects(self, place: int) -> tuple[list[str], list[Any]]:
        """This search's parts of the preparing query, rows ``(place, word, person)``: the
        whole words its last word begins, the people whose name holds its text."""
        selects: list[str] = []
        params: list[Any] = []
        last = self.terms[-1]
        if last.prefix:
            selects.append(
                f"(SELECT {place:d}, word, NULL::integer FROM {VOCABULARY} WHERE word LIKE %s "
                "ORDER BY word LIMIT %s)")
            params += [f"{last.parts[-1]}%", COMPLETIONS_MAX + 1]
        if self._names_wanted():
            users = connection.ops.quote_name(get_user_model()._meta.db_table)
            folded = ("'%%' || replace(replace(replace(lower(unaccent(%s)), '\\', '\\\\'), "
                      "'%%', '\\%%'), '_', '\\_') || '%%'")
            selects.append(
                f"(SELECT {place:d}, NULL, id FROM {users} WHERE lower(unaccent(first_name)) "
                f"LIKE {folded} OR lower(unaccent(last_name)) LIKE {folded} "
                f"OR lower(unaccent(first_name || ' ' || last_name)) LIKE {folded} LIMIT %s)")
            params += [self.text, self.text, self.text, PEOPLE_MAX]
        return selects, params

    def _take(self, found: list[tuple[str | None, int | None]]) -> None:
        words = [word for word, _person in found if word is not None]
        self.people = [person for word, person in found if word is None and person is not None]
        if self.terms[-1].prefix and len(words) <= COMPLETIONS_MAX:
            self.completions = words

    # --- PostgreSQL's query ---------------------------------------------------------------

    def _lexeme(self, part: str, *, prefix: bool = False) -> str:
        # Letters and digits only (normalised), quoted all the same.
        quoted = part.replace("\\", "\\\\").replace("'", "''")
        weights = "" if self.internal else PUBLIC_WEIGHTS
        return f"'{quoted}':{'*' if prefix else ''}{weights}"

    def _tsquery(self, term: _Term) -> str:
        """One word for ``to_tsquery``: its parts side by side, the last one completed when
        it is the word being typed; each in the public document only unless ``internal``."""
        parts = [self._lexeme(part) for part in term.parts]
        if term.prefix:
            last = term.parts[-1]
            if self.completions is None:
                parts[-1] = self._lexeme(last, prefix=True)
            else:
                words = sorted({last, *self.completions})
                parts[-1] = "(" + " | ".join(self._lexeme(word) for word in words) + ")"
        return " <-> ".join(parts)

    def _all(self, terms: list[_Term]) -> str:
        return " & ".join(f"({self._tsquery(term)})" for term in terms)

    # --- the filter and the order ---------------------------------------------------------

    def _found_q(self, term: _Term) -> Q:
        if _postgres():
            return Q(_Matches(self._tsquery(term)))
        found = Q(search_document__contains=term.like)
        if self.internal:
            found |= Q(search_internal__contains=term.like)
        return found

    def q(self) -> Q:
        """The requests every word finds (its key or its words), among those the caller's
        access rule keeps; no condition when there is nothing to search for."""
        condition = Q()
        terms = self.terms
        if _postgres():
            # The words that are no key: one look-up of the index for all of them.
            plain = [term for term in terms if term.number is None]
            if plain:
                condition &= Q(_Matches(self._all(plain)))
            terms = [term for term in terms if term.number is not None]
        for term in terms:
            found = self._found_q(term)
            if term.number is not None:
                found |= Q(number=term.number)
            condition &= found
        return condition

    def named_q(self) -> Q | None:
        """The back office's: the requests of the organisations whose name holds the text
        (from the process's copy of them) or reported by the people whose name does; None
        when there are none."""
        if not self._names_wanted():
            return None
        wanted = search_normalise(self.text)
        organisations = [organisation.pk for organisation in reference_rows(Organisation)
                         if wanted and wanted in search_normalise(organisation.name)]
        condition = Q(organisation_id__in=organisations) if organisations else None
        if _postgres():
            people = Q(reporter_id__in=self.people) if self.people else None
        else:
            User = get_user_model()
            people = Q(reporter_id__in=User.objects.filter(
                Q(first_name__icontains=self.text) | Q(last_name__icontains=self.text))
                .order_by().values("pk")[:PEOPLE_MAX])
        if people is not None:
            condition = people if condition is None else condition | people
        return condition

    def rank(self) -> Expression | None:
        """How well the words find a request (higher first); None without words."""
        if not self.terms:
            return None
        if _postgres():
            return _Rank(self._all(self.terms))
        return _TitleHits([term.like for term in self.terms])

    def best_first(self, requests: QuerySet, *, among: int) -> QuerySet:
        """The ``among`` newest of ``requests`` (those this search found), annotated with
        their ``search_rank`` and ordered by it, best first, then newest first. Ranking only
        the newest keeps a common word's search at the cost of a page: an index gives them
        in order, and ``among`` rows are ranked, not every request the word finds."""
        newest = requests.order_by("-number").values("pk")[:among]
        chosen = Q(_AnyOf("id", newest)) if _postgres() else Q(pk__in=newest)
        return (Request.objects.filter(chosen).annotate(search_rank=self.rank())
                .order_by(F("search_rank").desc(), "-number"))


__all__ = ["Search"]
