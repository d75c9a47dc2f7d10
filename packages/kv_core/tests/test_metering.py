"""The request meter: exact on the embedded engine, batched with a written bound."""

import atexit
import itertools
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kv_core.engines.sqlite import SqliteStore
from kv_core.hashing import digest
from kv_core.model import ApiKey, Namespace, User
from kv_core.services import CoreConfig
from kv_core.services.metering import RequestMeter

USERS = itertools.count()
NOW = "2026-11-25T10:00:00.000Z"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = SqliteStore(tmp_path_factory.mktemp("meter") / "kv.sqlite3")
    yield store
    store.close()


def test_exact_meter_admits_exactly_the_limit(store):
    meter = RequestMeter(store)
    admitted = [meter.admit("exact", "2026-11", 5) for _ in range(8)]
    assert admitted == [1, 2, 3, 4, 5, None, None, None]
    assert store.get_usage("exact", "2026-11").requests == 5


def test_batched_meter_writes_in_batches(store):
    meter = RequestMeter(store, batch=10, interval=3600)
    for _ in range(25):
        assert meter.admit("batched", "2026-11", 1000) is not None
    # The first request asks the store; then every tenth is written.
    assert store.get_usage("batched", "2026-11").requests == 21
    assert meter.pending("batched", "2026-11") == 4
    meter.flush()
    assert store.get_usage("batched", "2026-11").requests == 25


def test_close_writes_what_is_pending(store):
    meter = RequestMeter(store, batch=10, interval=3600)
    for _ in range(4):
        meter.admit("closing", "2026-11", 1000)
    meter.close()
    assert store.get_usage("closing", "2026-11").requests == 4
    assert meter.pending("closing", "2026-11") == 0


def test_counts_that_cannot_be_written_at_exit_are_reported(store, caplog):
    meter = RequestMeter(store, batch=10, interval=3600)
    for _ in range(3):
        meter.admit("exiting", "2026-11", 1000)

    def unreachable(*args):
        raise ConnectionError("the store is gone")

    meter.store = type("Gone", (), {"add_requests": staticmethod(unreachable)})()
    meter._flush_at_exit()
    assert "2 request counts could not be written at exit" in caplog.text
    meter.store = store
    meter.close()


def test_batched_meter_flushes_by_time(store):
    meter = RequestMeter(store, batch=100, interval=0)
    meter.admit("timed", "2026-11", 1000)
    meter.admit("timed", "2026-11", 1000)
    assert meter.pending("timed", "2026-11") == 0
    assert store.get_usage("timed", "2026-11").requests == 2


def write(meter, store, user, limit, *, carried=True, key_id=None):
    """A write as the data plane makes it: admitted, then carrying the pending counts
    to the store in its own counters update (``carried``), or not (a write that moves
    no counter)."""
    if meter.admit(user, "2026-11", limit, carry=True, key_id=key_id) is None:
        return False
    batch = meter.take(user, "2026-11")
    if batch is not None:
        total = (
            store.add_requests(user, "2026-11", batch.count, by_key=batch.by_key)
            if carried
            else None
        )
        meter.settle(user, batch, total)
    return True


