"""The table's key schema: the seed's single-table design.

``USER#<id>``/``PROFILE``, ``NAMESPACE#<id>``/``KEY#<key>``, GSI1
``APIKEY#<sha256>``/``METADATA``... Every builder has a parser, and
``parse_*(build_*(x)) == x`` for every valid ``x``.
"""

from __future__ import annotations

import zlib

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


EXPIRY_SHARDS = 4  # partitions of GSI2, so that expiring writes spread over several


def expiry_shard(namespace_id: str, key: str) -> int:
    """Which of GSI2's partitions an expiring item is indexed in (a stable hash)."""
    return zlib.crc32(f"{namespace_id}/{key}".encode()) % EXPIRY_SHARDS


def expiry_pk(shard: int) -> str:
    """GSI2's partition key of expiring items: ``EXP#<shard>``."""
    return _build("EXP", str(shard))


def parse_expiry_pk(pk: str) -> int:
    return int(_parse("EXP", pk))


def expiry_sk(expires_at: int, user_id: str) -> str:
    """GSI2's sort key of an expiring item: its expiry, zero-padded so that text
    orders as time, and whose item it is (the counters to move)."""
    return f"{max(expires_at, 0):011d}{SEPARATOR}{user_id}"


def parse_expiry_sk(sk: str) -> tuple[int, str]:
    expiry, sep, user_id = sk.partition(SEPARATOR)
    if not sep or not expiry.isdigit():
        raise ValueError(f"{sk!r} is not an expiry key")
    return int(expiry), user_id


def expired_by(at: int) -> str:
    """The GSI2 sort keys below this are of items expired at unix second ``at``."""
    return f"{max(at + 1, 0):011d}"


# The change feed (changes.py, stream.py, shards.py).
SEQ_DIGITS = 20  # a feed's seq, zero-padded so that text orders as number


def feed_pk(namespace_id: str) -> str:
    """Partition of a namespace's change log: ``FEED#<namespace id>``."""
    return _build("FEED", namespace_id)


def parse_feed_pk(pk: str) -> str:
    return _parse("FEED", pk)


def feed_sk(seq: int) -> str:
    """Sort key of one change: its seq, zero-padded."""
    return f"{seq:0{SEQ_DIGITS}d}"


def parse_feed_sk(sk: str) -> int:
    if len(sk) != SEQ_DIGITS or not sk.isdigit():
        raise ValueError(f"{sk!r} is not a change's sort key")
    return int(sk)


def feed_counter_pk(namespace_id: str) -> str:
    """The namespace's feed counter, the seq of its latest change: ``FEEDSEQ#<id>``."""
    return _build("FEEDSEQ", namespace_id)


def parse_feed_counter_pk(pk: str) -> str:
    return _parse("FEEDSEQ", pk)


def stream_record_pk(event_id: str) -> str:
    """The marker of one stream record whose changes are logged: ``STREAMREC#<eventID>``
    (one partition each, so that markers spread)."""
    return _build("STREAMREC", event_id)


def parse_stream_record_pk(pk: str) -> str:
    return _parse("STREAMREC", pk)


def stream_shard_pk(stream_label: str) -> str:
    """Partition of one stream's checkpoints (one per shard): ``STREAM#<label>``."""
    return _build("STREAM", stream_label)


def parse_stream_shard_pk(pk: str) -> str:
    return _parse("STREAM", pk)


def shard_sk(shard_id: str) -> str:
    return _build("SHARD", shard_id)


def parse_shard_sk(sk: str) -> str:
    return _parse("SHARD", sk)


def logged_shard(namespace_id: str) -> int:
    """Which of GSI2's ``LOGGED#`` partitions a namespace's changes are indexed in."""
    return zlib.crc32(namespace_id.encode()) % EXPIRY_SHARDS


def logged_pk(shard: int) -> str:
    """GSI2's partition key of changes and markers by when they were logged:
    ``LOGGED#<shard>``, as many shards as expiring items have (never ``EXP#``, all
    that the sweep reads)."""
    return _build("LOGGED", str(shard))


def parse_logged_pk(pk: str) -> int:
    return int(_parse("LOGGED", pk))
