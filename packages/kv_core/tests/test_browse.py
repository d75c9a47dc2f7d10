"""The owner's view of their items: scoped to the owner, and never counted."""

from datetime import UTC, datetime

import pytest

from kv_core.errors import InvalidInput, NotFound
from kv_core.limits import LIMITS
from kv_core.services import CoreConfig, Services

NOW = datetime(2026, 11, 10, tzinfo=UTC)


@pytest.fixture
def services(store):
    services = Services(store, CoreConfig(secret=b"s" * 32, clock=lambda: NOW))
    yield services
    services.items.meter.close()


@pytest.fixture
def ann(services):
    """Ann's id, with namespace ``app`` holding items written through an API key."""
    user = services.accounts.signup("ann@example.com", "s3cret-pass")
    services.namespaces.create(user.id, "app")
    principal = services.items.authorize(
        services.api_keys.create(user.id, "app").raw, "app", write=True
    )
    for key in ("user/1", "user/2", "user/3", "order/1"):
        services.items.put(principal, key, {"key": key})
    return user.id


def requests_used(services, user_id):
    services.items.meter.flush()  # a remote engine counts in batches
    return services.usage.report(services.accounts.get(user_id)).requests_used


def test_lists_pages_with_the_data_plane_cursor(services, ann):
    first = services.browse.list(ann, "app", prefix="user/", limit=2)
    assert first.keys == ["user/1", "user/2"]
    assert first.cursor is not None
    second = services.browse.list(ann, "app", prefix="user/", limit=2, cursor=first.cursor)
    assert second.keys == ["user/3"]
    assert second.cursor is None
    assert services.browse.list(ann, "app").keys == ["order/1", "user/1", "user/2", "user/3"]


def test_a_cursor_from_another_prefix_is_refused(services, ann):
    cursor = services.browse.list(ann, "app", prefix="user/", limit=1).cursor
    with pytest.raises(InvalidInput):
        services.browse.list(ann, "app", prefix="order/", cursor=cursor)


@pytest.mark.parametrize("limit", [0, 1001])
def test_a_limit_out_of_range_is_refused(services, ann, limit):
    with pytest.raises(InvalidInput):
        services.browse.list(ann, "app", limit=limit)


def test_get_and_delete_release_bytes(services, ann):
    item = services.browse.get(ann, "app", "user/2")
    assert item.value == {"key": "user/2"}
    before = services.namespaces.get(ann, "app").size_bytes
    deleted = services.browse.delete(ann, "app", "user/2")
    assert deleted.key == "user/2"
    assert services.namespaces.get(ann, "app").size_bytes == before - item.size
    with pytest.raises(NotFound):
        services.browse.get(ann, "app", "user/2")
    with pytest.raises(NotFound):
        services.browse.delete(ann, "app", "user/2")


def test_browsing_counts_no_request(services, ann):
    used = requests_used(services, ann)
    services.browse.list(ann, "app")
    services.browse.get(ann, "app", "user/1")
    services.browse.delete(ann, "app", "user/1")
    assert requests_used(services, ann) == used == 4


def test_another_users_namespace_is_not_found(services, ann):
    bob = services.accounts.signup("bob@example.com", "s3cret-pass").id
    with pytest.raises(NotFound):
        services.browse.list(bob, "app")
    with pytest.raises(NotFound):
        services.browse.get(bob, "app", "user/1")
    with pytest.raises(NotFound):
        services.browse.delete(bob, "app", "user/1")
    assert services.browse.get(ann, "app", "user/1").value == {"key": "user/1"}


def test_an_invalid_key_is_refused(services, ann):
    with pytest.raises(InvalidInput):
        services.browse.get(ann, "app", "bad\x00key")


def test_lists_in_reverse_with_cursors_bound_to_the_direction(services, ann):
    first = services.browse.list(ann, "app", prefix="user/", limit=2, reverse=True)
    assert first.keys == ["user/3", "user/2"]
    second = services.browse.list(
        ann, "app", prefix="user/", limit=2, reverse=True, cursor=first.cursor
    )
    assert second.keys == ["user/1"]
    assert second.cursor is None
    with pytest.raises(InvalidInput):
        services.browse.list(ann, "app", prefix="user/", limit=2, cursor=first.cursor)


def test_counts_the_namespace_or_under_a_prefix(services, ann):
    assert services.browse.count(ann, "app") == 4
    assert services.browse.count(ann, "app", prefix="user/") == 3
    assert services.browse.count(ann, "app", prefix="nothing/") == 0
    with pytest.raises(InvalidInput):
        services.browse.count(ann, "app", prefix="x" * (LIMITS.key_max_bytes + 1))


def test_deletes_under_a_prefix_in_pages_and_releases_bytes(services, ann):
    order = services.browse.get(ann, "app", "order/1")
    first = services.browse.delete_prefix(ann, "app", "user/", limit=2)
    assert (first.count, first.more) == (2, True)
    rest = services.browse.delete_prefix(ann, "app", "user/")
    assert (rest.count, rest.more) == (1, False)
    assert services.browse.list(ann, "app").keys == ["order/1"]
    namespace = services.namespaces.get(ann, "app")
    assert (namespace.item_count, namespace.size_bytes) == (1, order.size)


@pytest.mark.parametrize(
    ("prefix", "limit", "code"),
    [("", None, "invalid_prefix"), ("user/", 0, "invalid_limit"), ("user/", 1001, "invalid_limit")],
)
def test_a_bad_prefix_deletion_is_refused_and_deletes_nothing(services, ann, prefix, limit, code):
    with pytest.raises(InvalidInput) as refused:
        services.browse.delete_prefix(ann, "app", prefix, limit=limit)
    assert refused.value.code == code
    assert services.browse.count(ann, "app") == 4


def test_counting_and_deleting_by_prefix_count_no_request(services, ann):
    used = requests_used(services, ann)
    services.browse.count(ann, "app", prefix="user/")
    services.browse.list(ann, "app", reverse=True)
    services.browse.delete_prefix(ann, "app", "user/")
    assert requests_used(services, ann) == used == 4


def test_another_users_namespace_is_not_found_for_counts_and_prefixes(services, ann):
    bob = services.accounts.signup("bob@example.com", "s3cret-pass").id
    with pytest.raises(NotFound):
        services.browse.count(bob, "app")
    with pytest.raises(NotFound):
        services.browse.count(bob, "app", prefix="user/")
    with pytest.raises(NotFound):
        services.browse.delete_prefix(bob, "app", "user/")
    assert services.browse.count(ann, "app") == 4
