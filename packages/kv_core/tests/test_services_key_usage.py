"""Requests per API key through the use cases, on every engine: counted by the rule of
the account's count (a 404 counts; refusals do not), exact on SQLite and, once the
meter has written its batch, on DynamoDB."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime

import pytest

from kv_core.errors import Forbidden, NotFound, QuotaExceeded, Unauthorized
from kv_core.plans import get_plan
from kv_core.services import CoreConfig, Services

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
MONTH = "2026-11"


@pytest.fixture
def services(store):
    services = Services(store, CoreConfig(secret=b"s" * 32, clock=lambda: NOW))
    yield services
    services.items.meter.close()


@pytest.fixture
def ann(services):
    user = services.accounts.signup("ann@example.com", "s3cret-pass")
    services.namespaces.create(user.id, "app")
    services.namespaces.create(user.id, "other")
    return user


def made(services, ann, **options):
    """A new key on 'app': its raw form and its id."""
    created = services.api_keys.create(ann.id, "app", **options)
    return created.raw, created.key.id


def stored(services, ann):
    """Each key's count as the store has it, after the meter wrote what it held."""
    services.items.meter.flush()
    found = services.store.key_requests(ann.id, MONTH)
    return {key.id: found.get(key.id, 0) for key in services.api_keys.list(ann.id)}


def test_each_request_counts_against_the_key_that_made_it(services, ann):
    items = services.items
    writer, writer_id = made(services, ann)
    reader, reader_id = made(services, ann, access="read-only")
    scoped, scoped_id = made(services, ann, key_prefix="mine/")
    items.put(items.authorize(writer, "app", write=True), "a", 1)
    items.get(items.authorize(reader, "app", write=False), "a")
    with pytest.raises(NotFound):  # a 404 counts
        items.get(items.authorize(reader, "app", write=False), "missing")
    items.get_many(items.authorize(reader, "app", write=False), ["a", "b", "c"])  # three
    # Refusals count against nobody: read-only, another namespace, outside the prefix.
    with pytest.raises(Forbidden):
        items.authorize(reader, "app", write=True)
    with pytest.raises(Forbidden):
        items.authorize(writer, "other", write=False)
    with pytest.raises(Forbidden):
        items.get(items.authorize(scoped, "app", write=False), "a")
    with pytest.raises(Unauthorized):
        items.authorize("kv_" + "x" * 40, "app", write=False)
    expected = {writer_id: 1, reader_id: 5, scoped_id: 0}
    # This instance reports what it has not written yet; the store has it all after.
    pending = services.usage.key_requests(ann.id)
    assert {key_id: pending.get(key_id, 0) for key_id in expected} == expected
    assert stored(services, ann) == expected
    assert services.usage.report(ann).requests_used == 6


def test_a_request_refused_by_the_quota_counts_against_no_key(services, ann):
    items = services.items
    raw, key_id = made(services, ann)
    limit = get_plan("free").requests_per_month
    services.store.add_requests(ann.id, MONTH, limit - 1)
    items.put(items.authorize(raw, "app", write=True), "last", 1)
    with pytest.raises(QuotaExceeded):
        items.get(items.authorize(raw, "app", write=False), "last")
    assert stored(services, ann) == {key_id: 1}


def test_a_revoked_key_is_not_listed_with_a_count(services, ann):
    items = services.items
    raw, key_id = made(services, ann)
    kept, kept_id = made(services, ann)
    items.get_many(items.authorize(raw, "app", write=False), ["a", "b"])
    items.get_many(items.authorize(kept, "app", write=False), ["a"])
    services.api_keys.revoke(ann.id, key_id)
    assert stored(services, ann) == {kept_id: 1}


@pytest.mark.slow
def test_racing_requests_with_two_keys_are_counted_exactly(services, ann):
    items = services.items
    keys = [made(services, ann), made(services, ann)]
    rounds, threads = 25, 6
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work(number: int) -> None:
        raw, _ = keys[number % 2]
        start.wait()
        try:
            for i in range(rounds):
                if i % 3 == 0:
                    items.put(items.authorize(raw, "app", write=True), f"t{number}/{i}", i)
                else:
                    with contextlib.suppress(NotFound):  # a 404 counts too
                        items.get(items.authorize(raw, "app", write=False), f"t{number}/{i - 1}")
        except BaseException as error:
            failures.append(error)

    running = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert not failures
    per_key = rounds * threads // 2
    assert stored(services, ann) == {key_id: per_key for _, key_id in keys}
    assert services.store.get_usage(ann.id, MONTH).requests == rounds * threads
