"""What each request did, seen once at the edge of the WSGI app: its route template,
status and duration, for the access log and the metrics.

The apps mark what only they know in the WSGI environ: the route template and
namespace (the API's Flask hook and the fast path, :func:`mark_route`) and the code of
a refusal or failure (:func:`mark_error`). :class:`Observed` times the request and
hands an :class:`Outcome` to its sinks: the JSON access log (:class:`AccessLog`), the
Prometheus counters of ``serve`` (:mod:`kv_api.prometheus`) and, on Lambda, CloudWatch's
embedded metric format (:class:`EmbeddedMetrics`), whose one line per request is the
access log there too. A line names the route template, never the path: a key, a token
or an API key never reaches a log.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from kv_api.headers import request_id

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ROUTE = "kv.route"
NAMESPACE = "kv.namespace"
ERROR = "kv.error"
QUOTAS = {"request_quota_exceeded": "requests", "storage_quota_exceeded": "storage"}
STORE_FAILURES = frozenset({"store_error", "store_unavailable"})


def mark_route(environ: WSGIEnvironment, route: str | None, namespace: str | None) -> None:
    environ[ROUTE] = route
    environ[NAMESPACE] = namespace


def mark_error(environ: WSGIEnvironment, code: str) -> None:
    environ[ERROR] = code


def unmarked_route(path: str) -> str:
    """A bounded label for requests no app named a route for."""
    if path == "/v1" or path.startswith("/v1/"):
        return "unmatched"
    if path == "/dashboard" or path.startswith("/dashboard/"):
        return "/dashboard"
    return "/"


@dataclass(slots=True)  # not frozen: a frozen init costs a microsecond per request
class Outcome:
    request_id: str
    method: str
    route: str
    status: int
    seconds: float
    namespace: str | None
    error: str | None

    @property
    def quota(self) -> str | None:
        """``requests`` or ``storage`` when a quota refused the request."""
        return QUOTAS.get(self.error) if self.error else None

    @property
    def store_failed(self) -> bool:
        return self.error in STORE_FAILURES

    def fields(self) -> dict[str, Any]:
        """The access log's fields."""
        return {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "request_id": self.request_id,
            "method": self.method,
            "route": self.route,
            "status": self.status,
            "duration_ms": round(self.seconds * 1000, 3),
            "namespace": self.namespace,
        }


Sink = Callable[[Outcome], None]


class Observed:
    """WSGI middleware: each request's outcome to every sink.

    With ``request_ids`` (for a log) it gives every request its id first (the
    caller's, if well-formed), which the API echoes in ``X-Request-Id``; metrics alone
    need none. The duration is the app's, up to the answer's start (every answer here
    is built whole before it starts).
    """

    def __init__(
        self,
        app: WSGIApplication,
        sinks: Sequence[Sink],
        *,
        pages: dict[str, WSGIApplication] | None = None,
        request_ids: bool = True,
    ) -> None:
        self.app = app
        self.sinks = tuple(sinks)
        self.pages = pages or {}
        self.request_ids = request_ids

    def close(self) -> None:
        """Close the app, when it has something to close, and write what the sinks
        hold (a worker that stops: it leaves by ``os._exit``, so no ``atexit`` runs)."""
        close = getattr(self.app, "close", None)
        if close is not None:
            close()
        for sink in self.sinks:
            flush = getattr(sink, "flush", None)
            if flush is not None:
                flush()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        page = self.pages.get(path)
        if page is not None:
            return page(environ, start_response)
        started = time.perf_counter()
        rid = ""
        if self.request_ids:
            rid = environ["HTTP_X_REQUEST_ID"] = request_id(environ.get("HTTP_X_REQUEST_ID"))
        status = [500]

        def observing(line: str, headers: Any, exc_info: Any = None) -> Any:
            status[0] = int(line[:3])
            return start_response(line, headers, exc_info)

        try:
            return self.app(environ, observing)
        finally:
            outcome = Outcome(
                rid,
                environ.get("REQUEST_METHOD", ""),
                environ.get(ROUTE) or unmarked_route(path),
                status[0],
                time.perf_counter() - started,
                environ.get(NAMESPACE),
                environ.get(ERROR),
            )
            for sink in self.sinks:
                sink(outcome)


_COMPACT = json.JSONEncoder(separators=(",", ":"))


class AccessLog:
    """One JSON line per request on ``stream`` (stdout by default).

    A request only appends its line to a list; a thread of each process writes what
    has gathered every ``interval`` seconds, and at exit or when the app closes.
    Writing on the request's own thread made each request a system call that lets go of
    the interpreter lock, and getting it back behind busy threads cost far more.
    """

    def __init__(self, stream: IO[str] | None = None, *, interval: float = 0.2) -> None:
        self.stream = stream
        self.interval = interval
        self._lines: list[str] = []
        self._running = False
        self._starting = threading.Lock()
        os.register_at_fork(after_in_child=self._forked)

    def __call__(self, outcome: Outcome) -> None:
        if not self._running:
            self._start()
        self._lines.append(_COMPACT.encode(outcome.fields()))

    def flush(self) -> None:
        """Write every line gathered so far."""
        lines, self._lines = self._lines, []
        if lines:
            stream = self.stream or sys.stdout
            stream.write("\n".join(lines) + "\n")
            stream.flush()

    def _forked(self) -> None:
        self._lines, self._running, self._starting = [], False, threading.Lock()

    def _start(self) -> None:
        with self._starting:
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, name="access-log", daemon=True).start()
        atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.flush()


class EmbeddedMetrics:
    """CloudWatch metrics in the embedded metric format: one JSON line per request
    that CloudWatch Logs turns into metrics (in ``namespace``, by ``Service`` and by
    ``Service`` and ``Route``) and that keeps the access log's fields beside them."""

    METRICS = (
        {"Name": "Requests", "Unit": "Count"},
        {"Name": "Latency", "Unit": "Milliseconds"},
        {"Name": "ServerErrors", "Unit": "Count"},
        {"Name": "QuotaRefusals", "Unit": "Count"},
        {"Name": "StoreErrors", "Unit": "Count"},
    )

    def __init__(self, namespace: str, service: str, stream: IO[str] | None = None) -> None:
        self.service = service
        self.stream = stream
        self._directive = {
            "Namespace": namespace,
            "Dimensions": [["Service"], ["Service", "Route"]],
            "Metrics": list(self.METRICS),
        }

    def record(self, outcome: Outcome) -> dict[str, Any]:
        fields = outcome.fields()
        return {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [self._directive],
            },
            **fields,
            "Service": self.service,
            "Route": outcome.route,
            "Requests": 1,
            "Latency": fields["duration_ms"],
            "ServerErrors": int(outcome.status >= 500),
            "QuotaRefusals": int(outcome.quota is not None),
            "StoreErrors": int(outcome.store_failed),
        }

    def __call__(self, outcome: Outcome) -> None:
        stream = self.stream or sys.stdout  # at once: Lambda may freeze after the answer
        stream.write(_COMPACT.encode(self.record(outcome)) + "\n")
        stream.flush()


@contextmanager
def prometheus_multiprocess_dir() -> Iterator[None]:
    """A fresh directory for the workers' Prometheus counters, named in
    ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client reads it when first imported, so
    this runs before any worker starts) and removed at the end by the process that
    made it (a forked worker leaves through this block too). One given by the
    environment is used as it is."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    made, maker = tempfile.mkdtemp(prefix="kv-storage-metrics-"), os.getpid()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    try:
        yield
    finally:
        if os.getpid() == maker:
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
            shutil.rmtree(made, ignore_errors=True)
