"""JSON as the API accepts it: UTF-8 text, at most ``LIMITS.json_max_depth`` levels
deep, every string real text, every object key once.

Python's parser accepts more than that: UTF-16 and UTF-32 bytes, lone surrogates from
escapes such as ``\\ud800`` (text that no store can encode), the last of two equal
keys, and nesting until the interpreter's recursion limit (a ``RecursionError``).
Every body the API reads goes through :func:`loads`, which refuses each of these.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS

# A JSON string with its escapes, taken whole so that the brackets inside it are skipped.
STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
OPENERS = frozenset(b"[{")
# Where a lone surrogate can come from: raw UTF-8 cannot hold one, only an escape.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def too_deep() -> InvalidInput:
    return InvalidInput(
        f"The JSON is nested more than {LIMITS.json_max_depth} levels deep.", code="too_deep"
    )


def outside_strings(raw: bytes) -> bytes:
    """``raw`` without its strings. Without an escaped quote every quote opens or
    closes a string, so splitting at quotes is enough (and much faster)."""
    if b'\\"' in raw:
        return STRING.sub(b"", raw)
    return b"".join(raw.split(b'"')[::2])


def deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the arrays and objects of ``raw`` nest more than ``limit`` levels.

    A loop over the brackets outside strings, not a recursion; only bodies with more
    than ``limit`` brackets in all get that far, and most cost two counts.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in outside_strings(raw).translate(None, NOT_BRACKETS):
        if bracket in OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def has_lone_surrogate(value: Any) -> bool:
    """Whether any string of ``value`` (keys included) holds half a surrogate pair."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members, refusing a key that appears twice."""
    members = dict(pairs)
    if len(members) != len(pairs):
        raise InvalidInput("An object in the JSON has the same key twice.", code="invalid_json")
    return members


def refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(raw: bytes) -> Any:
    """The JSON document in ``raw``, or ``InvalidInput`` (``invalid_json``, or
    ``too_deep`` past ``LIMITS.json_max_depth`` levels)."""
    if not raw.strip():
        raise InvalidInput("The request body is empty; send a JSON value.", code="invalid_json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "The request body is not UTF-8 (UTF-16 and UTF-32 are not accepted).",
            code="invalid_json",
        ) from None
    if deeper_than(raw, LIMITS.json_max_depth):
        raise too_deep()
    try:
        value = json.loads(text, parse_constant=refuse_constant, object_pairs_hook=unique_keys)
    except RecursionError:
        raise too_deep() from None
    except ValueError:
        raise InvalidInput("The request body is not valid JSON.", code="invalid_json") from None
    if SURROGATE_ESCAPE.search(raw) and has_lone_surrogate(value):
        raise InvalidInput(
            "The JSON holds a lone surrogate (such as \\ud800), which is not text.",
            code="invalid_json",
        )
    return value
