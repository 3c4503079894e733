"""``manage.py seed_volume --requests N``: a realistic backlog for the benchmarks, written fast.

What it writes, through the real models' tables (every column of every model, so that a field
added later gets its default): ~200 organisations with 2–3 contacts each, agents in every
role, a benchmark customer (``volume.client``) who reports every 100th request, 18 % of the
requests open across the open statuses, three public comments each (agent, client, agent;
the client's names a screen, words found in comments only), their search documents, the
history lines of each request's path, and SLO clocks built by the real engine from that
history (so each is consistent with its status), over two years of dates. The ``SPT-<n>``
counter ends at the last number, so the next request gets the next one.

Rows go in batches: ``COPY`` on PostgreSQL, ``executemany`` on SQLite. A database that
already holds requests is refused unless ``--force``.
"""

from __future__ import annotations

import csv
import io
import json
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone

from requests_app.markdown import render_markdown
from requests_app.models import (
    Comment,
    ErpModule,
    EventKind,
    KeyCounter,
    Organisation,
    Priority,
    Profile,
    Request,
    RequestEvent,
    RequestType,
    SatisfactionRating,
    SatisfactionTally,
)
from requests_app.permissions import Role
from requests_app.search import search_normalise, search_segment
from requests_app.selectors.reference import reference_changed
from requests_app.services.satisfaction import satisfaction_tallies_rebuild
from requests_app.workflow import TRANSITIONS, ConfirmationState, Resolution
from requests_app.workflow import RequestStatus as S
from slo import engine, rollups, selectors
from slo.calendar import default_calendar
from slo.models import SloClock

BATCH = 10_000
ORGANISATIONS = 200
BENCH_CUSTOMER = "volume.client"
AGENTS_PER_ROLE = 4
# Open statuses and their share of all requests (18 % in all); the rest is closed.
OPEN_MIX = [(S.OPEN, 3.0), (S.QUALIFIED, 2.0), (S.IN_PROGRESS, 6.0),
            (S.AWAITING_TRIAGE, 1.5), (S.AWAITING_RND, 1.5), (S.AWAITING_CUSTOMER, 4.0)]
TYPE_MIX = [("support", 85), ("patch", 12), ("licence", 3)]
PRIORITY_MIX = [("blocking", 5), ("high", 15), ("medium", 50), ("low", 30)]
# Closed requests whose client rated the confirmed resolution, and how the notes spread.
RATED_SHARE = 0.3
RATING_MIX = [(1, 4), (2, 6), (3, 15), (4, 40), (5, 35)]
# The workflow actions that bring a request to each status, in order.
PATHS: dict[str, list[str]] = {
    S.OPEN: [],
    S.QUALIFIED: ["qualify"],
    S.IN_PROGRESS: ["qualify", "start"],
    S.AWAITING_TRIAGE: ["qualify", "start", "escalate_to_expert"],
    S.AWAITING_RND: ["qualify", "start", "send_to_rnd"],
    S.AWAITING_CUSTOMER: ["qualify", "start", "ask_customer"],
    S.CLOSED: ["qualify", "start", "propose_resolution", "close"],
}
TARGET = {"qualify": S.QUALIFIED, "start": S.IN_PROGRESS, "escalate_to_expert":
          S.AWAITING_TRIAGE, "send_to_rnd": S.AWAITING_RND, "ask_customer":
          S.AWAITING_CUSTOMER, "propose_resolution": S.AWAITING_CUSTOMER, "close": S.CLOSED}
DESCRIPTION = "La validation affiche une erreur.\n\n**Étapes** : ouvrir, valider."
STAFF_COMMENT = "Merci, nous analysons."
# The client's comment names a screen: words found in comments only (the searches of the
# benchmarks), each in about one request in twelve.
CLIENT_COMMENT = "Voici la capture de l'écran « {} »."
SCREENS = ("lettrage", "échéancier", "amortissement", "relance", "acompte", "escompte",
           "ristourne", "décompte", "provision", "reliquat", "avoir", "prorata")
WORDS = ("clôture mensuelle", "facture fournisseur", "écriture TVA", "salaires", "inventaire",
         "commande client", "bon de livraison", "rapprochement bancaire", "budget", "stock")


# The words of the texts every request repeats, normalised once.
_segment = lru_cache(maxsize=64)(search_segment)


