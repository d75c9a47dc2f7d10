"""What the SQLite engine answers when its disk fails, faults injected for real: a file
that may not grow (a full disk) and a log that cannot be written (an I/O error). Reads
keep working, nothing written before is lost, and the store heals by itself."""

from __future__ import annotations

import sqlite3

import pytest

from kv_core.engines.sqlite import SqliteStore
from kv_core.engines.sqlite.faults import translate
from kv_core.errors import StorageFull, StoreUnavailable
from kv_core.services import CoreConfig, Services
from kv_core.store.testing import listed


@pytest.fixture
def services(tmp_path):
    store = SqliteStore(tmp_path / "kv.sqlite3")
    yield Services(store, CoreConfig(secret=b"f" * 32))
    store.close()


@pytest.fixture
def writer(services):
    user = services.accounts.signup("faults@example.com", "s3cret-pass")
    services.namespaces.create(user.id, "app")
    raw = services.api_keys.create(user.id, "app").raw
    return lambda: services.items.authorize(raw, "app", write=True)


def counters_and_items(services, principal):
    """Namespace ``app``'s counters and its user's, next to what its items add up to."""
    store = services.store
    namespace = store.get_namespace(principal.user.id, "app")
    keys, _ = listed(store, namespace.id, limit=1000)
    sizes = [store.get_item(namespace.id, key).size for key in keys]
    storage = store.get_usage(principal.user.id, "2026-01").storage_bytes
    return (namespace.item_count, namespace.size_bytes, storage), (
        len(sizes),
        sum(sizes),
        sum(sizes),
    )


@pytest.mark.parametrize("conditional", [False, True], ids=["grouped", "conditional"])
def test_a_full_disk_refuses_writes_keeps_reads_and_heals(
    services, writer, sqlite_faults, conditional
):
    services.items.put(writer(), "kept", "a")
    with sqlite_faults(services.store).disk_full():
        with pytest.raises(StorageFull) as caught:
            services.items.put(writer(), "big", "x" * 20_000, if_absent=conditional)
        assert caught.value.code == "insufficient_storage"
        assert caught.value.retry_after > 0
        assert services.items.get(writer(), "kept").value == "a"
    assert services.store.get_item(writer().key.namespace_id, "big") is None
    services.items.put(writer(), "big", "x" * 20_000, if_absent=conditional)
    counted, added = counters_and_items(services, writer())
    assert counted == added


def test_an_io_error_is_store_unavailable_and_heals(services, writer, sqlite_faults):
    services.items.put(writer(), "kept", "a")
    with sqlite_faults(services.store).io_errors():
        for conditional in (False, True):
            with pytest.raises(StoreUnavailable) as caught:
                services.items.put(writer(), "new", "b", if_absent=conditional)
            assert type(caught.value) is StoreUnavailable
        with pytest.raises(StoreUnavailable):
            services.namespaces.create(writer().user.id, "other")
        assert services.items.get(writer(), "kept").value == "a"
    services.items.put(writer(), "new", "b")
    services.namespaces.create(writer().user.id, "other")
    counted, added = counters_and_items(services, writer())
    assert counted == added == ((2, added[1], added[1]))


def test_a_lock_held_past_the_busy_timeout_is_store_unavailable(tmp_path):
    store = SqliteStore(tmp_path / "kv.sqlite3", busy_timeout_ms=50)
    other = sqlite3.connect(tmp_path / "kv.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # a process that does not take the writer lock
        with pytest.raises(StoreUnavailable):
            store.mark_once("scope", "marker", "2026-01-01T00:00:00Z")
        other.execute("ROLLBACK")
        assert store.mark_once("scope", "marker", "2026-01-01T00:00:00Z")
    finally:
        other.close()
        store.close()


def test_what_is_not_a_fault_of_the_store_is_left_alone():
    corrupt = sqlite3.DatabaseError("database disk image is malformed")
    corrupt.sqlite_errorcode = sqlite3.SQLITE_CORRUPT
    assert translate(corrupt) is None
    assert translate(sqlite3.ProgrammingError("misuse")) is None
    assert isinstance(translate(OSError(28, "No space left on device")), StorageFull)
