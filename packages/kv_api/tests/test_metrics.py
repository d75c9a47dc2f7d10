"""``kv-storage serve``'s ``/metrics`` and ``--access-log``, read from a live server with
several workers: Prometheus' own parser reads the one, JSON the other."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from kv_api.cli import main
from kv_api.testing import serving

ITEM = "/v1/<namespace>/<key:key>"


@pytest.fixture(autouse=True)
def sqlite_engine(monkeypatch):
    for name in ("KV_STORE", "KV_DATA_DIR", "KV_JWT_SECRET", "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.delenv(name, raising=False)


def signed_up(base: str) -> tuple[requests.Session, str, str]:
    http = requests.Session()
    account = {"email": "ann@example.com", "password": "s3cret-pass"}
    token = http.post(f"{base}/v1/auth/signup", json=account).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    http.post(f"{base}/v1/namespaces", json={"name": "app"}, headers=auth).raise_for_status()
    key = http.post(f"{base}/v1/api-keys", json={"namespace": "app"}, headers=auth).json()
    http.headers["x-api-key"] = key["apiKey"]
    return http, key["apiKey"], token


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def labels(**given: str) -> frozenset:
    return frozenset(given.items())


def scraped(base: str, complete: Callable[[dict], bool]) -> requests.Response:
    """``/metrics`` once every worker has written its counts (each does once a second)."""
    for _ in range(100):
        page = requests.get(f"{base}/metrics")
        if complete(samples(page.text)):
            break
        time.sleep(0.1)
    return page


def answered(found: dict[tuple[str, frozenset], float]) -> float:
    return sum(value for (name, _), value in found.items() if name == "kv_http_requests_total")


def metric_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("kv-storage-metrics-*"))


def test_metrics_count_every_workers_requests_by_route_and_status(tmp_path):
    data = tmp_path / "data"
    before = metric_dirs()
    put_ok = ("kv_http_requests_total", labels(route=ITEM, method="PUT", status="201"))
    with serving(data, options=["--workers", "2", "--threads", "2"]) as base:
        http, _, _ = signed_up(base)
        for n in range(6):
            assert http.put(f"{base}/v1/app/k{n}", json=n).status_code == 201
        assert http.get(f"{base}/v1/app/nothing").status_code == 404
        assert http.get(f"{base}/v1/app").status_code == 200
        assert http.get(f"{base}/v1/app/k0").headers["X-RateLimit-Limit"] == "10000"
        # Nine requests so far: a limit of 9 refuses the next one, at once on SQLite.
        change = ["set-plan", "ann@example.com", "business", "--requests", "9"]
        assert main(["admin", *change, "--data", str(data)]) == 0
        refused = http.get(f"{base}/v1/app/k0")
        assert refused.status_code == 429
        assert refused.json()["code"] == "request_quota_exceeded"
        assert refused.headers["X-RateLimit-Limit"] == "9"
        page = scraped(base, lambda found: answered(found) == 13)  # every request above
    assert metric_dirs() <= before  # serve removed the workers' counter files
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/plain")
    found = samples(page.text)
    requests_total = "kv_http_requests_total"
    assert found[put_ok] == 6
    assert found[(requests_total, labels(route=ITEM, method="GET", status="404"))] == 1
    assert found[(requests_total, labels(route=ITEM, method="GET", status="200"))] == 1
    assert found[(requests_total, labels(route=ITEM, method="GET", status="429"))] == 1
    assert found[(requests_total, labels(route="/v1/<namespace>", method="GET", status="200"))] == 1
    signup = labels(route="/v1/auth/signup", method="POST", status="201")
    assert found[(requests_total, signup)] == 1
    put_latency = labels(route=ITEM, method="PUT")
    assert found[("kv_http_request_duration_seconds_count", put_latency)] == 6
    assert found[("kv_http_request_duration_seconds_sum", put_latency)] > 0
    infinite = frozenset({*put_latency, ("le", "+Inf")})
    assert found[("kv_http_request_duration_seconds_bucket", infinite)] == 6
    assert found[("kv_quota_refusals_total", labels(quota="requests"))] == 1
    assert found.get(("kv_store_errors_total", frozenset()), 0) == 0
    assert "k0" not in page.text
    assert "ann@example.com" not in page.text


def test_no_metrics_page_without_metrics(tmp_path):
    with serving(tmp_path / "data", options=["--no-metrics"]) as base:
        assert requests.get(f"{base}/metrics").status_code == 404


def test_the_access_log_is_a_json_line_per_request(tmp_path):
    printed: list[str] = []
    with serving(tmp_path / "data", options=["--access-log"], output=printed) as base:
        http, api_key, token = signed_up(base)
        put = http.put(f"{base}/v1/app/very/private-key", json={"a": 1})
        assert put.status_code == 201
        http.get(f"{base}/dashboard/")
    lines = [json.loads(line) for line in printed[0].splitlines() if line.startswith("{")]
    [logged] = [line for line in lines if line["method"] == "PUT"]
    assert logged["request_id"] == put.headers["X-Request-Id"]
    assert (logged["route"], logged["status"], logged["namespace"]) == (ITEM, 201, "app")
    assert {line["route"] for line in lines} >= {"/v1/auth/signup", "/dashboard"}
    for secret in ("private-key", api_key, token, "s3cret-pass"):
        assert secret not in printed[0]
