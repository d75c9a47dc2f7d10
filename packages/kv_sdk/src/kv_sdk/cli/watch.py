"""``kv watch``: a namespace's change feed as JSON lines, until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from kv_sdk.changes import MAX_WAIT, Change
from kv_sdk.client import KVClient

HELP = (
    "Follow the namespace's changes as they happen: a JSON line per put, delete or "
    'expiry ({"key", "op", "version", "updatedAt", "expiresAt", "value" for puts of '
    'at most 4 KiB, "cursor"}), written at once. Ctrl-C stops it and prints the cursor '
    "to resume from on standard error; a lost connection is waited out and resumed."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--prefix``, ``--since`` and ``--wait`` of ``kv watch``."""
    parser.add_argument("--prefix", default=None, help="only keys starting with this")
    parser.add_argument(
        "--since",
        metavar="CURSOR",
        default="now",
        help="resume after this cursor; 'now' (the default) for what happens from now on, "
        "'oldest' for every change still kept",
    )
    parser.add_argument(
        "--wait",
        metavar="S",
        type=int,
        default=MAX_WAIT,
        choices=range(1, MAX_WAIT + 1),
        help=f"seconds each request is held while nothing happens (1 to {MAX_WAIT}, {MAX_WAIT})",
    )


def record(change: Change) -> dict[str, Any]:
    """The JSON line of one change: the API's names, and the cursor after it."""
    line: dict[str, Any] = {
        "key": change.key,
        "op": change.op,
        "version": change.version,
        "updatedAt": change.updated_at,
        "expiresAt": change.expires_at,
    }
    if change.has_value:
        line["value"] = change.value
    line["cursor"] = change.cursor
    return line


def watch(kv: KVClient, args: argparse.Namespace, out: IO[str], err: IO[str]) -> None:
    """Write each change of ``args.namespace`` to ``out`` as it comes; at Ctrl-C, say on
    ``err`` where to resume (the ``KeyboardInterrupt`` is not passed on)."""
    since = None if args.since == "oldest" else args.since
    feed = kv.changes(args.namespace, prefix=args.prefix, since=since, wait=args.wait)
    try:
        for change in feed:
            out.write(json.dumps(record(change), ensure_ascii=False) + "\n")
            out.flush()
    except KeyboardInterrupt:
        if feed.cursor is None:
            err.write("kv: stopped before the first answer; nothing to resume from\n")
        else:
            err.write(f"kv: stopped; resume with --since {feed.cursor}\n")
        err.flush()


def run_watch(kv: KVClient, args: argparse.Namespace) -> int:
    watch(kv, args, sys.stdout, sys.stderr)
    return 0
