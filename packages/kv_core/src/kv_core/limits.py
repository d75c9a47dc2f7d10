"""The product's limits: one table, read by the API, the dashboard and the site."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    key_max_bytes: int = 512
    namespace_max_chars: int = 64
    value_max_bytes: int = 256 * 1024
    list_limit_min: int = 1
    list_limit_max: int = 1000
    list_limit_default: int = 100
    json_max_depth: int = 64
    warning_ratio: float = 0.8


LIMITS = Limits()