class Table:
    """One model's table: its columns in order and a fast converter per column."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.name = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.columns = [field.column for field in self.fields]
        self.defaults = {field.attname: field.get_default() for field in self.fields}
        postgres = connection.vendor == "postgresql"
        # (attribute, converter or None when the value goes as it is), in column order.
        self.plan = [(field.attname, _converter(field, postgres)) for field in self.fields]

    def row(self, values: dict[str, Any]) -> tuple:
        defaults = self.defaults
        return tuple([
            convert(values.get(name, defaults[name])) if convert else values.get(
                name, defaults[name])
            for name, convert in self.plan
        ])


def _converter(field: models.Field, postgres: bool) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        return _json
    if isinstance(field, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        return (lambda value: None if value is None else value.isoformat()) if postgres else (
            lambda value: None if value is None else adapt(value))
    if isinstance(field, models.BooleanField):
        if postgres:
            return lambda value: "t" if value else "f"
        return lambda value: int(bool(value))
    return None


_JSON_DONE: dict[str, str] = {}


def _json(value: Any) -> str:
    # Most payloads repeat (a transition's name and label): encode each distinct one once.
    key = repr(value)
    if key not in _JSON_DONE:
        _JSON_DONE[key] = json.dumps(value)
    return _JSON_DONE[key]


def write(table: Table, rows: Sequence[tuple]) -> None:
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for row in rows:
                writer.writerow([r"\N" if value is None else value for value in row])
            buffer.seek(0)
            cursor.cursor.copy_expert(
                f'COPY "{table.name}" ({", ".join(table.columns)}) '
                r"FROM STDIN WITH (FORMAT csv, NULL '\N')",
                buffer,
            )
        else:
            marks = ", ".join("?" * len(table.columns))
            cursor.executemany(
                f'INSERT INTO "{table.name}" ({", ".join(table.columns)}) VALUES ({marks})',
                rows,
            )


@lru_cache(maxsize=64)
def rendered(text: str) -> str:
    """The stored HTML of a text, as ``Request.save`` and ``Comment.save`` would store it."""
    return str(render_markdown(text))


@contextmanager
def keys_and_indexes_after(tables: dict[type[models.Model], Table]) -> Iterator[None]:
    """On PostgreSQL outside a transaction, the foreign keys and the secondary indexes of the
    loaded tables are dropped for the load and made again after it, as ``pg_restore`` does:
    each index is then built in one sort and each key checked in one pass, instead of
    maintaining eleven indexes and looking up every key row by row."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    names = [table.name for table in tables.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [[f'"{name}"' for name in names] + names],
        )
        keys = cursor.fetchall()
        # Secondary indexes only: those of a primary key or a unique constraint stay.
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE t.relname = ANY(%s) AND NOT i.indisprimary AND NOT i.indisunique",
            [names],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for index, _definition in indexes:
            cursor.execute(f"DROP INDEX {index}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _index, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


class BatchWriter:
    """Writes batches of rows, each in its own transaction, in the order put.

    On PostgreSQL outside a transaction, a second thread (its own connection) writes while
    the next batch is being built: the rows are made in Python on one core while the server
    loads the previous batch on the other. Elsewhere (SQLite, or inside a test's transaction,
    which another connection could not see) it writes at once.
    """

    ORDER = (Request, Comment, RequestEvent, SloClock, SatisfactionRating)

    def __init__(self, tables: dict[type[models.Model], Table]) -> None:
        self.tables = tables
        self.threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True) if self.threaded else None

    def __enter__(self) -> BatchWriter:
        if self.thread is not None:
            self.thread.start()
        return self

    def put(self, rows: dict[type[models.Model], list[tuple]]) -> None:
        if self.failure is not None:
            raise CommandError(f"Writing a batch failed: {self.failure}")
        if self.thread is None:
            self._write(rows)
        else:
            self.queue.put(rows)

    def __exit__(self, *exc: object) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
        if self.failure is not None:
            raise CommandError(f"Writing a batch failed: {self.failure}")

    def _write(self, rows: dict[type[models.Model], list[tuple]]) -> None:
        with transaction.atomic():
            for model in self.ORDER:
                write(self.tables[model], rows[model])

    def _run(self) -> None:
        try:
            while (rows := self.queue.get()) is not None:
                if self.failure is None:
                    self._write(rows)
        except BaseException as exc:  # reported by the main thread, which goes on putting
            self.failure = exc
            while self.queue.get() is not None:
                pass
        finally:
            connection.close()


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def _pick(rng: random.Random, mix: Iterable[tuple[Any, float]]) -> Any:
    choices, weights = zip(*mix, strict=True)
    return rng.choices(choices, weights=weights)[0]


