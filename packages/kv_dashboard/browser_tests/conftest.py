"""A real ``kv-storage serve`` on a free loopback port, and Debian's Chromium driven by
pytest-playwright (its launch arguments are in packages/conftest.py). Run by
``nox -s browser``, which installs both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kv_api.testing import serving

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[str]:
    """The whole product on loopback; its base URL. Stopped with SIGTERM."""
    data = tmp_path_factory.mktemp("data")
    with serving(data, options=["--workers", "1", "--threads", "4"]) as base:
        yield base


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
