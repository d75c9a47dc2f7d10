"""DynamoDB calls per KV request on a warm instance, counted at botocore under moto,
next to the seed design's five (key lookup, profile, usage read, usage write, the
operation)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

from botocore.client import BaseClient
from moto import mock_aws

from benchmarks.report import Figure
from kv_core.engines.dynamodb import DynamoStore
from kv_core.services import CoreConfig, Services

SEED_CALLS = 5
REQUESTS = 200


@contextmanager
def counting() -> Iterator[list[str]]:
    """Every botocore API call made inside the block, by operation name."""
    calls: list[str] = []
    original = BaseClient._make_api_call

    def counted(self: BaseClient, operation: str, params: dict) -> dict:  # type: ignore[type-arg]
        calls.append(operation)
        return original(self, operation, params)  # type: ignore[no-any-return]

    with mock.patch.object(BaseClient, "_make_api_call", counted):
        yield calls


def per_request(run: Callable[[int], object]) -> float:
    run(-1)  # warm: caches filled, tallies seen
    with counting() as calls:
        for i in range(REQUESTS):
            run(i)
    return len(calls) / REQUESTS


def measure() -> list[Figure]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    with mock_aws():
        store = DynamoStore("kv-bench", region="us-east-1")
        store.create_table()
        services = Services(store, CoreConfig(secret=b"d" * 32))
        user = services.accounts.signup("calls@example.com", "bench-pass")
        services.namespaces.create(user.id, "app")
        raw = services.api_keys.create(user.id, "app").raw
        items = services.items

        def principal(write: bool) -> object:
            return items.authorize(raw, "app", write=write)

        for i in range(REQUESTS + 1):
            items.put(principal(True), f"existing/{i}", {"i": i})
        figures = {
            "GET": per_request(lambda i: items.get(principal(False), f"existing/{max(i, 0)}")),
            "PUT": per_request(lambda i: items.put(principal(True), f"new/{i}", {"i": i})),
            "DELETE": per_request(lambda i: items.delete(principal(True), f"new/{i}")),
            "LIST": per_request(
                lambda i: items.list(principal(False), prefix="existing/", limit=10)
            ),
        }
        items.meter.flush()
    budgets = {"GET": 1.1, "PUT": 2.0, "DELETE": 2.0, "LIST": 1.1}
    return [
        Figure(
            f"DynamoDB calls per {op} (warm instance)",
            value,
            budgets[op],
            detail=f"the seed's design: {SEED_CALLS}",
        )
        for op, value in figures.items()
    ]
