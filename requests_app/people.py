"""How the portal names a person, on every page, e-mail and history line: their full name,
else their username."""

from __future__ import annotations

from typing import Any


def person_name_of(first_name: str, last_name: str, username: str) -> str:
    """The name from the columns alone (rows read as values): ``User.get_full_name()``,
    else the username."""
    return f"{first_name} {last_name}".strip() or username


def person_name(user: Any) -> str:
    """A user's name; "" for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
