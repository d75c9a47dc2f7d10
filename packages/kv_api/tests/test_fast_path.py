"""The fast GET path answers exactly as the Flask view would, counts each request once,
and hands Flask everything it does not handle whole."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from flask.testing import FlaskClient

from kv_api import create_app
from kv_api.fast_path import FastPath
from kv_core import plans
from kv_core.plans import Plan

# Differ by design: a fresh id per answer, one request more counted, and the seconds
# to the next month (Retry-After) counted at a later moment.
VARYING = {"X-Request-Id", "X-RateLimit-Remaining", "Retry-After"}


def close_retry_after(first, second) -> None:
    """Both answers say when to retry, or neither; a second or two apart at most."""
    a, b = first.headers.get("Retry-After"), second.headers.get("Retry-After")
    assert (a is None) == (b is None)
    if a is not None:
        assert abs(int(a) - int(b)) <= 2


@pytest.fixture
def slow(app) -> FlaskClient:
    """The same API on the same services, with every GET going through Flask."""
    services = app.extensions["kv_services"]
    flask_only = create_app(
        {"FAST_PATH": False, "TESTING": True},
        services=services,
        settings=app.extensions["kv_settings"],
    )
    assert not isinstance(flask_only.wsgi_app, FastPath)
    return flask_only.test_client()


@pytest.fixture
def handed_on(app, monkeypatch) -> list[str]:
    """The paths the fast path handed to Flask."""
    fast = app.wsgi_app
    assert isinstance(fast, FastPath)
    seen: list[str] = []
    flask_app = fast.wsgi_app

    def recorded(environ, start_response):
        seen.append(environ["PATH_INFO"])
        return flask_app(environ, start_response)

    monkeypatch.setattr(fast, "wsgi_app", recorded)
    return seen


def same_answer(fast_client, slow_client, path: str, **headers: str):
    """Ask both; assert the same status, body and headers; return the fast answer."""
    fast = fast_client.get(path, headers=headers)
    slow = slow_client.get(path, headers=headers)
    assert (fast.status_code, fast.get_data()) == (slow.status_code, slow.get_data()), path

    def comparable(response):
        return {k: v for k, v in response.headers.items() if k not in VARYING}

    assert comparable(fast) == comparable(slow), path
    close_retry_after(fast, slow)
    remaining = fast.headers.get("X-RateLimit-Remaining")
    if remaining is not None and fast.status_code != 429:
        assert int(slow.headers["X-RateLimit-Remaining"]) == int(remaining) - 1
    else:
        assert slow.headers.get("X-RateLimit-Remaining") == remaining
    return fast


KEYS = ["user:1", "a/b/c", "/lead", "dir/", "ключ", "sp ace"]


def test_items_are_answered_alike(account, slow, handed_on):
    for key in KEYS:
        assert account.put(key, {"key": key, "n": [1, 2]}).status_code == 201
    handed_on.clear()
    quoted = {"/lead": "/v1/app//lead", "sp ace": "/v1/app/sp%20ace"}
    for key in KEYS:
        path = quoted.get(key, f"/v1/app/{key}")
        got = same_answer(account.client, slow, path, **account.key_header)
        assert got.status_code == 200
        assert got.json["value"] == {"key": key, "n": [1, 2]}
    assert handed_on == []


def test_errors_are_answered_alike(account, new_account, slow, handed_on, assert_error):
    bob = new_account("bob@example.com", "bobs")
    read_only = account.new_key(access="read-only")
    account.put("k", 1)
    handed_on.clear()
    cases = [
        ("/v1/app/missing", account.key_header, 404, "item_not_found"),
        ("/v1/app/k", {}, 401, "invalid_api_key"),
        ("/v1/app/k", {"x-api-key": "kv_not-a-real-key"}, 401, "invalid_api_key"),
        ("/v1/app/k", bob.key_header, 403, "wrong_namespace"),
        ("/v1/nowhere/k", account.key_header, 403, "wrong_namespace"),
        ("/v1/app/" + "x" * 600, account.key_header, 400, "invalid_key"),
    ]
    for path, headers, status, code in cases:
        assert_error(same_answer(account.client, slow, path, **headers), status, code)
    read = same_answer(account.client, slow, "/v1/app/k", **{"x-api-key": read_only})
    assert read.status_code == 200
    origin = {"Origin": "https://elsewhere.example.com", **account.key_header}
    assert (
        "Access-Control-Allow-Origin"
        not in same_answer(account.client, slow, "/v1/app/k", **origin).headers
    )
    assert handed_on == []


def test_a_refused_request_is_answered_alike_and_not_counted(
    account, slow, monkeypatch, assert_error
):
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, 3, 100))
    for _ in range(3):
        assert account.get("k").status_code == 404
    refused = same_answer(account.client, slow, "/v1/app/k", **account.key_header)
    assert_error(refused, 429, "request_quota_exceeded")
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["Retry-After"]) >= 1
    assert account.usage()["requests"]["used"] == 3


def test_a_request_id_is_echoed(account, slow):
    account.put("k", 1)
    given = {"X-Request-Id": "req-123", **account.key_header}
    assert account.client.get("/v1/app/k", headers=given).headers["X-Request-Id"] == "req-123"
    made = account.client.get("/v1/app/k", headers={"X-Request-Id": "bad id!", **given})
    assert made.headers["X-Request-Id"] != "bad id!"


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/app/k", {"If-None-Match": "*"}),  # conditional: 304 from the view
        ("/v1/usage/k", {}),  # a reserved name
        ("/v1/app", {}),  # a listing
        ("/v1/app/", {}),  # no key
        ("/v1/health", {}),
        ("/dashboard/k", {}),
    ],
)
def test_everything_else_is_handed_to_flask(account, slow, handed_on, path, headers):
    account.put("k", 1)
    handed_on.clear()
    same_answer(account.client, slow, path, **{**account.key_header, **headers})
    assert handed_on == [path]


def test_other_methods_and_conditional_writes_are_flasks(account, handed_on):
    account.put("k", 1)
    assert handed_on == []
    key = account.key_header
    assert account.client.head("/v1/app/k", headers=key).status_code == 200
    assert account.put("k", 2, **{"If-Match": "*"}).status_code == 200
    assert account.put("n", 3, **{"If-None-Match": "*"}).status_code == 201
    assert account.client.delete("/v1/app/k", headers=key).status_code == 204
    assert handed_on == ["/v1/app/k", "/v1/app/k", "/v1/app/n", "/v1/app/k"]


def test_a_chunked_put_is_the_fast_paths_too(account, handed_on, chunked):
    """A body without a length is read to the limit plus one byte here as in Flask."""
    put = chunked("PUT", "/v1/app/c", b"[1, 2]", account.key_header)
    assert put.status_code == 201
    assert account.get("c").json["value"] == [1, 2]
    assert handed_on == []


@pytest.fixture
def twin(settings, tmp_path):
    """A second, empty API of the same kind that sends every request through Flask."""
    if settings.store == "dynamodb":
        from kv_core.engines.dynamodb import DynamoStore

        DynamoStore("kv-api-twin", region="us-east-1").create_table()
        twin_settings = replace(settings, table="kv-api-twin")
    else:
        twin_settings = replace(settings, data_dir=tmp_path / "twin")
    app = create_app({"FAST_PATH": False, "TESTING": True}, settings=twin_settings)
    yield app
    services = app.extensions["kv_services"]
    services.items.meter.close()
    services.store.close()


def replay(client, steps, *, email="ann@example.com"):
    """Sign up, then make each ``(method, path, body, headers)`` request; the answers
    with what differs from run to run (times, etags, request ids) taken out."""
    token = client.post("/v1/auth/signup", json={"email": email, "password": "s3cret-pass"})
    auth = {"Authorization": f"Bearer {token.json['token']}"}
    assert client.post("/v1/namespaces", json={"name": "app"}, headers=auth).status_code == 201
    raw = client.post("/v1/api-keys", json={"namespace": "app"}, headers=auth).json["apiKey"]
    answers = []
    for method, path, body, headers in steps:
        response = client.open(
            path, method=method, data=body, headers={"x-api-key": raw, **headers}
        )
        payload = response.get_json(silent=True)
        if isinstance(payload, dict) and "updatedAt" in payload:
            payload = {**payload, "updatedAt": "..."}
        kept = {k: v for k, v in response.headers.items() if k not in {"X-Request-Id", "ETag"}}
        if "Retry-After" in kept:  # seconds to the next month, at this moment
            kept["Retry-After"] = "positive" if int(kept["Retry-After"]) > 0 else "not"
        answers.append((response.status_code, payload, kept, "ETag" in response.headers))
    return answers


def test_writes_are_answered_alike(client, twin, assert_error):
    big = json.dumps("x" * (256 * 1024)).encode()
    steps = [
        ("PUT", "/v1/app/user:1", b'{"name": "Ann"}', {}),
        ("PUT", "/v1/app/user:1", b'{"name": "Bo"}', {}),
        ("PUT", "/v1/app//lead", b"[1, 2]", {}),
        ("PUT", "/v1/app/%D0%BA", b'"unicode key"', {}),
        ("PUT", "/v1/app/bad", b"{not json", {}),
        ("PUT", "/v1/app/bad", b"", {}),
        ("PUT", "/v1/app/bad", b"NaN", {}),
        ("PUT", "/v1/app/bad", b"\xff\xfe", {}),
        ("PUT", "/v1/app/big", big, {}),
        ("PUT", "/v1/app/huge", b"[" + b"1," * (600 * 1024) + b"1]", {}),
        ("PUT", "/v1/app/" + "k" * 600, b"1", {}),
        ("PUT", "/v1/app/deep", b"[" * 65 + b"]" * 65, {}),
        ("PUT", "/v1/app/deeper", b"[" * 5000 + b"]" * 5000, {}),
        ("PUT", "/v1/app/twice", b'{"a": 1, "a": 2}', {}),
        ("PUT", "/v1/app/half", b'"\\ud800"', {}),
        ("PUT", "/v1/app/wide", '"x"'.encode("utf-16"), {}),
        ("PUT", "/v1/app/bad%FF", b"1", {}),
        ("GET", "/v1/app/bad%FE", None, {}),
        ("PUT", "/v1/app/k", b"1", {"x-api-key": "kv_not-a-real-key"}),
        ("PUT", "/v1/other/k", b"1", {}),
        ("GET", "/v1/app/user:1", None, {}),
        ("PUT", "/v1/usage/k", b"1", {}),
    ]
    fast, slow = replay(client, steps), replay(twin.test_client(), steps)
    assert fast == slow
    codes = [answer[0] for answer in fast]
    assert codes[:11] == [201, 200, 201, 201, 400, 400, 400, 400, 413, 413, 400]
    assert codes[11:] == [400, 400, 400, 400, 400, 400, 400, 401, 403, 200, 404]
    refusals = [fast[i][1]["code"] for i in range(11, 18)]
    assert refusals == [*["too_deep"] * 2, *["invalid_json"] * 3, *["invalid_key"] * 2]


def test_a_refused_write_is_answered_alike(client, twin, monkeypatch):
    monkeypatch.setitem(plans.PLANS, "free", Plan("free", "Free", 0, 3, 30))
    steps = [
        ("PUT", "/v1/app/a", json.dumps("x" * 20).encode(), {}),  # 1 + 22 bytes
        ("PUT", "/v1/app/b", json.dumps("y" * 20).encode(), {}),  # storage quota
        ("PUT", "/v1/app/a", b"1", {}),
        ("PUT", "/v1/app/c", b"1", {}),  # request quota
    ]
    fast, slow = replay(client, steps), replay(twin.test_client(), steps)
    assert fast == slow
    assert [answer[0] for answer in fast] == [201, 429, 200, 429]
    assert fast[1][1]["code"] == "storage_quota_exceeded"
    assert fast[3][1]["code"] == "request_quota_exceeded"


def test_with_cors_configured_flask_answers_every_get(app, account):
    """flask-cors adds its headers to every answer, Origin or not: that stays Flask's."""
    services, settings = app.extensions["kv_services"], app.extensions["kv_settings"]
    cors = replace(settings, cors_origins=("https://app.example.com",))
    api = create_app({"TESTING": True}, services=services, settings=cors)
    assert not isinstance(api.wsgi_app, FastPath)
    account.put("k", 1)
    got = api.test_client().get("/v1/app/k", headers=account.key_header)
    assert got.headers["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_with_cors_configured_the_log_says_once_why_the_fast_path_is_off(app, caplog):
    services, settings = app.extensions["kv_services"], app.extensions["kv_settings"]
    cors = replace(settings, cors_origins=("https://app.example.com",))
    with caplog.at_level("WARNING", logger="kv_api.fast_path"):
        api = create_app({"TESTING": True}, services=services, settings=cors)
        for _ in range(3):
            api.test_client().get("/v1/health")
    (record,) = [r for r in caplog.records if r.name == "kv_api.fast_path"]
    assert record.levelname == "WARNING"
    assert "CORS" in record.getMessage()


def test_without_cors_the_fast_path_says_nothing(app, caplog):
    services, settings = app.extensions["kv_services"], app.extensions["kv_settings"]
    with caplog.at_level("DEBUG", logger="kv_api.fast_path"):
        api = create_app({"TESTING": True}, services=services, settings=settings)
    assert isinstance(api.wsgi_app, FastPath)
    assert [r for r in caplog.records if r.name == "kv_api.fast_path"] == []
