"""Paddle Billing webhooks: signatures, plan changes, once-only, bad input."""

from __future__ import annotations

import json
import time

import pytest

from kv_api import create_app, paddle
from kv_core.notify import LogNotifier
from kv_core.settings import Settings

SECRET = "pdl_ntfset_secret_1"
OLD_SECRET = "pdl_ntfset_secret_0"
PRICES = {"pri_starter": "starter", "pri_pro": "pro", "pri_scale": "scale"}


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env(
        {
            "KV_DATA_DIR": str(tmp_path),
            "KV_JWT_SECRET": "x" * 40,
            "KV_PADDLE_WEBHOOK_SECRET": SECRET,
            "KV_PADDLE_PRICES": json.dumps(PRICES),
        }
    )


@pytest.fixture
def user_id(account):
    return account.user_id


def subscription_event(event_type, user_id, price="pri_pro", status="active", event_id="evt_1"):
    return {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": "2026-11-25T10:00:00.000Z",
        "notification_id": "ntf_1",
        "data": {
            "id": "sub_1",
            "status": status,
            "customer_id": "ctm_1",
            "custom_data": {"user_id": user_id},
            "items": [{"price": {"id": price, "product_id": "pro_1"}, "quantity": 1}],
        },
    }


def deliver(client, payload, *, secret=SECRET, ts=None, header=None):
    body = json.dumps(payload).encode()
    ts = int(time.time()) if ts is None else ts
    signature = header if header is not None else f"ts={ts};h1={paddle.sign(secret, ts, body)}"
    return client.post(
        "/v1/webhooks/paddle",
        data=body,
        headers={"Paddle-Signature": signature, "Content-Type": "application/json"},
    )


def plan_of(account):
    return account.usage()["plan"]


def test_subscription_lifecycle(client, account, user_id):
    response = deliver(client, subscription_event("subscription.created", user_id))
    assert response.status_code == 200
    assert response.json == {"received": True, "outcome": "applied"}
    assert plan_of(account) == "pro"
    assert account.get("x").headers["X-RateLimit-Limit"] == "1000000"
    deliver(client, subscription_event("subscription.updated", user_id, "pri_scale", event_id="e2"))
    assert plan_of(account) == "scale"
    deliver(
        client,
        subscription_event("subscription.canceled", user_id, status="canceled", event_id="e3"),
    )
    assert plan_of(account) == "free"


def test_each_event_is_applied_once(client, account, user_id):
    deliver(client, subscription_event("subscription.created", user_id, event_id="evt_a"))
    deliver(client, subscription_event("subscription.canceled", user_id, event_id="evt_b"))
    again = deliver(client, subscription_event("subscription.created", user_id, event_id="evt_a"))
    assert again.json["outcome"] == "duplicate"
    assert plan_of(account) == "free"


def test_secret_rotation_accepts_either_signature(client, account, user_id):
    payload = subscription_event("subscription.created", user_id)
    body = json.dumps(payload).encode()
    ts = int(time.time())
    header = f"ts={ts};h1={paddle.sign(OLD_SECRET, ts, body)};h1={paddle.sign(SECRET, ts, body)}"
    response = client.post("/v1/webhooks/paddle", data=body, headers={"Paddle-Signature": header})
    assert response.status_code == 200
    assert plan_of(account) == "pro"


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "wrong"},
        {"ts": int(time.time()) - 60},  # stale
        {"ts": int(time.time()) + 60},  # from the future
        {"header": "ts=abc;h1=def"},
        {"header": "h1=deadbeef"},
        {"header": ""},
    ],
)
def test_bad_or_stale_signatures_are_refused(client, account, user_id, assert_error, tamper):
    response = deliver(client, subscription_event("subscription.created", user_id), **tamper)
    assert_error(response, 401, "invalid_signature")
    assert plan_of(account) == "free"


