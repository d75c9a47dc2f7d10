"""The owner's own view of their items, for the dashboard.

An account holder browsing their namespace is not a client of the data plane: no API
key is involved and no request is counted against the monthly quota. Every call is
scoped by ``user_id``, so another user's namespace is ``NotFound`` like a missing one.
"""

from __future__ import annotations

from kv_core.errors import InvalidInput, NotFound
from kv_core.limits import LIMITS
from kv_core.model import Item, Namespace
from kv_core.names import validate_key
from kv_core.services.config import CoreConfig
from kv_core.services.cursors import decode_cursor, encode_cursor
from kv_core.services.items import KeyPage
from kv_core.store import DeleteItem, Store


def check_page_request(prefix: str, limit: int | None) -> int:
    """The page size to use for a listing, after checking ``limit`` and ``prefix``."""
    limit = LIMITS.list_limit_default if limit is None else limit
    if not LIMITS.list_limit_min <= limit <= LIMITS.list_limit_max:
        raise InvalidInput(
            f"limit is {LIMITS.list_limit_min} to {LIMITS.list_limit_max}.",
            code="invalid_limit",
        )
    if len(prefix.encode("utf-8", "surrogatepass")) > LIMITS.key_max_bytes:
        raise InvalidInput(
            f"A prefix is at most {LIMITS.key_max_bytes} bytes.", code="invalid_prefix"
        )
    return limit


class Browse:
    """List, read and delete the items of one of the caller's own namespaces."""

    def __init__(self, store: Store, config: CoreConfig) -> None:
        self.store = store
        self.config = config

    def namespace(self, user_id: str, name: str) -> Namespace:
        found = self.store.get_namespace(user_id, name)
        if found is None:
            raise NotFound(f"You have no namespace called '{name}'.", code="namespace_not_found")
        return found

    def list(
        self,
        user_id: str,
        namespace: str,
        *,
        prefix: str = "",
        limit: int | None = None,
        cursor: str | None = None,
    ) -> KeyPage:
        """One page of keys in key order; ``cursor`` is ``None`` on the last page.

        Cursors are the data plane's: signed and bound to the namespace and prefix.
        """
        size = check_page_request(prefix, limit)
        namespace_id = self.namespace(user_id, namespace).id
        after = decode_cursor(self.config.secret, cursor, namespace_id, prefix) if cursor else None
        keys, more = self.store.list_keys(namespace_id, prefix=prefix, after=after, limit=size)
        next_cursor = (
            encode_cursor(self.config.secret, namespace_id, prefix, keys[-1]) if more else None
        )
        return KeyPage(keys, next_cursor)

    def get(self, user_id: str, namespace: str, key: str) -> Item:
        validate_key(key)
        item = self.store.get_item(self.namespace(user_id, namespace).id, key)
        if item is None:
            raise NotFound(f"There is no item '{key}'.", code="item_not_found")
        return item

    def delete(self, user_id: str, namespace: str, key: str) -> Item:
        """Delete an item and release its bytes; ``NotFound`` if there is none."""
        validate_key(key)
        namespace_id = self.namespace(user_id, namespace).id
        return self.store.delete_item(DeleteItem(user_id, namespace_id, key)).item
