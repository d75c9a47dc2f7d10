"""The :class:`~kv_core.store.Store` on one DynamoDB table, assembled from one module
per concern (users, sessions, namespaces, api_keys, items, bulk, atomic, prefixes,
expiry, usage, billing, throttling, recount; the change feed: changes, stream, shards)
over the table (table.py), its key schema (keys.py), its record mapping (records.py)
and the profile's counters (counters.py). Its failures that mean "try again later" become
:class:`~kv_core.errors.StoreUnavailable` (faults.py)."""

from __future__ import annotations

from kv_core.engines.dynamodb.api_keys import ApiKeys
from kv_core.engines.dynamodb.atomic import Atomic
from kv_core.engines.dynamodb.backfill import Backfill
from kv_core.engines.dynamodb.billing import Billing
from kv_core.engines.dynamodb.changes import Changes
from kv_core.engines.dynamodb.expiry import Sweeps
from kv_core.engines.dynamodb.faults import faults_translated
from kv_core.engines.dynamodb.namespaces import Namespaces
from kv_core.engines.dynamodb.prefixes import Prefixes
from kv_core.engines.dynamodb.recount import Recounts
from kv_core.engines.dynamodb.sessions import Sessions
from kv_core.engines.dynamodb.shards import StreamReader
from kv_core.engines.dynamodb.throttling import Throttling
from kv_core.engines.dynamodb.usage import UsageCounts
from kv_core.engines.dynamodb.users import Users


@faults_translated
class DynamoStore(
    Users,
    Sessions,
    Namespaces,
    ApiKeys,
    Atomic,
    Prefixes,
    Sweeps,
    UsageCounts,
    Billing,
    Throttling,
    Backfill,
    Recounts,
    Changes,
    StreamReader,
):
    """The production engine: API keys may be cached and requests counted in batches,
    since every call is paid for."""

    remote = True

    def create_table(self, *, point_in_time_recovery: bool = False, stream: bool = True) -> bool:
        """Create the table as serverless.yml makes it: ``PK``/``SK``, GSI1 projecting
        everything, GSI2 of expiring items (expiry.py) and of logged changes
        (changes.py), the stream of new and old images that feeds the change feed
        (stream.py), the ``expiresAt`` TTL (of
        sessions, reset tokens and login tallies; items expire through the sweep), on
        demand, and with
        ``point_in_time_recovery`` its continuous backups. Returns False, changing
        nothing, when the table exists already. Tests that never read the change feed
        pass ``stream=False``: moto keeps every stream record and copies them all in
        each transaction."""
        if self.table_exists():
            return False
        self.Entry.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        if stream:
            self.enable_stream()
        if point_in_time_recovery:
            self._connection.client.update_continuous_backups(
                TableName=self.table,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        return True

    def ping(self) -> None:
        """A consistent read of a key that holds nothing: the table answers reads."""
        self._get("HEALTH", "CHECK")

    def table_exists(self) -> bool:
        return bool(self.Entry.exists())

    def close(self) -> None:
        """Nothing to release: botocore's connection pool lives with the process."""
