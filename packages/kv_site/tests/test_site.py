"""The built site: strict build, nothing from other hosts, and generated pages that
match their sources (kv_core's plans and limits, kv_api's OpenAPI document)."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import kv_sdk
from kv_api.cli import build_parser as serve_parser
from kv_api.openapi import openapi_document
from kv_core.limits import LIMITS
from kv_core.names import RESERVED_NAMESPACES
from kv_core.numbers import SIGNIFICANT_DIGITS
from kv_core.plans import PLANS, format_bytes, format_count
from kv_sdk.cli.commands import build_parser
from kv_site.clidoc import subcommands

CONFIG = Path(__file__).resolve().parents[1] / "mkdocs.yml"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built strictly into a fresh directory."""
    out = tmp_path_factory.mktemp("site")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KV_")}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(CONFIG), "-d", str(out)],
        capture_output=True,
        text=True,
        env={**env, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    return out


class Assets(HTMLParser):
    """Every URL a page loads: stylesheets, scripts, fonts, icons, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("rel") not in {"canonical", "next", "prev"}:
            self.urls.append(found.get("href") or "")
        elif tag in {"script", "img", "iframe", "source", "audio", "video"} and found.get("src"):
            self.urls.append(found["src"] or "")
        for name, value in attrs:
            if name == "style" and value:
                self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", value)


def foreign(url: str) -> bool:
    """Whether ``url`` is on another host (absolute with a host, or protocol-relative)."""
    return bool(urlsplit(url).netloc)


def text_of(page: Path) -> str:
    """The page's visible text, tags removed and entities decoded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_the_pages_are_all_there(site):
    for page in ["index.html", "pricing/index.html", "404.html", "docs/index.html"]:
        assert (site / page).is_file(), page
    for name in ["quickstart", "concepts", "expiry-counters-bulk",
                 "transactions-ranges-counts", "change-feed", "examples", "limits",
                 "api-reference", "sdk", "cli", "self-hosting", "deploying", "sign-in",
                 "performance"]:  # fmt: skip
        assert (site / "docs" / name / "index.html").is_file(), name


def test_no_page_loads_anything_from_another_host(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        parser = Assets()
        parser.feed(page.read_text())
        assert parser.urls, page
        assert not [url for url in parser.urls if foreign(url)], page


def test_no_stylesheet_imports_from_another_host(site):
    for sheet in site.rglob("*.css"):
        urls = re.findall(r"""(?:url\(|@import\s+)\s*['"]?([^'")\s;]+)""", sheet.read_text())
        assert not [url for url in urls if foreign(url)], sheet


def test_no_font_or_script_host_is_named_anywhere(site):
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert "fonts.googleapis.com" not in text, page
        assert "fonts.gstatic.com" not in text, page


def test_every_sample_was_included(site):
    for page in site.rglob("*.html"):
        assert "--8&lt;--" not in page.read_text(), page
        assert "--8<--" not in page.read_text(), page


def test_the_pricing_page_shows_every_plan(site):
    text = text_of(site / "pricing" / "index.html")
    for plan in PLANS.values():
        assert plan.title in text
        assert f"${plan.price_usd}" in text
        assert format_count(plan.requests_per_month) in text
        assert format_bytes(plan.storage_bytes) in text


def test_the_home_page_shows_every_price_and_both_calls_to_action(site):
    page = (site / "index.html").read_text()
    text = text_of(site / "index.html")
    for plan in PLANS.values():
        assert f"${plan.price_usd}" in text
        assert plan.title in text
    assert 'href="/dashboard/signup"' in page
    assert 'href="docs/quickstart/"' in page
    assert "x-api-key" in text


def test_the_limits_page_shows_every_limit(site):
    text = text_of(site / "docs" / "limits" / "index.html")
    for figure in [
        LIMITS.key_max_bytes,
        LIMITS.namespace_max_chars,
        LIMITS.value_max_bytes,
        LIMITS.list_limit_max,
        LIMITS.list_limit_default,
    ]:
        assert str(figure) in text
    for name in RESERVED_NAMESPACES:
        assert name in text
    for plan in PLANS.values():
        assert format_count(plan.requests_per_month) in text
        assert format_bytes(plan.storage_bytes) in text


def test_the_expiry_page_says_what_no_peer_offers_with_the_limits_filled_in(site):
    text = " ".join(text_of(site / "docs" / "expiry-counters-bulk" / "index.html").split())
    assert "{{" not in text
    assert "No peer offers this: Workers KV's shortest TTL is 60 seconds" in text
    assert "DynamoDB's own TTL deletes expired items within a few days" in text
    assert "within 10 minutes" in text
    assert "KV_SWEEP_INTERVAL_SECONDS" in text
    assert f"{LIMITS.ttl_min_seconds} to {LIMITS.ttl_max_seconds:,}" in text
    assert f"at most 1 KiB ({LIMITS.metadata_max_bytes:,} bytes)" in text
    assert f"{LIMITS.bulk_get_max_keys} keys" in text
    assert f"{LIMITS.bulk_write_max_items:,} items" in text
    assert "A bulk body is at most 10 MiB" in text
    assert "0.1 + 0.2 is 0.3" in text
    assert "RFC 7396" in text
    assert f"{SIGNIFICANT_DIGITS} significant digits" in text
    assert 'href="expiry-counters-bulk/"' in (site / "docs" / "index.html").read_text()


def test_the_transactions_page_says_what_no_peer_offers_with_the_limits_filled_in(site):
    page = site / "docs" / "transactions-ranges-counts" / "index.html"
    text = " ".join(text_of(page).split())
    assert "{{" not in text
    assert "No other hosted key-value API offers this over plain JSON and HTTP." in text
    assert "Deno KV's atomic operations check versions per key, but only through its SDKs" in text
    assert "Upstash Redis runs transactions over REST, but with no checks" in text
    assert "Cloudflare Workers KV has no transactions at all" in text
    assert f"At most {LIMITS.atomic_max_keys} distinct keys across checks and ops" in text
    assert "a body of at most 4 MiB" in text  # LIMITS.atomic_body_max_bytes
    assert f"(1 to {LIMITS.delete_prefix_max_items:,}, by default" in text
    assert "412 check_failed" in text
    assert "start <= key < end" in text
    assert '"version": null' in text
    assert "kv.atomic(namespace)" in text  # the SDK sample, included whole
    assert "until none are left" in text
    index = (site / "docs" / "index.html").read_text()
    assert 'href="transactions-ranges-counts/"' in index


def test_the_change_feed_page_explains_cursors_retention_and_order(site):
    text = " ".join(text_of(site / "docs" / "change-feed" / "index.html").split())
    assert "{{" not in text
    assert "KV_CHANGES_RETENTION_SECONDS (86,400 seconds, that is 24 hours, by default)" in text
    assert "410 with the code cursor_expired" in text
    assert "A cursor is opaque" in text
    assert "never skips a change" in text
    assert f"With wait=S ({LIMITS.changes_wait_max_seconds} at most)" in text
    assert "Last-Event-ID" in text
    assert "expire" in text
    assert "kv watch NAMESPACE" in text
    assert 'href="change-feed/"' in (site / "docs" / "index.html").read_text()


def test_the_api_reference_shows_every_path_and_operation(site):
    document = openapi_document()
    text = text_of(site / "docs" / "api-reference" / "index.html")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert f"{method.upper()} {path}" in text
            assert operation["summary"] in text
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name.lower()}"' in (site / "docs/api-reference/index.html").read_text()


def test_search_indexes_every_page(site):
    index = json.loads((site / "search" / "search_index.json").read_text())
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert {"pricing/", "docs/quickstart/", "docs/api-reference/", "docs/limits/"} <= locations


def test_the_sdk_reference_documents_the_public_surface(site):
    page = (site / "docs" / "sdk" / "index.html").read_text()
    for name in kv_sdk.__all__:
        if not name.startswith("_"):
            assert f'id="kv_sdk.{name}"' in page or f'id="kv_sdk.errors.{name}"' in page, name
    assert not re.search(r":(class|meth|func|data|mod):<code>", page)


def test_the_cli_reference_has_every_command(site):
    text = text_of(site / "docs" / "cli" / "index.html")
    for name in subcommands(build_parser()):
        assert f"usage: kv {name}" in text


def test_the_self_hosting_page_shows_every_kv_storage_command(site):
    text = " ".join(text_of(site / "docs" / "self-hosting" / "index.html").split())
    parser = serve_parser()
    for name, command in subcommands(parser).items():
        nested = subcommands(command)
        for shown in [f"{name} {sub}" for sub in nested] or [name]:
            assert f"kv-storage {shown}" in text, shown
    assert "/v1/health?deep=1" in text
    assert "/metrics" in text


def test_every_sample_file_is_on_a_page():
    pages = "".join(p.read_text() for p in (CONFIG.parent / "docs").rglob("*.md"))
    for sample in (CONFIG.parent / "examples").iterdir():
        assert f'--8<-- "{sample.name}' in pages, sample.name
