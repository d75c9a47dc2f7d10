"""``kv-storage create-table`` makes serverless.yml's table; ``serve`` names a missing one."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import yaml

from kv_api.cli import main

SERVERLESS_YML = Path(__file__).resolve().parents[3] / "serverless.yml"


class _TemplateLoader(yaml.SafeLoader):
    """YAML that reads CloudFormation's short tags (``!Ref``...) as plain values."""


def _scalar_or_node(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_TemplateLoader.add_multi_constructor("!", _scalar_or_node)


@pytest.fixture
def data_table() -> dict:
    template = yaml.load(SERVERLESS_YML.read_text(), Loader=_TemplateLoader)
    return template["resources"]["Resources"]["DataTable"]["Properties"]


@pytest.fixture
def on_dynamodb(fake_aws, monkeypatch):
    for name, value in {
        "KV_STORE": "dynamodb",
        "KV_TABLE": "kv-made-here",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KV_DYNAMODB_ENDPOINT", raising=False)
    monkeypatch.delenv("KV_JWT_SECRET", raising=False)


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(args))
    printed = capsys.readouterr()
    return status, printed.out, printed.err


def by_name(definitions: list[dict]) -> dict[str, str]:
    return {d["AttributeName"]: d.get("AttributeType") or d["KeyType"] for d in definitions}


def test_create_table_makes_the_table_of_serverless_yml(on_dynamodb, capsys, data_table):
    status, out, err = run(capsys, "create-table")
    assert (status, err) == (0, "")
    assert out.startswith("created table kv-made-here: ")
    client = boto3.client("dynamodb", region_name="us-east-1")
    made = client.describe_table(TableName="kv-made-here")["Table"]
    assert by_name(made["AttributeDefinitions"]) == by_name(data_table["AttributeDefinitions"])
    assert by_name(made["KeySchema"]) == by_name(data_table["KeySchema"])
    assert made["BillingModeSummary"]["BillingMode"] == data_table["BillingMode"]
    made_indexes = {i["IndexName"]: i for i in made["GlobalSecondaryIndexes"]}
    wanted_indexes = {i["IndexName"]: i for i in data_table["GlobalSecondaryIndexes"]}
    assert sorted(made_indexes) == sorted(wanted_indexes) == ["GSI1", "GSI2"]
    for name, wanted in wanted_indexes.items():
        index = made_indexes[name]
        assert by_name(index["KeySchema"]) == by_name(wanted["KeySchema"])
        made_projection, wanted_projection = index["Projection"], wanted["Projection"]
        assert made_projection["ProjectionType"] == wanted_projection["ProjectionType"]
        assert sorted(made_projection.get("NonKeyAttributes", [])) == sorted(
            wanted_projection.get("NonKeyAttributes", [])
        )
    ttl = client.describe_time_to_live(TableName="kv-made-here")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == data_table["TimeToLiveSpecification"]["AttributeName"]
    assert ttl["TimeToLiveStatus"] == "ENABLED"
    assert ttl["AttributeName"] != "exp"  # items expire through the sweep, not the TTL
    backups = client.describe_continuous_backups(TableName="kv-made-here")
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert data_table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_create_table_again_changes_nothing(on_dynamodb, capsys):
    assert run(capsys, "create-table", "--no-point-in-time-recovery")[0] == 0
    status, out, _ = run(capsys, "create-table")
    assert status == 0
    assert out == "table kv-made-here exists already; nothing changed\n"
    client = boto3.client("dynamodb", region_name="us-east-1")
    backups = client.describe_continuous_backups(TableName="kv-made-here")
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "DISABLED"


def test_create_table_is_for_dynamodb(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("KV_STORE", raising=False)
    status, out, err = run(capsys, "create-table", "--data", str(tmp_path))
    assert (status, out) == (2, "")
    assert err == "kv-storage: create-table is for DynamoDB: set KV_STORE=dynamodb (and KV_TABLE)\n"
    assert list(tmp_path.iterdir()) == []


def test_serve_names_a_missing_table_and_exits(on_dynamodb, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KV_JWT_SECRET", "x" * 40)
    for name in ("KV_DATA_DIR", "KV_SECURE_COOKIES"):
        monkeypatch.setenv(name, "")  # serve sets them; the test puts them back
    status, out, err = run(capsys, "serve", "--data", str(tmp_path), "--port", "0")
    assert status == 2
    assert "Traceback" not in out + err
    assert err == (
        "kv-storage: there is no DynamoDB table kv-made-here (us-east-1):"
        " create it with `kv-storage create-table`\n"
    )
