"""Stores for the tests: every engine, for the suites that run against both."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from kv_core.engines.dynamodb.testing import atomic_calls
from kv_core.store import Store

ENGINES = ["sqlite", "dynamodb"]
_TABLES = itertools.count()


@contextmanager
def sqlite_store(directory: Path) -> Iterator[Store]:
    from kv_core.engines.sqlite import SqliteStore

    store = SqliteStore(directory / "kv.sqlite3")
    try:
        yield store
    finally:
        store.close()


@contextmanager
def dynamo_store(calls: list[str] | None = None, *, stream: bool = False) -> Iterator[Store]:
    """A fresh table in moto's DynamoDB (inside the ``fake_aws`` fixture's moto), each
    call atomic as on AWS (see :func:`atomic_calls`); with its stream for tests of the
    change feed (``stream``), without it for the others (moto keeps every record and
    copies them all in each transaction)."""
    from kv_core.engines.dynamodb import DynamoStore

    with atomic_calls(calls):
        store = DynamoStore(f"kv-test-{next(_TABLES)}", region="us-east-1")
        store.create_table(stream=stream)
        yield store


def reads_the_feed(request: pytest.FixtureRequest) -> bool:
    """Whether the test is marked ``feed``: its DynamoDB tables need their stream."""
    return request.node.get_closest_marker("feed") is not None


StoreFactory = Callable[[], AbstractContextManager[Store]]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Makes fresh, empty stores of one engine (each test runs once per engine)."""
    if request.param == "sqlite":
        return lambda: sqlite_store(Path(tempfile.mkdtemp(dir=tmp_path)))
    request.getfixturevalue("fake_aws")
    stream = reads_the_feed(request)
    return lambda: dynamo_store(stream=stream)


@pytest.fixture
def store(engine: StoreFactory) -> Iterator[Store]:
    with engine() as opened:
        yield opened


@pytest.fixture
def dynamo_calls(
    request: pytest.FixtureRequest, fake_aws: None
) -> Iterator[tuple[Store, list[str]]]:
    """A DynamoDB store and the list of every call it makes, by operation name."""
    calls: list[str] = []
    with dynamo_store(calls, stream=reads_the_feed(request)) as store:
        yield store, calls
