"""The change feed's use cases: following with cursors, the retention, the prefix
scope, and the sweep's pruning."""

from __future__ import annotations

import pytest

from kv_core.errors import Forbidden, Gone, InvalidInput

from .test_services_second_round import Clock, principal_of


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def services(store, clock):
    if store.remote and not hasattr(store, "pump_changes"):
        pytest.skip("this engine's change feed is not built yet")
    from kv_core.services import CoreConfig, Services

    services = Services(store, CoreConfig(secret=b"s" * 32, clock=clock))
    yield services
    services.items.meter.close()


@pytest.fixture
def ann(services):
    user = services.accounts.signup("ann@example.com", "s3cret-pass")
    services.namespaces.create(user.id, "app")
    return user


@pytest.fixture
def writer(services, ann):
    return principal_of(services, ann)


def keys(page):
    return [(change.key, change.op) for change in page.changes]


def test_follow_resumes_from_its_cursor(services, writer):
    services.items.put(writer, "a", 1)
    first = services.items.follow(writer)
    assert keys(first) == [("a", "put")]
    services.items.put(writer, "b", 2)
    services.items.delete(writer, "a")
    assert keys(services.items.follow(writer, since=first.cursor)) == [
        ("b", "put"),
        ("a", "delete"),
    ]


def test_since_now_skips_the_past(services, writer):
    services.items.put(writer, "a", 1)
    now = services.items.follow(writer, since="now")
    assert now.changes == []
    services.items.put(writer, "b", 1)
    assert keys(services.items.follow(writer, since=now.cursor)) == [("b", "put")]


def test_a_cursor_past_the_retention_is_gone(services, writer, clock):
    cursor = services.items.follow(writer).cursor
    clock.move(services.config.changes_retention_seconds + 1)
    with pytest.raises(Gone) as refused:
        services.items.follow(writer, since=cursor)
    assert refused.value.code == "cursor_expired"


def test_a_cursor_within_the_retention_is_good(services, writer, clock):
    cursor = services.items.follow(writer).cursor
    clock.move(services.config.changes_retention_seconds - 60)
    assert services.items.follow(writer, since=cursor).changes == []


@pytest.mark.parametrize("wait", [0, 26, -1])
def test_wait_is_one_to_twenty_five_seconds(services, writer, wait):
    with pytest.raises(InvalidInput) as refused:
        services.items.follow(writer, wait=wait)
    assert refused.value.code == "invalid_wait"


def test_a_prefix_scoped_key_is_confined(services, ann, writer):
    scoped = principal_of(services, ann, key_prefix="user:")
    services.items.put(writer, "user:1", 1)
    services.items.put(writer, "order:1", 1)
    assert keys(services.items.follow(scoped)) == [("user:1", "put")]
    with pytest.raises(Forbidden):
        services.items.follow(scoped, prefix="order:")


def test_the_sweep_prunes_changes_past_the_retention(services, writer, clock):
    services.items.put(writer, "a", 1)
    assert services.sweeper.prune_changes() == 0
    clock.move(10 * 365 * 86_400)  # well past any clock the log was stamped by
    services.sweeper.sweep()
    assert services.items.follow(writer).changes == []
