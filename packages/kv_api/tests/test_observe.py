"""What each request did: the route template, status and outcome that the access log
and the metrics see, from the fast path and from Flask, on both engines."""

from __future__ import annotations

import io
import json
import sqlite3

import boto3
import pytest

from kv_api.observe import AccessLog, Observed, Outcome

ITEM = "/v1/<namespace>/<key:key>"


@pytest.fixture
def seen(app):
    """The outcomes of the API's requests, in order."""
    outcomes: list[Outcome] = []
    app.wsgi_app = Observed(app.wsgi_app, [outcomes.append])
    return outcomes


@pytest.mark.parametrize("fast", [True, False])
def test_routes_are_templates_with_their_namespace(app, seen, account, fast):
    if not fast:
        app.config["FAST_PATH"] = False
    account.put("secret/key", 1)
    account.get("secret/key")
    account.list_keys()
    account.get("missing")
    got = [(o.method, o.route, o.status, o.namespace, o.error) for o in seen[-4:]]
    assert got == [
        ("PUT", ITEM, 201, "app", None),
        ("GET", ITEM, 200, "app", None),
        ("GET", "/v1/<namespace>", 200, "app", None),
        ("GET", ITEM, 404, "app", "item_not_found"),
    ]


def test_unrouted_and_account_requests(client, seen, account):
    client.get("/v1/nowhere/at/all/", headers={"x-api-key": "x"})
    client.get("/v1/usage", headers=account.auth)
    client.post("/v1/health")
    assert [(o.route, o.status) for o in seen[-3:]] == [
        (ITEM, 401),
        ("/v1/usage", 200),
        ("unmatched", 405),
    ]


def test_quota_refusals_are_named(seen, account, assert_error):
    account.client.application.extensions["kv_services"].store.add_requests(
        account.user_id, seen_month(account), 10_000
    )
    assert_error(account.get("k"), 429, "request_quota_exceeded")
    assert seen[-1].quota == "requests"
    assert not seen[-1].store_failed


def seen_month(account) -> str:
    return account.usage()["month"]


def test_a_failing_store_is_a_store_error(app, seen, account, settings):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    if settings.store == "dynamodb":
        boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName=settings.table)
    else:
        with sqlite3.connect(settings.data_dir / "kv.sqlite3") as db:
            db.execute("DROP TABLE users")
    response = account.client.post("/v1/namespaces", json={"name": "more"}, headers=account.auth)
    assert response.status_code == 500
    assert seen[-1].error == "store_error"
    assert seen[-1].store_failed


def test_the_access_log_is_one_json_line_without_keys_or_secrets(app, account):
    stream = io.StringIO()
    log = AccessLog(stream)
    app.wsgi_app = Observed(app.wsgi_app, [log])
    response = account.client.put(
        "/v1/app/private/thing?x=1",
        data="1",
        content_type="application/json",
        headers={**account.key_header, "X-Request-Id": "req-42"},
    )
    assert response.headers["X-Request-Id"] == "req-42"
    log.flush()
    [line] = stream.getvalue().splitlines()
    logged = json.loads(line)
    assert set(logged) == {
        "time",
        "request_id",
        "method",
        "route",
        "status",
        "duration_ms",
        "namespace",
    }
    assert (logged["request_id"], logged["route"], logged["status"]) == ("req-42", ITEM, 201)
    assert logged["namespace"] == "app"
    assert logged["duration_ms"] >= 0
    for secret in ("private", "thing", account.api_key, account.token):
        assert secret not in line


def test_an_answer_gets_the_request_id_it_was_logged_with(app, client):
    stream = io.StringIO()
    log = AccessLog(stream)
    app.wsgi_app = Observed(app.wsgi_app, [log])
    response = client.get("/v1/health", headers={"X-Request-Id": "bad id; drop"})
    log.flush()
    logged = json.loads(stream.getvalue())
    assert logged["request_id"] == response.headers["X-Request-Id"]
    assert logged["request_id"] != "bad id; drop"


def test_closing_writes_the_lines_the_log_still_holds(app, client):
    """A stopping worker ends with ``os._exit``, so closing is the last chance."""
    stream = io.StringIO()
    log = AccessLog(stream, interval=3600)
    observed = Observed(app.wsgi_app, [log])
    app.wsgi_app = observed
    client.get("/v1/health")
    assert stream.getvalue() == ""
    observed.close()
    assert json.loads(stream.getvalue())["route"] == "/v1/health"
