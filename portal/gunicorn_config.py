"""gunicorn's configuration for the portal (``gunicorn -c python:portal.gunicorn_config``):
Prometheus's multiprocess mode, so that ``/metrics`` answers the sum over every worker
rather than the counters of whichever worker the scrape reached.

prometheus_client keeps each worker's values in files under ``PROMETHEUS_MULTIPROC_DIR``
(a folder of its own, emptied when gunicorn starts: what a previous run left would be added
to this one's). The variable must be set before a worker imports the portal; this file sets
a default for that reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/spt-prometheus")


def on_starting(server: Any) -> None:
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    # A worker gone (restarted, killed): its live gauges no longer count; its counters do.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
