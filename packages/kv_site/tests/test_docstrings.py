"""Sphinx's markup in rendered docstrings, tidied."""

from __future__ import annotations

import pytest

from kv_site.docstrings import tidy_rendered_docstrings


@pytest.mark.parametrize(
    ("rendered", "tidy"),
    [
        ("call :meth:<code>close</code>, to", "call <code>close</code>, to"),
        ("raises :class:<code>NotFound</code>", "raises <code>NotFound</code>"),
        (
            "see :mod:<code>kv_sdk.cli</code> and :data:<code>X</code>",
            "see <code>kv_sdk.cli</code> and <code>X</code>",
        ),
        ("its connections::</p>", "its connections:</p>"),
    ],
)
def test_sphinx_markup_is_tidied(rendered, tidy):
    assert tidy_rendered_docstrings(rendered) == tidy


def test_other_colons_are_left_alone():
    text = "<p>a::b, ratio 1:2, <code>x::y</code>, time 10:30:</p><code>:meth:</code>"
    assert tidy_rendered_docstrings(text) == text
