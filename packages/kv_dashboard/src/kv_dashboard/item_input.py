"""Reading the item form's text: JSON, a TTL, an expiry time, a number to add.

Only the reading is here; the rules (sizes, depth, the TTL's range, what metadata may
be) are kv_core's, and its refusals come back to the field they concern through
:data:`FIELD_OF_CODE`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from kv_core.limits import LIMITS


class Unreadable(ValueError):
    """The text of a field is not what the field takes; the message says why."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise Unreadable(f"The name '{name}' appears twice in one object.")
        found[name] = value
    return found


def _no_constant(name: str) -> Any:
    raise Unreadable(f"{name} is not JSON.")


def read_json(text: str, what: str) -> Any:
    """The JSON in ``text``, read as strictly as the API reads a body (no duplicate
    names, no NaN or Infinity); ``what`` names it in the message."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except Unreadable as exc:
        raise Unreadable(f"The {what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise Unreadable(
            f"The {what} is nested more than {LIMITS.json_max_depth} levels deep."
        ) from None
    except json.JSONDecodeError as exc:
        raise Unreadable(
            f"The {what} is not valid JSON: {exc.msg.lower()} at line {exc.lineno},"
            f' column {exc.colno}. Text needs quotes: "hello".'
        ) from None


def read_ttl(text: str) -> int:
    """A TTL in whole seconds (its range is kv_core's to check)."""
    try:
        return int(text.strip())
    except ValueError:
        raise Unreadable(
            f"The TTL is a whole number of seconds, {LIMITS.ttl_min_seconds} to"
            f" {LIMITS.ttl_max_seconds:,}."
        ) from None


def read_time(text: str) -> int:
    """The unix second of a date and time in UTC (``2026-12-31T23:59:59``, as a
    ``datetime-local`` input sends it, or with a space, or with an offset)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Unreadable(
            "Give the expiry time as a date and time, e.g. 2026-12-31 23:59:59."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def time_field(seconds: int) -> str:
    """A unix second as a ``datetime-local`` input shows it, in UTC."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def read_number(text: str) -> int | float:
    """A JSON number to add, such as ``1`` or ``-2.5``."""
    try:
        number = json.loads(text.strip(), parse_constant=_no_constant)
    except (ValueError, Unreadable):
        number = None
    if not isinstance(number, int | float) or isinstance(number, bool):
        raise Unreadable("Give a number to add, such as 1 or -2.5.")
    return number


# Which field of the item form a refusal of kv_core concerns, by its code.
FIELD_OF_CODE = {
    "invalid_key": "key",
    "invalid_json": "value",
    "value_too_large": "value",
    "too_deep": "value",
    "storage_quota_exceeded": "value",
    "invalid_ttl": "ttl",
    "ttl_and_expires_at": "ttl",
    "invalid_expires_at": "expires_at",
    "invalid_metadata": "metadata",
    "metadata_too_large": "metadata",
}
