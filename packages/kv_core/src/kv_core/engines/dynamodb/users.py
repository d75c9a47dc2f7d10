"""Accounts on DynamoDB: a profile per user, a marker that makes an email unique, reset
tokens, and the deletion of everything that is a user's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action

from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.changes import close_feed
from kv_core.engines.dynamodb.counters import ProfileCounters
from kv_core.engines.dynamodb.table import failed_condition
from kv_core.model import ResetToken, User, parse_iso
from kv_core.store import refusals

CONDITION = "ConditionalCheckFailed"


class Users(ProfileCounters):
    def create_user(self, user: User) -> None:
        marker = self.Entry(keys.email_pk(user.email), keys.METADATA, user_id=user.id)
        profile = self.Entry(
            *self._profile_key(user.id),
            id=user.id,
            email=user.email,
            password_hash=user.password_hash,
            plan=user.plan,
            created_at=user.created_at,
            updated_at=user.updated_at,
            requests_limit=user.requests_limit,
            storage_limit=user.storage_limit,
            disabled_at=user.disabled_at,
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
            # Cancelled on a condition, not because DynamoDB throttled one of the items.
            if any(r is not None and r.code == CONDITION for r in error.cancellation_reasons or ()):
                raise refusals.email_taken() from None
            raise

    def get_user(self, user_id: str) -> User | None:
        entry = self._get(*self._profile_key(user_id))
        return records.user(entry) if entry else None

    def get_user_by_email(self, email: str) -> User | None:
        marker = self._get(keys.email_pk(email), keys.METADATA)
        return self.get_user(marker.user_id) if marker and marker.user_id else None

    def set_plan(
        self,
        user_id: str,
        plan: str,
        now: str,
        *,
        requests_limit: int | None = None,
        storage_limit: int | None = None,
    ) -> None:
        entry = self.Entry
        self._change_user(
            user_id,
            now,
            [
                entry.plan.set(plan),
                _set_or_remove(entry.requests_limit, requests_limit),
                _set_or_remove(entry.storage_limit, storage_limit),
            ],
        )

    def set_disabled(self, user_id: str, disabled_at: str | None, now: str) -> None:
        self._change_user(user_id, now, [_set_or_remove(self.Entry.disabled_at, disabled_at)])

    def _change_user(self, user_id: str, now: str, actions: list[Action]) -> None:
        try:
            self._update_profile(user_id, [*actions, self.Entry.updated_at.set(now)])
        except UpdateError as error:
            if failed_condition(error):
                raise refusals.user_not_found() from None
            raise

    def iter_users(self) -> Iterator[User]:
        for entry in self.Entry.scan(self.Entry.sk == keys.PROFILE):
            yield records.user(entry)

    def set_password(self, user_id: str, password_hash: str, now: str) -> None:
        try:
            self._update_profile(
                user_id,
                [self.Entry.password_hash.set(password_hash), self.Entry.updated_at.set(now)],
            )
        except UpdateError as error:
            if failed_condition(error):
                raise refusals.user_not_found() from None
            raise

    def delete_user(self, user_id: str) -> User | None:
        """The user's partition holds the profile, namespaces, keys and sessions; each
        namespace's items are a partition of their own. The profile goes last, so that a
        deletion cut short is finished by the next."""
        profile = self._get(*self._profile_key(user_id))
        if profile is None:
            return None
        owned = list(self.Entry.query(keys.user_pk(user_id), consistent_read=True))
        for entry in owned:
            if entry.sk.startswith(keys.namespace_sk("")) and entry.id:
                close_feed(self, entry.id)
                self._delete_partition(keys.namespace_pk(entry.id))
        if profile.email:
            self.Entry(keys.email_pk(profile.email), keys.METADATA).delete()
        with self.Entry.batch_write() as batch:
            for entry in owned:
                if entry.sk != keys.PROFILE:
                    batch.delete(entry)
        self.Entry(*self._profile_key(user_id)).delete()
        return records.user(profile)

    def create_reset_token(self, token: ResetToken) -> None:
        self.Entry(
            keys.reset_pk(token.token_hash),
            keys.METADATA,
            user_id=token.user_id,
            ends_at=token.expires_at,
            expires_at=parse_iso(token.expires_at),
        ).save()

    def consume_reset_token(self, token_hash: str, now: str) -> str | None:
        try:
            used = self._raw().delete_item(
                keys.reset_pk(token_hash),
                keys.METADATA,
                condition=self.Entry.pk.exists(),
                return_values="ALL_OLD",
            )
        except DeleteError as error:
            if failed_condition(error):
                return None
            raise
        entry = self.Entry.from_raw_data(used["Attributes"])
        if entry.user_id is None or (entry.ends_at or "") <= now:
            return None
        # A token is found by its digest alone, so a deleted user's are not deleted
        # with it: they die with the profile instead (and expire through the TTL).
        if self._get(*self._profile_key(entry.user_id)) is None:
            return None
        return entry.user_id


def _set_or_remove(attribute: Attribute[Any], value: Any) -> Action:
    """Set an optional attribute, or remove it for ``None``."""
    return attribute.remove() if value is None else attribute.set(value)
