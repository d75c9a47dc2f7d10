"""Secrets: API keys, their digests, and password hashes.

API keys carry 192 random bits (``kv_`` + 32 URL-safe characters) and are stored only
as SHA-256; passwords use scrypt from the standard library with a random salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

API_KEY_PREFIX = "kv_"
API_KEY_BYTES = 24  # 192 bits
DISPLAY_PREFIX_CHARS = 8

# scrypt parameters: n=2**14, r=8 costs 16 MiB and tens of milliseconds per hash.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_DKLEN = 32
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def new_api_key() -> str:
    """A fresh raw API key: ``kv_`` followed by 192 random bits, URL-safe."""
    return API_KEY_PREFIX + secrets.token_urlsafe(API_KEY_BYTES)


_API_KEY_SHAPE = re.compile(r"kv_[A-Za-z0-9_-]{32}")


def looks_like_api_key(raw: str) -> bool:
    """A cheap shape check, so malformed keys are refused without a store lookup."""
    return _API_KEY_SHAPE.fullmatch(raw) is not None


def digest(raw: str) -> str:
    """Hex SHA-256 of a raw API key: what the store keeps and looks keys up by."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))


def display_prefix(raw: str) -> str:
    """The part of a key that is safe to show again, e.g. ``kv_Ab3dE9fG``."""
    return raw[: len(API_KEY_PREFIX) + DISPLAY_PREFIX_CHARS]


def new_id() -> str:
    """A random identifier for users, namespaces and API keys (128 bits, hex)."""
    return secrets.token_hex(16)


def new_etag() -> str:
    """A random per-write tag, so an ETag never repeats even when a key is recreated."""
    return secrets.token_hex(8)


def hash_password(password: str) -> str:
    """A salted scrypt hash, self-describing: ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    derived = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return "$".join(
        ["scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(derived)]
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, _unb64(expected))


def sign(secret: bytes, message: bytes) -> str:
    """URL-safe HMAC-SHA256 of ``message``, for tokens the server hands out (cursors)."""
    return _b64(hmac.new(secret, message, hashlib.sha256).digest()[:16])


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=_SCRYPT_DKLEN,
        maxmem=_SCRYPT_MAXMEM,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
