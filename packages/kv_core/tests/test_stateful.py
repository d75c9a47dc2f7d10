"""The data plane against a plain dict, on every engine.

A hypothesis state machine puts (with and without expiry and metadata), replaces,
increments, patches, deletes (plainly and conditionally, one at a time and in bulk),
reads in bulk and lists over pages through the services, applies atomic operations
(checks by version, puts, deletes, increments), counts and deletes under prefixes
through the store, while a fake clock moves on and the sweep runs; after every step
it checks that the store agrees with the model and that the storage counters equal
the sizes of the items not yet swept.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from kv_core.errors import CheckFailed, Conflict, NotFound, PreconditionFailed
from kv_core.merge_patch import merge_patch
from kv_core.model import isoformat
from kv_core.numbers import add, is_number
from kv_core.services import CoreConfig, Services
from kv_core.sizing import item_size
from kv_core.store import (
    AtomicCheck,
    AtomicDelete,
    AtomicIncrement,
    AtomicPut,
    AtomicWrite,
    DeletePrefix,
)

NOW = datetime(2026, 11, 25, tzinfo=UTC)

item_keys = st.text(alphabet="ab/#é", min_size=1, max_size=4)
prefixes = st.text(alphabet="ab/#é", max_size=2)
values = (
    st.none()
    | st.integers(-5, 5)
    | st.text(max_size=8)
    | st.lists(st.booleans(), max_size=3)
    | st.dictionaries(st.sampled_from("xyz"), st.integers(0, 9), max_size=2)
)
ttls = st.none() | st.integers(min_value=1, max_value=3)
metadatas = st.none() | st.dictionaries(st.sampled_from("mn"), st.integers(0, 99), max_size=2)
patches = st.dictionaries(st.sampled_from("xyz"), st.none() | st.integers(0, 9), max_size=2)


def byte_order(keys: Any) -> list[str]:
    return sorted(keys, key=lambda key: key.encode("utf-8"))


@dataclass
class Row:
    """An item as the model keeps it, live or expired and not yet swept."""

    value: Any
    etag: str
    expires_at: int | None = None
    metadata: dict[str, Any] | None = None
    version: int = 1

    @property
    def size_of(self) -> Any:
        return lambda key: item_size(key, self.value, self.metadata)


class DataPlane(RuleBasedStateMachine):
    def __init__(self, engine: Any) -> None:
        super().__init__()
        self.resources = ExitStack()
        store = self.resources.enter_context(engine())
        self.now = NOW
        config = CoreConfig(secret=b"s" * 32, clock=lambda: self.now)
        self.services = Services(store, config)
        self.user = self.services.accounts.signup("model@example.com", "s3cret-pass")
        self.services.namespaces.create(self.user.id, "app")
        raw = self.services.api_keys.create(self.user.id, "app").raw
        self.principal = self.services.items.authorize(raw, "app", write=True)
        self.model: dict[str, Row] = {}  # every row the store keeps, expired or not
        self.atomics = 0

    def teardown(self) -> None:
        self.services.items.meter.close()
        self.resources.close()

    @property
    def second(self) -> int:
        return int(self.now.timestamp())

    def live(self, key: str) -> Row | None:
        row = self.model.get(key)
        if row is None or (row.expires_at is not None and row.expires_at <= self.second):
            return None
        return row

    def live_keys(self) -> list[str]:
        return [key for key in self.model if self.live(key)]

    def expiry(self, ttl: int | None) -> int | None:
        return None if ttl is None else self.second + ttl

    def _put(self, key: str, value: Any, ttl: Any = None, metadata: Any = None, **conditions: Any):
        item, created = self.services.items.put(
            self.principal, key, value, ttl=ttl, metadata=metadata, **conditions
        )
        assert created == (self.live(key) is None)
        assert item.version == 1 or not created
        self.model[key] = Row(value, item.etag, self.expiry(ttl), metadata, item.version)
        assert (item.expires_at, item.metadata) == (self.expiry(ttl), metadata)

    @rule(seconds=st.integers(min_value=0, max_value=3))
    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds, milliseconds=137)

    @rule()
    def sweep(self) -> None:
        expired = [key for key in self.model if not self.live(key)]
        assert self.services.sweeper.sweep(limit=2) == len(expired)
        for key in expired:
            del self.model[key]

    @rule(key=item_keys, value=values, ttl=ttls, metadata=metadatas)
    def put(self, key: str, value: Any, ttl: int | None, metadata: Any) -> None:
        self._put(key, value, ttl, metadata)

    @rule(key=item_keys, value=values)
    def put_if_absent(self, key: str, value: Any) -> None:
        if self.live(key):
            with pytest.raises(PreconditionFailed):
                self.services.items.put(self.principal, key, value, if_absent=True)
        else:
            self._put(key, value, if_absent=True)

    @rule(key=item_keys, value=values, fresh=st.booleans())
    def put_if_match(self, key: str, value: Any, fresh: bool) -> None:
        row = self.live(key)
        if fresh and row:
            self._put(key, value, if_match=row.etag)
        else:
            etag = self.model[key].etag if fresh and key in self.model else "stale-etag"
            with pytest.raises(PreconditionFailed):
                self.services.items.put(self.principal, key, value, if_match=etag)

    @rule(key=item_keys, by=st.integers(-3, 3) | st.sampled_from([0.5, -0.25]), ttl=ttls)
    def increment(self, key: str, by: int | float, ttl: int | None) -> None:
        row = self.live(key)
        if row is not None and not is_number(row.value):
            with pytest.raises(Conflict):
                self.services.items.increment(self.principal, key, by, ttl=ttl)
            return
        item, created = self.services.items.increment(self.principal, key, by, ttl=ttl)
        assert created == (row is None)
        expected = add(0 if row is None else row.value, by)
        assert item.value == expected
        expires_at = self.expiry(ttl) if ttl is not None or row is None else row.expires_at
        metadata = None if row is None else row.metadata
        assert (item.expires_at, item.metadata) == (expires_at, metadata)
        assert item.version == (1 if row is None else row.version + 1)
        self.model[key] = Row(expected, item.etag, expires_at, metadata, item.version)

    @rule(key=item_keys, patch=patches)
    def patch(self, key: str, patch: dict[str, Any]) -> None:
        row = self.live(key)
        if row is None:
            with pytest.raises(NotFound):
                self.services.items.patch(self.principal, key, patch)
            return
        item = self.services.items.patch(self.principal, key, patch, if_match=row.etag)
        value = merge_patch(row.value, patch)
        assert (item.value, item.expires_at, item.metadata) == (value, row.expires_at, row.metadata)
        self.model[key] = Row(value, item.etag, row.expires_at, row.metadata, item.version)

    @rule(key=item_keys, fresh=st.booleans(), conditional=st.booleans())
    def delete(self, key: str, fresh: bool, conditional: bool) -> None:
        row = self.live(key)
        if_match = None
        if conditional:
            if_match = row.etag if fresh and row else "stale-etag"
        if row is None:
            with pytest.raises(NotFound):
                self.services.items.delete(self.principal, key, if_match=if_match)
        elif conditional and not fresh:
            with pytest.raises(PreconditionFailed):
                self.services.items.delete(self.principal, key, if_match=if_match)
        else:
            deleted = self.services.items.delete(self.principal, key, if_match=if_match)
            assert deleted.value == self.model.pop(key).value

    @rule(
        entries=st.dictionaries(
            item_keys, st.tuples(values, ttls, metadatas), min_size=1, max_size=4
        )
    )
    def put_many(self, entries: dict[str, tuple[Any, int | None, Any]]) -> None:
        body = [
            {"key": key, "value": value, "ttl": ttl, "metadata": metadata}
            for key, (value, ttl, metadata) in entries.items()
        ]
        assert self.services.items.put_many(self.principal, body) == len(body)
        written = self.services.store.get_items(
            self.principal.key.namespace_id, list(entries), at=self.second
        )
        for key, (value, ttl, metadata) in entries.items():
            item = written[key]
            assert (item.value, item.expires_at, item.metadata) == (
                value,
                self.expiry(ttl),
                metadata,
            )
            self.model[key] = Row(value, item.etag, self.expiry(ttl), metadata, item.version)

    @rule(keys=st.lists(item_keys, min_size=1, max_size=5))
    def delete_many(self, keys: list[str]) -> None:
        live = {key for key in keys if self.live(key)}
        assert self.services.items.delete_many(self.principal, keys) == len(live)
        for key in live:
            del self.model[key]

    @rule(keys=st.lists(item_keys, min_size=1, max_size=5))
    def get_many(self, keys: list[str]) -> None:
        items, missing = self.services.items.get_many(self.principal, keys)
        assert [item.key for item in items] == [key for key in keys if self.live(key)]
        assert missing == [key for key in keys if not self.live(key)]
        for item in items:
            row = self.model[item.key]
            assert (item.value, item.expires_at, item.metadata) == (
                row.value,
                row.expires_at,
                row.metadata,
            )

    @rule(key=item_keys)
    def get(self, key: str) -> None:
        row = self.live(key)
        if row is not None:
            item = self.services.items.get(self.principal, key)
            assert (item.value, item.metadata, item.expires_at) == (
                row.value,
                row.metadata,
                row.expires_at,
            )
            assert item.etag == row.etag
        else:
            with pytest.raises(NotFound):
                self.services.items.get(self.principal, key)

    @rule(prefix=prefixes, limit=st.integers(min_value=1, max_value=3), details=st.booleans())
    def list_pages(self, prefix: str, limit: int, details: bool) -> None:
        listed: list[str] = []
        cursor = None
        while True:
            page = self.services.items.list(
                self.principal, prefix=prefix, limit=limit, cursor=cursor, details=details
            )
            assert len(page.keys) <= limit
            listed.extend(page.keys)
            if details:
                assert page.details is not None
                assert [info.key for info in page.details] == page.keys
                for info in page.details:
                    row = self.model[info.key]
                    assert (info.expires_at, info.metadata) == (row.expires_at, row.metadata)
            if page.cursor is None:
                break
            cursor = page.cursor
        assert listed == byte_order(k for k in self.live_keys() if k.startswith(prefix))

    @rule(
        ops=st.dictionaries(
            item_keys,
            st.tuples(st.sampled_from(["put", "delete", "increment"]), values, ttls),
            max_size=3,
        ),
        checks=st.dictionaries(
            item_keys, st.sampled_from(["fresh", "stale", "absent"]), max_size=3
        ),
    )
    def atomic(self, ops: dict[str, tuple[str, Any, int | None]], checks: dict[str, str]) -> None:
        """Checks by version and ops on distinct keys, straight on the store."""
        self.atomics += 1
        expected: dict[str, int | None] = {}
        for key, kind in checks.items():
            row = self.live(key)
            if kind == "fresh":
                expected[key] = None if row is None else row.version
            elif kind == "stale":
                expected[key] = 1 if row is None else row.version + 1
            else:
                expected[key] = None
        actions: list[Any] = []
        for key, (kind, value, ttl) in ops.items():
            etag = f"atomic-{self.atomics}-{key}"
            if kind == "put":
                actions.append(AtomicPut(key, value, item_size(key, value), etag, self.expiry(ttl)))
            elif kind == "delete":
                actions.append(AtomicDelete(key))
            else:
                by = value if is_number(value) else 1
                actions.append(AtomicIncrement(key, by, etag, self.expiry(ttl)))
        write = AtomicWrite(
            self.user.id,
            self.principal.key.namespace_id,
            tuple(AtomicCheck(key, version) for key, version in expected.items()),
            tuple(actions),
            now=isoformat(self.now),
        )
        failed = [
            key
            for key, version in expected.items()
            if (None if self.live(key) is None else self.live(key).version) != version
        ]
        if failed:
            with pytest.raises(CheckFailed) as refused:
                self.services.store.apply_atomic(write)
            assert sorted(refused.value.failed) == sorted(failed)
            return
        increments = [a for a in actions if isinstance(a, AtomicIncrement)]
        if any(self.live(a.key) and not is_number(self.live(a.key).value) for a in increments):
            with pytest.raises(Conflict):
                self.services.store.apply_atomic(write)
            return
        written = self.services.store.apply_atomic(write)
        versions = []
        for action in actions:
            row = self.live(action.key)
            if isinstance(action, AtomicDelete):
                versions.append((action.key, None))
                if row is not None:
                    del self.model[action.key]
                continue
            version = 1 if row is None else row.version + 1
            versions.append((action.key, version))
            if isinstance(action, AtomicPut):
                self.model[action.key] = Row(
                    action.value, action.etag, action.expires_at, None, version
                )
            else:
                value = add(0 if row is None else row.value, action.by)
                expires_at = action.expires_at
                if expires_at is None and row is not None:
                    expires_at = row.expires_at
                metadata = None if row is None else row.metadata
                self.model[action.key] = Row(value, action.etag, expires_at, metadata, version)
        assert written.items == versions

    @rule(prefix=prefixes)
    def count(self, prefix: str) -> None:
        if not prefix:
            return
        counted = self.services.store.count_keys(
            self.principal.key.namespace_id, prefix=prefix, at=self.second
        )
        assert counted == len([k for k in self.live_keys() if k.startswith(prefix)])

    @rule(prefix=prefixes.filter(bool), limit=st.integers(min_value=1, max_value=3))
    def delete_prefix(self, prefix: str, limit: int) -> None:
        """A page of the prefix's rows goes, expired ones too; the live ones count."""
        under = byte_order(k for k in self.model if k.startswith(prefix))
        deleted = self.services.store.delete_prefix(
            DeletePrefix(
                self.user.id, self.principal.key.namespace_id, prefix, limit, isoformat(self.now)
            )
        )
        page = under[:limit]
        assert (deleted.count, deleted.more) == (
            len([k for k in page if self.live(k)]),
            len(under) > limit,
        )
        for key in page:
            del self.model[key]

    @invariant()
    def counters_equal_the_items_not_yet_swept(self) -> None:
        kept = sum(row.size_of(key) for key, row in self.model.items())
        store = self.services.store
        assert store.get_usage(self.user.id, "2026-11").storage_bytes == kept
        namespace = store.get_namespace(self.user.id, "app")
        assert (namespace.item_count, namespace.size_bytes) == (len(self.model), kept)


@pytest.mark.slow
def test_the_data_plane_behaves_like_a_dict(engine):
    run_state_machine_as_test(
        lambda: DataPlane(engine),
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
