"""``kv-storage``: the whole product on one machine (``serve``), and the operator's
commands.

``serve`` runs one worker process per core on granian (:mod:`kv_api.server`), each with
threads for the requests that wait and kept on its core (:mod:`kv_api.affinity`); they
share the SQLite file, whose locking keeps counts exact across processes.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import Any

from kv_api import admin, affinity, backups, data_lock, observe, tables
from kv_api.server import Server, ServerOptions
from kv_core.settings import Settings


def _web_app(*, access_log: bool = False, metrics: bool = True) -> Any:
    """A worker's app, and its share of the background jobs (the counters' recount,
    the expiry sweep, on DynamoDB the stream reader)."""
    from kv_api.reconcile import BackgroundPass
    from kv_api.stream_reader import BackgroundStreamReader
    from kv_api.sweep import BackgroundSweep
    from kv_api.web import create_web_app
    from kv_core.settings import build_services

    settings = Settings.from_env()
    services = build_services(settings)
    BackgroundPass(services.store, settings).start()
    BackgroundSweep(services.sweeper, settings).start()
    BackgroundStreamReader(services.store, settings).start()
    return create_web_app(
        settings, services=services, access_log=access_log, metrics=metrics, refuse_chunked=True
    )


def serve(args: argparse.Namespace) -> int:
    data = Path(args.data).resolve()
    os.environ["KV_DATA_DIR"] = str(data)
    os.environ.setdefault("KV_SECURE_COOKIES", "0")
    try:
        settings = Settings.from_env()  # validate, and make the secret before workers start
    except ValueError as exc:
        print(f"kv-storage: {exc}", file=sys.stderr)
        return 2
    problem = tables.table_problem(settings)
    if problem is not None:
        print(f"kv-storage: {problem}", file=sys.stderr)
        return 2
    print(f"KV Storage data in {data}", flush=True)
    options = ServerOptions(
        args.host,
        args.port,
        workers=args.workers,
        threads=settings.serve_threads if args.threads is None else args.threads,
        pin=args.pin_workers,
    )
    factory = functools.partial(_web_app, access_log=args.access_log, metrics=args.metrics)
    try:
        with data_lock.serving(data), observe.prometheus_multiprocess_dir():
            Server(options, factory).run()
    except data_lock.DataDirBusy as exc:
        print(f"kv-storage: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kv-storage", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the site, dashboard and API on one port")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--data", default=".kv-data", help="data directory (default ./.kv-data)")
    run.add_argument("--workers", type=int, default=affinity.usable_cores())
    run.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per worker (default KV_SERVE_THREADS, 128: held requests wait in one)",
    )
    run.add_argument(
        "--pin-workers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep each worker on a core of its own when every core has one (default on)",
    )
    run.add_argument(
        "--access-log", action="store_true", help="log every request, as a JSON line on stdout"
    )
    run.add_argument(
        "--metrics",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Prometheus metrics at /metrics (default on)",
    )
    run.set_defaults(handler=serve)
    upgrade = commands.add_parser(
        "migrate", help="bring the store's data up to this version (safe to run again)"
    )
    upgrade.add_argument("--data", default=".kv-data", help="data directory (default ./.kv-data)")
    upgrade.set_defaults(handler=migrate)
    alerts = commands.add_parser("send-alerts", help="email this month's usage alerts once")
    alerts.add_argument("--data", default=".kv-data", help="data directory (default ./.kv-data)")
    alerts.set_defaults(handler=send_alerts)
    admin.add_parser(commands)
    backups.add_parsers(commands)
    tables.add_parser(commands)
    return parser


def migrate(args: argparse.Namespace) -> int:
    """SQLite runs its schema's steps whenever it opens a file; DynamoDB's table gets its
    one-off backfill (see kv_core.engines.dynamodb.backfill)."""
    from kv_api.jobs import migrate_store

    os.environ["KV_DATA_DIR"] = str(Path(args.data).resolve())
    try:
        print(migrate_store())
    except ValueError as exc:
        print(f"kv-storage: {exc}", file=sys.stderr)
        return 2
    return 0


def send_alerts(args: argparse.Namespace) -> int:
    from kv_api.jobs import send_usage_alerts

    os.environ["KV_DATA_DIR"] = str(Path(args.data).resolve())
    for alert in send_usage_alerts():
        print(f"{alert.month} {alert.email}: {alert.quota} at {alert.threshold}%")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Any = args.handler
    return int(handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
