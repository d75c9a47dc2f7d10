"""``kv-storage serve``: the whole product on one machine, on a production server.

Gunicorn runs one worker process per core, each with a few threads; they share the
SQLite file, whose locking keeps counts exact across processes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from kv_core.settings import Settings


class Server(BaseApplication):  # type: ignore[misc]
    """Gunicorn, configured in code instead of a config file."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from kv_api.web import create_web_app

        return create_web_app()


def _announce(server: Any) -> None:
    host, port = server.address[0]
    print(f"KV Storage listening on http://{host}:{port}/", flush=True)


def serve(args: argparse.Namespace) -> int:
    data = Path(args.data).resolve()
    os.environ["KV_DATA_DIR"] = str(data)
    os.environ.setdefault("KV_SECURE_COOKIES", "0")
    try:
        Settings.from_env()  # validate, and make the secret once before workers start
    except ValueError as exc:
        print(f"kv-storage: {exc}", file=sys.stderr)
        return 2
    print(f"KV Storage data in {data}", flush=True)
    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "worker_class": "gthread",
        "threads": args.threads,
        "graceful_timeout": 10,
        "accesslog": "-" if args.access_log else None,
        "loglevel": "warning",
        "when_ready": _announce,
        "proc_name": "kv-storage",
    }
    Server({k: v for k, v in options.items() if v is not None}).run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kv-storage", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the site, dashboard and API on one port")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--data", default=".kv-data", help="data directory (default ./.kv-data)")
    run.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    run.add_argument("--threads", type=int, default=4)
    run.add_argument("--access-log", action="store_true", help="log every request")
    run.set_defaults(handler=serve)
    alerts = commands.add_parser("send-alerts", help="email this month's usage alerts once")
    alerts.add_argument("--data", default=".kv-data", help="data directory (default ./.kv-data)")
    alerts.set_defaults(handler=send_alerts)
    return parser


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
