"""Numbers typed by hand where the portal expects a row's primary key."""

from __future__ import annotations

import re
from typing import Any

# ASCII digits only: Python's int() also takes "²", "١" or "１", and a number no column can
# hold makes the database raise (SQLite: OverflowError; PostgreSQL: out of range).
_PK = re.compile(r"[0-9]{1,19}", re.ASCII)
PK_MAX = 2**63 - 1  # a bigint, the widest key of the schema


def pk_from_input(value: Any) -> int | None:
    """The primary key ``value`` names, or None when it cannot name a row."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _PK.fullmatch(value.strip()):
        number = int(value)
    else:
        return None
    return number if 0 < number <= PK_MAX else None
