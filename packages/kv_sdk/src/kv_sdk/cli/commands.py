"""The commands of ``kv``, their arguments, and how errors become exit codes."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from kv_sdk._version import __version__
from kv_sdk.calls import MAX_BULK_GET, MAX_BULK_PUT
from kv_sdk.cli.mistakes import UsageError
from kv_sdk.cli.transfer import ImportItem, export_items, import_items, read_import
from kv_sdk.cli.watch import HELP as WATCH_HELP
from kv_sdk.cli.watch import add_arguments as add_watch_arguments
from kv_sdk.cli.watch import run_watch
from kv_sdk.client import MAX_PAGE_SIZE, KVClient
from kv_sdk.errors import (
    ConfigurationError,
    KVError,
    NotFound,
    PreconditionFailed,
)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_PRECONDITION = 4
EXIT_INTERRUPTED = 130

EPILOG = """\
The API key comes from --api-key or KV_API_KEY, the server from --base-url or
KV_BASE_URL (default http://127.0.0.1:8000).

exit codes: 0 done, 1 API or network error, 2 usage or input error,
            3 not found, 4 precondition failed, 130 interrupted
"""

Command = Callable[[KVClient, argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kv`` with ``argv`` (default: the process's arguments); returns the exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    for name in ("value", "patch"):
        if len(extra) == 1 and getattr(args, name, "") is None:
            # argparse gives an optional VALUE up when an option comes first
            # (put K --if-absent V).
            setattr(args, name, extra.pop())
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    command: Command = args.command
    try:
        with KVClient(
            args.api_key, base_url=args.base_url, timeout=args.timeout, max_retries=args.retries
        ) as kv:
            return command(kv, args)
    except (UsageError, ConfigurationError) as error:
        return fail(EXIT_USAGE, str(error))
    except NotFound as error:
        return fail(EXIT_NOT_FOUND, str(error))
    except PreconditionFailed as error:
        return fail(EXIT_PRECONDITION, str(error))
    except KVError as error:
        return fail(EXIT_ERROR, str(error))
    except KeyboardInterrupt as interrupt:
        return fail(EXIT_INTERRUPTED, " ".join(["interrupted", *map(str, interrupt.args)]))
    except BrokenPipeError:
        # The reader went away (``kv export ns | head``): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def fail(code: int, message: str) -> int:
    """Print ``kv: message`` on standard error and return ``code``."""
    print(f"kv: {message}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``kv`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="kv",
        description="Read and write KV Storage items.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kv {__version__}")
    add_connection_options(parser, defaults=True)
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    def command(name: str, run: Command, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
        add_connection_options(sub, defaults=False)
        sub.add_argument("namespace", metavar="NAMESPACE")
        sub.set_defaults(command=run)
        return sub

    get = command("get", run_get, "Print an item's value as JSON.")
    get.add_argument("key", metavar="KEY")
    get.add_argument(
        "--meta",
        action="store_true",
        help="print key, value, etag, version, updatedAt, expiresAt and metadata",
    )

    put = command("put", run_put, "Store a JSON value at a key.")
    put.add_argument("key", metavar="KEY")
    put.add_argument(
        "value",
        metavar="VALUE",
        nargs="?",
        help="JSON text, @FILE to read a file, or - (or nothing) to read standard input",
    )
    condition = put.add_mutually_exclusive_group()
    condition.add_argument("--if-match", metavar="ETAG", help="replace only this version")
    condition.add_argument("--if-absent", action="store_true", help="create only")
    add_expiry_options(put)
    put.add_argument(
        "--metadata",
        metavar="JSON",
        type=json_object,
        help="a JSON object (at most 1024 bytes) kept beside the value",
    )

    incr = command(
        "incr",
        run_incr,
        "Add BY (default 1, any number, negative too) to the number at a key atomically "
        "and print the new value; a missing item starts at 0.",
    )
    incr.add_argument("key", metavar="KEY")
    incr.add_argument("by", metavar="BY", nargs="?", type=number, default=1)
    add_expiry_options(incr)

    patch = command(
        "patch",
        run_patch,
        "Apply a JSON merge patch (RFC 7396: null removes a field, objects merge) to the "
        "value at a key atomically, and print the new value.",
    )
    patch.add_argument("key", metavar="KEY")
    patch.add_argument(
        "patch",
        metavar="PATCH",
        nargs="?",
        help="JSON text, @FILE to read a file, or - (or nothing) to read standard input",
    )
    patch.add_argument("--if-match", metavar="ETAG", help="patch only this version")

    delete = command("delete", run_delete, "Delete an item.")
    delete.add_argument("key", metavar="KEY")
    delete.add_argument("--if-match", metavar="ETAG", help="delete only this version")

    listing = command("list", run_list, "Print the keys, one a line, in key order.")
    listing.add_argument("--prefix", default=None, help="only keys starting with this")
    listing.add_argument("--limit", type=positive, default=None, help="print at most N keys")
    listing.add_argument(
        "--details",
        action="store_true",
        help="print a JSON line per key: key, version, updatedAt, expiresAt and metadata",
    )
    listing.add_argument("--start", default=None, help="only keys at or after this")
    listing.add_argument("--end", default=None, help="only keys before this")
    listing.add_argument("--reverse", action="store_true", help="in reverse key order")

    count = command("count", run_count, "Print how many items there are (under a prefix).")
    count.add_argument("--prefix", default=None, help="only keys starting with this")

    remove = command(
        "rm",
        run_rm,
        "Delete every item whose key starts with a prefix, and print how many were deleted.",
    )
    remove.add_argument("--prefix", required=True, help="the keys' prefix (not empty)")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    atomic = command(
        "atomic",
        run_atomic,
        'Apply {"checks": [{key, version}], "ops": [{op, key, ...}]} all at once or not at'
        " all, and print each op's key and version as JSON.",
    )
    atomic.add_argument(
        "body",
        metavar="BODY",
        nargs="?",
        help="JSON text, @FILE to read a file, or - (or nothing) to read standard input",
    )

    export = command(
        "export",
        run_export,
        'Write every item as JSON lines on standard output: {"key": ..., "value": ...}, '
        'with "expiresAt" (unix seconds) and "metadata" when the item has them (one '
        f"request per {MAX_BULK_GET} items read, and one per {MAX_PAGE_SIZE} keys listed).",
    )
    export.add_argument("--prefix", default=None, help="only keys starting with this")

    imports = command(
        "import",
        run_import,
        'Store the items of a JSON-lines file ({"key": ..., "value": ...} a line, with '
        '"expiresAt" and "metadata" if any, as kv export writes them; older exports '
        f"without them import as they are), up to {MAX_BULK_PUT} items a request. Items "
        "already expired are left out, and a key given twice keeps its last line; "
        "running it again is harmless.",
    )
    imports.add_argument(
        "file", metavar="FILE", nargs="?", default="-", help="default: standard input"
    )
    imports.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="record progress here; a re-run with the same file resumes where it stopped",
    )

    add_watch_arguments(command("watch", run_watch, WATCH_HELP))
    return parser


def add_connection_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """``--base-url``, ``--api-key``, ``--timeout`` and ``--retries``, accepted before or
    after the subcommand (the subcommand's only override when given)."""

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--base-url", default=default(None), help="server URL (KV_BASE_URL)")
    parser.add_argument("--api-key", default=default(None), help="API key (KV_API_KEY)")
    parser.add_argument(
        "--timeout", type=float, default=default(10.0), help="seconds per request (10)"
    )
    parser.add_argument(
        "--retries", type=int, default=default(3), help="retries of failed requests (3)"
    )


def add_expiry_options(parser: argparse.ArgumentParser) -> None:
    """``--ttl`` and ``--expires-at``, one or the other."""
    expiry = parser.add_mutually_exclusive_group()
    expiry.add_argument(
        "--ttl", metavar="S", type=positive, help="expire S seconds from now (to the second)"
    )
    expiry.add_argument("--expires-at", metavar="T", type=positive, help="expire at unix second T")


def json_object(text: str) -> dict[str, Any]:
    """An argparse type: a JSON object."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('must be a JSON object, like \'{"owner": "ada"}\'')
    return value


def number(text: str) -> int | float:
    """An argparse type: a JSON number (an integer stays an integer)."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    return value


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def dump(value: Any, stream: IO[str]) -> None:
    """One JSON document on a line; indented for a person at a terminal."""
    indent = 2 if stream.isatty() else None
    stream.write(json.dumps(value, ensure_ascii=False, indent=indent) + "\n")


def run_get(kv: KVClient, args: argparse.Namespace) -> int:
    item = kv.get(args.namespace, args.key)
    if args.meta:
        dump(
            {
                "key": item.key,
                "value": item.value,
                "etag": item.etag,
                "version": item.version,
                "updatedAt": item.updated_at,
                "expiresAt": item.expires_at,
                "metadata": item.metadata,
            },
            sys.stdout,
        )
    else:
        dump(item.value, sys.stdout)
    return EXIT_OK


def read_value(argument: str | None, name: str = "VALUE") -> Any:
    """The JSON value of ``kv put`` (or the patch of ``kv patch``): from the argument,
    ``@file`` or standard input."""
    if argument is None or argument == "-":
        if sys.stdin.isatty():
            raise UsageError(f"Give a {name}, @FILE, or pipe it into standard input.")
        text, origin = sys.stdin.read(), "standard input"
    elif argument.startswith("@"):
        path = argument[1:]
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as error:
            raise UsageError(f"Cannot read {path}: {error.strerror or error}") from None
        origin = path
    else:
        text, origin = argument, name
    try:
        return json.loads(text)
    except ValueError as error:
        hint = " (a string needs JSON quotes: '\"text\"')" if origin == name else ""
        raise UsageError(f"{origin} is not JSON: {error}{hint}") from None


def run_put(kv: KVClient, args: argparse.Namespace) -> int:
    value = read_value(args.value)
    try:
        result = kv.put(
            args.namespace,
            args.key,
            value,
            if_match=args.if_match,
            only_if_absent=args.if_absent,
            ttl=args.ttl,
            expires_at=args.expires_at,
            metadata=args.metadata,
        )
    except (ValueError, TypeError) as error:
        raise UsageError(f"The value cannot be sent as JSON: {error}") from None
    dump(
        {
            "key": result.key,
            "etag": result.etag,
            "version": result.version,
            "created": result.created,
            "expiresAt": result.expires_at,
        },
        sys.stdout,
    )
    return EXIT_OK


def run_incr(kv: KVClient, args: argparse.Namespace) -> int:
    item = kv.increment(args.namespace, args.key, args.by, ttl=args.ttl, expires_at=args.expires_at)
    dump(item.value, sys.stdout)
    return EXIT_OK


def run_patch(kv: KVClient, args: argparse.Namespace) -> int:
    patch = read_value(args.patch, "PATCH")
    item = kv.patch(args.namespace, args.key, patch, if_match=args.if_match)
    dump(item.value, sys.stdout)
    return EXIT_OK


def run_delete(kv: KVClient, args: argparse.Namespace) -> int:
    kv.delete(args.namespace, args.key, if_match=args.if_match)
    return EXIT_OK


def run_list(kv: KVClient, args: argparse.Namespace) -> int:
    page_size = min(args.limit, MAX_PAGE_SIZE) if args.limit else MAX_PAGE_SIZE
    if args.details:
        if args.start or args.end or args.reverse:
            raise UsageError(
                "--details lists in key order: leave out --start, --end and --reverse."
            )
        infos = kv.iter_key_info(args.namespace, args.prefix, page_size=page_size)
        for count, info in enumerate(infos):
            if args.limit is not None and count >= args.limit:
                break
            record = {
                "key": info.key,
                "version": info.version,
                "updatedAt": info.updated_at,
                "expiresAt": info.expires_at,
                "metadata": info.metadata,
            }
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        return EXIT_OK
    keys = kv.iter_keys(
        args.namespace,
        args.prefix,
        page_size=page_size,
        start=args.start,
        end=args.end,
        reverse=args.reverse,
    )
    for count, key in enumerate(keys):
        if args.limit is not None and count >= args.limit:
            break
        sys.stdout.write(key + "\n")
    return EXIT_OK


def run_count(kv: KVClient, args: argparse.Namespace) -> int:
    sys.stdout.write(f"{kv.count(args.namespace, args.prefix)}\n")
    return EXIT_OK


def confirmed(question: str) -> bool:
    """Whether the person at the terminal answers yes; ``UsageError`` when nobody can
    be asked (standard input is not a terminal)."""
    if not sys.stdin.isatty():
        raise UsageError("Nobody to ask for confirmation: pass --yes.")
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in {"y", "yes"}


def run_rm(kv: KVClient, args: argparse.Namespace) -> int:
    if not args.prefix:
        raise UsageError("--prefix must not be empty: delete the namespace to remove everything.")
    question = f"Delete every item of {args.namespace} whose key starts with {args.prefix!r}?"
    if not args.yes and not confirmed(question):
        sys.stderr.write("Nothing deleted.\n")
        return EXIT_OK
    deleted = kv.delete_prefix(args.namespace, args.prefix)
    sys.stdout.write(f"{deleted}\n")
    return EXIT_OK


def run_atomic(kv: KVClient, args: argparse.Namespace) -> int:
    body = read_value(args.body, "BODY")
    if not isinstance(body, dict) or not set(body) <= {"checks", "ops"}:
        raise UsageError('BODY is {"checks": [...], "ops": [...]}.')
    operation = kv.atomic(args.namespace)
    operation.checks.extend(body.get("checks") or [])
    operation.ops.extend(body.get("ops") or [])
    result = operation.commit()
    dump([{"key": key, "version": version} for key, version in result.items], sys.stdout)
    return EXIT_OK


def run_export(kv: KVClient, args: argparse.Namespace) -> int:
    count = export_items(kv, args.namespace, sys.stdout, prefix=args.prefix, progress=sys.stderr)
    print(f"kv: exported {count} items from {args.namespace}", file=sys.stderr)
    return EXIT_OK


def run_import(kv: KVClient, args: argparse.Namespace) -> int:
    if args.file == "-":
        if sys.stdin.isatty():
            raise UsageError("Give a FILE, or pipe JSON lines into standard input.")
        items: list[ImportItem] = read_import(sys.stdin, "standard input")
    else:
        try:
            with open(args.file, encoding="utf-8") as handle:
                items = read_import(handle, args.file)
        except OSError as error:
            raise UsageError(f"Cannot read {args.file}: {error.strerror or error}") from None
    report = import_items(
        kv, args.namespace, items, checkpoint=args.checkpoint, progress=sys.stderr
    )
    skipped = f", {report.skipped} already done before" if report.skipped else ""
    print(f"kv: imported {report.written} items into {args.namespace}{skipped}", file=sys.stderr)
    return EXIT_OK
