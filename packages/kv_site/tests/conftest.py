"""A real ``kv-storage serve`` on a free loopback port, for the examples to run against."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kv_api.testing import serving


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[str]:
    """The whole product on loopback; its base URL. Stopped with SIGTERM."""
    data = tmp_path_factory.mktemp("data")
    with serving(data, options=["--workers", "2", "--threads", "8"]) as base:
        yield base
