"""The stream processor and the stream's reader: every put, delete and expiry of an
item logged exactly once, in commit order, from the table's stream (moto's)."""

from __future__ import annotations

import threading
import time

import pytest

from kv_core.engines.dynamodb import keys
from kv_core.engines.dynamodb.shards import bookkeeping, parents_first
from kv_core.engines.dynamodb.stream import record_changes, record_time
from kv_core.limits import LIMITS
from kv_core.model import Namespace, User
from kv_core.sizing import item_size
from kv_core.store import DeleteItem, IncrementItem, PutItem, ReadChanges

pytestmark = pytest.mark.feed

NOW = "2026-11-25T10:00:00.000Z"


@pytest.fixture
def feed(dynamo_calls):
    """A store with user u1 and namespaces n1 and n2, their creation already pumped."""
    store, _ = dynamo_calls
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    store.create_namespace(Namespace("n2", "u1", "other", NOW))
    assert store.pump_changes() == 0  # a user and namespaces are no items
    return store


def put(store, key, value, *, namespace_id="n1", **options):
    return store.put_item(
        PutItem("u1", namespace_id, key, value, item_size(key, value), f"e-{key}", NOW, **options)
    )


def logged(store, namespace_id="n1", *, after=0, prefix=""):
    page = store.read_changes(ReadChanges(namespace_id, after, LIMITS.changes_page_max, prefix))
    return [(c.key, c.op, c.version) for c in page.changes]


def stream_records(store):
    """Every record the table's stream holds, as the streams API gives them."""
    client = store._streams()
    arn = store._connection.client.describe_table(TableName=store.table)["Table"]["LatestStreamArn"]
    shard = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = client.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return client.get_records(ShardIterator=iterator, Limit=1000)["Records"]


def test_the_table_has_a_stream_of_new_and_old_images(feed):
    table = feed._connection.client.describe_table(TableName=feed.table)["Table"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }


def test_a_put_is_logged_with_its_value_version_and_time(feed):
    put(feed, "a", {"x": 1})
    put(feed, "a", [2])
    assert feed.pump_changes() == 2

    first, second = feed.read_changes(ReadChanges("n1", 0, 10)).changes
    assert (first.seq, first.key, first.op, first.version) == (1, "a", "put", 1)
    assert (first.value, first.has_value, first.updated_at) == ({"x": 1}, True, NOW)
    assert (second.seq, second.value, second.version) == (2, [2], 2)
    assert first.at <= second.at


def test_a_delete_is_logged_with_the_item_as_it_was(feed):
    put(feed, "a", 1, expires_at=int(time.time()) + 3600)
    feed.delete_item(DeleteItem("u1", "n1", "a"))
    feed.pump_changes()

    deleted = feed.read_changes(ReadChanges("n1", 1, 10)).changes[0]
    assert (deleted.op, deleted.version, deleted.updated_at) == ("delete", 1, NOW)
    assert deleted.expires_at is not None
    assert not deleted.has_value


def test_an_increment_is_logged_as_a_put_with_the_new_number(feed):
    feed.increment_item(IncrementItem("u1", "n1", "hits", 2, "i1", NOW))
    feed.increment_item(IncrementItem("u1", "n1", "hits", 3, "i2", NOW))
    feed.pump_changes()
    assert [c.value for c in feed.read_changes(ReadChanges("n1", 0, 10)).changes] == [2, 5]


def test_a_swept_item_is_logged_as_an_expiry_not_a_delete(feed):
    expired = int(time.time()) - 5
    put(feed, "gone", "v", expires_at=expired)
    assert feed.sweep_expired(int(time.time())) == 1
    feed.pump_changes()

    assert logged(feed) == [("gone", "put", 1), ("gone", "expire", 1)]
    assert feed.read_changes(ReadChanges("n1", 1, 10)).changes[0].expires_at == expired


def test_a_write_over_an_expired_item_logs_its_expiry_first(feed):
    put(feed, "k", "old", expires_at=int(time.time()) - 5)
    written = put(feed, "k", "new")
    assert feed.pump_changes() == 3

    assert logged(feed) == [("k", "put", 1), ("k", "expire", 1), ("k", "put", written.item.version)]


def test_a_large_value_is_not_carried(feed):
    big = "x" * LIMITS.change_value_max_bytes  # its JSON has two quotes more
    put(feed, "big", big)
    put(feed, "fits", "x" * (LIMITS.change_value_max_bytes - 2))
    feed.pump_changes()

    large, fits = feed.read_changes(ReadChanges("n1", 0, 10)).changes
    assert (large.has_value, large.value) == (False, None)
    assert (fits.has_value, len(fits.value)) == (True, LIMITS.change_value_max_bytes - 2)


def test_a_carried_null_is_told_from_none(feed):
    put(feed, "nothing", None)
    feed.pump_changes()
    change = feed.read_changes(ReadChanges("n1", 0, 10)).changes[0]
    assert (change.value, change.has_value) == (None, True)


def test_each_namespace_has_its_own_order(feed):
    put(feed, "a", 1)
    put(feed, "b", 1, namespace_id="n2")
    put(feed, "c", 1)
    feed.pump_changes()

    assert [c.seq for c in feed.read_changes(ReadChanges("n1", 0, 10)).changes] == [1, 2]
    assert [c.seq for c in feed.read_changes(ReadChanges("n2", 0, 10)).changes] == [1]
    assert (feed.last_change("n1"), feed.last_change("n2"), feed.last_change("n3")) == (2, 1, 0)


