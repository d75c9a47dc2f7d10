"""The data plane's third round through the services, on every engine: atomic
operations, counts, prefix deletion and ranges. Every refusal writes nothing and, when
it comes before admission, counts no request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kv_core.errors import CheckFailed, Conflict, Forbidden, InvalidInput, QuotaExceeded
from kv_core.limits import LIMITS
from kv_core.plans import get_plan
from kv_core.services import CoreConfig, Services
from kv_core.sizing import item_size

START = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture
def services(store):
    services = Services(store, CoreConfig(secret=b"s" * 32, clock=lambda: START))
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


def requests(services, ann):
    services.items.meter.flush()
    return services.store.get_usage(ann.id, "2026-11").requests


def storage(services, ann):
    return services.store.get_usage(ann.id, "2026-11").storage_bytes


def everything(services, writer):
    page = services.items.list(writer, limit=1000, details=True)
    return {info.key: info.version for info in page.details or []}


# --- atomic ----------------------------------------------------------------------------


def test_an_atomic_transfer_applies_every_op(services, ann, writer):
    services.items.put(writer, "alice", 10)
    services.items.put(writer, "gone", 1)
    before = requests(services, ann)
    result = services.items.atomic(
        writer,
        {
            "checks": [{"key": "alice", "version": 1}, {"key": "bob", "version": None}],
            "ops": [
                {"op": "increment", "key": "alice", "by": -3},
                {"op": "put", "key": "bob", "value": 3, "metadata": {"from": "alice"}},
                {"op": "delete", "key": "gone"},
            ],
        },
    )
    assert result.items == [("alice", 2), ("bob", 1), ("gone", None)]
    assert services.items.get(writer, "alice").value == 7
    bob = services.items.get(writer, "bob")
    assert (bob.value, bob.metadata) == (3, {"from": "alice"})
    assert requests(services, ann) == before + 3 + 2  # three keys, then the two gets
    assert storage(services, ann) == item_size("alice", 7) + item_size("bob", 3, {"from": "alice"})


def test_a_failed_check_writes_nothing_and_names_the_keys(services, ann, writer):
    services.items.put(writer, "a", 1)
    services.items.put(writer, "b", 1)
    before = everything(services, writer), storage(services, ann)
    with pytest.raises(CheckFailed) as refused:
        services.items.atomic(
            writer,
            {
                "checks": [{"key": "a", "version": 2}, {"key": "b", "version": None}],
                "ops": [{"op": "put", "key": "c", "value": 1}],
            },
        )
    assert refused.value.code == "check_failed"
    assert sorted(refused.value.failed) == ["a", "b"]
    assert (everything(services, writer), storage(services, ann)) == before


def test_an_increment_of_a_non_number_writes_nothing(services, writer):
    services.items.put(writer, "text", "hello")
    with pytest.raises(Conflict) as refused:
        services.items.atomic(
            writer,
            {
                "ops": [
                    {"op": "put", "key": "x", "value": 1},
                    {"op": "increment", "key": "text", "by": 1},
                ]
            },
        )
    assert refused.value.code == "not_a_number"
    assert everything(services, writer) == {"text": 1}


def test_an_atomic_past_the_storage_quota_writes_nothing(services, ann, writer):
    big = "x" * 200_000
    services.store.set_plan(ann.id, "free", "2026-11-25T12:00:00.000000Z", storage_limit=300_000)
    writer = principal_of(services, ann)
    with pytest.raises(QuotaExceeded) as refused:
        services.items.atomic(
            writer,
            {
                "ops": [
                    {"op": "put", "key": "a", "value": big},
                    {"op": "put", "key": "b", "value": big},
                ]
            },
        )
    assert refused.value.code == "storage_quota_exceeded"
    assert storage(services, ann) == 0


def test_an_atomic_past_the_request_quota_is_refused_whole(services, ann, writer):
    limit = get_plan("free").requests_per_month
    services.store.add_requests(ann.id, "2026-11", limit - 2)
    with pytest.raises(QuotaExceeded) as refused:
        services.items.atomic(
            writer,
            {
                "checks": [{"key": "c", "version": None}],
                "ops": [
                    {"op": "put", "key": "a", "value": 1},
                    {"op": "put", "key": "b", "value": 1},
                ],
            },
        )
    assert refused.value.code == "request_quota_exceeded"
    assert requests(services, ann) == limit - 2
    assert storage(services, ann) == 0


def ops_on(count: int) -> list[dict[str, object]]:
    return [{"op": "put", "key": f"k{i}", "value": i} for i in range(count)]


@pytest.mark.parametrize(
    ("body", "code", "where"),
    [
        ("not an object", "invalid_atomic", ""),
        ({"ops": []}, "invalid_atomic", ""),
        ({"ops": {"op": "put"}}, "invalid_atomic", ""),
        ({"ops": ops_on(1), "extra": 1}, "invalid_atomic", ""),
        ({"ops": [{"op": "rename", "key": "a"}]}, "invalid_op", "ops[0]: "),
        ({"ops": [{"key": "a", "value": 1}]}, "invalid_op", "ops[0]: "),
        ({"ops": [{"op": "delete", "key": "a", "value": 1}]}, "invalid_op", "ops[0]: "),
        ({"ops": [{"op": "increment", "key": "a"}]}, "invalid_op", "ops[0]: "),
        ({"ops": [{"op": "increment", "key": "a", "by": "1"}]}, "invalid_increment", "ops[0]: "),
        ({"ops": [{"op": "put", "key": "a"}]}, "invalid_entry", "ops[0]: "),
        ({"ops": [{"op": "put", "key": "", "value": 1}]}, "invalid_key", "ops[0]: "),
        ({"ops": [{"op": "put", "key": 3, "value": 1}]}, "invalid_key", "ops[0]: "),
        ({"ops": [{"op": "put", "key": "a", "value": 1, "ttl": 0}]}, "invalid_ttl", "ops[0]: "),
        (
            {"ops": [{"op": "put", "key": "a", "value": 1, "metadata": []}]},
            "invalid_metadata",
            "ops[0]: ",
        ),
        (
            {"ops": [{"op": "put", "key": "a", "value": "x" * (LIMITS.value_max_bytes + 1)}]},
            "value_too_large",
            "ops[0]: ",
        ),
        ({"ops": [*ops_on(1), {"op": "delete", "key": "k0"}]}, "duplicate_key", "ops[1]: "),
        ({"checks": [{"key": "a"}], "ops": ops_on(1)}, "invalid_check", "checks[0]: "),
        (
            {"checks": [{"key": "a", "version": 0}], "ops": ops_on(1)},
            "invalid_check",
            "checks[0]: ",
        ),
        (
            {"checks": [{"key": "a", "version": True}], "ops": ops_on(1)},
            "invalid_check",
            "checks[0]: ",
        ),
        (
            {
                "checks": [{"key": "a", "version": 1}, {"key": "a", "version": None}],
                "ops": ops_on(1),
            },
            "duplicate_key",
            "checks[1]: ",
        ),
        ({"ops": ops_on(LIMITS.atomic_max_keys + 1)}, "too_many_keys", ""),
        (
            {
                "checks": [{"key": f"c{i}", "version": None} for i in range(26)],
                "ops": ops_on(25),
            },
            "too_many_keys",
            "",
        ),
    ],
)
def test_a_bad_atomic_body_is_refused_whole_and_counts_nothing(
    services, ann, writer, body, code, where
):
    with pytest.raises(InvalidInput) as refused:
        services.items.atomic(writer, body)
    assert refused.value.code == code
    assert refused.value.message.startswith(where)
    assert requests(services, ann) == 0
    assert storage(services, ann) == 0


def test_fifty_keys_checked_and_written_together_are_allowed(services, writer):
    body = {
        "checks": [{"key": f"k{i}", "version": None} for i in range(LIMITS.atomic_max_keys)],
        "ops": ops_on(LIMITS.atomic_max_keys),
    }
    assert len(services.items.atomic(writer, body).items) == LIMITS.atomic_max_keys


def test_an_atomic_write_over_its_byte_limit_is_refused(services, ann, writer):
    value = "x" * (LIMITS.value_max_bytes - 100)
    count = LIMITS.atomic_body_max_bytes // LIMITS.value_max_bytes + 1
    ops = [{"op": "put", "key": f"k{i}", "value": value} for i in range(count)]
    with pytest.raises(InvalidInput) as refused:
        services.items.atomic(writer, {"ops": ops})
    assert refused.value.code == "atomic_too_large"
    assert storage(services, ann) == 0


def test_a_read_only_key_may_not_use_atomic_or_delete_prefix(services, ann, writer):
    services.items.put(writer, "a", 1)
    reader = principal_of(services, ann, access="read-only")
    before = requests(services, ann)
    with pytest.raises(Forbidden) as atomic:
        services.items.atomic(reader, {"ops": [{"op": "delete", "key": "a"}]})
    with pytest.raises(Forbidden) as deletion:
        services.items.delete_prefix(reader, "a")
    assert atomic.value.code == deletion.value.code == "read_only_key"
    assert requests(services, ann) == before
    assert services.items.count(reader) == 1


def test_a_prefix_scoped_key_is_refused_whole_outside_its_prefix(services, ann, writer):
    scoped = principal_of(services, ann, key_prefix="mine/")
    for body in [
        {
            "ops": [
                {"op": "put", "key": "mine/a", "value": 1},
                {"op": "put", "key": "b", "value": 1},
            ]
        },
        {
            "checks": [{"key": "theirs", "version": None}],
            "ops": [{"op": "delete", "key": "mine/a"}],
        },
    ]:
        with pytest.raises(Forbidden) as refused:
            services.items.atomic(scoped, body)
        assert refused.value.code == "outside_key_prefix"
    assert storage(services, ann) == 0
    for call in (
        lambda: services.items.delete_prefix(scoped, "m"),
        lambda: services.items.count(scoped, prefix="the"),
        lambda: services.items.list(scoped, prefix="x"),
    ):
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.code == "outside_key_prefix"
    assert services.items.atomic(scoped, {"ops": [{"op": "put", "key": "mine/a", "value": 1}]})


# --- counts and prefix deletion --------------------------------------------------------


def test_counts_with_and_without_a_prefix(services, ann, writer):
    services.items.put_many(
        writer, [{"key": key, "value": 1} for key in ["a/1", "a/2", "ab", "b/1", "mine/x"]]
    )
    assert services.items.count(writer) == 5
    assert services.items.count(writer, prefix="a") == 3
    assert services.items.count(writer, prefix="a/") == 2
    assert services.items.count(writer, prefix="zzz") == 0
    scoped = principal_of(services, ann, key_prefix="mine/")
    assert services.items.count(scoped) == 1


def test_delete_prefix_pages_until_nothing_is_left(services, ann, writer):
    services.items.put_many(writer, [{"key": f"log/{i:02}", "value": i} for i in range(25)])
    services.items.put(writer, "logo", 1)
    first = services.items.delete_prefix(writer, "log/", limit=10)
    assert (first.count, first.more) == (10, True)
    total = first.count
    while True:
        page = services.items.delete_prefix(writer, "log/", limit=10)
        total += page.count
        if not page.more:
            break
    assert total == 25
    assert services.items.list(writer).keys == ["logo"]
    assert storage(services, ann) == item_size("logo", 1)


def test_a_prefix_scoped_key_deletes_only_inside_its_prefix(services, ann, writer):
    services.items.put_many(writer, [{"key": k, "value": 1} for k in ["mine/a", "mine/b", "other"]])
    scoped = principal_of(services, ann, key_prefix="mine/")
    deleted = services.items.delete_prefix(scoped, "mine/")
    assert (deleted.count, deleted.more) == (2, False)
    assert services.items.list(writer).keys == ["other"]


@pytest.mark.parametrize(
    ("prefix", "limit", "code"),
    [
        ("", None, "invalid_prefix"),
        (None, None, "invalid_prefix"),
        (3, None, "invalid_prefix"),
        ("x" * (LIMITS.key_max_bytes + 1), None, "invalid_prefix"),
        ("a", 0, "invalid_limit"),
        ("a", LIMITS.delete_prefix_max_items + 1, "invalid_limit"),
        ("a", True, "invalid_limit"),
        ("a", "10", "invalid_limit"),
    ],
)
def test_a_bad_prefix_deletion_deletes_nothing(services, ann, writer, prefix, limit, code):
    services.items.put(writer, "a", 1)
    before = requests(services, ann)
    with pytest.raises(InvalidInput) as refused:
        services.items.delete_prefix(writer, prefix, limit=limit)
    assert refused.value.code == code
    assert services.items.list(writer).keys == ["a"]
    assert requests(services, ann) == before + 1  # the list's


# --- ranges ----------------------------------------------------------------------------


KEYS = ["a", "b", "c", "d", "e", "f", "g"]


@pytest.fixture
def lettered(services, writer):
    services.items.put_many(writer, [{"key": key, "value": 1} for key in KEYS])
    return writer


def walk(services, principal, **options):
    keys, cursor = [], None
    while True:
        page = services.items.list(principal, limit=2, cursor=cursor, **options)
        keys += page.keys
        cursor = page.cursor
        if cursor is None:
            return keys


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, KEYS),
        ({"reverse": True}, KEYS[::-1]),
        ({"start": "b", "end": "e"}, ["b", "c", "d"]),
        ({"start": "b", "end": "e", "reverse": True}, ["d", "c", "b"]),
        ({"start": "e"}, ["e", "f", "g"]),
        ({"end": "c", "reverse": True}, ["b", "a"]),
        ({"start": "c", "end": "c"}, []),
    ],
)
def test_ranges_page_in_either_direction(services, lettered, options, expected):
    assert walk(services, lettered, **options) == expected


def test_a_cursor_is_bound_to_its_range_and_direction(services, lettered):
    cursor = services.items.list(lettered, limit=2, start="b").cursor
    assert cursor is not None
    for options in (
        {},
        {"start": "c"},
        {"start": "b", "reverse": True},
        {"start": "b", "end": "z"},
    ):
        with pytest.raises(InvalidInput) as refused:
            services.items.list(lettered, limit=2, cursor=cursor, **options)
        assert refused.value.code == "invalid_cursor"
    plain = services.items.list(lettered, limit=2).cursor
    with pytest.raises(InvalidInput):
        services.items.list(lettered, limit=2, cursor=plain, reverse=True)


def test_start_after_end_is_refused(services, lettered):
    with pytest.raises(InvalidInput) as refused:
        services.items.list(lettered, start="d", end="b")
    assert refused.value.code == "invalid_range"


def test_a_prefix_scoped_key_ranges_only_inside_its_prefix(services, ann, writer):
    services.items.put_many(
        writer, [{"key": k, "value": 1} for k in ["a", "mine/a", "mine/b", "z"]]
    )
    scoped = principal_of(services, ann, key_prefix="mine/")
    assert walk(services, scoped, start="a", end="zz", reverse=True) == ["mine/b", "mine/a"]
