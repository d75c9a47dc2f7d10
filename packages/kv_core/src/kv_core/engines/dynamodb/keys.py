"""The table's key schema: the seed's single-table design.

``USER#<id>``/``PROFILE``, ``NAMESPACE#<id>``/``KEY#<key>``, GSI1
``APIKEY#<sha256>``/``METADATA``... Every builder has a parser, and
``parse_*(build_*(x)) == x`` for every valid ``x``.
"""

from __future__ import annotations

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


def login_pk(subject: str) -> str:
    """The login-attempt tally of one subject, an email and an address (expires on
    its own)."""
    return _build("LOGIN", subject)


def parse_login_pk(pk: str) -> str:
    return _parse("LOGIN", pk)


def session_sk(token_hash: str) -> str:
    """A dashboard session, under its user (so that all of them can be ended at once)."""
    return _build("SESSION", token_hash)


def parse_session_sk(sk: str) -> str:
    return _parse("SESSION", sk)


def subscription_pk(subscription_id: str) -> str:
    """A payment subscription: the account it belongs to, and its last applied event."""
    return _build("SUBSCRIPTION", subscription_id)


def parse_subscription_pk(pk: str) -> str:
    return _parse("SUBSCRIPTION", pk)


def reset_pk(token_hash: str) -> str:
    """A password reset link's token, found by its digest (expires on its own)."""
    return _build("RESET", token_hash)


def parse_reset_pk(pk: str) -> str:
    return _parse("RESET", pk)
