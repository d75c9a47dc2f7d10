"""``kv-storage admin recount``: the operator's recount of the storage counters."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


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
