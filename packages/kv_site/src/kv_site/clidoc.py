"""The command line reference, generated from an ``argparse`` parser: the program's help
and each subcommand's, exactly as ``--help`` prints them."""

from __future__ import annotations

import argparse
import functools
from typing import cast

WIDTH = 80


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's subcommands by name, in the order they were added."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def help_text(parser: argparse.ArgumentParser) -> str:
    """``--help`` at a fixed width, whatever the terminal is."""
    formatter = cast(type[argparse.HelpFormatter], parser.formatter_class)
    parser.formatter_class = functools.partial(formatter, width=WIDTH)
    return parser.format_help().rstrip()


def command_reference(parser: argparse.ArgumentParser) -> str:
    """Markdown: a section with the help of the program, then one per subcommand."""
    sections = [(parser.prog, parser)]
    sections += [(f"{parser.prog} {name}", sub) for name, sub in subcommands(parser).items()]
    lines: list[str] = []
    for title, sub in sections:
        lines += [f"## `{title}`", "", "```text", help_text(sub), "```", ""]
    return "\n".join(lines)
