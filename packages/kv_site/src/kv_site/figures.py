"""The product's figures inside hand-written pages.

A page says ``{{ limits.bulk_get_max_keys }}`` where the number belongs (or
``{{ settings.NAME }}`` for a deployment setting's default), and the hook
(:func:`kv_site.hooks.on_page_markdown`) writes it in from ``kv_core``, so prose and
limits cannot drift apart. A name may be followed by one filter:
``{{ limits.bulk_body_max_bytes|size }}`` is ``10 MiB``, ``{{ limits.ttl_max_seconds|years }}``
is ``10``. A name or filter that does not exist fails the (strict) build.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import TypeGuard

from kv_core.limits import LIMITS
from kv_core.numbers import SIGNIFICANT_DIGITS
from kv_core.settings import Settings

PATTERN = re.compile(r"\{\{\s*(limits|settings)\.([a-z_]+)\s*(?:\|\s*([a-z]+)\s*)?\}\}")
YEAR_SECONDS = 365 * 24 * 60 * 60


class UnknownFigure(KeyError):
    """A page named a figure or a filter that does not exist."""


def binary_size(size: int) -> str:
    """``10 MiB``, ``256 KiB``, ``1 KiB``, ``900 bytes``: sizes as the limits are set."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size:,} bytes"


def years(seconds: int) -> str:
    return f"{seconds / YEAR_SECONDS:g}"


def hours(seconds: int) -> str:
    return f"{seconds / 3600:g}"


def whole(value: object) -> TypeGuard[int | float]:
    """Whether a default is a number with a whole value (``3600.0`` is; ``0.8`` is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value == int(value)


def figures() -> dict[str, dict[str, int]]:
    """Every figure a page may name: the limits table's (and the arithmetic's digits)
    under ``limits``, the numeric settings' defaults under ``settings``."""
    limits = {name: int(value) for name, value in asdict(LIMITS).items() if whole(value)}
    limits["significant_digits"] = SIGNIFICANT_DIGITS
    settings: dict[str, int] = {}
    for spec in fields(Settings):
        default: object = spec.default
        if whole(default):
            settings[spec.name] = int(default)
    return {"limits": limits, "settings": settings}


FILTERS: dict[str, Callable[[int], str]] = {
    "size": binary_size,
    "years": years,
    "hours": hours,
    "plain": str,
}


def render(group: str, name: str, filter_name: str | None) -> str:
    values = figures()[group]
    if name not in values:
        raise UnknownFigure(f"no figure '{group}.{name}'")
    if filter_name is None:
        return f"{values[name]:,}"
    if filter_name not in FILTERS:
        raise UnknownFigure(f"no filter '{filter_name}'")
    return FILTERS[filter_name](values[name])


def fill(markdown: str) -> str:
    """``markdown`` with every ``{{ limits.NAME }}`` and ``{{ settings.NAME }}``
    replaced by its figure."""
    return PATTERN.sub(lambda match: render(*match.groups()), markdown)
