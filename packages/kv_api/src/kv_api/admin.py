"""``kv-storage admin``: the operator's commands on the accounts and their counters,
on either engine (``KV_STORE`` and the rest as for ``serve``).

A plan change or a disabling reaches a running server at once on SQLite, and within
the API-key cache's bound (``key_cache_seconds``) on DynamoDB. Every refusal (an
unknown email or plan, a negative limit) is one line on stderr and exit status 2,
with nothing changed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kv_core.errors import KVError
from kv_core.model import User
from kv_core.plans import PLANS, account_plan, format_bytes, format_count
from kv_core.services import AccountSummary, Services
from kv_core.settings import DATABASE_FILE, Settings, build_services

USAGE_ERROR = 2


def settings_for(data: str) -> Settings:
    """The deployment's settings from the environment, with ``--data`` as the SQLite
    data directory; no signing secret is needed to administer accounts."""
    env = {**os.environ, "KV_DATA_DIR": str(Path(data).resolve())}
    return Settings.from_env(env, secret_required=False)


@contextmanager
def opened_services(data: str) -> Iterator[Services]:
    """The services over the deployment's store; on SQLite, only over a database that
    exists (an operator's typo must not make an empty one)."""
    settings = settings_for(data)
    database = settings.data_dir / DATABASE_FILE
    if settings.store == "sqlite" and not database.is_file():
        raise ValueError(f"there is no database in {settings.data_dir}")
    services = build_services(settings)
    try:
        yield services
    finally:
        services.items.meter.close()
        services.store.close()


def refuse(message: str) -> int:
    print(f"kv-storage: {message}", file=sys.stderr)
    return USAGE_ERROR


def run(action: Callable[[Services], None], data: str) -> int:
    """Run one command; a domain refusal or a bad setting is a one-line error."""
    try:
        with opened_services(data) as services:
            action(services)
    except (KVError, ValueError) as error:
        return refuse(getattr(error, "message", str(error)))
    return 0


def limits_of(user: User) -> str:
    plan = account_plan(user)
    own = user.requests_limit is not None or user.storage_limit is not None
    custom = " (own limits)" if own else ""
    return (
        f"{format_count(plan.requests_per_month)} requests,"
        f" {format_bytes(plan.storage_bytes)}{custom}"
    )


def status_of(user: User) -> str:
    return f"disabled since {user.disabled_at}" if user.disabled_at else "enabled"


def user_line(user: User) -> str:
    return f"{user.email}\t{user.plan}\t{limits_of(user)}\t{status_of(user)}"


def summary_lines(summary: AccountSummary) -> list[str]:
    user, usage = summary.user, summary.usage
    return [
        f"email: {user.email}",
        f"id: {user.id}",
        f"plan: {user.plan}",
        f"limits: {limits_of(user)}",
        f"requests this month ({usage.month}): {usage.requests_used:,} of {usage.requests_limit:,}",
        f"storage: {usage.storage_used:,} bytes of {usage.storage_limit:,}",
        f"namespaces: {summary.namespaces}",
        f"api keys: {summary.api_keys}",
        f"status: {status_of(user)}",
        f"created: {user.created_at}",
    ]


def users(args: argparse.Namespace) -> int:
    def action(services: Services) -> None:
        for user in services.admin.users():
            print(user_line(user))

    return run(action, args.data)


def user(args: argparse.Namespace) -> int:
    def action(services: Services) -> None:
        print("\n".join(summary_lines(services.admin.summary(args.email))))

    return run(action, args.data)


def set_plan(args: argparse.Namespace) -> int:
    def action(services: Services) -> None:
        changed = services.admin.set_plan(
            args.email, args.plan, requests_limit=args.requests, storage_limit=args.storage_bytes
        )
        print(user_line(changed))

    return run(action, args.data)


def disable(args: argparse.Namespace) -> int:
    return run(lambda services: print(user_line(services.admin.disable(args.email))), args.data)


def enable(args: argparse.Namespace) -> int:
    return run(lambda services: print(user_line(services.admin.enable(args.email))), args.data)


def add_parser(commands: Any) -> None:
    """Add ``admin`` and its commands to the ``kv-storage`` parser's subcommands."""
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", default=".kv-data", help="data directory (default ./.kv-data)")
    admin = commands.add_parser("admin", help="list, inspect, re-plan, disable accounts")
    sub = admin.add_subparsers(dest="admin_command", required=True)
    sub.add_parser("users", parents=[data], help="every account").set_defaults(handler=users)
    one = sub.add_parser("user", parents=[data], help="one account, with this month's usage")
    one.add_argument("email")
    one.set_defaults(handler=user)
    plan = sub.add_parser(
        "set-plan", parents=[data], help="move an account to a plan, with its own limits"
    )
    plan.add_argument("email")
    plan.add_argument("plan", help=f"one of {', '.join(PLANS)}")
    plan.add_argument("--requests", type=int, help="its own monthly request limit")
    plan.add_argument("--storage-bytes", type=int, help="its own storage limit, in bytes")
    plan.set_defaults(handler=set_plan)
    for name, handler, described in (
        ("disable", disable, "refuse an account's API keys and logins"),
        ("enable", enable, "let a disabled account in again"),
    ):
        command = sub.add_parser(name, parents=[data], help=described)
        command.add_argument("email")
        command.set_defaults(handler=handler)
    add_recount(sub)


def add_recount(admin: Any) -> None:
    """Add ``recount`` to the ``admin`` command group's subparsers."""
    recount = admin.add_parser(
        "recount",
        help="recount namespaces' items and bytes and correct their counters",
        description="Recount the items and bytes of an account's namespaces (or everyone's)"
        " and correct the counters that drifted. Safe while the API serves; exits 1 when"
        " writes kept landing in a namespace, which the next run tries again.",
    )
    who = recount.add_mutually_exclusive_group(required=True)
    who.add_argument("email", nargs="?", help="the account whose namespaces to recount")
    who.add_argument("--all", action="store_true", help="every account")
    recount.add_argument("--data", default=".kv-data", help="data directory (default ./.kv-data)")
    recount.set_defaults(handler=run_recount)


def run_recount(args: argparse.Namespace) -> int:
    from kv_api.reconcile import reconcile
    from kv_core.errors import InvalidInput

    os.environ["KV_DATA_DIR"] = str(Path(args.data).resolve())
    try:
        done = reconcile(email=None if args.all else args.email)
    except (LookupError, ValueError, InvalidInput) as exc:
        print(f"kv-storage: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    for named in done.corrected:
        r = named.recount
        print(
            f"corrected {named.email}/{named.namespace}: {r.items} items, {r.bytes} bytes"
            f" (the counters said {r.items + r.items_drift} items, {r.bytes + r.bytes_drift} bytes)"
        )
    for named in done.unsettled:
        print(f"busy {named.email}/{named.namespace}: writes kept landing; run again later")
    print(
        f"{done.namespaces} namespaces recounted, {len(done.corrected)} corrected,"
        f" {len(done.unsettled)} busy"
    )
    return 1 if done.unsettled else 0
