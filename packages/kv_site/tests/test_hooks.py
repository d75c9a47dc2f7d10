"""The MkDocs hooks: where snippets come from, where the site goes, what is generated."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.config import load_config

from kv_site import hooks

CONFIG = Path(__file__).resolve().parents[1] / "mkdocs.yml"


@pytest.fixture
def config(monkeypatch):
    monkeypatch.delenv("KV_SITE_DIR", raising=False)
    monkeypatch.delenv("KV_DASHBOARD_URL", raising=False)
    return load_config(str(CONFIG))


def test_snippets_come_from_examples_wherever_mkdocs_runs(config, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    hooks.on_config(config)
    assert config.mdx_configs["pymdownx.snippets"]["base_path"] == [str(hooks.EXAMPLES)]
    assert (hooks.EXAMPLES / "quickstart.sh").is_file()


def test_the_site_goes_where_site_dir_looks(config, monkeypatch, tmp_path):
    hooks.on_config(config)
    assert Path(config.site_dir) == CONFIG.parent / "site"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KV_SITE_DIR", "relative/site")
    hooks.on_config(config)
    assert Path(config.site_dir) == tmp_path / "relative" / "site"


def test_sign_up_goes_to_the_dashboard(monkeypatch):
    monkeypatch.setenv("KV_DASHBOARD_URL", "https://dash.example.com/dashboard/")
    config = hooks.on_config(load_config(str(CONFIG)))
    assert config.extra["signup_url"] == "https://dash.example.com/dashboard/signup"
    assert (
        "](https://dash.example.com/dashboard/signup)"
        in hooks.generated_pages(config)["pricing.md"]
    )


def test_generated_pages_are_in_the_nav(config):
    hooks.on_config(config)
    generated = set(hooks.generated_pages(config))
    in_nav = set()

    def walk(entries):
        for entry in entries:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            if isinstance(value, list):
                walk(value)
            else:
                in_nav.add(value)

    walk(config.nav)
    assert generated <= in_nav
