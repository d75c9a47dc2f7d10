"""The one-off backfill brings tables of earlier versions up to date, once."""

from __future__ import annotations

import pytest

from kv_core.engines.dynamodb.backfill import Backfilled
from kv_core.engines.dynamodb.counters import KEPT_MONTHS, expired_month
from kv_core.model import User

NOW = "2026-11-25T10:00:00.000Z"
MONTH = "2026-11"


@pytest.fixture
def dynamo(dynamo_calls):
    store, _ = dynamo_calls
    for user_id in ("u1", "u2"):
        store.create_user(User(user_id, f"{user_id}@example.com", "h", "free", NOW, NOW))
    return store


def usage_item(store, user_id: str, month: str, count: int) -> None:
    """What an earlier version wrote: a USAGE# item with a number ``requests``."""
    store._raw().connection._make_api_call(
        "PutItem",
        {
            "TableName": store.table,
            "Item": {
                "PK": {"S": f"USER#{user_id}"},
                "SK": {"S": f"USAGE#{month}"},
                "requests": {"N": str(count)},
            },
        },
    )


def drop_requests_map(store, user_id: str) -> None:
    store.Entry(f"USER#{user_id}", "PROFILE").update(actions=[store.Entry.requests.remove()])


def test_profiles_get_the_map_and_usage_items_are_folded_in(dynamo):
    drop_requests_map(dynamo, "u1")
    usage_item(dynamo, "u1", MONTH, 40)
    usage_item(dynamo, "u1", "2026-10", 7)
    usage_item(dynamo, "u2", MONTH, 3)
    dynamo.add_requests("u2", MONTH, 2)

    assert dynamo.backfill(MONTH) == Backfilled(profiles=1, usage_items=3, months_dropped=0)

    assert dynamo.request_history("u1", ["2026-10", MONTH]) == {"2026-10": 7, MONTH: 40}
    assert dynamo.get_usage("u2", MONTH).requests == 5
    assert dynamo.admit_requests("u1", MONTH, 1, 100) == 41
    assert not dynamo._raw().query(
        "USER#u1", range_key_condition=dynamo.Entry.sk.startswith("USAGE#")
    )["Items"]


def test_running_it_again_changes_nothing(dynamo):
    usage_item(dynamo, "u1", MONTH, 40)
    dynamo.backfill(MONTH)
    assert dynamo.backfill(MONTH) == Backfilled()
    assert dynamo.get_usage("u1", MONTH).requests == 40


def test_months_older_than_the_map_keeps_are_dropped(dynamo):
    old = expired_month(MONTH)
    for month in (MONTH, old, "2020-01"):  # counting a month drops only its own expired one
        dynamo.add_requests("u1", month, 1)
    assert dynamo.backfill(MONTH).months_dropped == 2
    assert dynamo.request_history("u1", [old, "2020-01", MONTH]) == {
        old: 0,
        "2020-01": 0,
        MONTH: 1,
    }


def test_counting_a_month_drops_the_month_the_map_no_longer_keeps(dynamo):
    old, kept = expired_month(MONTH), "2026-01"
    assert (KEPT_MONTHS, old) == (13, "2025-10")
    dynamo.add_requests("u1", old, 5)
    dynamo.add_requests("u1", kept, 4)
    dynamo.add_requests("u1", MONTH, 1)
    assert dynamo.request_history("u1", [old, kept, MONTH]) == {old: 0, kept: 4, MONTH: 1}


def test_without_the_map_requests_are_refused_until_the_backfill(dynamo):
    """A table not yet backfilled fails loudly, never counts into a new map."""
    drop_requests_map(dynamo, "u1")
    with pytest.raises(Exception, match="document path"):
        dynamo.add_requests("u1", MONTH, 1)
    dynamo.backfill(MONTH)
    assert dynamo.add_requests("u1", MONTH, 1) == 1


def test_a_table_without_the_expiry_index_gets_it_once(fake_aws):
    """A table made before items could expire has GSI1 only; the migration adds GSI2,
    and then the sweep finds the items that expire from then on."""
    import boto3

    from kv_core.engines.dynamodb import DynamoStore
    from kv_core.model import Namespace
    from kv_core.sizing import item_size
    from kv_core.store import PutItem, unix_second

    client = boto3.client("dynamodb", region_name="us-east-1")
    strings = [{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "GSI1PK", "GSI1SK")]
    client.create_table(
        TableName="kv-old",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=strings,
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                    {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    store = DynamoStore("kv-old", region="us-east-1")
    assert store.add_expiry_index()
    assert not store.add_expiry_index()
    indexes = client.describe_table(TableName="kv-old")["Table"]["GlobalSecondaryIndexes"]
    assert sorted(i["IndexName"] for i in indexes) == ["GSI1", "GSI2"]
    store.create_user(User("u1", "u1@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    at = unix_second(NOW)
    store.put_item(PutItem("u1", "n1", "k", 1, item_size("k", 1), "e", NOW, expires_at=at + 1))
    assert store.sweep_expired(at + 1) == 1
    assert store.get_usage("u1", MONTH).storage_bytes == 0
