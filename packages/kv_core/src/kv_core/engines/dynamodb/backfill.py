"""A one-off upgrade of tables written by earlier versions, run by
``kv-storage migrate``; safe to run again, and while the API serves.

Earlier versions kept a month's request count in a ``USER#<id>``/``USAGE#<YYYY-MM>``
item of its own, and their profiles have no ``requests`` map. The backfill gives each
profile the map and folds each such item into it, adding its count and deleting the
item in one transaction (so a count is never added twice, even when a run is cut
short and started again), and drops months older than the map keeps.

Tables made before items could expire have no GSI2, the index of expiring items that
the sweep reads (expiry.py): :meth:`Backfill.add_expiry_index` adds it
(``UpdateTable``; DynamoDB builds it in the background while the table serves).

Tables made before the change feed have no stream, or one without both images:
:meth:`Backfill.enable_stream` turns on the stream of ``NEW_AND_OLD_IMAGES`` that the
feed is made from (table.py). The feed starts with the first write after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from kv_core.engines.dynamodb import keys
from kv_core.engines.dynamodb.counters import KEPT_MONTHS, ProfileCounters
from kv_core.engines.dynamodb.table import (
    GSI2,
    GSI2_ATTRIBUTES,
    STREAM_VIEW,
    failed_condition,
)
from kv_core.plans import last_months

USAGE = "USAGE"


@dataclass(frozen=True, slots=True)
class Backfilled:
    """What one run changed."""

    profiles: int = 0
    usage_items: int = 0
    months_dropped: int = 0


class Backfill(ProfileCounters):
    def enable_stream(self) -> bool:
        """Turn on the table's stream of new and old images; False, changing nothing,
        if it is on. A stream of other images is replaced (a table has one view)."""
        client = self._connection.client
        table = client.describe_table(TableName=self.table)["Table"]
        spec = table.get("StreamSpecification", {})
        if spec.get("StreamEnabled") and spec.get("StreamViewType") == STREAM_VIEW:
            return False
        if spec.get("StreamEnabled"):
            client.update_table(TableName=self.table, StreamSpecification={"StreamEnabled": False})
        client.update_table(
            TableName=self.table,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": STREAM_VIEW},
        )
        return True

    def add_expiry_index(self) -> bool:
        """Add GSI2 to a table that has none; False, changing nothing, if it has."""
        client = self._connection.client
        table = client.describe_table(TableName=self.table)["Table"]
        if any(i["IndexName"] == GSI2 for i in table.get("GlobalSecondaryIndexes", [])):
            return False
        on_demand = table.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"
        index: dict[str, Any] = {
            "IndexName": GSI2,
            "KeySchema": [
                {"AttributeName": "GSI2PK", "KeyType": "HASH"},
                {"AttributeName": "GSI2SK", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": GSI2_ATTRIBUTES},
        }
        if not on_demand:
            throughput = table.get("ProvisionedThroughput", {})
            index["ProvisionedThroughput"] = {
                "ReadCapacityUnits": max(1, int(throughput.get("ReadCapacityUnits", 1))),
                "WriteCapacityUnits": max(1, int(throughput.get("WriteCapacityUnits", 1))),
            }
        client.update_table(
            TableName=self.table,
            AttributeDefinitions=[
                {"AttributeName": "GSI2PK", "AttributeType": "S"},
                {"AttributeName": "GSI2SK", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        return True

    def backfill(self, current_month: str) -> Backfilled:
        """Bring every profile up to date; returns what it changed."""
        kept = set(last_months(current_month, KEPT_MONTHS))
        profiles = usage_items = dropped = 0
        for profile in self.Entry.scan(self.Entry.sk == keys.PROFILE):
            user_id = keys.parse_user_pk(profile.pk)
            if profile.requests is None:
                profiles += self._add_requests_map(user_id)
            usage_items += self._fold_usage_items(user_id)
            dropped += self._drop_old_months(user_id, kept)
        return Backfilled(profiles, usage_items, dropped)

    def _add_requests_map(self, user_id: str) -> int:
        try:
            self._update_profile(
                user_id,
                [self.Entry.requests.set({})],
                self.Entry.pk.exists() & self.Entry.requests.does_not_exist(),
            )
        except UpdateError as error:
            if failed_condition(error):
                return 0  # given one meanwhile, or deleted
            raise
        return 1

    def _fold_usage_items(self, user_id: str) -> int:
        """Read raw: a ``USAGE#`` item's ``requests`` is a number, the profile's a map."""
        pk = keys.user_pk(user_id)
        found = self._raw().query(
            pk, range_key_condition=self.Entry.sk.startswith(f"{USAGE}{keys.SEPARATOR}")
        )
        folded = 0
        for raw in found.get("Items", []):
            sk = raw["SK"]["S"]
            month = sk.split(keys.SEPARATOR, 1)[1]
            count = int(raw.get("requests", {}).get("N", "0"))
            month_count = self.Entry.requests[month]
            try:
                with self._transaction() as transaction:
                    transaction.update(
                        self.Entry(*self._profile_key(user_id)),
                        actions=[month_count.set((month_count | 0) + count)],
                        condition=self.Entry.requests.exists(),
                    )
                    transaction.delete(self.Entry(pk, sk), condition=self.Entry.pk.exists())
            except TransactWriteError as error:
                if error.cause_response_code == "TransactionCanceledException":
                    continue  # folded by a run beside this one
                raise
            folded += 1
        return folded

    def _drop_old_months(self, user_id: str, kept: set[str]) -> int:
        profile = self._get(*self._profile_key(user_id))
        if profile is None or profile.requests is None:
            return 0
        old = sorted(set(profile.requests.as_dict()) - kept)
        if old:
            self._update_profile(user_id, [self.Entry.requests[m].remove() for m in old])
        return len(old)
