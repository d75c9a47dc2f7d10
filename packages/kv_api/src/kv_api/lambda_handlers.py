"""AWS Lambda entry points, named as serverless.yml names them.

The API and the dashboard are WSGI apps behind an HTTP API (payload format 2.0),
translated by serverless-wsgi; each is built once per warm instance. Each request
writes one JSON line to the function's log: its access-log fields and, in CloudWatch's
embedded metric format, the metrics that the alarms in serverless.yml watch.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any

import serverless_wsgi
from flask import Flask

from kv_api.observe import EmbeddedMetrics, Observed
from kv_api.secrets import load_secrets

METRICS_NAMESPACE = "KV_METRICS_NAMESPACE"

logger = logging.getLogger(__name__)

_apps: dict[str, Flask] = {}


def _app(name: str) -> Flask:
    if name not in _apps:
        load_secrets()
        if name == "api":
            from kv_api.app import create_app

            _apps[name] = create_app()
        else:
            _apps[name] = importlib.import_module("kv_dashboard").create_app()
        observed(_apps[name], name)
    return _apps[name]


def observed(app: Flask, service: str) -> Flask:
    """Log each request of ``app`` as one line of embedded metrics (``Service``:
    ``service``, in the ``KV_METRICS_NAMESPACE`` namespace)."""
    namespace = os.environ.get(METRICS_NAMESPACE, "KVStorage")
    app.wsgi_app = Observed(app.wsgi_app, [EmbeddedMetrics(namespace, service)])  # type: ignore[method-assign]
    return app


def _handle(app: Flask, event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = serverless_wsgi.handle_request(app, event, context)
    if event.get("version") == "2.0":
        _cookies_for_payload_v2(response)
    return response


def _cookies_for_payload_v2(response: dict[str, Any]) -> None:
    """Move every ``Set-Cookie`` into ``cookies``, where payload format 2.0 wants them.

    serverless-wsgi spreads several cookies over case-variants of the header name (a
    trick for REST APIs); an HTTP API would pass on only one of them.
    """
    headers: dict[str, str] = response.get("headers") or {}
    cookies = [value for name, value in headers.items() if name.lower() == "set-cookie"]
    if cookies:
        response["headers"] = {k: v for k, v in headers.items() if k.lower() != "set-cookie"}
        response["cookies"] = [*response.get("cookies", []), *cookies]


def api(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The REST API."""
    return _handle(_app("api"), event, context)


def dashboard(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The dashboard."""
    return _handle(_app("dashboard"), event, context)


def usage_alerts(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The scheduled job: email account holders who crossed 80 % or 100 % of a quota."""
    from kv_api.jobs import send_usage_alerts

    load_secrets()
    sent = send_usage_alerts()
    return {"sent": len(sent)}


def reconcile_counters(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The scheduled job: recount every namespace and correct the counters that
    drifted, starting no namespace in the last minute before the function's timeout."""
    import time

    from kv_api.reconcile import reconcile

    load_secrets()
    left = context.get_remaining_time_in_millis() / 1000 if context is not None else 900.0
    done = reconcile(deadline=time.monotonic() + left - 60)
    return {
        "namespaces": done.namespaces,
        "corrected": len(done.corrected),
        "busy": len(done.unsettled),
        "skipped": done.skipped,
    }


def sweep_expired(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The scheduled job: remove expired items and release their bytes from the
    storage counters, stopping half a minute before the function's timeout (the next
    run takes the rest)."""
    import time

    from kv_api.jobs import sweep_expired as sweep

    load_secrets()
    left = context.get_remaining_time_in_millis() / 1000 if context is not None else 120.0
    return {"removed": sweep(deadline=time.monotonic() + left - 30)}


def process_stream(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The table's stream (DynamoDB Streams via Lambda): log each batch's changes in
    the change feed, each once. A record that fails is reported with every record after
    it (``ReportBatchItemFailures``), so Lambda retries the batch from there in order;
    the records before it stay logged, and any logged twice are skipped."""
    from kv_api.jobs import stream_store

    load_secrets()
    store = stream_store()
    for record in event.get("Records", []):
        try:
            store.process_stream_record(record)
        except Exception:
            logger.exception("a stream record failed; Lambda retries from it")
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
