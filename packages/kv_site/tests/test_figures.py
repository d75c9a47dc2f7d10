"""Figures in hand-written pages come from kv_core, and a wrong name fails the build."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from kv_core.limits import LIMITS
from kv_core.numbers import SIGNIFICANT_DIGITS
from kv_site import hooks
from kv_site.figures import UnknownFigure, binary_size, fill

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_a_limit_is_written_in_with_thousands_separators():
    assert fill("up to {{ limits.bulk_write_max_items }} items") == (
        f"up to {LIMITS.bulk_write_max_items:,} items"
    )
    assert fill("{{limits.bulk_get_max_keys}}") == str(LIMITS.bulk_get_max_keys)


def test_filters_write_sizes_and_years():
    assert fill("{{ limits.bulk_body_max_bytes|size }}") == "10 MiB"
    assert fill("{{ limits.metadata_max_bytes | size }}") == "1 KiB"
    assert fill("{{ limits.ttl_max_seconds|years }}") == "10"
    assert fill("{{ limits.metadata_max_bytes|plain }}") == str(LIMITS.metadata_max_bytes)
    assert fill("{{ settings.changes_retention_seconds|hours }}") == "24"
    assert binary_size(1500) == "1,500 bytes"


def test_the_arithmetic_and_the_settings_are_there_too():
    assert fill("{{ limits.significant_digits }}") == str(SIGNIFICANT_DIGITS)
    assert fill("{{ settings.reconcile_interval_seconds }}") == "3,600"


@pytest.mark.parametrize(
    "text", ["{{ limits.no_such_limit }}", "{{ limits.ttl_max_seconds|weeks }}"]
)
def test_an_unknown_name_or_filter_is_refused(text):
    with pytest.raises(UnknownFigure):
        fill(text)


def test_the_hook_fails_a_page_naming_an_unknown_figure():
    page = SimpleNamespace(file=SimpleNamespace(src_uri="docs/x.md"))
    with pytest.raises(PluginError, match=re.escape("docs/x.md: no figure 'limits.nope'")):
        hooks.on_page_markdown("{{ limits.nope }}", page, None, None)


def test_no_page_leaves_a_figure_unfilled():
    for path in DOCS.rglob("*.md"):
        fill(path.read_text())  # raises on an unknown name
