"""Monthly request counts on DynamoDB, in the profile's ``requests`` map, and each API
key's beside it (counters.py)."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from kv_core.engines.dynamodb import records
from kv_core.engines.dynamodb.counters import KEY_REQUESTS, ProfileCounters
from kv_core.engines.dynamodb.table import failed_condition
from kv_core.model import Usage
from kv_core.store import KeyCounts, refusals


class UsageCounts(ProfileCounters):
    def admit_requests(
        self, user_id: str, month: str, count: int, limit: int, *, key_id: str | None = None
    ) -> int | None:
        if count > limit:
            return None
        month_count = self.Entry.requests[month]
        by_key = ((key_id, count),) if key_id is not None else ()
        try:
            profile = self._update_profile(
                user_id,
                self._count_requests(month, count, by_key),
                self.Entry.pk.exists()
                & (month_count.does_not_exist() | (month_count <= limit - count)),
            )
        except UpdateError as error:
            if not failed_condition(error):
                raise
            if self._get(*self._profile_key(user_id)) is None:
                raise refusals.user_not_found() from None
            return None
        return records.counter(profile.requests, month)

    def add_requests(self, user_id: str, month: str, count: int, *, by_key: KeyCounts = ()) -> int:
        try:
            profile = self._update_profile(user_id, self._count_requests(month, count, by_key))
        except UpdateError as error:
            if failed_condition(error):
                raise refusals.user_not_found() from None
            raise
        return records.counter(profile.requests, month)

    def get_usage(self, user_id: str, month: str) -> Usage:
        profile = self._get(*self._profile_key(user_id))
        if profile is None:
            return Usage(user_id, month, 0, 0)
        requests = records.counter(profile.requests, month)
        return Usage(user_id, month, requests, int(profile.storage_bytes or 0))

    def request_history(self, user_id: str, months: list[str]) -> dict[str, int]:
        profile = self._get(*self._profile_key(user_id)) if months else None
        requests = profile.requests if profile is not None else None
        return {month: records.counter(requests, month) for month in months}

    def key_requests(self, user_id: str, month: str) -> dict[str, int]:
        """One read of the profile as stored: its key counts are attributes that the
        model does not name, so it is read raw."""
        found = self._raw().get_item(*self._profile_key(user_id), consistent_read=True)
        start = f"{KEY_REQUESTS}{month}#"
        return {
            name[len(start) :]: int(value["N"])
            for name, value in found.get("Item", {}).items()
            if name.startswith(start) and "N" in value
        }
