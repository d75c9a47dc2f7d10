"""A real ``kv-storage serve`` serving the built site, and Debian's Chromium driven by
Playwright. Run by ``nox -s browser``, which builds the site and installs both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kv_api.testing import serving
from kv_site import site_dir

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def site_server(tmp_path_factory) -> Iterator[str]:
    """The whole product on loopback, serving the built site at ``/``; its base URL."""
    built = site_dir()
    if not (built / "index.html").is_file():
        pytest.fail(f"the site is not built in {built}: `nox -s docs` builds it")
    data = tmp_path_factory.mktemp("site-data")
    options = ["--workers", "1", "--threads", "4"]
    with serving(data, options=options, env={"KV_SITE_DIR": str(built)}) as base:
        yield base


@pytest.fixture(scope="session")
def site_browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `nox -s browser` installs Debian's chromium")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site_screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
