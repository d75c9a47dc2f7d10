"""The owner's own view of their items, for the dashboard.

An account holder browsing their namespace is not a client of the data plane: no API
key is involved and no request is counted against the monthly quota. Every call is
scoped by ``user_id``, so another user's namespace is ``NotFound`` like a missing one.
"""

from __future__ import annotations

from kv_core.errors import NotFound
from kv_core.model import Item, Namespace, isoformat
from kv_core.names import validate_key
from kv_core.services.config import CoreConfig
from kv_core.services.cursors import decode_cursor
from kv_core.services.item_access import KeyPage, item_not_found
from kv_core.services.items import check_page_request, list_page
from kv_core.store import DeleteItem, Store, unix_second


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
        details: bool = False,
    ) -> KeyPage:
        """One page of live keys in key order; ``cursor`` is ``None`` on the last page.
        ``details``: each key's version, update time, expiry (``expires_at``) and
        metadata too (:class:`~kv_core.model.KeyInfo`, in ``KeyPage.details``).

        Cursors are the data plane's: signed and bound to the namespace and prefix.
        """
        size = check_page_request(prefix, limit)
        namespace_id = self.namespace(user_id, namespace).id
        after = decode_cursor(self.config.secret, cursor, namespace_id, prefix) if cursor else None
        return list_page(
            self.store, self.config.secret, namespace_id, prefix, after, size, self._at(), details
        )

    def get(self, user_id: str, namespace: str, key: str) -> Item:
        """The live item, with its ``expires_at`` and ``metadata``."""
        validate_key(key)
        at = self._at()
        item = self.store.get_item(self.namespace(user_id, namespace).id, key, at=at)
        if item is None or not item.live(at):
            raise item_not_found(key)
        return item

    def delete(self, user_id: str, namespace: str, key: str) -> Item:
        """Delete an item and release its bytes; ``NotFound`` if there is none."""
        validate_key(key)
        namespace_id = self.namespace(user_id, namespace).id
        return self.store.delete_item(DeleteItem(user_id, namespace_id, key, at=self._at())).item

    def _at(self) -> int:
        return unix_second(isoformat(self.config.clock()))
