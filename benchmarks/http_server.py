"""The product and a bare Flask JSON endpoint, served by the same gunicorn set-up as
``kv-storage serve`` (``python -m benchmarks.http_server PORT``)."""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask, jsonify
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from kv_api.cli import Server, build_parser, server_options
from kv_api.observe import prometheus_multiprocess_dir


def bare_app() -> Flask:
    app = Flask("bare")

    @app.get("/")
    def hello() -> Any:
        return jsonify(key="item", value={"name": "Ann"}, updatedAt="2026-01-01T00:00:00Z")

    return app


def both() -> Any:
    from kv_api.web import create_web_app

    # As `kv-storage serve` runs it: with its Prometheus counters.
    return DispatcherMiddleware(create_web_app(metrics=True), {"/bare": bare_app()})


if __name__ == "__main__":
    port = int(sys.argv[1])
    serve = build_parser().parse_args(["serve"])  # `kv-storage serve`'s defaults
    options = server_options(
        "127.0.0.1", port, workers=serve.workers, threads=serve.threads, pin=serve.pin_workers
    )
    with prometheus_multiprocess_dir():
        Server(options, both).run()
