"""Business durations as people write them: "30 min", "4 h", "1 h 30 min".

Targets are stored in business seconds; the admin and the pages show and accept this form.
"""

from __future__ import annotations

import re

_UNITS = {
    "h": 3600,
    "heure": 3600,
    "heures": 3600,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "s": 1,
    "sec": 1,
    "seconde": 1,
    "secondes": 1,
}
_TOKEN = re.compile(r"\s*(\d+)\s*([a-z]*)\s*")
_CLOCK = re.compile(r"\s*(\d+):([0-5]\d)\s*")


def business_duration_format(seconds: int) -> str:
    """``1800`` -> ``"30 min"``, ``14400`` -> ``"4 h"``, ``5400`` -> ``"1 h 30 min"``.

    Hours are not folded into days: a business day's length depends on the calendar.
    """
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    if minutes:
        parts.append(f"{minutes} min")
    if secs:
        parts.append(f"{secs} s")
    return sign + " ".join(parts) if parts else "0 min"


def business_duration_parse(text: str) -> int:
    """Seconds from "4 h", "1 h 30", "1h30", "90 min", "2 h 15 min 10 s" or "4:30".

    A bare number is only accepted right after hours ("1h30" = 1 h 30 min): alone it would be
    ambiguous. Raises ``ValueError`` on anything else.
    """
    value = text.strip().lower()
    clock = _CLOCK.fullmatch(value)
    if clock:
        return int(clock.group(1)) * 3600 + int(clock.group(2)) * 60
    position, total, previous = 0, 0, None
    if not value:
        raise ValueError("empty duration")
    while position < len(value):
        token = _TOKEN.match(value, position)
        if token is None or token.end() == position:
            raise ValueError(f"unreadable duration: {text!r}")
        amount, unit = int(token.group(1)), token.group(2)
        if not unit:
            if previous != 3600:
                raise ValueError(f"a unit is needed (h, min, s): {text!r}")
            factor = 60
        elif unit in _UNITS:
            factor = _UNITS[unit]
        else:
            raise ValueError(f"unknown unit {unit!r} (h, min, s)")
        total += amount * factor
        previous = factor
        position = token.end()
    return total
