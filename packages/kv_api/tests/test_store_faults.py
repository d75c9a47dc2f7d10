"""What the API answers while its store fails, faults injected for real on each engine:
SQLite's disk full (``PRAGMA max_page_count``) and an I/O error, DynamoDB's throttling
and an outage (in botocore's sends, past its retries). Each answers a JSON 503 or 507
with ``Retry-After`` on the fast path, through Flask and through Lambda, never a 500;
nothing acknowledged is lost, the counters equal the items once the fault clears, and
the server heals without a restart."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from kv_api import create_app, lambda_handlers
from kv_core.sizing import stored_size, value_size

EVENTS = Path(__file__).parent / "events"


@dataclass
class Fault:
    """One fault of the app's store, and what the API answers while it lasts."""

    injected: Callable[[], AbstractContextManager[None]]
    status: int
    code: str
    reads_work: bool


@pytest.fixture
def app(settings):
    """The API, its DynamoDB calls tried twice (so that failing ones fail fast)."""
    app = create_app(settings=dataclasses.replace(settings, dynamodb_max_attempts=2))
    app.config.update(TESTING=True)
    yield app
    services = app.extensions["kv_services"]
    services.items.meter.close()
    services.store.close()


@pytest.fixture(params=["capacity", "outage"])
def fault(request, app, settings):
    """A full disk or throttling ("capacity"), an I/O error or 500s ("outage")."""
    store = app.extensions["kv_services"].store
    if settings.store == "sqlite":
        faults = request.getfixturevalue("sqlite_faults")(store)
        if request.param == "capacity":
            return Fault(faults.disk_full, 507, "insufficient_storage", reads_work=True)
        return Fault(faults.io_errors, 503, "store_unavailable", reads_work=True)
    dynamo = request.getfixturevalue("dynamo_faults")
    kind = "throttle" if request.param == "capacity" else "error"

    @contextmanager
    def injected():
        dynamo.when = lambda operation, body: kind
        try:
            yield
        finally:
            dynamo.clear()

    return Fault(injected, 503, "store_unavailable", reads_work=False)


def assert_store_error(response, fault: Fault) -> None:
    assert response.status_code == fault.status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error", "code"}
    assert body["code"] == fault.code
    assert body["error"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) >= 1


def counters_and_items(account, items: dict) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The namespace's and the account's counters, next to what ``items`` add up to."""
    listed = account.client.get("/v1/namespaces", headers=account.auth).get_json()
    (namespace,) = [n for n in listed["namespaces"] if n["name"] == account.namespace]
    used = account.usage()["storage"]["usedBytes"]
    size = sum(stored_size(key, value_size(value)) for key, value in items.items())
    return (namespace["itemCount"], namespace["sizeBytes"], used), (len(items), size, size)


def test_a_failing_store_answers_clearly_loses_nothing_and_heals(account, fault):
    acknowledged = {}
    for i in range(4):
        value = {"i": i, "pad": "x" * 3000}
        assert account.put(f"k{i}", value).status_code == 201
        acknowledged[f"k{i}"] = value
    with fault.injected():
        assert_store_error(account.put("new", {"pad": "y" * 8000}), fault)  # the fast path
        big = {"pad": "y" * 8000}  # more than a page: a full disk has no room for it
        assert_store_error(account.put("new", big, **{"If-None-Match": "*"}), fault)
        assert_store_error(account.put("k0", {"replaced": "z" * 8000}), fault)
        read = account.get("k1")
        if fault.reads_work:
            assert read.status_code == 200
            assert read.get_json()["value"] == acknowledged["k1"]
        else:
            assert_store_error(read, fault)
    for key, value in acknowledged.items():
        assert account.get(key).get_json()["value"] == value
    assert account.get("new").status_code == 404
    assert account.put("after", {"healed": True}).status_code == 201
    acknowledged["after"] = {"healed": True}
    counted, added = counters_and_items(account, acknowledged)
    assert counted == added


def test_lambda_answers_the_same(monkeypatch, app, account, fault):
    monkeypatch.setenv("STRIP_STAGE_PATH", "true")
    monkeypatch.setattr(lambda_handlers, "_apps", {"api": app})
    text = (EVENTS / "put-item-base64.json").read_text().replace("{API_KEY}", account.api_key)
    event = json.loads(text)
    event["body"] = base64.b64encode(json.dumps({"pad": "y" * 8000}).encode()).decode()
    with fault.injected():
        answer = lambda_handlers.api(event, None)
    assert answer["statusCode"] == fault.status
    assert json.loads(answer["body"])["code"] == fault.code
    assert int(answer["headers"]["Retry-After"]) >= 1
    assert account.get("user:1").status_code == 404
