"""The stream-processing function: a batch of the table's stream, shaped as Lambda
delivers it (``events/dynamodb-stream.json``), logged in the change feed once, and
the first record that fails reported so that Lambda retries from it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from kv_api import jobs, lambda_handlers
from kv_core.engines.dynamodb import DynamoStore
from kv_core.store import ReadChanges

EVENT = json.loads((Path(__file__).parent / "events" / "dynamodb-stream.json").read_text())


@pytest.fixture
def table(fake_aws, monkeypatch):
    """The configured table, as the function's environment names it."""
    store = DynamoStore("kv-stream-test", region="us-east-1")
    store.create_table()
    for name, value in {
        "KV_STORE": "dynamodb",
        "KV_TABLE": "kv-stream-test",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(jobs, "_stream_stores", {})
    return store


def logged(store):
    return [
        (c.seq, c.key, c.op, c.version, c.value)
        for c in store.read_changes(ReadChanges("n1", 0, 100)).changes
    ]


def test_a_batch_is_logged_and_its_other_records_skipped(table):
    assert lambda_handlers.process_stream(EVENT, None) == {"batchItemFailures": []}
    assert logged(table) == [
        (1, "greeting", "put", 1, "hello"),
        (2, "greeting", "delete", 1, None),
    ]
    assert table.last_change("n1") == 2


def test_a_batch_delivered_again_is_not_logged_twice(table):
    lambda_handlers.process_stream(EVENT, None)
    assert lambda_handlers.process_stream(copy.deepcopy(EVENT), None) == {"batchItemFailures": []}
    assert [seq for seq, *_ in logged(table)] == [1, 2]


def test_the_first_failing_record_is_reported_and_the_retry_completes(table, monkeypatch):
    original = DynamoStore.process_stream_record
    calls = []

    def fails_on_the_third(self, record):
        calls.append(record["eventID"])
        if len(calls) == 3:
            raise RuntimeError("throttled past the retries")
        return original(self, record)

    monkeypatch.setattr(DynamoStore, "process_stream_record", fails_on_the_third)
    answer = lambda_handlers.process_stream(EVENT, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "111000000000000000003"}]}
    assert [seq for seq, *_ in logged(table)] == [1]

    retried = {"Records": EVENT["Records"][2:]}  # Lambda resends from the reported record
    assert lambda_handlers.process_stream(retried, None) == {"batchItemFailures": []}
    assert [op for _, _, op, _, _ in logged(table)] == ["put", "delete"]
