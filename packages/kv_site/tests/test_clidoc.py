"""The command line reference, from a parser made here and from the real ``kv``."""

from __future__ import annotations

import argparse

from kv_sdk.cli.commands import build_parser
from kv_site.clidoc import WIDTH, command_reference, subcommands


def toy() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toy", description="A toy.")
    commands = parser.add_subparsers()
    first = commands.add_parser("first", help="the first", description="The first one.")
    first.add_argument("--flag", help="a flag with a long explanation " * 8)
    commands.add_parser("second", help="the second")
    return parser


def test_every_subcommand_gets_a_section_with_its_help():
    page = command_reference(toy())
    assert [line for line in page.splitlines() if line.startswith("## ")] == [
        "## `toy`",
        "## `toy first`",
        "## `toy second`",
    ]
    assert "The first one." in page
    assert "--flag FLAG" in page


def test_help_is_wrapped_at_a_fixed_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    page = command_reference(toy())
    assert max(len(line) for line in page.splitlines()) <= WIDTH


def test_the_real_kv_has_its_commands_and_exit_codes():
    parser = build_parser()
    page = command_reference(parser)
    names = list(subcommands(build_parser()))
    assert {"get", "put", "delete", "list"} <= set(names)
    for name in names:
        assert f"## `kv {name}`" in page
    assert "exit codes" in page
