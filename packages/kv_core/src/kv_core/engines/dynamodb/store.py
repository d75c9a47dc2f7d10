"""The production engine: one DynamoDB table, through pynamodb.

The table is the seed's single-table design (see :mod:`kv_core.names`)::

    PK                 SK                 what
    USER#<id>          PROFILE            user, stored bytes, per-namespace counters,
                                          request counts per month
    USER#<id>          NAMESPACE#<name>   namespace (GSI1: NAMESPACE#<id> / METADATA)
    USER#<id>          APIKEY#<key id>    API key (GSI1: APIKEY#<sha256> / METADATA)
    NAMESPACE#<id>     KEY#<key>          item
    EMAIL#<email>      METADATA           makes an email unique
    MARK#<scope>       <marker>           once-only markers (webhook events, alerts)
    LOGIN#<email>      METADATA           failed logins, expiring through the table's TTL

Every counter lives on the user's profile: ``storageBytes``; a namespace's item count
and bytes in the maps ``nsItems`` and ``nsBytes`` keyed by namespace id; the month's
request count in the map ``requests`` keyed by ``YYYY-MM``. So one conditional
``UpdateItem`` moves every counter a write touches, checks the storage quota, checks
that the namespace still exists, and adds the request counts the write carries
(:class:`~kv_core.store.RequestBatch`). The seed kept request counts in a
``USAGE#<YYYY-MM>`` item of their own; that costs a third write whenever a batch of
counts is due, which the budget of two calls per put does not allow.

A put is two calls: the item's ``UpdateItem`` returns the item it replaced
(``ReturnValues=ALL_OLD``), which gives the size difference without a read, then the
counters' ``UpdateItem``. If the counters refuse (quota reached, namespace deleted
meanwhile) the item write is undone, conditioned on its own etag. A process that dies
between the two calls leaves that one write uncounted; DynamoDB's transactions would
close that window at twice the write cost and a read before every put.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import (
    DeleteError,
    DoesNotExist,
    PutError,
    PynamoDBException,
    TransactWriteError,
    UpdateError,
)
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from kv_core import names as keys
from kv_core.errors import Conflict, NotFound, QuotaExceeded
from kv_core.model import (
    ACCESS_LEVELS,
    ApiKey,
    Item,
    Namespace,
    Usage,
    User,
    isoformat,
    parse_iso,
)
from kv_core.sizing import encode_value
from kv_core.store import (
    ANY_ETAG,
    RequestBatch,
    namespace_gone,
    precondition_failed,
    storage_exceeded,
)

CONDITION_FAILED = "ConditionalCheckFailedException"


class Gsi1(GlobalSecondaryIndex["Entry"]):
    """API keys by digest, namespaces by id."""

    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


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

    id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True, attr_name="passwordHash")
    plan = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True, attr_name="createdAt")
    updated_at = UnicodeAttribute(null=True, attr_name="updatedAt")
    storage_bytes = NumberAttribute(null=True, attr_name="storageBytes")
    ns_items = MapAttribute[str, Any](null=True, attr_name="nsItems")
    ns_bytes = MapAttribute[str, Any](null=True, attr_name="nsBytes")

    user_id = UnicodeAttribute(null=True, attr_name="userId")
    namespace_id = UnicodeAttribute(null=True, attr_name="namespaceId")
    namespace = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    access = UnicodeAttribute(null=True)
    key_hash = UnicodeAttribute(null=True, attr_name="keyHash")
    prefix = UnicodeAttribute(null=True)
    last_used_at = UnicodeAttribute(null=True, attr_name="lastUsedAt")

    value = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    etag = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)

    requests = MapAttribute[str, Any](null=True)  # on PROFILE: YYYY-MM -> count
    failures = NumberAttribute(null=True)  # not `count`: that is Model.count
    window_start = UnicodeAttribute(null=True, attr_name="windowStart")
    expires_at = TTLAttribute(null=True, attr_name="expiresAt")


def bind_entry(table: str, region: str | None, host: str | None) -> type[Entry]:
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
        },
    )
    index_meta = type("Meta", (), {"index_name": "GSI1", "projection": AllProjection()})
    index = type("BoundGsi1", (Gsi1,), {"Meta": index_meta})
    return type("BoundEntry", (Entry,), {"Meta": meta, "gsi1": index()})


def _failed_condition(error: PynamoDBException) -> bool:
    return error.cause_response_code == CONDITION_FAILED


class DynamoStore:
    """The :class:`~kv_core.store.Store` on one DynamoDB table."""

    remote = True

    def __init__(self, table: str, *, region: str | None = None, host: str | None = None) -> None:
        self.table = table
        self.region = region or "us-east-1"
        self.host = host
        self.Entry = bind_entry(table, self.region, host)
        self._connection = Connection(region=self.region, host=host)  # for transactions

    def create_table(self) -> None:
        """Create the table with GSI1 and its TTL, on demand (for local and moto use;
        on AWS, serverless.yml creates it)."""
        if not self.Entry.exists():
            self.Entry.create_table(wait=True, billing_mode="PAY_PER_REQUEST")

    def close(self) -> None:
        """Nothing to release: botocore's connection pool lives with the process."""

    # --- helpers -----------------------------------------------------------------

    def _get(self, pk: str, sk: str) -> Entry | None:
        try:
            return self.Entry.get(pk, sk, consistent_read=True)
        except DoesNotExist:
            return None

    def _raw(self) -> Any:
        """pynamodb's table connection, for the calls its model API does not offer
        (``ReturnValues=ALL_OLD``)."""
        return self.Entry._get_connection()

    def _transaction(self) -> TransactWrite:
        return TransactWrite(connection=self._connection)

    def _profile_key(self, user_id: str) -> tuple[str, str]:
        return keys.user_pk(user_id), keys.PROFILE

    def _update_profile(
        self, user_id: str, actions: list[Action], condition: Condition | None = None
    ) -> Entry:
        """Update the user's profile; returns it as the update left it.

        A profile written before request counts moved onto it has no ``requests`` map
        to add a month to (DynamoDB refuses the path): it gets an empty one first.
        """
        profile = self.Entry(*self._profile_key(user_id))
        try:
            profile.update(actions=actions, condition=condition)
        except UpdateError as error:
            if error.cause_response_code != "ValidationException":
                raise
            try:
                profile.update(
                    actions=[self.Entry.requests.set(self.Entry.requests | {})],
                    condition=self.Entry.pk.exists(),
                )
            except UpdateError as missing:
                if _failed_condition(missing):
                    raise NotFound("There is no such user.", code="user_not_found") from None
                raise
            profile.update(actions=actions, condition=condition)
        return profile

    # --- users ---------------------------------------------------------------------

    def create_user(self, user: User) -> None:
        marker = self.Entry(keys.email_pk(user.email), keys.METADATA, user_id=user.id)
        profile = self.Entry(
            keys.user_pk(user.id),
            keys.PROFILE,
            id=user.id,
            email=user.email,
            password_hash=user.password_hash,
            plan=user.plan,
            created_at=user.created_at,
            updated_at=user.updated_at,
            storage_bytes=0,
            ns_items={},
            ns_bytes={},
            requests={},
        )
        try:
            with self._transaction() as transaction:
                transaction.save(marker, condition=self.Entry.pk.does_not_exist())
                transaction.save(profile, condition=self.Entry.pk.does_not_exist())
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise Conflict(
                    "An account with that email exists already.", code="email_taken"
                ) from None
            raise

    def get_user(self, user_id: str) -> User | None:
        entry = self._get(*self._profile_key(user_id))
        return _user(entry) if entry else None

    def get_user_by_email(self, email: str) -> User | None:
        marker = self._get(keys.email_pk(email), keys.METADATA)
        return self.get_user(marker.user_id) if marker and marker.user_id else None

    def set_plan(self, user_id: str, plan: str, now: str) -> None:
        try:
            self.Entry(*self._profile_key(user_id)).update(
                actions=[self.Entry.plan.set(plan), self.Entry.updated_at.set(now)],
                condition=self.Entry.pk.exists(),
            )
        except UpdateError as error:
            if _failed_condition(error):
                raise NotFound("There is no such account.", code="user_not_found") from None
            raise

    def iter_users(self) -> Iterator[User]:
        for entry in self.Entry.scan(self.Entry.sk == keys.PROFILE):
            yield _user(entry)

    # --- namespaces ----------------------------------------------------------------

    def create_namespace(self, namespace: Namespace) -> None:
        entry = self.Entry(
            keys.user_pk(namespace.user_id),
            keys.namespace_sk(namespace.name),
            gsi1pk=keys.namespace_pk(namespace.id),
            gsi1sk=keys.METADATA,
            id=namespace.id,
            user_id=namespace.user_id,
            name=namespace.name,
            created_at=namespace.created_at,
        )
        profile = self.Entry(*self._profile_key(namespace.user_id))
        try:
            with self._transaction() as transaction:
                transaction.save(entry, condition=self.Entry.pk.does_not_exist())
                transaction.update(
                    profile,
                    actions=[
                        self.Entry.ns_items[namespace.id].set(0),
                        self.Entry.ns_bytes[namespace.id].set(0),
                    ],
                    condition=self.Entry.pk.exists(),
                )
        except TransactWriteError as error:
            reasons = error.cancellation_reasons
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                raise Conflict(
                    f"You already have a namespace called '{namespace.name}'.",
                    code="namespace_exists",
                ) from None
            raise

    def get_namespace(self, user_id: str, name: str) -> Namespace | None:
        entry = self._get(keys.user_pk(user_id), keys.namespace_sk(name))
        if entry is None:
            return None
        profile = self._get(*self._profile_key(user_id))
        return _namespace(entry, profile)

    def list_namespaces(self, user_id: str) -> list[Namespace]:
        """One query: the namespaces and the profile share a partition, and ``NAMESPACE#``
        sorts just before ``PROFILE``."""
        entries = list(
            self.Entry.query(
                keys.user_pk(user_id),
                self.Entry.sk.between(keys.namespace_sk(""), keys.PROFILE),
                consistent_read=True,
            )
        )
        profile = next((e for e in entries if e.sk == keys.PROFILE), None)
        return [_namespace(e, profile) for e in entries if e.sk != keys.PROFILE]

    def delete_namespace(self, user_id: str, name: str) -> Namespace | None:
        """Take the namespace's counters off the profile first (releasing its bytes in
        the same update), so that a write racing the cascade is refused and undone; then
        its keys, its items, and last the namespace itself, so that a delete cut short
        is finished by the next one."""
        entry = self._get(keys.user_pk(user_id), keys.namespace_sk(name))
        if entry is None or entry.id is None:
            return None
        ns_id = entry.id
        entry_class = self.Entry
        try:
            released = self._raw().update_item(
                *self._profile_key(user_id),
                actions=[
                    entry_class.storage_bytes.set(
                        entry_class.storage_bytes - entry_class.ns_bytes[ns_id]
                    ),
                    entry_class.ns_items[ns_id].remove(),
                    entry_class.ns_bytes[ns_id].remove(),
                ],
                condition=entry_class.ns_items[ns_id].exists(),
                return_values="ALL_OLD",
            )
            namespace = _namespace(entry, entry_class.from_raw_data(released["Attributes"]))
        except UpdateError as error:
            if not _failed_condition(error):
                raise
            namespace = _namespace(entry, None)  # released already, by an earlier delete
        for key in self._keys_of_namespace(user_id, ns_id):
            key.delete()
        self._delete_partition(keys.namespace_pk(ns_id))
        entry.delete()
        return namespace

    def _keys_of_namespace(self, user_id: str, namespace_id: str) -> list[Entry]:
        return [
            key
            for key in self.Entry.query(
                keys.user_pk(user_id),
                self.Entry.sk.startswith(keys.apikey_sk("")),
                consistent_read=True,
            )
            if key.namespace_id == namespace_id
        ]

    def _delete_partition(self, pk: str) -> None:
        with self.Entry.batch_write() as batch:
            for item in self.Entry.query(pk, attributes_to_get=["PK", "SK"], consistent_read=True):
                batch.delete(item)

    # --- API keys ------------------------------------------------------------------

    def create_api_key(self, key: ApiKey) -> None:
        self.Entry(
            keys.user_pk(key.user_id),
            keys.apikey_sk(key.id),
            gsi1pk=keys.apikey_gsi1pk(key.key_hash),
            gsi1sk=keys.METADATA,
            id=key.id,
            user_id=key.user_id,
            namespace_id=key.namespace_id,
            namespace=key.namespace,
            name=key.name,
            access=key.access,
            key_hash=key.key_hash,
            prefix=key.prefix,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
        ).save()

    def resolve_api_key(self, key_hash: str) -> tuple[ApiKey, User] | None:
        """GSI1 finds the key; its owner is one more read. (Index reads are eventually
        consistent: a key may take a moment to resolve after it is made.)"""
        found = next(
            iter(
                self.Entry.gsi1.query(
                    keys.apikey_gsi1pk(key_hash), self.Entry.gsi1sk == keys.METADATA
                )
            ),
            None,
        )
        if found is None or found.user_id is None:
            return None
        user = self.get_user(found.user_id)
        return (_api_key(found), user) if user else None

    def list_api_keys(self, user_id: str) -> list[ApiKey]:
        found = self.Entry.query(
            keys.user_pk(user_id),
            self.Entry.sk.startswith(keys.apikey_sk("")),
            consistent_read=True,
        )
        return sorted((_api_key(e) for e in found), key=lambda k: (k.created_at, k.id))

    def delete_api_key(self, user_id: str, key_id: str) -> ApiKey | None:
        try:
            deleted = self._raw().delete_item(
                keys.user_pk(user_id),
                keys.apikey_sk(key_id),
                condition=self.Entry.pk.exists(),
                return_values="ALL_OLD",
            )
        except DeleteError as error:
            if _failed_condition(error):
                return None
            raise
        return _api_key(self.Entry.from_raw_data(deleted["Attributes"]))

    def touch_api_key(self, user_id: str, key_id: str, when: str) -> None:
        try:
            self.Entry(keys.user_pk(user_id), keys.apikey_sk(key_id)).update(
                actions=[self.Entry.last_used_at.set(when)], condition=self.Entry.pk.exists()
            )
        except UpdateError as error:
            if not _failed_condition(error):  # revoked meanwhile: it stays revoked
                raise

    # --- items ---------------------------------------------------------------------

    def get_item(self, namespace_id: str, key: str) -> Item | None:
        entry = self._get(keys.namespace_pk(namespace_id), keys.item_sk(key))
        return _item(entry, namespace_id, key) if entry else None

    def put_item(
        self,
        *,
        user_id: str,
        namespace_id: str,
        key: str,
        value: Any,
        size: int,
        etag: str,
        now: str,
        if_match: str | None = None,
        if_absent: bool = False,
        storage_limit: int | None = None,
        requests: RequestBatch | None = None,
    ) -> tuple[Item, bool]:
        entry_class = self.Entry
        condition: Condition | None = None
        if if_absent:
            condition = entry_class.pk.does_not_exist()
        if if_match == ANY_ETAG:
            condition = entry_class.pk.exists()
        elif if_match is not None:
            condition = entry_class.etag == if_match
        pk, sk = keys.namespace_pk(namespace_id), keys.item_sk(key)
        try:
            written = self._raw().update_item(
                pk,
                sk,
                actions=[
                    entry_class.value.set(encode_value(value)),
                    entry_class.etag.set(etag),
                    entry_class.size.set(size),
                    entry_class.updated_at.set(now),
                    entry_class.created_at.set(entry_class.created_at | now),
                    entry_class.version.add(1),
                ],
                condition=condition,
                return_values="ALL_OLD",
            )
        except UpdateError as error:
            if _failed_condition(error):
                missing = if_match == ANY_ETAG
                raise precondition_failed(if_absent=if_absent, missing=missing) from None
            raise
        old = (
            entry_class.from_raw_data(written["Attributes"]) if written.get("Attributes") else None
        )
        old_size = int(old.size or 0) if old else 0
        growth = size - old_size
        created = old is None
        version = int(old.version or 0) + 1 if old else 1
        created_at = (old.created_at if old else None) or now
        item = Item(namespace_id, key, value, version, etag, size, created_at, now)
        if not created and not growth:
            # Nothing to count and no quota to pass: one write. A namespace deletion
            # under way removes this item after us (or the delete that finishes it
            # does), or removed it before, and then there was no old item and the
            # counters refuse the write below.
            return item, False
        try:
            self._move_counters(
                user_id,
                namespace_id,
                items=1 if created else 0,
                size=growth,
                storage_limit=storage_limit,
                requests=requests,
            )
        except (QuotaExceeded, NotFound):
            if self._undo_put(pk, sk, etag, old):
                raise
            # Another write replaced ours before we could undo it: ours happened, and
            # the next one's counters assumed so.
            self._move_counters(
                user_id, namespace_id, items=1 if created else 0, size=growth, storage_limit=None
            )
        return item, created

    def _undo_put(self, pk: str, sk: str, etag: str, old: Entry | None) -> bool:
        """Put back what a refused write replaced, unless something replaced it since."""
        try:
            if old is None:
                self.Entry(pk, sk).delete(condition=self.Entry.etag == etag)
            else:
                old.save(condition=self.Entry.etag == etag)
        except (DeleteError, PutError) as error:
            if _failed_condition(error):
                return False
            raise
        return True

    def _move_counters(
        self,
        user_id: str,
        namespace_id: str,
        *,
        items: int,
        size: int,
        storage_limit: int | None,
        requests: RequestBatch | None = None,
    ) -> None:
        """Move the user's and the namespace's counters in one conditional update, and
        count the requests the write carries."""
        entry_class = self.Entry
        actions: list[Action] = [
            entry_class.storage_bytes.add(size),
            entry_class.ns_bytes[namespace_id].set(entry_class.ns_bytes[namespace_id] + size),
        ]
        if items:
            actions.append(
                entry_class.ns_items[namespace_id].set(entry_class.ns_items[namespace_id] + items)
            )
        if requests is not None:
            actions.append(self._count_requests(requests.month, requests.count))
        condition = entry_class.ns_items[namespace_id].exists()
        room = storage_limit is not None and size > 0
        if storage_limit is not None and size > 0:
            condition = condition & (entry_class.storage_bytes <= storage_limit - size)
        try:
            profile = self._update_profile(user_id, actions, condition)
        except UpdateError as error:
            if not _failed_condition(error):
                raise
            if room and self._namespace_counted(user_id, namespace_id):
                raise storage_exceeded() from None
            raise namespace_gone() from None
        if requests is not None:
            requests.total = _counter(profile.requests, requests.month)

    def _namespace_counted(self, user_id: str, namespace_id: str) -> bool:
        profile = self._get(*self._profile_key(user_id))
        return bool(
            profile and profile.ns_items is not None and namespace_id in profile.ns_items.as_dict()
        )

    def delete_item(
        self,
        *,
        user_id: str,
        namespace_id: str,
        key: str,
        if_match: str | None = None,
        requests: RequestBatch | None = None,
    ) -> Item:
        entry_class = self.Entry
        condition = entry_class.pk.exists()
        if if_match not in (None, ANY_ETAG):
            condition = condition & (entry_class.etag == if_match)
        try:
            deleted = self._raw().delete_item(
                keys.namespace_pk(namespace_id),
                keys.item_sk(key),
                condition=condition,
                return_values="ALL_OLD",
            )
        except DeleteError as error:
            if not _failed_condition(error):
                raise
            if if_match not in (None, ANY_ETAG) and self.get_item(namespace_id, key) is not None:
                raise precondition_failed(if_absent=False) from None
            raise NotFound(f"There is no item '{key}'.", code="item_not_found") from None
        item = _item(entry_class.from_raw_data(deleted["Attributes"]), namespace_id, key)
        # If the namespace was deleted meanwhile, its bytes are released already.
        with contextlib.suppress(NotFound):
            self._move_counters(
                user_id,
                namespace_id,
                items=-1,
                size=-item.size,
                storage_limit=None,
                requests=requests,
            )
        return item

    def list_keys(
        self, namespace_id: str, *, prefix: str = "", after: str | None = None, limit: int
    ) -> tuple[list[str], bool]:
        pk = keys.namespace_pk(namespace_id)
        start = None
        if after is not None and after >= prefix:
            start = {"PK": {"S": pk}, "SK": {"S": keys.item_sk(after)}}
        found = self.Entry.query(
            pk,
            self.Entry.sk.startswith(keys.item_sk(prefix)),
            consistent_read=True,
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=start,
            attributes_to_get=["SK"],
        )
        names = [keys.parse_item_sk(entry.sk) for entry in found]
        return names[:limit], len(names) > limit

    # --- usage ---------------------------------------------------------------------

    def _count_requests(self, month: str, count: int) -> Action:
        month_count: Path = self.Entry.requests[month]
        return month_count.set((month_count | 0) + count)

    def admit_requests(self, user_id: str, month: str, count: int, limit: int) -> int | None:
        if count > limit:
            return None
        month_count = self.Entry.requests[month]
        try:
            profile = self._update_profile(
                user_id,
                [self._count_requests(month, count)],
                month_count.does_not_exist() | (month_count <= limit - count),
            )
        except UpdateError as error:
            if _failed_condition(error):
                return None
            raise
        return _counter(profile.requests, month)

    def add_requests(self, user_id: str, month: str, count: int) -> int:
        profile = self._update_profile(user_id, [self._count_requests(month, count)])
        return _counter(profile.requests, month)

    def get_usage(self, user_id: str, month: str) -> Usage:
        profile = self._get(*self._profile_key(user_id))
        if profile is None:
            return Usage(user_id, month, 0, 0)
        return Usage(
            user_id, month, _counter(profile.requests, month), int(profile.storage_bytes or 0)
        )

    def request_history(self, user_id: str, months: list[str]) -> dict[str, int]:
        profile = self._get(*self._profile_key(user_id)) if months else None
        requests = profile.requests if profile is not None else None
        return {month: _counter(requests, month) for month in months}

    # --- once-only markers and throttling --------------------------------------------

    def mark_once(self, scope: str, marker: str, now: str) -> bool:
        try:
            self.Entry(keys.marker_pk(scope), marker, created_at=now).save(
                condition=self.Entry.pk.does_not_exist()
            )
        except PutError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    def add_login_failure(self, email: str, now: str, window_seconds: int) -> int:
        """Count within the open window, or start a new one; the record expires with it."""
        entry_class = self.Entry
        opened_since = _iso_minus(now, window_seconds)
        entry = self.Entry(keys.login_pk(email), keys.METADATA)
        for _ in range(5):
            try:
                entry.update(
                    actions=[entry_class.failures.add(1)],
                    condition=entry_class.window_start > opened_since,
                )
                return int(entry.failures or 0)
            except UpdateError as error:
                if not _failed_condition(error):
                    raise
            try:
                entry.update(
                    actions=[
                        entry_class.failures.set(1),
                        entry_class.window_start.set(now),
                        entry_class.expires_at.set(
                            parse_iso(now) + timedelta(seconds=window_seconds)
                        ),
                    ],
                    condition=entry_class.window_start.does_not_exist()
                    | (entry_class.window_start <= opened_since),
                )
                return 1
            except UpdateError as error:
                if not _failed_condition(error):
                    raise
        raise RuntimeError("login failures kept changing under us")  # pragma: no cover

    def clear_login_failures(self, email: str) -> None:
        self.Entry(keys.login_pk(email), keys.METADATA).delete()

    def login_failures(self, email: str, now: str, window_seconds: int) -> int:
        entry = self._get(keys.login_pk(email), keys.METADATA)
        if entry is None or entry.window_start is None:
            return 0
        if entry.window_start <= _iso_minus(now, window_seconds):
            return 0
        return int(entry.failures or 0)


