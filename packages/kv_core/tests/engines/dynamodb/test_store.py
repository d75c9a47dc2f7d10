"""What only the DynamoDB engine has to take care of: work spread over several calls."""

from __future__ import annotations

import pytest

from kv_core.errors import NotFound
from kv_core.hashing import digest
from kv_core.model import ApiKey, Namespace, User
from kv_core.store import PutItem
from kv_core.store.testing import listed

NOW = "2026-11-25T10:00:00.000Z"


@pytest.fixture
def dynamo(dynamo_calls):
    store, _ = dynamo_calls
    store.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
    store.create_namespace(Namespace("n1", "u1", "app", NOW))
    store.create_api_key(
        ApiKey("k1", "u1", "n1", "app", "k", "read-write", digest("raw"), "p", NOW)
    )
    for i in range(30):
        store.put_item(
            PutItem(
                user_id="u1", namespace_id="n1", key=f"k{i}", value=i, size=5, etag="e", now=NOW
            )
        )
    return store


def test_a_namespace_delete_cut_short_is_finished_by_the_next(dynamo, monkeypatch):
    def crash(*args):
        raise ConnectionError("the instance died here")

    with monkeypatch.context() as patched:
        patched.setattr(type(dynamo), "_keys_of_namespace", crash)
        with pytest.raises(ConnectionError):
            dynamo.delete_namespace("u1", "app")
    # Cut short after the counters were released: writes are refused already...
    assert dynamo.get_usage("u1", "2026-11").storage_bytes == 0
    with pytest.raises(Exception, match="namespace was deleted"):
        dynamo.put_item(
            PutItem(user_id="u1", namespace_id="n1", key="x", value=1, size=3, etag="e", now=NOW)
        )
    # ...and the next delete finishes the cascade.
    assert dynamo.delete_namespace("u1", "app").id == "n1"
    assert dynamo.get_namespace("u1", "app") is None
    assert dynamo.resolve_api_key(digest("raw")) is None
    assert listed(dynamo, "n1", limit=100) == ([], False)
    assert dynamo.delete_namespace("u1", "app") is None


def test_requests_for_a_user_without_a_profile_are_refused(dynamo):
    with pytest.raises(NotFound):
        dynamo.add_requests("nobody", "2026-11", 1)
    assert dynamo.get_user("nobody") is None
