"""Tidying the SDK's docstrings as mkdocstrings renders them.

The SDK's docstrings use Sphinx's inline roles (``:class:`KVClient```) and its ``::``
before a literal block, which Markdown leaves as they are: the roles become plain code
and the ``::`` a colon, as Sphinx would show them.
"""

from __future__ import annotations

import re

ROLE = re.compile(r":(?:class|meth|func|attr|data|mod|exc|obj):(?=<code>)")
LITERAL_COLONS = re.compile(r"::(?=</p>)")


def tidy_rendered_docstrings(html: str) -> str:
    """``html`` with Sphinx roles before code dropped and a paragraph's final ``::``
    made one colon."""
    return LITERAL_COLONS.sub(":", ROLE.sub("", html))
