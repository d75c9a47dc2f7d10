"""``/v1/health`` stays cheap; ``/v1/health?deep=1`` asks the store."""

from __future__ import annotations

import sqlite3

import boto3


def test_plain_health_asks_nothing_of_the_store(app, client, monkeypatch):
    def unreachable() -> None:
        raise AssertionError("plain health must not reach the store")

    monkeypatch.setattr(app.extensions["kv_services"].store, "ping", unreachable)
    response = client.get("/v1/health")
    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_deep_health_names_the_store_that_answers(client, settings):
    response = client.get("/v1/health?deep=1")
    assert (response.status_code, response.json) == (200, {"status": "ok", "store": settings.store})


def break_store(settings) -> None:
    """Take the data away from under the running app, as a lost disk or table would."""
    if settings.store == "dynamodb":
        boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName=settings.table)
        return
    with sqlite3.connect(settings.data_dir / "kv.sqlite3") as db:
        db.execute("DROP TABLE users")


def test_deep_health_is_503_with_the_failing_store_named(client, settings, assert_error):
    assert client.get("/v1/health?deep=1").status_code == 200
    break_store(settings)
    response = client.get("/v1/health?deep=1")
    assert_error(response, 503, "store_unavailable")
    named = "DynamoDB table kv-api-test" if settings.store == "dynamodb" else "SQLite database"
    assert named in response.json["error"]
    assert str(settings.data_dir) not in response.json["error"]
    assert client.get("/v1/health").status_code == 200
