"""Jinja filters: numbers, sizes and times as the dashboard shows them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from kv_core.model import parse_iso
from kv_core.plans import DEFAULT_PLAN, PLANS, format_bytes, format_count


def when(text: str | None) -> str:
    """``2026-11-25 10:00 UTC`` from a stored ISO timestamp; ``Never`` for none."""
    if not text:
        return "Never"
    return parse_iso(text).strftime("%Y-%m-%d %H:%M UTC")


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


def percent(used: int, limit: int) -> float:
    """Share of ``limit`` used, capped at 100, for bar widths."""
    if limit <= 0:
        return 100.0
    return round(min(100.0, used * 100 / limit), 1)


def unix_when(seconds: int | None) -> str:
    """``2026-11-25 10:00 UTC`` from unix seconds; ``Never`` for none."""
    if seconds is None:
        return "Never"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def unix_exact(seconds: int | None) -> str:
    """``2026-11-25 10:00:05 UTC``: an item's expiry, which is exact to the second."""
    if seconds is None:
        return "Never"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_seconds(seconds: int) -> str:
    """Unix seconds as ISO-8601, for a ``<time datetime>``."""
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


# A duration's unit and its seconds, largest first; a duration shows in the largest
# unit it holds once, to the nearest (299 s is "5 min", as it was just set to).
_UNITS = (("day", 86_400), ("h", 3_600), ("min", 60), ("s", 1))


def duration(seconds: int) -> str:
    """``45 s``, ``5 min``, ``3 h``, ``1 day``, ``12 days``."""
    for unit, size in _UNITS:
        if seconds >= size:
            count = (seconds + size // 2) // size
            return f"{count} {unit}s" if unit == "day" and count != 1 else f"{count} {unit}"
    return "0 s"


def expires_in(expires_at: int, now: datetime) -> str:
    """``expires in 5 min`` from an item's expiry and the page's time; ``expired``
    once that second has come."""
    left = expires_at - int(now.timestamp())
    return f"expires in {duration(left)}" if left > 0 else "expired"


def compact_json(value: Any, limit: int = 60) -> str:
    """JSON on one line, cut at ``limit`` characters with an ellipsis."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        bytes=format_bytes,
        count=format_count,
        when=when,
        unix_when=unix_when,
        unix_exact=unix_exact,
        iso_seconds=iso_seconds,
        compact_json=compact_json,
        pretty_json=pretty_json,
        number=lambda n: f"{n:,}",
    )
    app.jinja_env.globals.update(
        percent=percent, expires_in=expires_in, default_plan=PLANS[DEFAULT_PLAN]
    )
