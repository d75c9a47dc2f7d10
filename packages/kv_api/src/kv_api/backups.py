"""``kv-storage backup FILE`` and ``kv-storage restore FILE``: the embedded engine's
data, copied while ``serve`` runs and put back while it does not.

On DynamoDB both refuse: the table's point-in-time recovery is its backup (enabled by
serverless.yml).
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Any

from kv_api.admin import refuse, settings_for
from kv_api.data_lock import DataDirBusy, alone
from kv_core.engines.sqlite import SqliteStore
from kv_core.engines.sqlite.backup import NotADatabase, check, restore
from kv_core.errors import StoreUnavailable
from kv_core.settings import DATABASE_FILE

ON_DYNAMODB = (
    "backups of a DynamoDB table are its point-in-time recovery"
    " (aws dynamodb restore-table-to-point-in-time), not this command"
)


def _database(data: str) -> Path | str:
    """The SQLite file of the data directory, or why there is none to work on."""
    try:
        settings = settings_for(data)
    except ValueError as error:
        return str(error)
    if settings.store != "sqlite":
        return ON_DYNAMODB
    return settings.data_dir / DATABASE_FILE


def backup(args: argparse.Namespace) -> int:
    database = _database(args.data)
    if isinstance(database, str):
        return refuse(database)
    if not database.is_file():
        return refuse(f"there is no database in {database.parent}")
    target = Path(args.file)
    if target.resolve() == database.resolve():
        return refuse("the backup cannot be the database itself")
    store = SqliteStore(database)
    try:
        contents = store.backup(target)
    except StoreUnavailable as error:  # the store's own words for SQLite's failure
        return refuse(f"the backup failed: {error.__cause__ or error}")
    except (OSError, sqlite3.Error, NotADatabase) as error:
        return refuse(f"the backup failed: {error}")
    finally:
        store.close()
    print(f"backed up {database} to {target}: {contents.describe()}")
    return 0


def restore_command(args: argparse.Namespace) -> int:
    database = _database(args.data)
    if isinstance(database, str):
        return refuse(database)
    source = Path(args.file)
    try:
        check(source)  # before anything in the data directory is touched
        with alone(database.parent):
            contents = restore(source, database)
    except (DataDirBusy, NotADatabase) as error:
        return refuse(f"nothing restored: {error}")
    kept = database.with_name(f"{database.name}.before-restore")
    print(f"restored {source} into {database}: {contents.describe()}")
    if kept.exists():
        print(f"the database it replaced is kept as {kept}")
    return 0


def add_parsers(commands: Any) -> None:
    """Add ``backup`` and ``restore`` to the ``kv-storage`` parser's subcommands."""
    for name, handler, described in (
        ("backup", backup, "copy the SQLite data to FILE, safely while serve runs"),
        ("restore", restore_command, "put a backup FILE in place (serve must be stopped)"),
    ):
        command = commands.add_parser(name, help=described)
        command.add_argument("file", metavar="FILE")
        command.add_argument(
            "--data", default=".kv-data", help="data directory (default ./.kv-data)"
        )
        command.set_defaults(handler=handler)
