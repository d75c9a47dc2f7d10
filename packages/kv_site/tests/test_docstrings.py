"""The SDK's docstrings are written as mkdocstrings renders them: Markdown, in Google
style, with no Sphinx markup for the site to tidy away."""

from __future__ import annotations

import re
from pathlib import Path

import kv_sdk

SPHINX = re.compile(r":(?:class|meth|func|attr|data|mod|exc|obj):`|::\n")


def test_no_sdk_docstring_uses_sphinx_roles_or_literal_markers():
    sources = sorted(Path(kv_sdk.__file__).parent.rglob("*.py"))
    assert len(sources) > 5
    offenders = [
        f"{path.name}:{text[: match.start()].count(chr(10)) + 1}"
        for path in sources
        for text in [path.read_text()]
        for match in SPHINX.finditer(text)
    ]
    assert offenders == []
