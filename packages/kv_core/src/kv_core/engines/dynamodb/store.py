"""The :class:`~kv_core.store.Store` on one DynamoDB table, assembled from one module
per concern (users, sessions, namespaces, api_keys, items, usage, billing, throttling,
recount) over the table
(table.py), its key schema (keys.py), its record mapping (records.py) and the profile's
counters (counters.py). Its failures that mean "try again later" become
:class:`~kv_core.errors.StoreUnavailable` (faults.py)."""

from __future__ import annotations

from kv_core.engines.dynamodb.api_keys import ApiKeys
from kv_core.engines.dynamodb.backfill import Backfill
from kv_core.engines.dynamodb.billing import Billing
from kv_core.engines.dynamodb.faults import faults_translated
from kv_core.engines.dynamodb.items import Items
from kv_core.engines.dynamodb.namespaces import Namespaces
from kv_core.engines.dynamodb.recount import Recounts
from kv_core.engines.dynamodb.sessions import Sessions
from kv_core.engines.dynamodb.throttling import Throttling
from kv_core.engines.dynamodb.usage import UsageCounts
from kv_core.engines.dynamodb.users import Users


@faults_translated
class DynamoStore(
    Users,
    Sessions,
    Namespaces,
    ApiKeys,
    Items,
    UsageCounts,
    Billing,
    Throttling,
    Backfill,
    Recounts,
):
    """The production engine: API keys may be cached and requests counted in batches,
    since every call is paid for."""

    remote = True

    def create_table(self) -> None:
        """Create the table with GSI1 and its TTL, on demand (for local and moto use;
        on AWS, serverless.yml creates it)."""
        if not self.Entry.exists():
            self.Entry.create_table(wait=True, billing_mode="PAY_PER_REQUEST")

    def close(self) -> None:
        """Nothing to release: botocore's connection pool lives with the process."""
