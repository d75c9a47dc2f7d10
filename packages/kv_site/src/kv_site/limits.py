"""The limits page, generated from ``kv_core.limits`` and ``kv_core.plans``."""

from __future__ import annotations

from kv_core.errors import StorageFull, StoreUnavailable
from kv_core.limits import LIMITS
from kv_core.names import RESERVED_NAMESPACES
from kv_core.settings import Settings
from kv_site.figures import binary_size, years
from kv_site.pricing import plan_cards


def limits_table() -> str:
    """Limits every account shares, one row each."""
    rows = [
        ("Key", f"1 to {LIMITS.key_max_bytes} bytes of UTF-8, no control characters"),
        (
            "Namespace name",
            f"1 to {LIMITS.namespace_max_chars} of `a-z 0-9 - _`, starting with a letter or digit",
        ),
        ("Reserved namespace names", ", ".join(f"`{n}`" for n in sorted(RESERVED_NAMESPACES))),
        (
            "Value",
            f"any JSON, at most {LIMITS.value_max_bytes // 1024} KiB"
            f" ({LIMITS.value_max_bytes} bytes) as compact UTF-8 JSON",
        ),
        (
            "List page (`limit`)",
            f"{LIMITS.list_limit_min} to {LIMITS.list_limit_max},"
            f" default {LIMITS.list_limit_default}",
        ),
        (
            "Metadata (`KV-Metadata`)",
            f"a JSON object, at most {binary_size(LIMITS.metadata_max_bytes)}"
            f" ({LIMITS.metadata_max_bytes} bytes) as compact UTF-8 JSON",
        ),
        (
            "Expiry (`ttl`, `expiresAt`)",
            f"`ttl` {LIMITS.ttl_min_seconds} to {LIMITS.ttl_max_seconds:,} seconds"
            f" ({years(LIMITS.ttl_max_seconds)} years); `expiresAt` a unix second in the"
            f" future, at most {years(LIMITS.ttl_max_seconds)} years ahead",
        ),
        ("Bulk get", f"1 to {LIMITS.bulk_get_max_keys} keys"),
        (
            "Bulk put and bulk delete",
            f"1 to {LIMITS.bulk_write_max_items:,} items or keys; a bulk body at most"
            f" {binary_size(LIMITS.bulk_body_max_bytes)}",
        ),
        (
            "Stored size of an item",
            "bytes of the key + bytes of the compact JSON value + bytes of the compact"
            " JSON metadata",
        ),
        (
            "JSON nesting",
            f"at most {LIMITS.json_max_depth} levels in any body: `400` with `too_deep`",
        ),
        (
            "Text",
            "strict UTF-8 in keys and bodies: invalid UTF-8 in a key is `400 invalid_key`;"
            " a body in UTF-16/32, with a lone surrogate or a key twice in one object is"
            " `400 invalid_json`",
        ),
        ("Usage warning", f"at {LIMITS.warning_ratio:.0%} of a quota"),
    ]
    lines = ["| what | limit |", "|---|---|"]
    lines += [f"| {what} | {limit} |" for what, limit in rows]
    return "\n".join(lines) + "\n"


def quotas_table() -> str:
    """Each plan's monthly quotas."""
    lines = ["| plan | requests a month | storage |", "|---|---|---|"]
    for card in plan_cards():
        note = " (custom: as agreed)" if card.custom else ""
        lines.append(f"| {card.title}{note} | {card.requests} | {card.storage} |")
    return "\n".join(lines) + "\n"


def store_failures() -> str:
    """What a client sees while the store fails, and the bound on the counters."""
    minutes = round(Settings.reconcile_interval_seconds / 60)
    return (
        "When the store cannot answer (a full disk or an I/O error on a single machine;"
        " throttling or an outage of DynamoDB that outlasts the retries), the API answers"
        f" `503` with `code` `{StoreUnavailable.code}`, or `507` with `{StorageFull.code}`"
        " when the disk is full, and a `Retry-After` header (seconds). A write answered so"
        " was not acknowledged: send it again. On a full disk reads keep working, and the"
        " service recovers by itself when the fault clears. The SDK retries `503` for"
        " reads, puts and deletes, waiting as `Retry-After` says.\n\n"
        "Storage counters (each namespace's items and bytes, and the stored bytes the"
        " storage quota checks) move with every write. On AWS a write is two calls to the"
        " database, and a write is undone when its second call fails. If a server dies"
        " between the two calls, the database fails the undo as well, or an answer is lost"
        " after the database applied a call, one namespace's counts can be off by that one"
        " write until the next recount, which runs once a day on AWS (every"
        f" {minutes} minutes on a single machine) and corrects them. The items themselves"
        " are never affected.\n"
    )


def limits_page() -> str:
    """The whole limits page as Markdown."""
    return "\n".join(
        [
            "# Limits",
            "",
            "These are the limits the API enforces; this page is generated from the same"
            " table the API reads, so the two cannot drift apart.",
            "",
            "## Keys, values and namespaces",
            "",
            limits_table(),
            "A key that breaks a limit gets `400`; a value too large gets `413`, and so"
            " does a request body over four times the value limit, chunked or not; a bad"
            " `limit` or `cursor` gets `400`. Nothing is written when a request is refused.",
            "",
            "## Monthly quotas",
            "",
            quotas_table(),
            "A month is a UTC calendar month. Over the request quota the API answers `429`"
            " with `code` `request_quota_exceeded` and a `Retry-After` header (seconds"
            " until the next month). Over the storage quota a write that would grow storage"
            " answers `429` with `storage_quota_exceeded`; deletes and shrinking writes"
            " still work. Every data-plane response carries `X-RateLimit-Limit` and"
            " `X-RateLimit-Remaining`.",
            "",
            "See [Pricing](../pricing.md) for the plans.",
            "",
            "## When the store fails",
            "",
            store_failures(),
        ]
    )
