"""SLO benchmarks: ``./.venv/bin/python benchmarks/slo_bench.py``.

Sections are plain functions called from :func:`main`; each prints its own figures. The
calendar section needs no database (it uses the pure builder with the seeded configuration);
sections that need Django call :func:`setup_django` first.
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="operations per case")
    args = parser.parse_args(argv)
    bench_calendar(args.count)


if __name__ == "__main__":
    main()
