"""A soak of the API on DynamoDB (moto, in process) while DynamoDB throttles at random
and, now and then, fails every call for a moment: a few threads of mixed load, each on
keys of its own, for ``SOAK_SECONDS`` (120 by default).

It prints the requests, the 5xx answers by code and, once the faults stop, the counter
drift (each namespace's counters against its items, the account's stored bytes against
their sum) and the acknowledged writes that were lost: both must be 0, and no 5xx may
be other than ``503 store_unavailable``. The counters are compared as the writes left
them, before any reconciliation.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from botocore.awsrequest import AWSResponse
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

from benchmarks.report import Figure
from kv_api import create_app
from kv_core.engines.dynamodb import DynamoStore
from kv_core.settings import Settings
from kv_core.sizing import stored_size, value_size

SECONDS = float(os.environ.get("SOAK_SECONDS", "120"))
THREADS = 4
KEYS = 40  # per thread
THROTTLED = 0.05  # of the attempts, at random
OUTAGE_EVERY = 15.0  # seconds between outages, during which every attempt fails
OUTAGE_FOR = 1.0
TABLE = "kv-soak"


class Weather:
    """Decides each attempt's fate: an outage now and then, throttling at random."""

    def __init__(self, seed: int = 23) -> None:
        self.random = random.Random(seed)  # noqa: S311 - weather, not secrets
        self.started = time.monotonic()
        self.calm = False
        self.injected: Counter[str] = Counter()

    def fault(self) -> str | None:
        if self.calm:
            return None
        if (time.monotonic() - self.started) % OUTAGE_EVERY < OUTAGE_FOR:
            return "InternalServerError"
        if self.random.random() < THROTTLED:
            return "ThrottlingException"
        return None


@contextmanager
def faulty_dynamodb(weather: Weather) -> Iterator[None]:
    """moto's DynamoDB, each attempt atomic (moto is not thread-safe; DynamoDB applies
    each call atomically) and answered with the weather's fault when it has one."""
    original = BotocoreStubber.__call__
    lock = threading.Lock()

    def faulty(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        if stubber.enabled and event_name.startswith("before-send.dynamodb."):
            code = weather.fault()
            if code is not None:
                weather.injected[code] += 1
                status = 400 if code == "ThrottlingException" else 500
                body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}"})
                headers = {"Content-Type": "application/x-amz-json-1.0"}
                return AWSResponse(request.url, status, headers, MockRawResponse(body))
        with lock:
            return original(stubber, event_name, request, **kwargs)

    with mock.patch.object(BotocoreStubber, "__call__", faulty):
        yield


class Load:
    """One thread's mixed load on its own keys, remembering what was acknowledged."""

    def __init__(self, app: Any, api_key: str, namespace: str, number: int) -> None:
        self.client = app.test_client()
        self.headers = {"x-api-key": api_key}
        self.prefix = f"/v1/{namespace}/t{number}-"
        self.listing = f"/v1/{namespace}?prefix=t{number}-"
        self.random = random.Random(number)  # noqa: S311 - load, not secrets
        self.acknowledged: dict[str, Any] = {}  # key: last acknowledged value (None: deleted)
        self.statuses: Counter[str] = Counter()

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            key = f"k{self.random.randrange(KEYS)}"
            roll = self.random.random()
            if roll < 0.45:
                value = {"n": self.random.randrange(10**6), "pad": "x" * self.random.randrange(200)}
                answer = self.client.put(self.prefix + key, json=value, headers=self.headers)
                if answer.status_code in (200, 201):
                    self.acknowledged[key] = value
            elif roll < 0.6:
                answer = self.client.delete(self.prefix + key, headers=self.headers)
                if answer.status_code in (204, 404):
                    self.acknowledged[key] = None
            elif roll < 0.9:
                answer = self.client.get(self.prefix + key, headers=self.headers)
            else:
                answer = self.client.get(self.listing, headers=self.headers)
            self.statuses[self._label(answer)] += 1

    @staticmethod
    def _label(answer: Any) -> str:
        if answer.status_code < 500:
            return str(answer.status_code)
        return f"{answer.status_code} {(answer.get_json() or {}).get('code', '?')}"


