"""SLO persistence glue, called explicitly by requests_app services inside their transaction.

The request app calls exactly these two functions; the SLO engine decides everything else
(which clocks exist, run, pause or stop, their targets) from the request's current state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def clocks_sync(*, request: Any, at: datetime) -> None:
    """Bring the request's clocks in line with its type, priority and status at ``at``.

    Called after creation and after every change of status, priority or type. Idempotent.
    """


def first_response_record(*, request: Any, at: datetime) -> None:
    """Stop the Première réponse clock: the first public agent answer or first move out of
    Ouvert happened at ``at``. Idempotent: only the first call counts."""
