"""A real ``kv-storage serve`` serving the built site, and Debian's Chromium driven by
pytest-playwright (its launch arguments are in packages/conftest.py). Run by
``nox -s browser``, which builds the site and installs both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kv_api.testing import serving
from kv_site import site_dir

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
def site_screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