def lost_writes(app: Any, loads: list[Load]) -> int:
    """Acknowledged writes whose item is not what they left."""
    lost = 0
    for load in loads:
        for key, value in load.acknowledged.items():
            answer = load.client.get(load.prefix + key, headers=load.headers)
            found = answer.get_json()["value"] if answer.status_code == 200 else None
            lost += found != value
    return lost


def drift(store: DynamoStore, user_id: str, namespace_id: str) -> int:
    """How far the counters are from the items: items, bytes and stored bytes, summed."""
    namespace = next(n for n in store.list_namespaces(user_id) if n.id == namespace_id)
    items = size = 0
    after = None
    while True:
        keys, more = store.list_keys(namespace_id, after=after, limit=1000)
        for key in keys:
            item = store.get_item(namespace_id, key)
            assert item is not None
            items += 1
            size += stored_size(key, value_size(item.value))
        if not more:
            break
        after = keys[-1]
    stored = store.get_usage(user_id, "2026-01").storage_bytes
    return abs(namespace.item_count - items) + abs(namespace.size_bytes - size) + abs(stored - size)


def measure() -> list[Figure]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="soak", AWS_SECRET_ACCESS_KEY="soak", AWS_DEFAULT_REGION="us-east-1"
    )
    for noisy in ("kv_api.errors", "kv_core.services.metering"):  # a line per fault
        logging.getLogger(noisy).setLevel(logging.ERROR)
    weather = Weather()
    with mock_aws(), faulty_dynamodb(weather):
        weather.calm = True
        store = DynamoStore(TABLE, region="us-east-1")
        store.create_table(stream=False)
        settings = Settings(store="dynamodb", table=TABLE, region="us-east-1", secret="s" * 40)
        app = create_app(settings=settings)
        client = app.test_client()
        signup = client.post(
            "/v1/auth/signup", json={"email": "soak@example.com", "password": "soak-pass"}
        ).get_json()
        auth = {"Authorization": f"Bearer {signup['token']}"}
        client.post("/v1/namespaces", json={"name": "soak"}, headers=auth)
        raw = client.post("/v1/api-keys", json={"namespace": "soak"}, headers=auth).get_json()
        loads = [Load(app, raw["apiKey"], "soak", n) for n in range(THREADS)]
        weather.calm = False
        weather.started = time.monotonic()
        until = time.monotonic() + SECONDS
        threads = [threading.Thread(target=load.run, args=(until,)) for load in loads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        weather.calm = True
        services = app.extensions["kv_services"]
        services.items.meter.close()
        user = services.store.get_user_by_email("soak@example.com")
        namespace = services.store.get_namespace(user.id, "soak")
        counted = drift(services.store, user.id, namespace.id)
        lost = lost_writes(app, loads)
    statuses = sum((load.statuses for load in loads), Counter())
    failures = {label: n for label, n in statuses.items() if label[0] == "5"}
    other_5xx = sum(n for label, n in failures.items() if label != "503 store_unavailable")
    print(
        f"  soak: {sum(statuses.values())} requests in {SECONDS:g} s; answers {dict(statuses)};"
        f" faults injected {dict(weather.injected)}"
    )
    return [
        Figure("soak: requests under random throttling and outages", sum(statuses.values()), None),
        Figure(
            "soak: 503 store_unavailable answers",
            failures.get("503 store_unavailable", 0),
            None,
            detail=", ".join(f"{label}: {n}" for label, n in sorted(failures.items())) or "no 5xx",
        ),
        Figure("soak: 5xx other than 503 store_unavailable", other_5xx, 0),
        Figure("soak: counter drift (items + bytes off)", counted, 0),
        Figure("soak: acknowledged writes lost", lost, 0),
    ]
