"""API keys on DynamoDB: an entry under the user, found by its digest through GSI1."""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, UpdateError

from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.counters import ProfileCounters
from kv_core.engines.dynamodb.table import failed_condition
from kv_core.model import ApiKey, User


class ApiKeys(ProfileCounters):
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
            key_prefix=key.key_prefix or None,
            key_expires_at=key.expires_at,
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
        profile = self._get(*self._profile_key(found.user_id))
        return (records.api_key(found), records.user(profile)) if profile else None

    def list_api_keys(self, user_id: str) -> list[ApiKey]:
        found = self.Entry.query(
            keys.user_pk(user_id),
            self.Entry.sk.startswith(keys.apikey_sk("")),
            consistent_read=True,
        )
        return sorted((records.api_key(e) for e in found), key=lambda k: (k.created_at, k.id))

    def delete_api_key(self, user_id: str, key_id: str) -> ApiKey | None:
        try:
            deleted = self._raw().delete_item(
                keys.user_pk(user_id),
                keys.apikey_sk(key_id),
                condition=self.Entry.pk.exists(),
                return_values="ALL_OLD",
            )
        except DeleteError as error:
            if failed_condition(error):
                return None
            raise
        self._drop_key_counts(user_id, {key_id})
        return records.api_key(self.Entry.from_raw_data(deleted["Attributes"]))

    def touch_api_key(self, user_id: str, key_id: str, when: str) -> None:
        try:
            self.Entry(keys.user_pk(user_id), keys.apikey_sk(key_id)).update(
                actions=[self.Entry.last_used_at.set(when)], condition=self.Entry.pk.exists()
            )
        except UpdateError as error:
            if not failed_condition(error):  # revoked meanwhile: it stays revoked
                raise
