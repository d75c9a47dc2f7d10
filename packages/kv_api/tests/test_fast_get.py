"""The fast GET path answers exactly as the Flask view would, counts each request once,
and hands Flask everything it does not handle whole."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask.testing import FlaskClient

from kv_api import create_app
from kv_api.fast_get import FastGet
from kv_core import plans
from kv_core.plans import Plan

# Differ by design: a fresh id per answer, and one request more counted.
VARYING = {"X-Request-Id", "X-RateLimit-Remaining"}


@pytest.fixture
def slow(app) -> FlaskClient:
    """The same API on the same services, with every GET going through Flask."""
    services = app.extensions["kv_services"]
    flask_only = create_app(
        {"FAST_GET": False, "TESTING": True},
        services=services,
        settings=app.extensions["kv_settings"],
    )
    assert not isinstance(flask_only.wsgi_app, FastGet)
    return flask_only.test_client()


@pytest.fixture
def handed_on(app, monkeypatch) -> list[str]:
    """The paths the fast path handed to Flask."""
    fast = app.wsgi_app
    assert isinstance(fast, FastGet)
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


def test_only_gets_take_the_fast_path(account, handed_on):
    account.put("k", 1)
    assert account.client.head("/v1/app/k", headers=account.key_header).status_code == 200
    assert account.client.delete("/v1/app/k", headers=account.key_header).status_code == 204
    assert handed_on == ["/v1/app/k"] * 3  # the put, the head, the delete


def test_with_cors_configured_flask_answers_every_get(app, account):
    """flask-cors adds its headers to every answer, Origin or not: that stays Flask's."""
    services, settings = app.extensions["kv_services"], app.extensions["kv_settings"]
    cors = replace(settings, cors_origins=("https://app.example.com",))
    api = create_app({"TESTING": True}, services=services, settings=cors)
    assert not isinstance(api.wsgi_app, FastGet)
    account.put("k", 1)
    got = api.test_client().get("/v1/app/k", headers=account.key_header)
    assert got.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
