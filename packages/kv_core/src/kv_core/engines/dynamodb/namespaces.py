"""Namespaces on DynamoDB: an entry under the user, counters on the profile, items in a
partition of their own."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError, UpdateError

from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.changes import close_feed
from kv_core.engines.dynamodb.counters import ProfileCounters
from kv_core.engines.dynamodb.table import Entry, failed_condition
from kv_core.model import Namespace
from kv_core.store import refusals


class Namespaces(ProfileCounters):
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
                raise refusals.namespace_exists(namespace.name) from None
            raise

    def get_namespace(self, user_id: str, name: str) -> Namespace | None:
        entry = self._get(keys.user_pk(user_id), keys.namespace_sk(name))
        if entry is None:
            return None
        profile = self._get(*self._profile_key(user_id))
        return records.namespace(entry, profile)

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
        return [records.namespace(e, profile) for e in entries if e.sk != keys.PROFILE]

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
            namespace = records.namespace(entry, entry_class.from_raw_data(released["Attributes"]))
        except UpdateError as error:
            if not failed_condition(error):
                raise
            namespace = records.namespace(entry, None)  # released already, by an earlier delete
        revoked = self._keys_of_namespace(user_id, ns_id)
        for key in revoked:
            key.delete()
        self._drop_key_counts(user_id, {key.id for key in revoked if key.id})
        close_feed(self, ns_id)
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