def owner_of_keys(store, *key_ids):
    """A fresh user with a namespace and API keys of these ids (suffixed to be fresh);
    the user's id and the keys' ids."""
    user = f"user-{next(USERS)}"
    store.create_user(User(user, f"{user}@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace(f"{user}-ns", user, "app", NOW))
    ids = [f"{user}-{key_id}" for key_id in key_ids]
    for key_id in ids:
        store.create_api_key(
            ApiKey(key_id, user, f"{user}-ns", "app", "k", "read-write", digest(key_id), "kv_", NOW)
        )
    return user, ids


def test_a_write_carries_what_is_pending_and_learns_the_total(store):
    meter = RequestMeter(store, batch=10, interval=3600)
    elsewhere = RequestMeter(store, batch=10, interval=3600)
    meter.admit("carrier", "2026-11", 1000)  # the first request asks the store
    for _ in range(3):
        meter.admit("carrier", "2026-11", 1000)
    elsewhere.admit("carrier", "2026-11", 1000)
    assert store.get_usage("carrier", "2026-11").requests == 2
    assert write(meter, store, "carrier", 1000)
    assert store.get_usage("carrier", "2026-11").requests == 6
    assert meter.pending("carrier", "2026-11") == 0
    # The total the write reported includes the other instance's request.
    assert meter.admit("carrier", "2026-11", 1000) == 7


def test_a_write_that_carries_nothing_gives_the_counts_back(store):
    meter = RequestMeter(store, batch=3, interval=3600)
    meter.admit("giver", "2026-11", 1000)
    assert write(meter, store, "giver", 1000, carried=False)
    assert meter.pending("giver", "2026-11") == 1
    assert store.get_usage("giver", "2026-11").requests == 1
    assert write(meter, store, "giver", 1000, carried=False)
    assert write(meter, store, "giver", 1000, carried=False)  # the third is due: flushed
    assert meter.pending("giver", "2026-11") == 0
    assert store.get_usage("giver", "2026-11").requests == 4


def test_a_write_is_refused_past_the_quota_with_counts_in_flight(store):
    meter = RequestMeter(store, batch=10, interval=3600)
    meter.admit("tight", "2026-11", 3)
    assert meter.admit("tight", "2026-11", 3, carry=True) == 2
    batch = meter.take("tight", "2026-11")
    assert batch is not None
    assert batch.count == 1
    assert meter.pending("tight", "2026-11") == 1  # carried counts are still pending
    assert meter.admit("tight", "2026-11", 3) == 3
    assert meter.admit("tight", "2026-11", 3) is None  # counted with the one in flight
    meter.settle("tight", batch, None)
    meter.flush()
    assert store.get_usage("tight", "2026-11").requests == 3


def test_settling_never_raises_and_keeps_what_it_could_not_write(store, caplog):
    meter = RequestMeter(store, batch=2, interval=3600)
    meter.admit("offline", "2026-11", 1000)
    meter.admit("offline", "2026-11", 1000, carry=True)
    batch = meter.take("offline", "2026-11")

    def unreachable(*args):
        raise ConnectionError("the store is gone")

    meter.store = type("Gone", (), {"add_requests": staticmethod(unreachable)})()
    meter.admit("offline", "2026-11", 1000, carry=True)
    meter.settle("offline", batch, None)  # due (2 pending) but the store is unreachable
    assert "request counts kept for the next flush" in caplog.text
    assert meter.pending("offline", "2026-11") == 2
    meter.store = store
    meter.close()
    assert store.get_usage("offline", "2026-11").requests == 3


def test_a_batch_carries_each_keys_part_and_gives_it_back_when_not_counted(store):
    user, (one, two) = owner_of_keys(store, "one", "two")
    meter = RequestMeter(store, batch=10, interval=3600)
    meter.admit(user, "2026-11", 1000, key_id=one)  # the first request asks the store
    assert store.key_requests(user, "2026-11") == {one: 1, two: 0}
    for key_id in (one, one, two, one, two):
        meter.admit(user, "2026-11", 1000, carry=True, key_id=key_id)
    meter.admit(user, "2026-11", 1000, carry=True)  # no key: the user's count only
    assert meter.pending_by_key(user, "2026-11") == {one: 3, two: 2}
    batch = meter.take(user, "2026-11")
    assert batch is not None
    assert (batch.count, dict(batch.by_key)) == (6, {one: 3, two: 2})
    assert meter.pending_by_key(user, "2026-11") == {one: 3, two: 2}  # carried, in flight
    meter.settle(user, batch, None)  # the write did not count them: they are pending again
    assert meter.pending_by_key(user, "2026-11") == {one: 3, two: 2}
    assert store.key_requests(user, "2026-11") == {one: 1, two: 0}
    meter.flush()
    assert meter.pending_by_key(user, "2026-11") == {}
    assert store.key_requests(user, "2026-11") == {one: 4, two: 2}
    assert store.get_usage(user, "2026-11").requests == 7


def test_a_counted_batch_leaves_nothing_pending_per_key(store):
    user, (one,) = owner_of_keys(store, "one")
    meter = RequestMeter(store, batch=10, interval=3600)
    meter.admit(user, "2026-11", 1000, key_id=one)
    assert write(meter, store, user, 1000, key_id=one)
    assert write(meter, store, user, 1000, key_id=one)
    assert meter.pending_by_key(user, "2026-11") == {}
    assert store.key_requests(user, "2026-11") == {one: 3}


SHIPPED = CoreConfig(secret=b"s" * 32)


def shipped_meter(store):
    """A meter with the allowance a remote engine ships with: 20 to 1,000 by headroom."""
    return RequestMeter(
        store,
        batch=SHIPPED.request_batch,
        interval=3600,
        batch_share=SHIPPED.request_batch_share,
        batch_max=SHIPPED.request_batch_max,
    )


def bound(instances, limit):
    """The written bound on overshoot with ``instances`` instances serving one account."""
    return instances * min(1000, max(20, limit // 64))


def test_the_shipped_allowance_is_20_to_1000_in_64ths_of_the_headroom():
    assert (SHIPPED.request_batch, SHIPPED.request_batch_share, SHIPPED.request_batch_max) == (
        20,
        64,
        1000,
    )


@pytest.mark.parametrize(
    ("limit", "used", "allowance"),
    [
        (100, 0, 20),  # a small quota: never more than the least
        (10_000, 9_000, 20),  # near the quota
        (1_000_000, 999_000, 20),  # near a large quota too
        (10_000, 0, (10_000 - 1) // 64),  # between: a 64th of the headroom
        (100_000, 50_000, (100_000 - 50_001) // 64),
        (1_000_000, 0, 1000),  # far from the quota: the most
        (1_000_000, 900_000, 1000),
    ],
)
def test_the_allowance_follows_the_headroom_the_instance_knows_of(store, limit, used, allowance):
    user, _ = owner_of_keys(store)
    if used:
        store.add_requests(user, "2026-11", used)
    meter = shipped_meter(store)
    assert meter.allowance(user, "2026-11") == 20  # nothing known yet: the least
    assert meter.admit(user, "2026-11", limit) == used + 1  # the first asks the store
    assert meter.allowance(user, "2026-11") == allowance
    meter.close()


def test_the_allowance_shrinks_to_20_once_the_instance_has_written_near_the_quota(store):
    user, _ = owner_of_keys(store)
    meter = shipped_meter(store)
    meter.admit(user, "2026-11", 50_000)
    allowance = (50_000 - 1) // 64
    assert meter.allowance(user, "2026-11") == allowance
    store.add_requests(user, "2026-11", 48_000)  # other instances' flushes
    assert meter.allowance(user, "2026-11") == allowance  # it has not learned of them yet
    for _ in range(allowance):
        meter.admit(user, "2026-11", 50_000)
    assert meter.pending(user, "2026-11") == 0  # written once...
    assert meter.allowance(user, "2026-11") == 20  # ...and it knows the quota is near
    meter.close()


def test_a_bulk_of_100_far_from_the_quota_waits_for_1000_pending(store):
    user, _ = owner_of_keys(store)
    meter = shipped_meter(store)
    meter.admit(user, "2026-11", 1_000_000, count=100)  # the first asks the store
    for bulk in range(1, 10):
        assert meter.admit(user, "2026-11", 1_000_000, count=100) == 100 * (bulk + 1)
        assert meter.pending(user, "2026-11") == 100 * bulk
        assert store.get_usage(user, "2026-11").requests == 100
    meter.admit(user, "2026-11", 1_000_000, count=100)  # the tenth: 1,000 pending
    assert meter.pending(user, "2026-11") == 0
    assert store.get_usage(user, "2026-11").requests == 1100
    meter.close()


@pytest.mark.parametrize("pending", [0, 5])
def test_a_refused_bulk_leaves_nothing_of_it_counted(store, pending):
    user, (key,) = owner_of_keys(store, "k")
    store.add_requests(user, "2026-11", 9_950)
    meter = shipped_meter(store)
    meter.admit(user, "2026-11", 10_000, key_id=key)
    for _ in range(pending):
        meter.admit(user, "2026-11", 10_000, key_id=key)
    assert meter.admit(user, "2026-11", 10_000, count=100, key_id=key) is None
    assert meter.pending(user, "2026-11") == 0  # what was pending is written, not the bulk
    assert store.get_usage(user, "2026-11").requests == 9_950 + 1 + pending
    assert store.key_requests(user, "2026-11") == {key: 1 + pending}
    rest = 10_000 - (9_950 + 1 + pending)
    assert meter.admit(user, "2026-11", 10_000, count=rest) == 10_000  # what fits still does
    meter.close()


@pytest.mark.parametrize("limit", [100, 10_000, 1_000_000])
def test_a_killed_instance_loses_fewer_than_its_allowance(store, limit):
    user, _ = owner_of_keys(store)
    meter = shipped_meter(store)
    admitted = 0
    for count in itertools.islice(itertools.cycle([1, 7, 100, 33]), 120):
        if meter.admit(user, "2026-11", limit, count=count) is not None:
            admitted += count
        assert meter.pending(user, "2026-11") <= meter.allowance(user, "2026-11") - 1
    lost = admitted - store.get_usage(user, "2026-11").requests  # killed: never flushed
    assert lost == meter.pending(user, "2026-11")
    assert lost <= min(1000, max(20, limit // 64)) - 1
    atexit.unregister(meter._flush_at_exit)


def test_overshoot_can_reach_the_allowance_an_instance_learned_far_from_the_quota(store):
    """How close the bound is: an instance that learned of 64,000 requests of headroom
    holds 999 unwritten while another uses up the rest of the quota."""
    user, _ = owner_of_keys(store)
    store.add_requests(user, "2026-11", 100_000 - 64_001)
    far, near = shipped_meter(store), shipped_meter(store)
    assert far.admit(user, "2026-11", 100_000) == 100_000 - 64_000
    assert far.allowance(user, "2026-11") == 1000
    for _ in range(9):
        far.admit(user, "2026-11", 100_000, count=111)
    assert far.pending(user, "2026-11") == 999  # one short of its allowance: unwritten
    while near.admit(user, "2026-11", 100_000) is not None:
        pass
    for meter in (far, near):
        meter.close()
    total = store.get_usage(user, "2026-11").requests
    assert total == 100_000 + 999
    assert total - 100_000 <= bound(2, 100_000)


def test_a_bulk_on_a_stale_view_is_admitted_by_the_stores_count(store):
    """An instance that last learned the total long ago would admit a bulk of 99 on the
    quota of 100 that others have used up: more than its allowance of 20 unseen, so the
    store decides, and refuses it."""
    user, _ = owner_of_keys(store)
    stale, busy = shipped_meter(store), shipped_meter(store)
    assert stale.admit(user, "2026-11", 100) == 1
    while busy.admit(user, "2026-11", 100) is not None:
        pass
    busy.flush()
    assert store.get_usage(user, "2026-11").requests == 100
    assert stale.admit(user, "2026-11", 100, count=99) is None
    assert stale.admit(user, "2026-11", 100, count=20) == 21  # within its allowance: its view
    stale.close()
    busy.close()
    assert store.get_usage(user, "2026-11").requests == 120  # 20 past: within 2 * 20


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    instances=st.integers(1, 4),
    limit=st.one_of(st.sampled_from([100, 10_000, 1_000_000]), st.integers(1, 1_000)),
    gap=st.integers(0, 5_000),
    order=st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from(["read", "read", "read", "write", "same-size write"]),
            st.sampled_from([0, 1, None]),
            st.one_of(st.just(1), st.integers(1, 100)),
        ),
        min_size=1,
        max_size=150,
    ),
)
def test_overshoot_is_at_most_instances_times_allowance(store, instances, limit, gap, order):
    """The documented bound: K instances admit at most limit + K * min(1000, max(20,
    limit // 64)), whether each request is a read or a bulk read (flushes when due), a
    write that carries the pending counts, or a write that moves no counter and carries
    nothing; the store holds ``limit - gap`` of the month already (so large quotas are
    reached too). A request is refused only when it truly would not fit; no instance
    holds its allowance unwritten; each key's count, once written, is exactly the
    requests admitted with it."""
    user, keys = owner_of_keys(store, "a", "b")
    used = max(0, limit - gap)
    if used:
        store.add_requests(user, "2026-11", used)
    meters = [shipped_meter(store) for _ in range(instances)]
    admitted = 0
    by_key = dict.fromkeys(keys, 0)
    for index, kind, key, count in order:
        meter = meters[index % instances]
        key_id = keys[key] if key is not None else None
        if kind == "read":
            outcome = meter.admit(user, "2026-11", limit, count=count, key_id=key_id)
            counted = outcome is not None
        else:
            count = 1
            counted = write(meter, store, user, limit, carried=kind == "write", key_id=key_id)
        if not counted:
            assert used + admitted + count > limit
        admitted += count * counted
        if counted and key_id is not None:
            by_key[key_id] += count
        for each in meters:
            assert each.pending(user, "2026-11") <= each.allowance(user, "2026-11") - 1
    assert used + admitted <= limit + bound(instances, limit)
    for meter in meters:
        meter.close()
    assert store.get_usage(user, "2026-11").requests == used + admitted
    assert store.key_requests(user, "2026-11") == by_key


def test_racing_threads_on_the_exact_meter_admit_exactly_n(store):
    meter = RequestMeter(store)
    results: list[int | None] = []
    lock = threading.Lock()

    def work():
        for _ in range(50):
            outcome = meter.admit("racer", "2026-11", 123)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r is not None for r in results) == 123
    assert sorted(r for r in results if r is not None) == list(range(1, 124))
