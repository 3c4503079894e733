"""Page benchmarks: ``make bench-pages`` (or ``.venv/bin/python benchmarks/pages_bench.py``).

Run on a seeded volume, on the database in ``DATABASE_URL`` (SQLite under ``var/`` without
it)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/spt_bench .venv/bin/python manage.py \\
        seed_volume --requests 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/spt_bench make bench-pages

Each page is requested in-process with Django's test Client, signed in as the person who uses
it: its SQL queries and their time (one run), the minimum and median over ``--runs`` runs
after a warm-up (the pages in turns, one run of each per round), the response size, and the
ratio of its median to the **ceiling page**'s measured in the same rounds (a minimal view
behind session auth rendering a one-line template), and of its fastest run to the ceiling's
fastest: this machine's speed varies between runs, the ratios much less.

The write benchmark (PostgreSQL only) runs 8 writers commenting on 8 different requests,
then 8 on one request, through the real service, and prints requests per second of each and
the lock waits sampled in ``pg_locks`` meanwhile. The writers are processes, as the web
server's workers are (threads of one process would measure Python's global lock).

The benchmark adds to the database it measures: one request with 300 comments (made once,
reused on later runs) and the comments of the write benchmark.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BIG_TITLE = "Benchmark : 300 commentaires"


@dataclass
class Figure:
    page: str
    queries: int
    sql_ms: float
    min_ms: float
    median_ms: float
    size: int
    ratio: float = 0.0  # median over the ceiling page's median
    min_ratio: float = 0.0  # fastest run over the ceiling page's fastest
    costliest: str = ""  # the SQL of the page's slowest query (``--explain``)


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
    os.environ.setdefault("DEMO_MODE", "1")  # a benchmark database, never a real one
    import django

    django.setup()
    from django.conf import settings

    settings.ROOT_URLCONF = "benchmarks.urls"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False


def measure(pages: list[tuple[Any, str, str]], runs: int) -> list[Figure]:
    """Each page's queries (one run), then ``runs`` timed runs taken in turns, one run of
    every page per round: a slower moment of the machine then weighs on every page alike,
    and the ratios to the ceiling page hold where separate series of runs drifted apart."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figures = []
    for client, name, url in pages:
        for _ in range(3):
            response = client.get(url)
            assert response.status_code == 200, (name, url, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        # Read now: the next request's request_started signal empties the connection's log.
        queries = list(captured.captured_queries)
        slowest = max(queries, key=lambda q: float(q["time"]), default={"sql": ""})
        figures.append(Figure(name, len(queries), sum(float(q["time"]) for q in queries) * 1000,
                              0.0, 0.0, len(response.content), costliest=slowest["sql"]))
    timings: list[list[float]] = [[] for _page in pages]
    for _round in range(runs):
        for index, (client, _name, url) in enumerate(pages):
            began = time.perf_counter()
            client.get(url)
            timings[index].append((time.perf_counter() - began) * 1000)
    for figure, times in zip(figures, timings, strict=True):
        figure.min_ms, figure.median_ms = min(times), statistics.median(times)
    return figures


# The tables a page must never read whole.
BIG_TABLES = ("requests_app_request", "slo_sloclock", "requests_app_comment",
              "requests_app_requestevent")


def explain(figure: Figure) -> list[str]:
    """EXPLAIN ANALYZE of the page's slowest query: its scan nodes, and whether any reads one
    of the big tables sequentially."""
    from django.db import connection

    sql = figure.costliest
    if sql.startswith("DECLARE"):  # a server-side cursor: explain the query it runs
        sql = sql[sql.index(" FOR ") + len(" FOR "):]
    if not sql.lstrip(" (").upper().startswith("SELECT"):  # a union: "(SELECT …) UNION …"
        return [f"  (not a SELECT: {sql[:60]})"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + sql)
        plan = [line for (line,) in cursor.fetchall()]
    scans = [line.strip() for line in plan if "Scan" in line or "Time:" in line]
    sequential = [line for line in scans if line.startswith("->  Seq Scan on") or
                  line.startswith("Seq Scan on")]
    big = [line for line in sequential if any(f" {table} " in f"{line} " for table in
                                              BIG_TABLES)]
    verdict = ("  sequential scan of a big table: " + "; ".join(big)) if big else \
        "  no sequential scan of the request, clock, comment or history tables"
    return [*(f"  {line}" for line in scans), verdict]


def _big_request(agent, customer):
    """A request with 300 public comments (made once through the services)."""
    from requests_app import services
    from requests_app.models import Request

    found = Request.objects.filter(title=BIG_TITLE).first()
    if found is not None:
        return found
    big = services.request_create(
        actor=customer, request_type=_type("support"), title=BIG_TITLE,
        description="Un long échange.", priority=_priority("medium"))
    for index in range(150):
        services.comment_add(actor=agent, request=big, body=f"Réponse {index} " + "x" * 400)
        services.comment_add(actor=customer, request=big, body=f"Question {index} " + "y" * 400)
    return big


# Five saved views of one agent (made once, reused), of the kinds agents save: a priority, their
# own, the unassigned oldest first, one organisation across the history, a word.
SAVED_VIEWS = [
    ("Bench : hautes ouvertes", "toutes-ouvertes", {"priority": "high"}),
    ("Bench : les miennes", "en-cours", {"assignee": "me"}),
    ("Bench : non assignées", "toutes-ouvertes", {"assignee": "none", "sort": "oldest"}),
    ("Bench : une organisation", "toutes", {"organisation": "first"}),
    ("Bench : inventaire", "toutes", {"q": "inventaire"}),
]


def _saved_views(agent) -> str:
    """``agent``'s five saved views (made once through the service); the address of the
    first, as the sidebar links it."""
    from requests_app.forms.saved_views import saved_view_read
    from requests_app.models import Organisation, SavedView
    from requests_app.services.saved_views import saved_view_create

    values = {"high": str(_priority("high").pk),
              "first": str(Organisation.objects.order_by("pk").values_list("pk", flat=True)[0])}
    for name, queue, filters in SAVED_VIEWS:
        if not SavedView.objects.filter(owner=agent, name=name).exists():
            saved_view_create(owner=agent, name=name, queue=queue, filters={
                key: values.get(value, value) for key, value in filters.items()})
    return saved_view_read(SavedView.objects.get(owner=agent, name=SAVED_VIEWS[0][0])).url


def _type(code):
    from requests_app.models import RequestType

    return RequestType.objects.get(code=code)


def _priority(code):
    from requests_app.models import Priority

    return Priority.objects.get(code=code)


def bench_pages(runs: int) -> list[Figure]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from requests_app.models import Request
    from requests_app.workflow import RequestStatus as S

    User = get_user_model()
    agent = User.objects.filter(groups__name="ServiceDesk", username__startswith="volume.").first()
    daily = User.objects.filter(groups__name="Daily", username__startswith="volume.").first()
    customer = User.objects.get(username="volume.client")
    if agent is None or daily is None:
        raise SystemExit("No seeded volume here: run manage.py seed_volume first.")
    three = (Request.objects.filter(status=S.IN_PROGRESS, request_type__code="support")
             .order_by("-number").first())
    # Pages of requests in the same state at every volume, so that their queries compare.
    mine = (Request.objects.filter(reporter=customer, status=S.IN_PROGRESS,
                                   request_type__code="support")
            .exclude(title=BIG_TITLE).order_by("-number").first())
    big = _big_request(agent, customer)
    # What beat does every minute: the dashboard then reads the figures it stored.
    from requests_app.services.dashboard import dashboard_figures_refresh

    began = time.perf_counter()
    dashboard_figures_refresh()
    print(f"dashboard figures counted (beat, each minute): "
          f"{(time.perf_counter() - began) * 1000:.1f} ms")
    # Another ServiceDesk agent, with five saved views: the other figures stay comparable to
    # earlier runs, and these show what the views add.
    keeper = (User.objects.filter(groups__name="ServiceDesk", username__startswith="volume.")
              .exclude(pk=agent.pk).first())
    view_url = _saved_views(keeper)
    as_agent, as_daily, as_customer, as_keeper = Client(), Client(), Client(), Client()
    as_agent.force_login(agent)
    as_keeper.force_login(keeper)
    as_daily.force_login(daily)
    as_customer.force_login(customer)
    pages = [
        (as_agent, "ceiling page", "/bench/ceiling/"),
        (as_agent, "agent queue, first page", "/agent/queues/toutes-ouvertes/"),
        (as_daily, "agent queue index /agent/", "/agent/"),
        # What every back-office page asks for once it has loaded, and every minute.
        (as_agent, "sidebar counts (after a page)", "/agent/queues/nav/?current=toutes-ouvertes"),
        # The same with five saved views in the sidebar: listed with the page, counted with
        # the queues (one more query each, whatever the number of views or requests).
        (as_keeper, "agent queue, 5 saved views", "/agent/queues/toutes-ouvertes/"),
        (as_keeper, "sidebar counts, 5 saved views",
         "/agent/queues/nav/?current=toutes-ouvertes"),
        (as_keeper, "a saved view's queue", view_url),
        (as_agent, "agent request page, 3 comments", f"/agent/requests/{three.key}/"),
        (as_agent, "agent request page, 300 comments", f"/agent/requests/{big.key}/"),
        (as_customer, "customer list /portal/", "/portal/"),
        # Searches (accents aside, best found first): a word of a tenth of the titles, the
        # beginning of one being typed, and in the back office's "Toutes les demandes" a word
        # found in comments only (a twelfth of the requests) and two words, one rare.
        (as_customer, "customer list, search 'inventaire'", "/portal/?q=inventaire"),
        (as_customer, "customer list, typing 'clôt'", "/portal/?q=cl%C3%B4t"),
        (as_agent, "agent search 'inventaire'", "/agent/queues/toutes/?q=inventaire"),
        (as_agent, "agent search, in comments 'lettrage'", "/agent/queues/toutes/?q=lettrage"),
        (as_agent, "agent search 'erreur 4821'", "/agent/queues/toutes/?q=erreur+4821"),
        (as_customer, "customer request page", f"/portal/requests/{mine.key}/"),
        (as_customer, "new request form", "/portal/requests/new/support/"),
        (as_daily, "SLO report", "/agent/reports/slo/"),
        (as_daily, "SLO report CSV", "/agent/reports/slo/export.csv"),
        # Backlog, twelve weeks' flow, SLO trend, the list at risk and the reader's load.
        (as_agent, "dashboard /agent/dashboard/", "/agent/dashboard/"),
        (as_daily, "satisfaction report", "/agent/reports/satisfaction/"),
        (as_daily, "satisfaction report CSV", "/agent/reports/satisfaction/export.csv"),
    ]
    figures = measure(pages, runs)
    ceiling = figures[0]
    for figure in figures:
        figure.ratio = figure.median_ms / ceiling.median_ms
        figure.min_ratio = figure.min_ms / ceiling.min_ms
    return figures


def _write_until(agent_pk: int, request_pk: int, stop: float, results) -> None:
    """One writer process: comments on one request through the service until ``stop``."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from requests_app import services
    from requests_app.models import Request

    agent = get_user_model().objects.get(pk=agent_pk)
    request = Request.objects.get(pk=request_pk)
    count = 0
    try:
        while time.time() < stop:
            services.comment_add(actor=agent, request=request, body="Bench.")
            count += 1
    finally:
        connections.close_all()
    results.put(count)


def _writers(agent, chosen: list, seconds: float) -> tuple[float, int]:
    """Comments per second of one writer per entry of ``chosen`` (a request each), and the
    most lock waits seen in ``pg_locks`` meanwhile.

    The writers are processes, as the web server's workers are: threads of one process would
    mostly measure Python's global lock, not the database's row locks."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each process opens its own connection
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    stop = time.time() + seconds
    workers = [context.Process(target=_write_until, args=(agent.pk, r.pk, stop, results))
               for r in chosen]
    began = time.time()
    for worker in workers:
        worker.start()
    waits: list[int] = []
    with connections["default"].cursor() as cursor:
        while time.time() < stop:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            waits.append(cursor.fetchone()[0])
            time.sleep(0.05)
    total = sum(results.get() for _worker in workers)
    for worker in workers:
        worker.join()
    return total / (time.time() - began), max(waits or [0])


def bench_writes(seconds: float = 10.0) -> dict[str, float] | None:
    """Comments per second: 8 writers on 8 requests, then 8 writers on one request."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from requests_app.models import Request
    from requests_app.workflow import RequestStatus as S

    if connection.vendor != "postgresql":
        return None
    agent = get_user_model().objects.filter(groups__name="ServiceDesk",
                                            username__startswith="volume.").first()
    # The oldest: the pages measured are the newest ones, which the writers must not grow.
    targets = list(Request.objects.filter(status=S.IN_PROGRESS, request_type__code="support")
                   .order_by("number")[:8])
    results: dict[str, float] = {}
    for label, chosen in (("8 writers, 8 requests", targets),
                          ("8 writers, 1 request", [targets[0]] * 8)):
        rate, waits = _writers(agent, chosen, seconds)
        results[label] = rate
        results[f"{label}: lock waits seen (max)"] = waits
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-writes", action="store_true")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN ANALYZE each page's slowest query")
    options = parser.parse_args()
    setup()
    from django.db import connection

    from requests_app.models import Request

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, "
          f"{Request.objects.count()} requests, {options.runs} runs per page")
    figures = bench_pages(options.runs)
    print(f"{'page':36} {'queries':>7} {'SQL ms':>8} {'min ms':>8} {'median':>8} "
          f"{'bytes':>9} {'× ceiling':>9} {'(min)':>6}")
    for f in figures:
        print(f"{f.page:36} {f.queries:7d} {f.sql_ms:8.1f} {f.min_ms:8.1f} {f.median_ms:8.1f} "
              f"{f.size:9d} {f.ratio:9.1f} {f.min_ratio:6.1f}")
    if options.explain and connection.vendor == "postgresql":
        for f in figures[1:]:
            print(f"\n{f.page}: its slowest query")
            print("\n".join(explain(f)))
    if not options.no_writes:
        writes = bench_writes()
        if writes is None:
            print("write benchmark: PostgreSQL only (set DATABASE_URL)")
        else:
            for label, value in writes.items():
                print(f"{label:44} {value:8.1f}")
            ratio = writes["8 writers, 8 requests"] / writes["8 writers, 1 request"]
            print(f"{'8 requests / 1 request throughput':44} {ratio:8.2f}")


if __name__ == "__main__":
    main()
