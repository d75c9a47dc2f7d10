"""The table: one pynamodb model for every kind of record, its GSI1, and what every
concern module shares (reads, raw calls, transactions).

The table is the seed's single-table design (keys.py)::

    PK                 SK                 what
    USER#<id>          PROFILE            user (with its own limits, if any),
                                          stored bytes, per-namespace counters,
                                          request counts per month
    USER#<id>          NAMESPACE#<name>   namespace (GSI1: NAMESPACE#<id> / METADATA)
    USER#<id>          APIKEY#<key id>    API key (GSI1: APIKEY#<sha256> / METADATA)
    USER#<id>          SESSION#<sha256>   dashboard session, expiring through the TTL
    NAMESPACE#<id>     KEY#<key>          item (GSI2: EXP#<shard> / <expiry>#<user id>,
                                          only while it has an expiry)
    EMAIL#<email>      METADATA           makes an email unique
    MARK#<scope>       <marker>           once-only markers (webhook events, alerts)
    SUBSCRIPTION#<id>  METADATA           whose subscription, and its last applied event
    RESET#<sha256>     METADATA           a password reset token, expiring through the TTL
    LOGIN#<subject>    METADATA           login attempts, expiring through the table's TTL
    FEED#<ns id>       <seq, 20 digits>   a change of the namespace's feed (GSI2:
                                          LOGGED#<shard> / <logged at>, to prune it)
    FEEDSEQ#<ns id>    METADATA           the feed's counter: the seq of its last change
    STREAMREC#<event>  METADATA           a stream record whose changes are logged (GSI2
                                          as a change, pruned with them)
    STREAM#<label>     SHARD#<shard id>   how far the stream's reader got in a shard

An item keeps its value as JSON text in ``value``, unless the value is a number: then
it is the number attribute ``num`` (so that an increment is one ``ADD``), with
``numKind`` ``float`` when it is not an integer, and its stored size is not kept but
derived, ``fixedSize`` (key and metadata bytes) plus the digits of ``num``
(records.py). Its expiry is ``exp`` (unix seconds) and not the table's TTL attribute
``expiresAt``: the TTL deletes within days and behind the counters' back, so the
sweep (expiry.py) removes expired items and only the records that count toward no
quota (sessions, reset tokens, login tallies) expire through the TTL.

The table has a stream of ``NEW_AND_OLD_IMAGES``, which feeds each namespace's change
feed (stream.py) so that no write pays for it: a ``REMOVE`` record carries only the
keys in place of a new image, and a delete or an expiry is logged with the version,
update time and expiry of the item as it was, which only the old image holds (and
only the old image tells a write over an expired item, to be logged as that item's
expiry first).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pynamodb.attributes import (
    Attribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.constants import NUMBER
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

CONDITION_FAILED = "ConditionalCheckFailedException"
GSI2 = "GSI2"
STREAM_VIEW = "NEW_AND_OLD_IMAGES"  # the images the change feed needs (see above)
# What the sweep reads of an expiring item besides its keys: enough to remove it
# conditioned on what it read, and to release its size.
GSI2_ATTRIBUTES = ["etag", "exp", "size", "fixedSize", "num", "numKind"]


def number_text(number: int | float | Decimal | str) -> str:
    """A number as DynamoDB's ``N`` text, in plain notation (``1e+20`` is written
    ``100000000000000000000``), exactly as its shortest decimal."""
    if isinstance(number, bool):
        raise TypeError("a boolean is not a number")
    exact = (
        number
        if isinstance(number, Decimal)
        else Decimal(repr(number) if isinstance(number, float) else number)
    )
    text = format(exact, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


class DecimalText(Attribute[str]):
    """A number attribute read and written as its exact decimal text, never through a
    float (DynamoDB keeps 38 significant digits)."""

    attr_type = NUMBER

    def serialize(self, value: int | float | Decimal | str) -> str:
        return number_text(value)

    def deserialize(self, value: str) -> str:
        return value


class Gsi1(GlobalSecondaryIndex["Entry"]):
    """API keys by digest, namespaces by id."""

    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class Gsi2(GlobalSecondaryIndex["Entry"]):
    """Items that expire, by expiry: what the sweep reads (expiry.py)."""

    class Meta:
        index_name = GSI2
        projection = IncludeProjection(GSI2_ATTRIBUTES)

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(range_key=True, attr_name="GSI2SK")


class Entry(Model):
    """Every kind of record in the table; which attributes are set depends on the kind.

    The table's name and place are set per store by :func:`bind_entry`.
    """

    class Meta:
        table_name = "kv-storage-data"
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    gsi1 = Gsi1()
    gsi2pk = UnicodeAttribute(null=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(null=True, attr_name="GSI2SK")
    gsi2 = Gsi2()

    id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True, attr_name="passwordHash")
    plan = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True, attr_name="createdAt")
    updated_at = UnicodeAttribute(null=True, attr_name="updatedAt")
    storage_bytes = NumberAttribute(null=True, attr_name="storageBytes")
    ns_items = MapAttribute[str, Any](null=True, attr_name="nsItems")
    ns_bytes = MapAttribute[str, Any](null=True, attr_name="nsBytes")
    requests_limit = NumberAttribute(null=True, attr_name="requestsLimit")
    storage_limit = NumberAttribute(null=True, attr_name="storageLimit")
    disabled_at = UnicodeAttribute(null=True, attr_name="disabledAt")

    user_id = UnicodeAttribute(null=True, attr_name="userId")
    namespace_id = UnicodeAttribute(null=True, attr_name="namespaceId")
    namespace = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    access = UnicodeAttribute(null=True)
    key_hash = UnicodeAttribute(null=True, attr_name="keyHash")
    prefix = UnicodeAttribute(null=True)
    last_used_at = UnicodeAttribute(null=True, attr_name="lastUsedAt")
    key_prefix = UnicodeAttribute(null=True, attr_name="keyPrefix")
    key_expires_at = NumberAttribute(null=True, attr_name="keyExpiresAt")

    value = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    etag = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    num = DecimalText(null=True)  # a number value, in place of `value`
    num_kind = UnicodeAttribute(null=True, attr_name="numKind")  # "float", or int if absent
    fixed_size = NumberAttribute(null=True, attr_name="fixedSize")  # a number item's size
    exp = NumberAttribute(null=True)  # an item's expiry, unix seconds (not the TTL's)
    meta = UnicodeAttribute(null=True)  # an item's metadata, JSON

    requests = MapAttribute[str, Any](null=True)  # on PROFILE: YYYY-MM -> count
    failures = NumberAttribute(null=True)  # not `count`: that is Model.count
    window_start = UnicodeAttribute(null=True, attr_name="windowStart")
    ends_at = UnicodeAttribute(null=True, attr_name="endsAt")  # a session's end, ISO
    occurred_at = UnicodeAttribute(null=True, attr_name="occurredAt")
    expires_at = TTLAttribute(null=True, attr_name="expiresAt")

    # A change of the feed (changes.py), with version, updatedAt, exp and its value as
    # compact JSON (absent: not carried).
    item_key = UnicodeAttribute(null=True, attr_name="itemKey")
    op = UnicodeAttribute(null=True)  # put, delete or expire
    at = UnicodeAttribute(null=True)  # when it was logged, ISO
    seq = NumberAttribute(null=True)  # on FEEDSEQ#: the last change's seq
    closed_at = UnicodeAttribute(null=True, attr_name="closedAt")  # on FEEDSEQ#: deleted
    position = UnicodeAttribute(null=True)  # on STREAM#: the last record read


@dataclass(frozen=True, slots=True)
class Calls:
    """How each call to DynamoDB is made: retried by botocore's ``standard`` mode (of
    throttling, 5xx answers and lost connections; exponential backoff with jitter, up
    to 1 s, 2 s, 4 s... after throttling and 25 ms, 50 ms... after other failures) up
    to ``max_attempts`` in all, each attempt within its connect and read timeouts, in
    seconds; and how long an undo is worth waiting for."""

    max_attempts: int = 3
    connect_timeout: float = 0.5
    read_timeout: float = 1.0
    # How long a write that failed half-way keeps trying to undo itself (items.py).
    undo_seconds: float = 5.0

    @property
    def worst_case_seconds(self) -> float:
        """The longest one call can take before it answers or fails."""
        backoff = sum(min(2.0**n, 20.0) for n in range(self.max_attempts - 1))
        return self.max_attempts * (self.connect_timeout + self.read_timeout) + backoff

    @property
    def worst_write_seconds(self) -> float:
        """The longest a put or delete can take: its two calls, then an undo that keeps
        trying for ``undo_seconds`` and a last call that started just before."""
        return 3 * self.worst_case_seconds + self.undo_seconds


def bind_entry(table: str, region: str | None, host: str | None, calls: Calls) -> type[Entry]:
    """A subclass of :class:`Entry` bound to one table, so stores on different tables
    (tests, several stages) never share a connection or a name."""
    meta = type(
        "Meta",
        (),
        {
            "table_name": table,
            "region": region or "us-east-1",
            "host": host,
            "billing_mode": "PAY_PER_REQUEST",
            "max_retry_attempts": max(0, calls.max_attempts - 1),
            "connect_timeout_seconds": calls.connect_timeout,
            "read_timeout_seconds": calls.read_timeout,
        },
    )
    index_meta = type("Meta", (), {"index_name": "GSI1", "projection": AllProjection()})
    index = type("BoundGsi1", (Gsi1,), {"Meta": index_meta})
    expiry_meta = type(
        "Meta", (), {"index_name": GSI2, "projection": IncludeProjection(GSI2_ATTRIBUTES)}
    )
    expiry = type("BoundGsi2", (Gsi2,), {"Meta": expiry_meta})
    return type("BoundEntry", (Entry,), {"Meta": meta, "gsi1": index(), "gsi2": expiry()})


def failed_condition(error: PynamoDBException) -> bool:
    return error.cause_response_code == CONDITION_FAILED


class Table:
    """The base of :class:`~kv_core.engines.dynamodb.DynamoStore` and of each of its
    concern modules: how they reach the table."""

    def __init__(
        self,
        table: str,
        *,
        region: str | None = None,
        host: str | None = None,
        calls: Calls | None = None,
    ) -> None:
        self.table = table
        self.region = region or "us-east-1"
        self.host = host
        self.calls = calls or Calls()
        self.Entry = bind_entry(table, self.region, host, self.calls)
        self._connection = Connection(  # for transactions
            region=self.region,
            host=host,
            max_retry_attempts=max(0, self.calls.max_attempts - 1),
            connect_timeout_seconds=self.calls.connect_timeout,
            read_timeout_seconds=self.calls.read_timeout,
        )

    def _get(self, pk: str, sk: str) -> Entry | None:
        try:
            return self.Entry.get(pk, sk, consistent_read=True)
        except DoesNotExist:
            return None

    def _raw(self) -> Any:
        """pynamodb's table connection, for the calls its model API does not offer
        (``ReturnValues=ALL_OLD``)."""
        return self.Entry._get_connection()

    def _transaction(self, *, idempotent: bool = False) -> TransactWrite:
        """A write transaction; ``idempotent``: with a token of its own, so that the
        SDK's retry of one whose answer was lost is not applied twice."""
        token = uuid.uuid4().hex if idempotent else None
        return TransactWrite(connection=self._connection, client_request_token=token)

    def _delete_partition(self, pk: str) -> None:
        """Every entry under one partition key (a namespace's items)."""
        with self.Entry.batch_write() as batch:
            for item in self.Entry.query(pk, attributes_to_get=["PK", "SK"], consistent_read=True):
                batch.delete(item)
