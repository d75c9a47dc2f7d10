"""Paddle Billing webhook signatures.

``Paddle-Signature: ts=<unix seconds>;h1=<hex HMAC-SHA256 of "<ts>:<raw body>">``;
several ``h1`` may be present while a secret is being rotated. The timestamp must be
within a tolerance of now, five seconds by default as in Paddle's own SDKs.
"""

from __future__ import annotations

import hashlib
import hmac
import time

DEFAULT_TOLERANCE_SECONDS = 5


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``h1`` Paddle would send for ``body`` at ``timestamp``."""
    message = str(timestamp).encode("ascii") + b":" + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(
    header: str | None,
    body: bytes,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether ``header`` is a valid, fresh signature of ``body`` under ``secret``."""
    if not header:
        return False
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "ts" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif name == "h1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
