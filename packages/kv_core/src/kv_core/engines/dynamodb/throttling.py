"""Once-only markers and login-attempt windows on DynamoDB."""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import PutError, UpdateError

from kv_core.engines.dynamodb import keys, records
from kv_core.engines.dynamodb.table import Table, failed_condition
from kv_core.model import parse_iso


class Throttling(Table):
    def mark_once(self, scope: str, marker: str, now: str) -> bool:
        try:
            self.Entry(keys.marker_pk(scope), marker, created_at=now).save(
                condition=self.Entry.pk.does_not_exist()
            )
        except PutError as error:
            if failed_condition(error):
                return False
            raise
        return True

    def has_mark(self, scope: str, marker: str) -> bool:
        return self._get(keys.marker_pk(scope), marker) is not None

    def count_login_attempt(self, subject: str, now: str, window_seconds: int) -> int:
        """Count within the open window, or start a new one; the record expires with it."""
        entry_class = self.Entry
        opened_since = records.iso_minus(now, window_seconds)
        entry = self.Entry(keys.login_pk(subject), keys.METADATA)
        for _ in range(5):
            try:
                entry.update(
                    actions=[entry_class.failures.add(1)],
                    condition=entry_class.window_start > opened_since,
                )
                return int(entry.failures or 0)
            except UpdateError as error:
                if not failed_condition(error):
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
                if not failed_condition(error):
                    raise
        raise RuntimeError("login attempts kept changing under us")  # pragma: no cover

    def clear_login_attempts(self, subject: str) -> None:
        self.Entry(keys.login_pk(subject), keys.METADATA).delete()
