"""A real ``kv-storage serve`` on a free loopback port, and Debian's Chromium driven by
Playwright. Run by ``nox -s browser``, which installs both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kv_api.testing import serving

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
def server(tmp_path_factory) -> Iterator[str]:
    """The whole product on loopback; its base URL. Stopped with SIGTERM."""
    data = tmp_path_factory.mktemp("data")
    with serving(data, options=["--workers", "1", "--threads", "4"]) as base:
        yield base


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `nox -s browser` installs Debian's chromium")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
