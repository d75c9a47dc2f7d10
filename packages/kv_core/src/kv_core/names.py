"""Item keys and namespace names: what is valid, and the single-table key schema.

The key schema is the seed's DynamoDB design (``USER#<id>``/``PROFILE``,
``NAMESPACE#<id>``/``KEY#<key>``, GSI1 ``APIKEY#<sha256>``/``METADATA``...). Every
builder has a parser, and ``parse_*(build_*(x)) == x`` for every valid ``x``.
"""

from __future__ import annotations

import re
import unicodedata

from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS

RESERVED_NAMESPACES = frozenset(
    {"auth", "namespaces", "api-keys", "usage", "webhooks", "openapi.json", "health"}
)
NAMESPACE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def is_control(char: str) -> bool:
    """True for C0/C1 control characters (Unicode category ``Cc``)."""
    return unicodedata.category(char) == "Cc"


def validate_key(key: str) -> str:
    """Return ``key`` if it is a valid item key, else raise :class:`InvalidInput`."""
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInput("The key is not valid UTF-8.", code="invalid_key") from None
    if size < 1:
        raise InvalidInput("The key is empty.", code="invalid_key")
    if size > LIMITS.key_max_bytes:
        raise InvalidInput(
            f"The key is {size} bytes long; keys are at most {LIMITS.key_max_bytes} bytes.",
            code="invalid_key",
        )
    if any(is_control(c) for c in key):
        raise InvalidInput("The key contains a control character.", code="invalid_key")
    return key


def validate_namespace_name(name: str) -> str:
    """Return ``name`` if it is a valid, unreserved namespace name, else raise."""
    if not 1 <= len(name) <= LIMITS.namespace_max_chars or not NAMESPACE_PATTERN.fullmatch(name):
        raise InvalidInput(
            f"A namespace name is 1 to {LIMITS.namespace_max_chars} characters of a-z, 0-9,"
            " '-' and '_', starting with a letter or a digit.",
            code="invalid_namespace",
        )
    if name in RESERVED_NAMESPACES:
        raise InvalidInput(f"'{name}' is a reserved name.", code="reserved_namespace")
    return name


def normalize_email(email: str) -> str:
    """Lower-case and trim an email address, raising if it does not look like one."""
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL_PATTERN.fullmatch(email):
        raise InvalidInput("That is not a valid email address.", code="invalid_email")
    return email


# --- single-table key schema -------------------------------------------------------

SEPARATOR = "#"
PROFILE = "PROFILE"
METADATA = "METADATA"


def _build(prefix: str, value: str) -> str:
    return f"{prefix}{SEPARATOR}{value}"


def _parse(prefix: str, text: str) -> str:
    head, sep, value = text.partition(SEPARATOR)
    if head != prefix or not sep:
        raise ValueError(f"{text!r} is not a {prefix} key")
    return value


def user_pk(user_id: str) -> str:
    return _build("USER", user_id)


def parse_user_pk(pk: str) -> str:
    return _parse("USER", pk)


def namespace_sk(name: str) -> str:
    """Sort key of a namespace under its user: by name, so names are unique per user."""
    return _build("NAMESPACE", name)


def parse_namespace_sk(sk: str) -> str:
    return _parse("NAMESPACE", sk)


def namespace_pk(namespace_id: str) -> str:
    """Partition of a namespace's items (and GSI1 key of its metadata)."""
    return _build("NAMESPACE", namespace_id)


def parse_namespace_pk(pk: str) -> str:
    return _parse("NAMESPACE", pk)


def item_sk(key: str) -> str:
    return _build("KEY", key)


def parse_item_sk(sk: str) -> str:
    return _parse("KEY", sk)


def apikey_sk(key_id: str) -> str:
    return _build("APIKEY", key_id)


def parse_apikey_sk(sk: str) -> str:
    return _parse("APIKEY", sk)


def apikey_gsi1pk(key_hash: str) -> str:
    return _build("APIKEY", key_hash)


def parse_apikey_gsi1pk(pk: str) -> str:
    return _parse("APIKEY", pk)


def email_pk(email: str) -> str:
    """A marker item that makes an email address unique across users."""
    return _build("EMAIL", email)


def parse_email_pk(pk: str) -> str:
    return _parse("EMAIL", pk)


def marker_pk(scope: str) -> str:
    """Partition of once-only markers in one scope (webhook events, sent alerts)."""
    return _build("MARK", scope)


def parse_marker_pk(pk: str) -> str:
    return _parse("MARK", pk)


def login_pk(email: str) -> str:
    """The failed-login tally of one email address (expires on its own)."""
    return _build("LOGIN", email)


def parse_login_pk(pk: str) -> str:
    return _parse("LOGIN", pk)
