"""SLO benchmarks: ``./.venv/bin/python benchmarks/slo_bench.py``.

Sections are plain functions called from :func:`main`; each prints its own figures. The
calendar section needs no database (it uses the pure builder with the seeded configuration);
sections that need Django call :func:`setup_django` first.

The sweep section builds its own database, bulk-inserts 100,000 open clocks of which 100 are
due, times the sweep, then drops the database. It uses ``DATABASE_URL`` when set, e.g.
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/spt_bench`` (the database is created and
dropped by the benchmark: give it a name of its own), else a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: import the project's packages
    sys.path.insert(0, str(ROOT))

HOUR = 3600


def setup_django(settings_module: str = "portal.settings.base") -> None:
    """Configure Django for sections that use the ORM (idempotent)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()


def _rate(operation: Callable[[Any, Any], object], calls: list[tuple[Any, Any]]) -> float:
    """Best-of-3 operations per second of ``operation(a, b)`` over ``calls``."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for first, second in calls:
            operation(first, second)
        best = min(best, time.perf_counter() - began)
    return len(calls) / best


def bench_calendar(count: int = 20_000) -> dict[str, float]:
    """Operations per second of the two calendar functions on the seeded calendar.

    Starts are random instants of 2026 (UTC, minute precision, fixed seed), so the figures
    include weekends, holidays and both DST changes; caches are warm as in a running process
    (the first use of a year, measured separately, resolves its holidays and DST days once).
    """
    from slo.calendar import build_calendar

    calendar = build_calendar()
    rng = random.Random(20260329)
    year_start = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [year_start + timedelta(minutes=rng.randrange(365 * 24 * 60)) for _ in range(count)]

    began = time.perf_counter()
    calendar.business_seconds_between(year_start, year_start + timedelta(days=366))
    cold_ms = (time.perf_counter() - began) * 1000

    results: dict[str, float] = {}
    print(f"Calendar (seeded default, {count:,} random starts in 2026, best of 3)")
    print(f"  first use of a year (holidays, DST days, exception table): {cold_ms:.1f} ms")
    print("  business_seconds_between(start, start + span)")
    for label, span in (
        ("3 hours", timedelta(hours=3)),
        ("2 days", timedelta(days=2)),
        ("1 week", timedelta(weeks=1)),
        ("3 weeks", timedelta(weeks=3)),
        ("1 year", timedelta(days=365)),
    ):
        calls = [(start, start + span) for start in starts]
        rate = _rate(calendar.business_seconds_between, calls)
        results[f"between {label}"] = rate
        print(f"    {label:>8}: {rate:>10,.0f} ops/s")
    print("  add_business_seconds(start, amount)")
    for label, seconds in (
        ("30 min", HOUR // 2),
        ("4 h", 4 * HOUR),
        ("16 h", 16 * HOUR),
        ("40 h", 40 * HOUR),
        ("80 h", 80 * HOUR),
        ("2000 h", 2000 * HOUR),
    ):
        rate = _rate(calendar.add_business_seconds, [(start, seconds) for start in starts])
        results[f"add {label}"] = rate
        print(f"    {label:>8}: {rate:>10,.0f} ops/s")
    print("  add_business_days(start, 10)")
    rate = _rate(calendar.add_business_days, [(start, 10) for start in starts])
    results["add 10 business days"] = rate
    print(f"    {'10 days':>8}: {rate:>10,.0f} ops/s")
    return results


def _best(runs: int, operation: Callable[[], object], reset: Callable[[], object] | None = None):
    """Best wall time in ms of ``operation`` over ``runs`` runs (``reset`` before each)."""
    best = float("inf")
    for _ in range(runs):
        if reset is not None:
            reset()
        began = time.perf_counter()
        operation()
        best = min(best, time.perf_counter() - began)
    return best * 1000


def _prepare_database(url: str) -> Callable[[], None]:
    """Create the benchmark database (PostgreSQL) or a temporary SQLite file; return its
    teardown. Django is set up on it, and migrated."""
    import tempfile

    os.environ["DEMO_MODE"] = "1"  # a throwaway database: no production checks
    os.environ.setdefault("SPT_VAR_DIR", tempfile.mkdtemp(prefix="spt-bench-var-"))
    drop: Callable[[], None]
    if url.startswith("postgres"):
        import dj_database_url
        import psycopg2
        from psycopg2 import sql

        config = dj_database_url.parse(url)
        name = config["NAME"]
        if name in {"postgres", "root", "test", "spt"}:
            raise SystemExit(f"refusing to create and drop the shared database {name!r}")
        admin = {"dbname": "postgres", "user": config["USER"] or "postgres",
                 "host": config["HOST"] or "127.0.0.1", "port": config["PORT"] or 5432}
        if config["PASSWORD"]:
            admin["password"] = config["PASSWORD"]

        def run(statement) -> None:
            connection = psycopg2.connect(**admin)
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(statement)
            connection.close()

        run(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            run(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    else:
        folder = Path(tempfile.mkdtemp(prefix="spt-bench-"))
        url = f"sqlite:///{folder / 'bench.sqlite3'}"

        def drop() -> None:
            import shutil

            from django.db import connections

            connections.close_all()
            shutil.rmtree(folder, ignore_errors=True)
    os.environ["DATABASE_URL"] = url
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return drop


def bench_sweep(clocks: int = 100_000, due: int = 100) -> dict[str, float]:
    """The sweep over ``clocks`` open clocks of which ``due`` are due (a breach each).

    Rows are bulk-inserted (no services): half as many Support requests, two running clocks
    each, due instants spread over the next 30 days, except ``due`` clocks whose breach came
    due during the last hour (their warning already recorded). Timed: the typical minute
    (nothing due), the sweep of the due rows with a no-op handler (the sweep's own cost: two
    indexed reads, one claim per crossing), and with the real handler (a history line each;
    no e-mail here, the requests having no assignee and no Daily agent existing).
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from requests_app.models import Organisation, Priority, Request, RequestType
    from slo import services
    from slo.models import SloClock, SloTarget

    now = timezone.now()
    rng = random.Random(20260329)
    began = time.perf_counter()
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"Banc d'essai {index:02d} SA") for index in range(20)
    )
    reporter = get_user_model().objects.create(username="bench-client")
    support = RequestType.objects.get(code="support")
    priorities = list(Priority.objects.order_by("rank"))
    targets = {
        (priority_id, clock): seconds
        for priority_id, clock, seconds in SloTarget.objects.values_list(
            "priority_id", "clock", "target_seconds")
    }
    requests = [
        Request(
            number=number, title=f"Demande {number}", description="Banc d'essai.",
            request_type=support, priority=priorities[number % len(priorities)],
            organisation=organisations[number % len(organisations)],
            reporter=reporter, created_by=reporter, created_at=now, updated_at=now,
        )
        for number in range(1, clocks // 2 + 1)
    ]
    Request.objects.bulk_create(requests, batch_size=5_000)
    request_rows = list(Request.objects.order_by("pk").values_list("pk", "priority_id"))
    due_rows = set(rng.sample(range(clocks), due))
    rows = []
    for index in range(clocks):
        kind = "first_response" if index % 2 == 0 else "resolution"
        request_id, priority_id = request_rows[index // 2]
        target = targets[(priority_id, kind)]
        if index in due_rows:
            due_at = now - timedelta(minutes=rng.randrange(1, 60))
            warned_at = due_at - timedelta(hours=1)
        else:
            due_at = now + timedelta(minutes=rng.randrange(120, 30 * 24 * 60))
            warned_at = None
        rows.append(SloClock(
            request_id=request_id, kind=kind, state="running",
            target_seconds=target, warning_seconds=int(target * 0.75), started_at=now,
            consumed_seconds=0, resumed_at=now, due_at=due_at,
            warn_at=due_at - timedelta(hours=1), warned_at=warned_at,
        ))
    SloClock.objects.bulk_create(rows, batch_size=5_000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"Sweep ({connection.vendor}, {clocks:,} open clocks of which {due} due, "
          f"inserted in {time.perf_counter() - began:.1f} s)")

    due_ids = [row.pk for row in rows if row.breached_at is None and row.due_at <= now]

    def reset() -> None:
        SloClock.objects.filter(pk__in=due_ids).update(breached_at=None)

    results: dict[str, float] = {}
    original = settings.SLO_CROSSING_HANDLER
    settings.SLO_CROSSING_HANDLER = "benchmarks.slo_bench.noop_handler"
    try:
        results["nothing due"] = _best(
            5, lambda: services.clocks_sweep(now=now - timedelta(hours=3)))
        check = services.clocks_sweep(now=now)
        assert (check.warnings, check.breaches) == (0, due), check
        results["due, no-op handler"] = _best(5, lambda: services.clocks_sweep(now=now), reset)
    finally:
        settings.SLO_CROSSING_HANDLER = original
    results["due, real handler"] = _best(3, lambda: services.clocks_sweep(now=now), reset)
    results["second run (all recorded)"] = _best(5, lambda: services.clocks_sweep(now=now))
    for label, milliseconds in results.items():
        print(f"  {label:>27}: {milliseconds:8.1f} ms")
    read = (
        SloClock.objects.filter(state="running", breached_at__isnull=True, due_at__lt=now)
        .order_by("due_at", "pk").values_list("pk", "request_id", "kind", "due_at")[:1000]
    )
    plan = read.explain(**({"analyze": True} if connection.vendor == "postgresql" else {}))
    print("  plan of the breach read:")
    for line in plan.splitlines()[:8]:
        print(f"    {line.strip()}")
    return results


def bench_report() -> dict[str, float]:
    """The SLO report over the same clocks, all stopped over the last six months: its
    aggregate queries (per month, priority and organisation: counts and medians, in one query
    each on PostgreSQL, two on SQLite), as the page runs them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from slo.models import SloClock
    from slo.reports import slo_report

    now = timezone.now()
    rng = random.Random(1291)
    began = time.perf_counter()
    kept = list(SloClock.objects.values_list("request_id", "kind", "target_seconds",
                                             "warning_seconds"))
    SloClock.objects.all().delete()  # re-inserted stopped: far faster than a bulk update
    rows = []
    for request_id, kind, target, warning in kept:
        consumed = rng.randrange(0, 2 * target)
        stopped_at = now - timedelta(seconds=rng.randrange(0, 175 * 86_400))
        rows.append(SloClock(
            request_id=request_id, kind=kind, target_seconds=target, warning_seconds=warning,
            state="met" if consumed <= target else "breached", consumed_seconds=consumed,
            started_at=stopped_at, stopped_at=stopped_at,
        ))
    SloClock.objects.bulk_create(rows, batch_size=5_000)
    print(f"Report: {len(rows):,} clocks re-inserted stopped in "
          f"{time.perf_counter() - began:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    with CaptureQueriesContext(connection) as queries:
        report = slo_report(at=now, months=6)
    milliseconds = _best(3, lambda: slo_report(at=now, months=6))
    total = sum(row.total for row in report.by_month)
    print(f"Report ({connection.vendor}, {total:,} stopped clocks over 6 months, "
          f"{len(report.by_month)} month rows)")
    print(f"  slo_report: {milliseconds:8.1f} ms, {len(queries)} queries")
    return {"report": milliseconds}


def noop_handler(**kwargs: Any) -> None:
    """A crossing handler that does nothing: isolates the sweep's own cost."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="operations per case")
    parser.add_argument("--clocks", type=int, default=100_000, help="open clocks (sweep)")
    parser.add_argument("--due", type=int, default=100, help="due clocks (sweep)")
    parser.add_argument("--skip-calendar", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_calendar:
        bench_calendar(args.count)
    if not args.skip_sweep:
        drop = _prepare_database(os.environ.get("DATABASE_URL", ""))
        try:
            bench_sweep(args.clocks, args.due)
            bench_report()
        finally:
            drop()


if __name__ == "__main__":
    main()