class Command(BaseCommand):
    help = "Write a realistic backlog of N requests for the benchmarks (COPY / bulk)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, required=True)
        parser.add_argument("--force", action="store_true",
                            help="add to a database that already holds requests")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        total = options["requests"]
        if total < 1:
            raise CommandError("--requests must be at least 1.")
        if Request.objects.exists() and not options["force"]:
            raise CommandError(
                "This database already holds requests: seed_volume writes a benchmark "
                "backlog into an empty database (add --force to add to it anyway)."
            )
        began = time.monotonic()
        rng = random.Random(options["seed"])
        people = self._people(rng)
        self._requests(total, rng, people)
        # The ratings went in by COPY, past the service that counts them: their tallies,
        # which the satisfaction report reads, counted once from them.
        satisfaction_tallies_rebuild()
        self._vocabulary()
        self._reset_sequences()
        # The SLO report's roll-ups of every month the backlog spans, as the sweep keeps them.
        rollups.rollups_refresh_all()
        reference_changed()  # organisations written by COPY: every process reads them again
        self.stdout.write(f"{total} requests written in {time.monotonic() - began:.0f} s; "
                          f"benchmark customer: {BENCH_CUSTOMER} (password demo).")

    # ------------------------------------------------------------------ people

    def _people(self, rng: random.Random) -> dict[str, Any]:
        User = get_user_model()
        password = make_password("demo")
        with transaction.atomic():
            organisations = Organisation.objects.bulk_create(
                [Organisation(name=f"Volume {index:03d} SA") for index in range(ORGANISATIONS)],
                ignore_conflicts=True,
            )
            organisations = list(Organisation.objects.filter(name__startswith="Volume "))
            contacts: list[tuple[int, int]] = []  # (user id, organisation id)
            users, profiles = [], []
            for organisation in organisations:
                for index in range(rng.choice((2, 3))):
                    users.append(User(username=f"v{organisation.pk}.{index}", password=password,
                                      first_name="Contact", last_name=f"{organisation.pk}-{index}",
                                      email=f"v{organisation.pk}.{index}@volume.test"))
            users.append(User(username=BENCH_CUSTOMER, password=password, first_name="Volume",
                              last_name="Client", email="volume.client@volume.test"))
            User.objects.bulk_create(users, ignore_conflicts=True)
            by_name = {u.username: u for u in User.objects.filter(
                username__in=[u.username for u in users])}
            for organisation in organisations:
                for user in by_name.values():
                    if user.username.startswith(f"v{organisation.pk}."):
                        contacts.append((user.pk, organisation.pk))
                        profiles.append(Profile(user=user, organisation=organisation))
            bench = by_name[BENCH_CUSTOMER]
            profiles.append(Profile(user=bench, organisation=organisations[0]))
            Profile.objects.bulk_create(profiles, ignore_conflicts=True)
            agents: dict[str, list[int]] = {}
            for role in (Role.FRONTDESK, Role.DAILY, Role.SERVICEDESK, Role.EXPERT, Role.RND,
                         Role.SALES_ADMIN):
                group = Group.objects.get(name=role)
                slug = role.lower().replace("&", "n").replace(" ", "-")
                made = []
                for index in range(AGENTS_PER_ROLE):
                    user, _created = User.objects.get_or_create(
                        username=f"volume.{slug}.{index}",
                        defaults={"password": password, "first_name": role,
                                  "last_name": str(index), "email": f"{slug}{index}@volume.test"},
                    )
                    Profile.objects.get_or_create(user=user)
                    user.groups.add(group)
                    made.append(user.pk)
                agents[role] = made
        return {"contacts": contacts, "bench": (bench.pk, organisations[0].pk),
                "agents": agents}

    # ---------------------------------------------------------------- requests

    def _requests(self, total: int, rng: random.Random, people: dict[str, Any]) -> None:
        tables = {model: Table(model) for model in (Request, Comment, RequestEvent, SloClock,
                                                    SatisfactionRating)}
        # The ratings draw from their own sequence: the rest of the backlog stays the one
        # the same seed always gave.
        self.ratings_rng = random.Random(rng.random())
        types = {t.code: t for t in RequestType.objects.all()}
        priorities = {p.code: p for p in Priority.objects.all()}
        modules = list(ErpModule.objects.filter(is_active=True).values_list("pk", flat=True))
        targets = selectors.slo_targets_all()
        actions = selectors.status_clock_actions()
        calendar = default_calendar()
        now = timezone.now()
        first_number = (Request.objects.aggregate(top=models.Max("number"))["top"] or 0) + 1
        ids = {model: _next_id(model) for model in tables if model is not SatisfactionRating}
        agents = people["agents"]
        staff = [pk for role in (Role.FRONTDESK, Role.DAILY, Role.SERVICEDESK) for pk in
                 agents[role]]
        open_share = sum(weight for _status, weight in OPEN_MIX) / 100
        closed_mix = [*OPEN_MIX, (S.CLOSED, 100 - open_share * 100)]
        labels = {name: str(TRANSITIONS[name].label) for name in TARGET}
        done = 0
        with keys_and_indexes_after(tables), BatchWriter(tables) as writer:
            while done < total:
                rows: dict[type[models.Model], list[tuple]] = {model: [] for model in tables}
                for offset in range(min(BATCH, total - done)):
                    number = first_number + done + offset
                    self._one(number, rng, people, types, priorities, modules, targets, actions,
                              calendar, now, ids, tables, rows, closed_mix, staff, labels)
                writer.put(rows)
                done += min(BATCH, total - done)
                if done % 100_000 == 0 or done == total:
                    self.stdout.write(f"  {done} requests")
        KeyCounter.objects.update_or_create(
            name="request", defaults={"value": first_number + total - 1})

    def _one(self, number, rng, people, types, priorities, modules, targets, actions,
             calendar, now, ids, tables, rows, mix, staff, labels) -> None:
        status = _pick(rng, mix)
        if number % 100 == 0:
            reporter, organisation = people["bench"]
        else:
            reporter, organisation = rng.choice(people["contacts"])
        type_code = _pick(rng, TYPE_MIX)
        request_type = types[type_code]
        priority = priorities[_pick(rng, PRIORITY_MIX)]
        # Open requests are recent; closed ones spread over two years.
        age = rng.uniform(0, 30 if status != S.CLOSED else 730) * 86400
        created = now - timedelta(seconds=age + 3600)
        step = max(age / 8, 600)
        agents = people["agents"]
        servicedesk = rng.choice(agents[Role.SERVICEDESK])
        moments: list[tuple[datetime, str, str]] = []  # (when, transition, to status)
        at = created
        for name in PATHS[status]:
            at = at + timedelta(seconds=rng.uniform(0.2, 1.0) * step)
            moments.append((at, name, TARGET[name]))
        request_id = ids[Request]
        ids[Request] += 1
        last = moments[-1][0] if moments else created
        past = status != S.OPEN
        title = f"{rng.choice(WORDS).capitalize()} : erreur {rng.randint(1000, 9999)}"
        client_comment = CLIENT_COMMENT.format(rng.choice(SCREENS))
        values: dict[str, Any] = {
            "id": request_id, "number": number, "title": title,
            "description": DESCRIPTION, "description_html": rendered(DESCRIPTION),
            "request_type_id": request_type.pk, "priority_id": priority.pk,
            "organisation_id": organisation, "reporter_id": reporter,
            "created_by_id": reporter, "shared_with_organisation": True,
            "assignee_id": servicedesk if status not in (S.OPEN, S.QUALIFIED) else None,
            "module_id": rng.choice(modules) if past else None,
            "version": "24.1" if past else "", "environment": "production" if past else "",
            "details": {}, "status": status, "created_at": created, "updated_at": last,
            "updated_by_id": reporter,
            "qualified_by_id": agents[Role.FRONTDESK][0] if past else None,
            "qualified_at": moments[0][0] if past else None,
            "rnd_reference": "RD-1" if status == S.AWAITING_RND else "",
            "resolution": Resolution.DONE if status == S.CLOSED else "",
            "confirmation_state": ConfirmationState.CONFIRMED if status == S.CLOSED else "",
            "closed_at": last if status == S.CLOSED else None,
            "awaiting_customer_since": last if status == S.AWAITING_CUSTOMER else None,
            "customer_reply_due_at": (calendar.add_business_days(last, 10)
                                      if status == S.AWAITING_CUSTOMER else None),
            # As ``search_document`` and the comment services write it: the title, the
            # description, then the three public comments in their order.
            "search_document": search_normalise(title) + "".join(
                _segment(text) for text in (DESCRIPTION, STAFF_COMMENT, client_comment,
                                            STAFF_COMMENT)),
            "search_internal": _segment("RD-1") if status == S.AWAITING_RND else "",
        }
        request_values = values
        events = rows[RequestEvent]
        event_table = tables[RequestEvent]

        def event(**fields: Any) -> None:
            events.append(event_table.row({"id": ids[RequestEvent], "request_id": request_id,
                                           "is_internal": False, "payload": {}, **fields}))
            ids[RequestEvent] += 1

        event(kind=EventKind.CREATED, created_at=created, actor_id=reporter, to_status=S.OPEN,
              payload={"type": request_type.name})
        if status == S.CLOSED and self.ratings_rng.random() < RATED_SHARE:
            # Rated with the confirmation, between the proposal and the closing.
            rated_at = moments[-2][0] + (last - moments[-2][0]) / 2
            rating = _pick(self.ratings_rng, RATING_MIX)
            rows[SatisfactionRating].append(tables[SatisfactionRating].row({
                "request_id": request_id, "rating": rating, "comment": "",
                "rated_by_id": reporter, "created_at": rated_at, "updated_at": rated_at,
                "agent_id": servicedesk, "organisation_id": organisation}))
            event(kind=EventKind.SATISFACTION_RATED, created_at=rated_at, actor_id=reporter,
                  payload={"rating": rating})
        previous: str = S.OPEN
        for when, name, target in moments:
            event(kind=EventKind.STATUS_CHANGED, created_at=when, actor_id=servicedesk,
                  from_status=previous, to_status=target,
                  payload={"transition": name, "label": labels[name]})
            previous = target
        # Three public comments: agent, client, agent, between creation and the last change.
        first_response = None
        for index, (author, by_staff) in enumerate(
            ((rng.choice(staff), True), (reporter, False), (servicedesk, True))
        ):
            when = created + (last - created) * (index + 1) / 4 + timedelta(minutes=index + 1)
            body = STAFF_COMMENT if by_staff else client_comment
            comment_id = ids[Comment]
            ids[Comment] += 1
            rows[Comment].append(tables[Comment].row({
                "id": comment_id, "request_id": request_id, "author_id": author,
                "body": body, "body_html": rendered(body),
                "is_internal": False, "created_at": when}))
            event(kind=EventKind.COMMENTED, created_at=when, actor_id=author,
                  comment_id=comment_id, payload={"by_back_office": by_staff})
            if by_staff and first_response is None:
                first_response = when
        if not request_type.subject_to_slo:
            rows[Request].append(tables[Request].row(request_values))
            return
        kinds = {kind: target for (priority_id, kind), target in targets.items()
                 if priority_id == priority.pk}
        first_move = moments[0][0] if moments else None
        answered = min(t for t in (first_response, first_move) if t is not None)
        clocks = engine.clocks_replay(
            created_at=created, status_changes=[(when, target) for when, _n, target in moments],
            first_response_at=answered, actions=actions, targets=kinds, at=now,
            calendar=calendar, initial_status=S.OPEN,
        )
        for clock in clocks.values():
            over = engine.clock_is_over(clock, at=now, calendar=calendar)
            values = {"id": ids[SloClock], "request_id": request_id,
                      **{name: getattr(clock, name) for name in (
                          "kind", "state", "target_seconds", "warning_seconds", "started_at",
                          "consumed_seconds", "resumed_at", "due_at", "warn_at", "stopped_at")},
                      # As the sweep would have left them: crossings already recorded.
                      "warned_at": clock.warn_at if clock.warn_at and clock.warn_at <= now
                      else None,
                      "breached_at": clock.due_at if over and clock.due_at else None}
            ids[SloClock] += 1
            rows[SloClock].append(tables[SloClock].row(values))
        running = [clock for clock in clocks.values() if clock.state == engine.RUNNING]
        request_values["slo_due_at"] = min((c.due_at for c in running if c.due_at), default=None)
        request_values["slo_warn_at"] = min((c.warn_at for c in running if c.warn_at),
                                            default=None)
        rows[Request].append(tables[Request].row(request_values))

    def _vocabulary(self) -> None:
        """PostgreSQL: the words of the documents written into the vocabulary that completes
        a word being typed (``selectors.search``), as the services add them one by one."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO requests_app_searchword (word) SELECT word FROM "
                "ts_stat('SELECT search_vector FROM requests_app_request') ORDER BY word "
                "ON CONFLICT DO NOTHING")

    def _reset_sequences(self) -> None:
        """Sequences past the ids written, and fresh planner statistics: after a bulk load
        PostgreSQL would otherwise plan every page as if the tables were empty."""
        from django.core.management.color import no_style

        models_written = [Request, Comment, RequestEvent, SloClock, SatisfactionRating,
                          SatisfactionTally]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for statement in connection.ops.sequence_reset_sql(no_style(), models_written):
                    cursor.execute(statement)
                # VACUUM (visibility map for index-only scans) needs to be outside a
                # transaction; inside one (a test), ANALYZE alone.
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                for model in models_written:
                    cursor.execute(f'{command} "{model._meta.db_table}"')
            else:
                cursor.execute("ANALYZE")