def test_a_key_s_changes_come_in_commit_order(feed):
    for n in range(12):
        put(feed, f"k{n % 3}", n)
    feed.delete_item(DeleteItem("u1", "n1", "k1"))
    feed.pump_changes()

    changes = feed.read_changes(ReadChanges("n1", 0, 100)).changes
    assert [c.seq for c in changes] == list(range(1, 14))
    for key in ("k0", "k1", "k2"):
        mine = [c for c in changes if c.key == key]
        assert [c.version for c in mine if c.op == "put"] == [1, 2, 3, 4]
    assert [c.op for c in changes if c.key == "k1"][-1] == "delete"


def test_pumping_again_logs_nothing_more(feed):
    put(feed, "a", 1)
    assert feed.pump_changes() == 1
    assert feed.pump_changes() == 0
    assert feed.pump_changes() == 0
    assert logged(feed) == [("a", "put", 1)]


def test_the_processor_skips_every_record_that_is_not_an_item_s(feed):
    put(feed, "a", 1)
    feed.pump_changes()
    records = stream_records(feed)
    of_items = [r for r in records if record_changes(feed.Entry, r) is not None]
    assert [r["dynamodb"]["Keys"]["SK"]["S"] for r in of_items] == ["KEY#a"]
    assert any(bookkeeping(r) for r in records)  # the feed's own writes come back
    assert feed.process_stream_records(records) == 0  # all of them logged or skipped


class Dies(Exception):
    """The processor's machine going away."""


def dying_after(store, monkeypatch, records: int):
    """Make the processor die when it reaches its ``records + 1``-th item record."""
    original = type(store).process_stream_record
    seen = []

    def process(self, record):
        if record_changes(self.Entry, record) is not None:
            if len(seen) == records:
                raise Dies
            seen.append(record)
        return original(self, record)

    monkeypatch.setattr(type(store), "process_stream_record", process)


@pytest.mark.parametrize("survived", [0, 3, 6])
def test_a_batch_run_again_after_the_processor_died_logs_each_change_once(
    feed, monkeypatch, survived
):
    for n in range(4):
        put(feed, f"k{n}", n)
    put(feed, "k0", "again")
    feed.delete_item(DeleteItem("u1", "n1", "k1"))
    put(feed, "k2", "over", namespace_id="n2")
    batch = stream_records(feed)
    with monkeypatch.context() as patched:
        dying_after(feed, patched, survived)
        with pytest.raises(Dies):
            feed.process_stream_records(batch)

    feed.process_stream_records(batch)  # the same batch again, as Lambda retries it
    feed.process_stream_records(batch)

    assert logged(feed) == [
        ("k0", "put", 1),
        ("k1", "put", 1),
        ("k2", "put", 1),
        ("k3", "put", 1),
        ("k0", "put", 2),
        ("k1", "delete", 1),
    ]
    assert logged(feed, "n2") == [("k2", "put", 1)]
    assert feed.last_change("n1") == 6


def test_a_reader_that_died_half_way_reads_the_rest_again_without_doubles(feed, monkeypatch):
    for n in range(5):
        put(feed, f"k{n}", n)
    with monkeypatch.context() as patched:
        dying_after(feed, patched, 2)
        with pytest.raises(Dies):
            feed.pump_changes()
    assert len(logged(feed)) == 2

    assert feed.pump_changes() == 3
    assert [key for key, _, _ in logged(feed)] == ["k0", "k1", "k2", "k3", "k4"]


def test_concurrent_writers_and_processors_lose_and_double_nothing(feed):
    """Four writers, then four processors racing over the same records."""

    def write(writer: int) -> None:
        for n in range(5):
            put(feed, f"w{writer}-{n % 2}", n)

    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    batch = stream_records(feed)
    processors = [
        threading.Thread(target=feed.process_stream_records, args=(batch,)) for _ in range(4)
    ]
    for thread in processors:
        thread.start()
    for thread in processors:
        thread.join()

    changes = feed.read_changes(ReadChanges("n1", 0, 100)).changes
    assert [c.seq for c in changes] == list(range(1, 21))
    for writer in range(4):
        for half in range(2):
            versions = [c.version for c in changes if c.key == f"w{writer}-{half}"]
            assert versions == sorted(versions)
            assert len(versions) == (3 if half == 0 else 2)


def test_record_times_are_read_from_either_shape():
    assert record_time({"dynamodb": {"ApproximateCreationDateTime": 1764064800.0}}) == 1764064800
    assert record_time({"dynamodb": {"ApproximateCreationDateTime": "1764064800"}}) == 1764064800


def test_shards_are_read_after_their_parents():
    shards = [
        {"ShardId": "c", "ParentShardId": "b"},
        {"ShardId": "b", "ParentShardId": "a"},
        {"ShardId": "a", "ParentShardId": "gone"},
        {"ShardId": "x"},
    ]
    assert [s["ShardId"] for s in parents_first(shards)] == ["a", "b", "c", "x"]


def test_each_shard_keeps_a_checkpoint_in_the_table(feed):
    put(feed, "a", 1)
    feed.pump_changes()
    label = feed._connection.client.describe_table(TableName=feed.table)["Table"][
        "LatestStreamLabel"
    ]
    (checkpoint,) = feed.Entry.query(keys.stream_shard_pk(label))
    assert checkpoint.position
    assert checkpoint.position.isdigit()
