"""Accounts on DynamoDB: a profile per user, and a marker that makes an email unique."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action

from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.counters import ProfileCounters
from kv_core.engines.dynamodb.table import failed_condition
from kv_core.model import User
from kv_core.store import refusals


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
            if error.cause_response_code == "TransactionCanceledException":
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


def _set_or_remove(attribute: Attribute[Any], value: Any) -> Action:
    """Set an optional attribute, or remove it for ``None``."""
    return attribute.remove() if value is None else attribute.set(value)
