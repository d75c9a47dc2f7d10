"""The data plane's second round through the services, on every engine: expiry by the
services' clock, metadata, increments, merge patches, bulk requests and their quota,
detailed lists and the sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kv_core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    QuotaExceeded,
)
from kv_core.limits import LIMITS
from kv_core.model import KeyInfo
from kv_core.plans import get_plan
from kv_core.services import CoreConfig, Services
from kv_core.services import patch as patching
from kv_core.sizing import item_size
from kv_core.store import PutItem

START = datetime(2026, 11, 25, 12, tzinfo=UTC)
T = int(START.timestamp())


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def move(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def services(store, clock):
    services = Services(store, CoreConfig(secret=b"s" * 32, clock=clock))
    yield services
    services.items.meter.close()


@pytest.fixture
def ann(services):
    user = services.accounts.signup("ann@example.com", "s3cret-pass")
    services.namespaces.create(user.id, "app")
    return user


def principal_of(services, ann, access="read-write", key_prefix=""):
    raw = services.api_keys.create(ann.id, "app", access=access, key_prefix=key_prefix).raw
    return services.items.authorize(raw, "app", write=False)


@pytest.fixture
def writer(services, ann):
    return principal_of(services, ann)


def storage(services, ann):
    return services.store.get_usage(ann.id, "2026-11").storage_bytes


def requests(services, ann):
    services.items.meter.flush()
    return services.store.get_usage(ann.id, "2026-11").requests


# --- expiry and metadata ---------------------------------------------------------------


def test_a_ttl_expires_the_item_by_the_services_clock(services, writer, clock):
    item, created = services.items.put(writer, "k", 1, ttl=10)
    assert created
    assert item.expires_at == T + 10
    clock.move(9.999)
    assert services.items.get(writer, "k").value == 1
    clock.move(0.001)
    with pytest.raises(NotFound):
        services.items.get(writer, "k")
    assert services.items.list(writer).keys == []
    assert services.items.get_many(writer, ["k"]) == ([], ["k"])
    with pytest.raises(NotFound):
        services.items.delete(writer, "k")
    item, created = services.items.put(writer, "k", 2, if_absent=True)
    assert created
    assert item.version == 1


def test_expires_at_and_a_permanent_put(services, writer):
    assert services.items.put(writer, "k", 1, expires_at=T + 5)[0].expires_at == T + 5
    assert services.items.put(writer, "k", 1)[0].expires_at is None


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"ttl": 0}, "invalid_ttl"),
        ({"ttl": LIMITS.ttl_max_seconds + 1}, "invalid_ttl"),
        ({"ttl": "5"}, "invalid_ttl"),
        ({"expires_at": T}, "invalid_expires_at"),
        ({"ttl": 5, "expires_at": T + 5}, "ttl_and_expires_at"),
        ({"metadata": ["x"]}, "invalid_metadata"),
        ({"metadata": {"x": "y" * 1100}}, "metadata_too_large"),
    ],
)
def test_bad_expiry_or_metadata_writes_nothing(services, ann, writer, options, code):
    with pytest.raises(InvalidInput) as refused:
        services.items.put(writer, "k", 1, **options)
    assert refused.value.code == code
    assert requests(services, ann) == 0
    assert storage(services, ann) == 0


def test_metadata_is_kept_and_counted(services, ann, writer):
    item, _ = services.items.put(writer, "k", [1], metadata={"a": "b"})
    assert item.metadata == {"a": "b"}
    assert services.items.get(writer, "k").metadata == {"a": "b"}
    assert storage(services, ann) == item_size("k", [1], {"a": "b"}) == item.size


def test_the_sweep_releases_expired_bytes(services, ann, writer, clock):
    services.items.put(writer, "gone", "x" * 100, ttl=1)
    services.items.put(writer, "kept", 1)
    clock.move(1)
    assert storage(services, ann) == item_size("gone", "x" * 100) + item_size("kept", 1)
    assert services.sweeper.sweep(limit=1) == 1
    assert storage(services, ann) == item_size("kept", 1)
    assert services.sweeper.sweep() == 0


# --- increments ------------------------------------------------------------------------


def test_increments(services, writer):
    assert services.items.increment(writer, "n", 2)[1] is True
    item, created = services.items.increment(writer, "n", 0.5)
    assert (item.value, created) == (2.5, False)
    services.items.put(writer, "s", "text")
    with pytest.raises(Conflict) as refused:
        services.items.increment(writer, "s", 1)
    assert refused.value.code == "not_a_number"


@pytest.mark.parametrize("by", [True, "1", None, [1], float("nan"), float("inf")])
def test_an_increment_is_a_number(services, writer, by):
    with pytest.raises(InvalidInput) as refused:
        services.items.increment(writer, "n", by)
    assert refused.value.code == "invalid_increment"


def test_an_increment_keeps_the_expiry_unless_it_names_one(services, writer):
    services.items.put(writer, "n", 1, ttl=100, metadata={"m": 1})
    item, _ = services.items.increment(writer, "n", 1)
    assert (item.expires_at, item.metadata) == (T + 100, {"m": 1})
    assert services.items.increment(writer, "n", 1, ttl=5)[0].expires_at == T + 5


# --- merge patches ---------------------------------------------------------------------


def test_a_patch_merges_and_keeps_expiry_and_metadata(services, writer):
    services.items.put(writer, "k", {"a": 1, "b": {"c": 2}}, ttl=60, metadata={"m": 1})
    item = services.items.patch(writer, "k", {"a": None, "b": {"d": 3}})
    assert item.value == {"b": {"c": 2, "d": 3}}
    assert (item.expires_at, item.metadata, item.version) == (T + 60, {"m": 1}, 2)
    assert services.items.patch(writer, "k", [1]).value == [1]


def test_a_patch_of_a_missing_or_expired_item_is_not_found(services, writer, clock):
    with pytest.raises(NotFound):
        services.items.patch(writer, "k", {"a": 1})
    services.items.put(writer, "k", {}, ttl=1)
    clock.move(1)
    with pytest.raises(NotFound):
        services.items.patch(writer, "k", {"a": 1})


def test_a_patch_honours_if_match(services, writer):
    item, _ = services.items.put(writer, "k", {"a": 1})
    with pytest.raises(PreconditionFailed):
        services.items.patch(writer, "k", {"a": 2}, if_match="other")
    patched = services.items.patch(writer, "k", {"a": 2}, if_match=item.etag)
    assert patched.value == {"a": 2}
    assert services.items.patch(writer, "k", {"b": 1}, if_match="*").value == {"a": 2, "b": 1}


class Interfering:
    """A store whose next ``times`` conditional puts lose to another writer, who
    changes the item just before each."""

    def __init__(self, store, times):
        self.store, self.times, self.puts = store, times, 0

    def __getattr__(self, name):
        return getattr(self.store, name)

    def put_item(self, put: PutItem):
        if put.if_match is not None and self.times:
            self.times -= 1
            current = self.store.get_item(put.namespace_id, put.key)
            self.store.put_item(
                PutItem(
                    put.user_id,
                    put.namespace_id,
                    put.key,
                    {**current.value, "other": self.times},
                    put.size + 20,
                    f"other-{self.times}",
                    put.now,
                )
            )
        self.puts += 1
        return self.store.put_item(put)


def test_a_patch_is_made_again_on_what_a_concurrent_write_wrote(services, writer):
    services.items.put(writer, "k", {"a": 1})
    interfering = Interfering(services.store, times=2)
    services.items.store = interfering
    item = services.items.patch(writer, "k", {"mine": True})
    assert item.value == {"a": 1, "other": 0, "mine": True}


def test_a_patch_with_if_match_that_loses_the_race_is_not_retried(services, writer):
    item, _ = services.items.put(writer, "k", {"a": 1})
    services.items.store = Interfering(services.store, times=1)
    with pytest.raises(PreconditionFailed):
        services.items.patch(writer, "k", {"mine": True}, if_match=item.etag)


def test_a_patch_that_always_loses_gives_up(services, writer):
    services.items.put(writer, "k", {"a": 1})
    services.items.store = Interfering(services.store, times=patching.PATCH_ATTEMPTS)
    with pytest.raises(Conflict) as refused:
        services.items.patch(writer, "k", {"mine": True})
    assert refused.value.code == "patch_contended"


def test_a_patch_is_held_to_the_value_limit(services, writer):
    services.items.put(writer, "k", {"a": "x" * (LIMITS.value_max_bytes - 20)})
    with pytest.raises(PayloadTooLarge):
        services.items.patch(writer, "k", {"b": "y" * 20})


# --- bulk ------------------------------------------------------------------------------


def test_bulk_get_in_the_order_asked(services, writer):
    services.items.put(writer, "a", 1)
    services.items.put(writer, "b", 2)
    items, missing = services.items.get_many(writer, ["b", "x", "a", "b"])
    assert [item.key for item in items] == ["b", "a", "b"]
    assert missing == ["x"]


def test_bulk_put_and_delete(services, ann, writer):
    written = services.items.put_many(
        writer,
        [
            {"key": "a", "value": 1, "ttl": 60},
            {"key": "b", "value": {"x": 1}, "metadata": {"m": True}},
        ],
    )
    assert written == 2
    a, b = services.items.get_many(writer, ["a", "b"])[0]
    assert (a.expires_at, b.metadata) == (T + 60, {"m": True})
    assert storage(services, ann) == item_size("a", 1) + item_size("b", {"x": 1}, {"m": True})
    assert services.items.delete_many(writer, ["a", "a", "none"]) == 1
    assert requests(services, ann) == 2 + 2 + 3


@pytest.mark.parametrize(
    ("entries", "index", "code"),
    [
        ([{"key": "a", "value": 1}, {"key": "", "value": 1}], 1, "invalid_key"),
        ([{"key": "a", "value": 1}, {"key": "b"}], 1, "invalid_entry"),
        ([{"key": "a", "value": 1}, "b"], 1, "invalid_entry"),
        ([{"key": "a", "value": 1, "expires": 5}], 0, "invalid_entry"),
        ([{"key": "a", "value": 1}, {"key": "a", "value": 2}], 1, "duplicate_key"),
        ([{"key": "a", "value": 1}] * 1 + [{"key": "b", "value": 1, "ttl": 0}], 1, "invalid_ttl"),
        ([{"key": "a", "value": 1, "metadata": 3}], 0, "invalid_metadata"),
        (
            [{"key": "a", "value": 1}, {"key": "b", "value": "x" * LIMITS.value_max_bytes}],
            1,
            "value_too_large",
        ),
    ],
)
def test_a_bad_bulk_entry_is_named_and_nothing_is_written(
    services, ann, writer, entries, index, code
):
    with pytest.raises(InvalidInput) as refused:
        services.items.put_many(writer, entries)
    assert (refused.value.code, refused.value.index) == (code, index)
    assert refused.value.message.startswith(f"put[{index}]: ")
    assert services.items.list(writer).keys == []
    assert requests(services, ann) == 1  # the list's


@pytest.mark.parametrize(
    ("operation", "count"),
    [("get_many", 0), ("get_many", 101), ("put_many", 0), ("delete_many", 1001)],
)
def test_bulk_counts(services, writer, operation, count):
    body = [{"key": f"k{i}", "value": i} for i in range(count)]
    if operation != "put_many":
        body = [f"k{i}" for i in range(count)]
    with pytest.raises(InvalidInput) as refused:
        getattr(services.items, operation)(writer, body)
    assert refused.value.code == "invalid_bulk"


def test_a_bulk_request_past_the_request_quota_is_refused_whole(services, ann, writer):
    limit = get_plan("free").requests_per_month
    services.store.add_requests(ann.id, "2026-11", limit - 2)
    with pytest.raises(QuotaExceeded) as refused:
        services.items.put_many(writer, [{"key": f"k{i}", "value": i} for i in range(3)])
    assert refused.value.code == "request_quota_exceeded"
    assert requests(services, ann) == limit - 2
    assert services.items.put_many(writer, [{"key": "a", "value": 1}] * 1) == 1
    assert services.items.get_many(writer, ["a"])[0][0].value == 1
    assert requests(services, ann) == limit


def test_a_bulk_put_past_the_storage_quota_writes_nothing(services, ann, writer):
    big = "x" * 200_000
    entries = [{"key": f"k{i}", "value": big} for i in range(600)]  # 120 MB > 100 MB
    with pytest.raises(QuotaExceeded) as refused:
        services.items.put_many(writer, entries)
    assert refused.value.code == "storage_quota_exceeded"
    assert storage(services, ann) == 0


def test_a_prefix_scoped_key_refuses_a_bulk_request_whole(services, ann):
    scoped = principal_of(services, ann, key_prefix="mine/")
    for call, body in [
        ("get_many", ["mine/a", "theirs"]),
        ("put_many", [{"key": "mine/a", "value": 1}, {"key": "theirs", "value": 1}]),
        ("delete_many", ["mine/a", "theirs"]),
    ]:
        with pytest.raises(Forbidden) as refused:
            getattr(services.items, call)(scoped, body)
        assert refused.value.code == "outside_key_prefix"
    assert services.items.put_many(scoped, [{"key": "mine/a", "value": 1}]) == 1
    assert storage(services, ann) == item_size("mine/a", 1)


def test_a_read_only_key_may_only_get(services, ann, writer):
    services.items.put(writer, "a", 1)
    reader = principal_of(services, ann, access="read-only")
    assert services.items.get_many(reader, ["a"])[0][0].value == 1
    with pytest.raises(Forbidden):
        services.items.put_many(reader, [{"key": "b", "value": 1}])
    with pytest.raises(Forbidden):
        services.items.delete_many(reader, ["a"])


# --- lists -----------------------------------------------------------------------------


def test_a_detailed_list(services, writer):
    services.items.put(writer, "a", 1, ttl=30, metadata={"m": 1})
    services.items.put(writer, "b", 2)
    page = services.items.list(writer, details=True)
    assert page.keys == ["a", "b"]
    assert page.details == [
        KeyInfo("a", 1, "2026-11-25T12:00:00.000Z", T + 30, {"m": 1}),
        KeyInfo("b", 1, "2026-11-25T12:00:00.000Z", None, None),
    ]
    assert services.items.list(writer).details is None


def test_the_browser_shows_expiry_and_metadata(services, ann, writer, clock):
    services.items.put(writer, "a", 1, ttl=30, metadata={"m": 1})
    services.items.put(writer, "b", 2, ttl=10)
    assert services.browse.get(ann.id, "app", "a").metadata == {"m": 1}
    page = services.browse.list(ann.id, "app", details=True)
    assert [(info.key, info.expires_at) for info in page.details] == [("a", T + 30), ("b", T + 10)]
    clock.move(10)
    assert services.browse.list(ann.id, "app").keys == ["a"]
    with pytest.raises(NotFound):
        services.browse.get(ann.id, "app", "b")
    with pytest.raises(NotFound):
        services.browse.delete(ann.id, "app", "b")
