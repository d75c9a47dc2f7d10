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


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        bytes=format_bytes,
        count=format_count,
        when=when,
        unix_when=unix_when,
        pretty_json=pretty_json,
        number=lambda n: f"{n:,}",
    )
    app.jinja_env.globals.update(percent=percent, default_plan=PLANS[DEFAULT_PLAN])