def test_the_tolerance_is_configurable(tmp_path, account, user_id):
    settings = Settings.from_env(
        {
            "KV_DATA_DIR": str(tmp_path / "other"),
            "KV_JWT_SECRET": "x" * 40,
            "KV_PADDLE_WEBHOOK_SECRET": SECRET,
            "KV_PADDLE_TOLERANCE_SECONDS": "120",
        }
    )
    lenient = create_app(settings=settings).test_client()
    response = deliver(
        lenient, {"event_id": "e", "event_type": "x.y", "data": {}}, ts=int(time.time()) - 60
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2],
        {"event_type": "subscription.created"},
        {"event_id": "e", "event_type": "a", "data": 3},
    ],
)
def test_malformed_events(client, assert_error, payload):
    assert_error(deliver(client, payload), 400, "invalid_event")


def test_a_body_that_is_not_json(client, assert_error):
    ts = int(time.time())
    body = b"not json"
    header = f"ts={ts};h1={paddle.sign(SECRET, ts, body)}"
    response = client.post("/v1/webhooks/paddle", data=body, headers={"Paddle-Signature": header})
    assert_error(response, 400, "invalid_event")


def test_unknown_event_types_are_acknowledged_and_ignored(client, account, user_id):
    response = deliver(client, subscription_event("customer.updated", user_id))
    assert response.json == {"received": True, "outcome": "ignored"}
    assert plan_of(account) == "free"


def test_unknown_account_or_price_changes_nothing(client, account, user_id):
    assert (
        deliver(client, subscription_event("subscription.created", "nobody")).json["outcome"]
        == "ignored"
    )
    deliver(client, subscription_event("subscription.created", user_id, price="pri_unknown"))
    assert plan_of(account) == "free"


def test_payment_failed_is_recorded_and_the_holder_told(app, client, account, user_id):
    notifier = LogNotifier()
    app.extensions["kv_billing"].notifier = notifier
    payload = {
        "event_id": "evt_pf",
        "event_type": "transaction.payment_failed",
        "data": {"id": "txn_1", "status": "past_due", "custom_data": {"user_id": user_id}},
    }
    assert deliver(client, payload).json["outcome"] == "applied"
    assert deliver(client, payload).json["outcome"] == "duplicate"
    assert [(to, subject) for to, subject, _ in notifier.sent] == [
        ("ann@example.com", "KV Storage: your payment failed")
    ]
    store = app.extensions["kv_services"].store
    assert not store.mark_once(f"payment-failed:{user_id}", "evt_pf", "2026-01-01T00:00:00.000Z")


def test_without_a_configured_secret_every_event_is_refused(tmp_path, assert_error):
    settings = Settings.from_env({"KV_DATA_DIR": str(tmp_path), "KV_JWT_SECRET": "x" * 40})
    client = create_app(settings=settings).test_client()
    assert_error(deliver(client, {"event_id": "e"}), 401, "invalid_signature")


def test_an_event_whose_application_failed_is_applied_when_sent_again(
    app, client, account, user_id, monkeypatch
):
    store = app.extensions["kv_services"].store
    real = store.apply_plan_event
    calls = []

    def failing_once(event):
        calls.append(event.event_id)
        if len(calls) == 1:
            raise ConnectionError("the store went away mid-event")
        return real(event)

    monkeypatch.setattr(store, "apply_plan_event", failing_once)
    event = subscription_event("subscription.created", user_id)
    assert deliver(client, event).status_code == 500  # Paddle sends it again
    assert plan_of(account) == "free"
    assert deliver(client, event).json["outcome"] == "applied"
    assert plan_of(account) == "pro"
    assert deliver(client, event).json["outcome"] == "duplicate"


@pytest.mark.parametrize(
    "change",
    [
        {"items": 5},
        {"items": [5]},
        {"items": [{"price": "pri_pro"}]},
        {"items": [{"price": {"id": 7}}]},
        {"status": ["active"]},
        {"custom_data": "u1"},
        {"custom_data": {"user_id": 42}},
        {"id": None},
        {"id": ["sub_1"]},
    ],
)
def test_a_signed_event_of_the_wrong_shape_is_refused(
    client, account, user_id, assert_error, change
):
    event = subscription_event("subscription.created", user_id)
    event["data"].update(change)
    assert_error(deliver(client, event), 400, "invalid_event")
    assert plan_of(account) == "free"


