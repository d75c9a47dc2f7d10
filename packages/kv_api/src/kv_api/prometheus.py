"""``serve``'s metrics in Prometheus' text format at ``/metrics``.

``serve`` runs several worker processes, so the counters are prometheus-client's
multiprocess ones: each process writes its own memory-mapped file in
``PROMETHEUS_MULTIPROC_DIR`` (made fresh by ``serve`` before the workers start, and
which must be set before this module is first imported), and ``/metrics`` adds them
up. Without that variable (a single process) they are ordinary counters.

Counting a request costs two memory writes under a lock, the labelled series being
looked up once per (route, method, status) and kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from kv_api.observe import Outcome

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "kv_http_requests",
    "Requests answered, by route template and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "kv_http_request_duration_seconds",
    "Time to answer a request, by route template.",
    ["route", "method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
QUOTA_REFUSALS = Counter(
    "kv_quota_refusals", "Requests refused by a quota (requests or storage).", ["quota"]
)
STORE_ERRORS = Counter("kv_store_errors", "Requests that failed because the store did.")


class PrometheusSink:
    """Counts each request's outcome (an :data:`kv_api.observe.Sink`)."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def __call__(self, outcome: Outcome) -> None:
        key = (outcome.route, outcome.method, outcome.status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (
                REQUESTS.labels(outcome.route, outcome.method, str(outcome.status)),
                LATENCY.labels(outcome.route, outcome.method),
            )
        series[0].inc()
        series[1].observe(outcome.seconds)
        if outcome.error is not None:
            quota = outcome.quota
            if quota is not None:
                QUOTA_REFUSALS.labels(quota).inc()
            elif outcome.store_failed:
                STORE_ERRORS.inc()


def exposition() -> bytes:
    """Every process's counters, summed, in the text format."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics_page(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """``GET /metrics``."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
        return [b""]
    body = exposition()
    start_response(
        "200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))]
    )
    return [body]