# --- records from entries --------------------------------------------------------------


def _iso_minus(now: str, seconds: int) -> str:
    return isoformat(parse_iso(now) - timedelta(seconds=seconds))


def _counter(counters: MapAttribute[str, Any] | None, name: str) -> int:
    values: Mapping[str, Any] = counters.as_dict() if counters is not None else {}
    return int(values.get(name, 0))


def _user(entry: Entry) -> User:
    return User(
        entry.id or "",
        entry.email or "",
        entry.password_hash or "",
        entry.plan or "",
        entry.created_at or "",
        entry.updated_at or "",
    )


def _namespace(entry: Entry, profile: Entry | None) -> Namespace:
    ns_id = entry.id or ""
    return Namespace(
        ns_id,
        entry.user_id or "",
        entry.name or "",
        entry.created_at or "",
        _counter(profile.ns_items if profile else None, ns_id),
        _counter(profile.ns_bytes if profile else None, ns_id),
    )


def _api_key(entry: Entry) -> ApiKey:
    if entry.access not in ACCESS_LEVELS:
        raise ValueError(f"unknown access {entry.access!r}")
    return ApiKey(
        id=entry.id or "",
        user_id=entry.user_id or "",
        namespace_id=entry.namespace_id or "",
        namespace=entry.namespace or "",
        name=entry.name or "",
        access=entry.access,
        key_hash=entry.key_hash or "",
        prefix=entry.prefix or "",
        created_at=entry.created_at or "",
        last_used_at=entry.last_used_at,
    )


def _item(entry: Entry, namespace_id: str, key: str) -> Item:
    return Item(
        namespace_id,
        key,
        json.loads(entry.value or "null"),
        int(entry.version or 0),
        entry.etag or "",
        int(entry.size or 0),
        entry.created_at or "",
        entry.updated_at or "",
    )
