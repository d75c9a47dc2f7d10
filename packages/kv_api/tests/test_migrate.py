"""``kv-storage migrate`` brings either engine's data up to this version."""

from __future__ import annotations

from kv_api.cli import main
from kv_core.engines.dynamodb import DynamoStore
from kv_core.engines.sqlite.schema import MIGRATIONS
from kv_core.model import User

NOW = "2026-11-25T10:00:00.000Z"


def test_on_sqlite_it_reports_the_schema_version(tmp_path, capsys):
    assert main(["migrate", "--data", str(tmp_path / "data")]) == 0
    assert f"schema version {len(MIGRATIONS)}" in capsys.readouterr().out


def test_on_dynamodb_it_backfills_the_table(fake_aws, monkeypatch, tmp_path, capsys):
    store = DynamoStore("kv-migrate-test", region="us-east-1")
    store.create_table()
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.Entry("USER#u1", "PROFILE").update(actions=[store.Entry.requests.remove()])
    for name, value in {
        "KV_STORE": "dynamodb",
        "KV_TABLE": "kv-migrate-test",
        "AWS_REGION": "us-east-1",
        "KV_JWT_SECRET": "x" * 40,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["migrate", "--data", str(tmp_path)]) == 0
    assert "1 profiles given a requests map" in capsys.readouterr().out
    assert store.add_requests("u1", "2026-11", 1) == 1


def test_on_dynamodb_it_says_when_it_added_the_expiry_index(
    fake_aws, monkeypatch, tmp_path, capsys
):
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="kv-migrate-old",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
    )
    for name, value in {
        "KV_STORE": "dynamodb",
        "KV_TABLE": "kv-migrate-old",
        "AWS_REGION": "us-east-1",
        "KV_JWT_SECRET": "x" * 40,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["migrate", "--data", str(tmp_path)]) == 0
    said = capsys.readouterr().out
    assert "expiry index GSI2 added" in said
    assert "stream of new and old images enabled" in said
    spec = client.describe_table(TableName="kv-migrate-old")["Table"]["StreamSpecification"]
    assert spec == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert main(["migrate", "--data", str(tmp_path)]) == 0
    said = capsys.readouterr().out
    assert "GSI2" not in said
    assert "stream" not in said
