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
    metadata_max_bytes: int = 1024
    ttl_min_seconds: int = 1
    ttl_max_seconds: int = 315_360_000  # ten years; also the furthest expiresAt ahead
    bulk_get_max_keys: int = 100
    bulk_write_max_items: int = 1000
    bulk_body_max_bytes: int = 10 * 1024 * 1024
    atomic_max_keys: int = 50  # DynamoDB's 100 actions and 4 MB per transaction
    atomic_body_max_bytes: int = 4 * 1024 * 1024
    delete_prefix_max_items: int = 1000
    change_value_max_bytes: int = 4 * 1024
    changes_page_max: int = 1000
    changes_wait_max_seconds: int = 25  # inside API Gateway's 30 s
    warning_ratio: float = 0.8


LIMITS = Limits()
