"""The change feed's use cases: following with cursors, the retention, the prefix
scope, and the sweep's pruning."""

from __future__ import annotations

import pytest

from kv_core.errors import Forbidden, Gone, InvalidInput
from kv_core.store.testing import following_stream, settle_changes

from .test_services_second_round import Clock, principal_of

pytestmark = pytest.mark.feed


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def services(request, store, clock):
    """The services over each engine; on DynamoDB with its stream read all along, as
    serve and AWS do."""
    from kv_core.services import CoreConfig, Services

    if store.remote:
        request.getfixturevalue("atomic_moto")
    services = Services(store, CoreConfig(secret=b"s" * 32, clock=clock))
    with following_stream(store):
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


def follow(services, principal, **options):
    """The feed's answer once it has caught up with what was written (on DynamoDB the
    stream is read a moment after the write)."""
    settle_changes(services.store)
    return services.items.follow(principal, **options)


def keys(page):
    return [(change.key, change.op) for change in page.changes]


def test_follow_resumes_from_its_cursor(services, writer):
    services.items.put(writer, "a", 1)
    first = follow(services, writer)
    assert keys(first) == [("a", "put")]
    services.items.put(writer, "b", 2)
    services.items.delete(writer, "a")
    assert keys(follow(services, writer, since=first.cursor)) == [
        ("b", "put"),
        ("a", "delete"),
    ]


def test_since_now_skips_the_past(services, writer):
    services.items.put(writer, "a", 1)
    now = follow(services, writer, since="now")
    assert now.changes == []
    services.items.put(writer, "b", 1)
    assert keys(follow(services, writer, since=now.cursor)) == [("b", "put")]


def test_a_cursor_past_the_retention_is_gone(services, writer, clock):
    cursor = follow(services, writer).cursor
    clock.move(services.config.changes_retention_seconds + 1)
    with pytest.raises(Gone) as refused:
        follow(services, writer, since=cursor)
    assert refused.value.code == "cursor_expired"


def test_a_cursor_within_the_retention_is_good(services, writer, clock):
    cursor = follow(services, writer).cursor
    clock.move(services.config.changes_retention_seconds - 60)
    assert follow(services, writer, since=cursor).changes == []


@pytest.mark.parametrize("wait", [0, 26, -1])
def test_wait_is_one_to_twenty_five_seconds(services, writer, wait):
    with pytest.raises(InvalidInput) as refused:
        follow(services, writer, wait=wait)
    assert refused.value.code == "invalid_wait"


def test_a_prefix_scoped_key_is_confined(services, ann, writer):
    scoped = principal_of(services, ann, key_prefix="user:")
    services.items.put(writer, "user:1", 1)
    services.items.put(writer, "order:1", 1)
    assert keys(follow(services, scoped)) == [("user:1", "put")]
    with pytest.raises(Forbidden):
        follow(services, scoped, prefix="order:")


def test_the_sweep_prunes_changes_past_the_retention(services, writer, clock):
    services.items.put(writer, "a", 1)
    settle_changes(services.store)
    assert services.sweeper.prune_changes() == 0
    clock.move(10 * 365 * 86_400)  # well past any clock the log was stamped by
    services.sweeper.sweep()
    assert follow(services, writer).changes == []