@pytest.mark.parametrize("occurred_at", [None, "yesterday", 5, "2026-11-25T10:00:00"])
def test_a_subscription_event_needs_a_time_it_occurred(
    client, account, user_id, assert_error, occurred_at
):
    event = subscription_event("subscription.created", user_id)
    event["occurred_at"] = occurred_at
    assert_error(deliver(client, event), 400, "invalid_event")
    assert plan_of(account) == "free"


def test_an_older_event_does_not_undo_a_newer_one(client, account, user_id):
    newer = subscription_event("subscription.updated", user_id, "pri_scale", event_id="e_new")
    newer["occurred_at"] = "2026-11-25T10:00:05.000001Z"
    older = subscription_event("subscription.updated", user_id, "pri_pro", event_id="e_old")
    older["occurred_at"] = "2026-11-25T10:00:05Z"
    assert deliver(client, newer).json["outcome"] == "applied"
    assert deliver(client, older).json["outcome"] == "stale"
    assert plan_of(account) == "scale"


def test_a_subscription_never_changes_another_accounts_plan(client, account, other, user_id):
    assert deliver(client, subscription_event("subscription.created", user_id)).status_code == 200
    hijack = subscription_event("subscription.updated", other.user_id, "pri_scale", event_id="e2")
    hijack["occurred_at"] = "2026-11-25T11:00:00.000Z"
    assert deliver(client, hijack).json["outcome"] == "foreign"
    assert (plan_of(account), plan_of(other)) == ("pro", "free")


def deliver_raw(client, body: bytes, *, header: str | None = None):
    ts = int(time.time())
    return client.post(
        "/v1/webhooks/paddle",
        data=body,
        headers={
            "Paddle-Signature": header or f"ts={ts};h1={paddle.sign(SECRET, ts, body)}",
            "Content-Type": "application/json",
        },
    )


def signed_bodies(user_id: str) -> dict[str, tuple[bytes, str]]:
    """Signed bodies that are not strict JSON, each with the code it gets."""
    event = subscription_event("subscription.created", user_id)
    text = json.dumps(event)
    lone_id = subscription_event("subscription.created", user_id, event_id="evt_\ud800")
    lone_price = subscription_event("subscription.created", user_id, price="pri_\udfff")
    return {
        "deep": (b'{"event_id": "e", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}", "too_deep"),
        "lone surrogate id": (json.dumps(lone_id).encode(), "invalid_event"),
        "lone surrogate price": (json.dumps(lone_price).encode(), "invalid_event"),
        "utf-16": (text.encode("utf-16"), "invalid_event"),
        "duplicate key": ((text[:-1] + ', "event_id": "evt_2"}').encode(), "invalid_event"),
    }


@pytest.mark.parametrize(
    "case", ["deep", "lone surrogate id", "lone surrogate price", "utf-16", "duplicate key"]
)
def test_signed_bodies_that_are_not_strict_json_change_nothing(
    client, account, user_id, assert_error, case
):
    body, code = signed_bodies(user_id)[case]
    assert_error(deliver_raw(client, body), 400, code)
    assert plan_of(account) == "free"
    applied = deliver(client, subscription_event("subscription.created", user_id))
    assert applied.json == {"received": True, "outcome": "applied"}  # not recorded as seen


@pytest.mark.parametrize("ts", ["\u00b2", "\uff11\uff12", "1_0"])
def test_a_timestamp_of_other_digits_is_a_bad_signature(client, assert_error, ts):
    body = b'{"event_id": "e"}'
    response = deliver_raw(client, body, header=f"ts={ts};h1={paddle.sign(SECRET, 10, body)}")
    assert_error(response, 401, "invalid_signature")
