"""``kv-storage create-table``: the DynamoDB table as serverless.yml makes it, for
DynamoDB Local and self-managed accounts; and the check that ``serve`` makes before it
starts on DynamoDB, so a missing table is one clear line rather than a traceback on
the first request."""

from __future__ import annotations

import argparse
from typing import Any

from kv_api.admin import refuse, settings_for
from kv_core.settings import Settings


def _store(settings: Settings) -> Any:
    from kv_core.engines.dynamodb import DynamoStore

    return DynamoStore(settings.table, region=settings.region, host=settings.dynamodb_endpoint)


def table_problem(settings: Settings) -> str | None:
    """Why ``serve`` cannot start on the settings' DynamoDB table, or ``None``."""
    if settings.store != "dynamodb":
        return None
    where = settings.dynamodb_endpoint or settings.region or "the default region"
    try:
        exists = _store(settings).table_exists()
    except Exception as error:  # credentials, endpoint, permissions: say which
        return f"cannot reach the DynamoDB table {settings.table} ({where}): {error}"
    if not exists:
        return (
            f"there is no DynamoDB table {settings.table} ({where}):"
            " create it with `kv-storage create-table`"
        )
    return None


def create_table(args: argparse.Namespace) -> int:
    try:
        settings = settings_for(args.data)
    except ValueError as error:
        return refuse(str(error))
    if settings.store != "dynamodb":
        return refuse("create-table is for DynamoDB: set KV_STORE=dynamodb (and KV_TABLE)")
    pitr = args.point_in_time_recovery
    if pitr is None:
        pitr = settings.dynamodb_endpoint is None  # DynamoDB Local has no backups
    try:
        created = _store(settings).create_table(point_in_time_recovery=pitr)
    except Exception as error:
        return refuse(f"could not create the table {settings.table}: {error}")
    if not created:
        print(f"table {settings.table} exists already; nothing changed")
        return 0
    backups = "point-in-time recovery on" if pitr else "no point-in-time recovery"
    print(
        f"created table {settings.table}: PK/SK, GSI1, GSI2 (expiring items), TTL on expiresAt,"
        f" on demand, {backups}"
    )
    return 0


def add_parser(commands: Any) -> None:
    """Add ``create-table`` to the ``kv-storage`` parser's subcommands."""
    command = commands.add_parser(
        "create-table", help="create the DynamoDB table (KV_TABLE) as serverless.yml does"
    )
    command.add_argument(
        "--point-in-time-recovery",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="continuous backups (default on, off with KV_DYNAMODB_ENDPOINT)",
    )
    command.add_argument("--data", default=".kv-data", help=argparse.SUPPRESS)
    command.set_defaults(handler=create_table)
