"""Opaque, signed cursors of a namespace's change feed.

A cursor names a place in one namespace's feed (a seq) and when it stops being safe to
resume from: the feed prunes changes after the retention, so a cursor whose changes
may have been pruned since is refused as gone rather than silently skipping them. It
is signed, so one that was forged, altered or taken from another namespace (or a list
cursor) is refused.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass

from kv_core.errors import InvalidInput
from kv_core.hashing import sign

BAD_CURSOR = "The cursor is not one this namespace's change feed gave out."
_KIND = "changes"  # told apart from a list cursor's payload, which is signed alike


@dataclass(frozen=True, slots=True)
class FeedCursor:
    """After ``seq`` in namespace ``namespace_id``; ``since`` (a unix second): every
    change after ``seq`` was logged at or after it, so the cursor is good while
    ``since`` is within the retention."""

    namespace_id: str
    seq: int
    since: int


def encode_feed_cursor(secret: bytes, cursor: FeedCursor) -> str:
    payload = json.dumps(
        [_KIND, cursor.namespace_id, cursor.seq, cursor.since], ensure_ascii=False
    ).encode("utf-8")
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")
    return f"{body}.{sign(secret, payload)}"


def decode_feed_cursor(secret: bytes, cursor: str, namespace_id: str) -> FeedCursor:
    """The place a cursor names; ``InvalidInput`` (``invalid_cursor``) for one that is
    malformed, forged or another namespace's."""
    body, _, signature = cursor.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        valid = hmac.compare_digest(sign(secret, payload), signature)
        fields = json.loads(payload) if valid else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        fields = None
    if (
        not isinstance(fields, list)
        or len(fields) != 4
        or fields[:2] != [_KIND, namespace_id]
        or not all(type(field) is int and field >= 0 for field in fields[2:])
    ):
        raise InvalidInput(BAD_CURSOR, code="invalid_cursor")
    return FeedCursor(namespace_id, fields[2], fields[3])
