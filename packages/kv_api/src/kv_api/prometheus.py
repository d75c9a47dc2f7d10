"""``serve``'s metrics in Prometheus' text format at ``/metrics``.

``serve`` runs several worker processes, so the counters are prometheus-client's
multiprocess ones: each process writes its own memory-mapped file in
``PROMETHEUS_MULTIPROC_DIR`` (made fresh by ``serve`` before the workers start, and
which must be set before this module is first imported), and ``/metrics`` adds them
up. Without that variable (a single process) they are ordinary counters.

A request only adds to tallies in this process's memory; they reach the shared
counters once a second (:class:`PrometheusSink`).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable
from typing import TYPE_CHECKING

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
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "kv_http_requests",
    "Requests answered, by route template and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "kv_http_request_duration_seconds",
    "Time to answer a request, by route template.",
    ["route", "method"],
    buckets=BUCKETS,
)
QUOTA_REFUSALS = Counter(
    "kv_quota_refusals", "Requests refused by a quota (requests or storage).", ["quota"]
)
STORE_ERRORS = Counter("kv_store_errors", "Requests that failed because the store did.")


class PrometheusSink:
    """Counts each request's outcome (a :data:`kv_api.observe.Sink`).

    A request only adds to tallies in memory; a thread of each worker writes them to
    the shared counters every ``interval`` seconds (and at exit, and before this
    process answers ``/metrics``), so the cost of the counters' files and locks is
    paid once a second rather than per request. The histogram's tallies are added to
    its buckets through prometheus-client's ``_sum`` and ``_buckets``, since its public
    ``observe`` takes one observation at a time (the metrics test reads the result
    with prometheus-client's own parser).
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._tallies: dict[tuple[str, str, int], list[float]] = {}
        self._refused: dict[str, int] = {}
        self._store_errors = 0
        self._running = False
        os.register_at_fork(after_in_child=self._forked)

    def __call__(self, outcome: Outcome) -> None:
        if not self._running:
            self._start()
        key = (outcome.route, outcome.method, outcome.status)
        bucket = 2 + bisect_left(BUCKETS, outcome.seconds)  # the first bound >= it
        with self._lock:
            tally = self._tallies.get(key)
            if tally is None:
                tally = self._tallies[key] = [0.0] * (3 + len(BUCKETS))
            tally[0] += 1
            tally[1] += outcome.seconds
            tally[bucket] += 1
            if outcome.error is not None:
                quota = outcome.quota
                if quota is not None:
                    self._refused[quota] = self._refused.get(quota, 0) + 1
                elif outcome.store_failed:
                    self._store_errors += 1

    def flush(self) -> None:
        """Write this process's tallies to the shared counters."""
        with self._lock:
            tallies, self._tallies = self._tallies, {}
            refused, self._refused = self._refused, {}
            store_errors, self._store_errors = self._store_errors, 0
        for (route, method, status), tally in tallies.items():
            REQUESTS.labels(route, method, str(status)).inc(tally[0])
            latency = LATENCY.labels(route, method)
            latency._sum.inc(tally[1])
            for index, count in enumerate(tally[2:]):
                if count:
                    latency._buckets[index].inc(count)
        for quota, count in refused.items():
            QUOTA_REFUSALS.labels(quota).inc(count)
        if store_errors:
            STORE_ERRORS.inc(store_errors)

    def page(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """``GET /metrics``: every process's counters, this one's brought up to date."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
            return [b""]
        self.flush()
        body = exposition()
        start_response(
            "200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))]
        )
        return [body]

    def _forked(self) -> None:
        """In a new process: no thread, and none of the parent's tallies."""
        self._lock = threading.Lock()
        self._tallies, self._refused, self._store_errors = {}, {}, 0
        self._running = False

    def _start(self) -> None:
        """This process's flushing thread, on its first request."""
        with self._lock:
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, name="metrics-flush", daemon=True).start()
        atexit.register(self._flush_quietly)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self._flush_quietly()

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:
            logger.warning("request metrics could not be written", exc_info=True)


def exposition() -> bytes:
    """Every process's counters, summed, in the text format."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
