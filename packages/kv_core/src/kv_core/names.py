"""The domain's names: item keys, namespace names and email addresses, and what makes
each valid.

An item key is a user's name for an item; an API key is a credential
(:mod:`kv_core.hashing`); a table key is where an engine keeps a record
(:mod:`kv_core.engines.dynamodb.keys`). Only the first lives here.
"""

from __future__ import annotations

import re
import unicodedata

from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS

RESERVED_NAMESPACES = frozenset(
    {"auth", "account", "namespaces", "api-keys", "usage", "webhooks", "openapi.json", "health"}
)
NAMESPACE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# Unicode's category Cc is exactly these: C0 controls, DEL and C1 controls.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


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
    if CONTROL_CHARACTER.search(key):
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
