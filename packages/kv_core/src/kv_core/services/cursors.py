"""Opaque, signed list cursors.

A cursor names the last key of a page, bound to its namespace and to the listing it
came from (its prefix and, for a range, its bounds and direction) and signed, so a
cursor that was forged, altered or taken from another listing is refused.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Sequence

from kv_core.errors import InvalidInput
from kv_core.hashing import sign

BAD_CURSOR = "The cursor is not one this listing gave out."

# What a cursor is bound to besides its namespace: the prefix alone for a plain
# listing (the cursors of the first rounds), more for a range.
Binding = Sequence[str | bool | None]


def encode_cursor(secret: bytes, namespace_id: str, binding: Binding | str, after: str) -> str:
    scope = [binding] if isinstance(binding, str) else list(binding)
    payload = json.dumps([namespace_id, *scope, after], ensure_ascii=False).encode("utf-8")
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")
    return f"{body}.{sign(secret, payload)}"


def decode_cursor(secret: bytes, cursor: str, namespace_id: str, binding: Binding | str) -> str:
    """The key after which the next page starts; ``InvalidInput`` for a bad cursor."""
    scope = [binding] if isinstance(binding, str) else list(binding)
    body, _, signature = cursor.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        valid = hmac.compare_digest(sign(secret, payload), signature)
        fields = json.loads(payload) if valid else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        fields = None
    if (
        not isinstance(fields, list)
        or len(fields) != len(scope) + 2
        or fields[:-1] != [namespace_id, *scope]
        or not isinstance(fields[-1], str)
    ):
        raise InvalidInput(BAD_CURSOR, code="invalid_cursor")
    return fields[-1]
