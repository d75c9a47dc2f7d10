"""The data plane against a plain dict, on every engine.

A hypothesis state machine puts, replaces, deletes (plainly and conditionally) and
lists over pages through the services, and after every step checks that the store
agrees with the model and that the storage counters equal the live items' sizes.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from kv_core.errors import NotFound, PreconditionFailed
from kv_core.services import CoreConfig, Services
from kv_core.sizing import item_size

NOW = datetime(2026, 11, 25, tzinfo=UTC)

item_keys = st.text(alphabet="ab/#é", min_size=1, max_size=4)
prefixes = st.text(alphabet="ab/#é", max_size=2)
values = st.none() | st.integers() | st.text(max_size=8) | st.lists(st.booleans(), max_size=3)


def byte_order(keys: Any) -> list[str]:
    return sorted(keys, key=lambda key: key.encode("utf-8"))


class DataPlane(RuleBasedStateMachine):
    def __init__(self, engine: Any) -> None:
        super().__init__()
        self.resources = ExitStack()
        store = self.resources.enter_context(engine())
        self.services = Services(store, CoreConfig(secret=b"s" * 32, clock=lambda: NOW))
        self.user = self.services.accounts.signup("model@example.com", "s3cret-pass")
        self.services.namespaces.create(self.user.id, "app")
        raw = self.services.api_keys.create(self.user.id, "app").raw
        self.principal = self.services.items.authorize(raw, "app", write=True)
        self.model: dict[str, tuple[Any, str]] = {}  # key -> (value, etag)

    def teardown(self) -> None:
        self.services.items.meter.close()
        self.resources.close()

    def _put(self, key: str, value: Any, **conditions: Any) -> None:
        item, created = self.services.items.put(self.principal, key, value, **conditions)
        assert created == (key not in self.model)
        self.model[key] = (value, item.etag)

    @rule(key=item_keys, value=values)
    def put(self, key: str, value: Any) -> None:
        self._put(key, value)

    @rule(key=item_keys, value=values)
    def put_if_absent(self, key: str, value: Any) -> None:
        if key in self.model:
            with pytest.raises(PreconditionFailed):
                self.services.items.put(self.principal, key, value, if_absent=True)
        else:
            self._put(key, value, if_absent=True)

    @rule(key=item_keys, value=values, fresh=st.booleans())
    def put_if_match(self, key: str, value: Any, fresh: bool) -> None:
        etag = self.model[key][1] if fresh and key in self.model else "stale-etag"
        if fresh and key in self.model:
            self._put(key, value, if_match=etag)
        else:
            with pytest.raises(PreconditionFailed):
                self.services.items.put(self.principal, key, value, if_match=etag)

    @rule(key=item_keys, fresh=st.booleans(), conditional=st.booleans())
    def delete(self, key: str, fresh: bool, conditional: bool) -> None:
        if_match = None
        if conditional:
            if_match = self.model[key][1] if fresh and key in self.model else "stale-etag"
        if key not in self.model:
            with pytest.raises(NotFound):
                self.services.items.delete(self.principal, key, if_match=if_match)
        elif conditional and not fresh:
            with pytest.raises(PreconditionFailed):
                self.services.items.delete(self.principal, key, if_match=if_match)
        else:
            deleted = self.services.items.delete(self.principal, key, if_match=if_match)
            assert deleted.value == self.model.pop(key)[0]

    @rule(key=item_keys)
    def get(self, key: str) -> None:
        if key in self.model:
            item = self.services.items.get(self.principal, key)
            assert (item.value, item.etag) == self.model[key]
        else:
            with pytest.raises(NotFound):
                self.services.items.get(self.principal, key)

    @rule(prefix=prefixes, limit=st.integers(min_value=1, max_value=3))
    def list_pages(self, prefix: str, limit: int) -> None:
        listed: list[str] = []
        cursor = None
        while True:
            page = self.services.items.list(
                self.principal, prefix=prefix, limit=limit, cursor=cursor
            )
            assert len(page.keys) <= limit
            listed.extend(page.keys)
            if page.cursor is None:
                break
            cursor = page.cursor
        assert listed == byte_order(k for k in self.model if k.startswith(prefix))

    @invariant()
    def counters_equal_the_live_items(self) -> None:
        live = sum(item_size(key, value) for key, (value, _) in self.model.items())
        store = self.services.store
        assert store.get_usage(self.user.id, "2026-11").storage_bytes == live
        namespace = store.get_namespace(self.user.id, "app")
        assert (namespace.item_count, namespace.size_bytes) == (len(self.model), live)


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
