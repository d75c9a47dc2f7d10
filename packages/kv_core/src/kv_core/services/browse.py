"""The owner's own view of their items, for the dashboard.

An account holder browsing their namespace is not a client of the data plane: no API
key is involved and no request is counted against the monthly quota (the storage quota
still holds for what they write). Every call is scoped by ``user_id``, so another
user's namespace is ``NotFound`` like a missing one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from kv_core.errors import InvalidInput, NotFound
from kv_core.expiry import expiry
from kv_core.hashing import new_etag
from kv_core.limits import LIMITS
from kv_core.metadata import nesting, too_deep, validate_metadata
from kv_core.model import Item, Namespace, isoformat
from kv_core.names import validate_key
from kv_core.plans import account_plan
from kv_core.services.config import CoreConfig
from kv_core.services.cursors import decode_cursor
from kv_core.services.item_access import KeyPage, checked_value_size, item_not_found
from kv_core.services.items import check_increment, check_page_request, list_page
from kv_core.services.prefixes import check_delete_limit, check_prefix
from kv_core.services.ranges import key_range
from kv_core.sizing import metadata_size, stored_size
from kv_core.store import (
    DeleteItem,
    DeletePrefix,
    IncrementItem,
    PrefixDeleted,
    PutItem,
    ReadChanges,
    Store,
    unix_second,
)


@dataclass(frozen=True, slots=True)
class Watched:
    """What :meth:`Browse.watch` saw: whether anything changed under the prefix after
    the position it was given, and the position to watch from next (a change seq)."""

    changed: bool
    after: int


class Browse:
    """List, read, write and delete the items of one of the caller's own namespaces."""

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
        reverse: bool = False,
    ) -> KeyPage:
        """One page of live keys in key order (``reverse``: backwards); ``cursor`` is
        ``None`` on the last page. ``details``: each key's version, update time, expiry
        (``expires_at``) and metadata too (:class:`~kv_core.model.KeyInfo`, in
        ``KeyPage.details``).

        Cursors are the data plane's: signed and bound to the namespace, the prefix and
        the direction.
        """
        size = check_page_request(prefix, limit)
        keys = key_range(prefix, reverse=reverse)
        namespace_id = self.namespace(user_id, namespace).id
        after = (
            decode_cursor(self.config.secret, cursor, namespace_id, keys.binding)
            if cursor
            else None
        )
        return list_page(
            self.store, self.config.secret, namespace_id, keys, after, size, self._at(), details
        )

    def count(self, user_id: str, namespace: str, *, prefix: str = "") -> int:
        """How many live items have keys starting with ``prefix``; without one, the
        namespace's own counter (no scan)."""
        check_page_request(prefix, None)
        found = self.namespace(user_id, namespace)
        if not prefix:
            return found.item_count
        return self.store.count_keys(found.id, prefix=prefix, at=self._at())

    def delete_prefix(
        self, user_id: str, namespace: str, prefix: str, *, limit: int | None = None
    ) -> PrefixDeleted:
        """Delete one page of at most ``limit`` (1 to 1000, default 1000) items under a
        non-empty ``prefix``, releasing their bytes; ``more``: items remain, call again."""
        prefix = check_prefix(prefix)
        size = check_delete_limit(limit)
        namespace_id = self.namespace(user_id, namespace).id
        return self.store.delete_prefix(
            DeletePrefix(
                user_id=user_id,
                namespace_id=namespace_id,
                prefix=prefix,
                limit=size,
                now=isoformat(self.config.clock()),
            )
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

    def put(
        self,
        user_id: str,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl: int | None = None,
        expires_at: int | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[Item, bool]:
        """Create or replace an item as a PUT does (the same checks, expiry and
        metadata, within the storage quota); returns it and whether it was created."""
        validate_key(key)
        if nesting(value) > LIMITS.json_max_depth:
            raise too_deep()
        size = checked_value_size(value)
        metadata = validate_metadata(metadata)
        now = isoformat(self.config.clock())
        expires = expiry(ttl, expires_at, now=unix_second(now))
        namespace_id = self.namespace(user_id, namespace).id
        written = self.store.put_item(
            PutItem(
                user_id=user_id,
                namespace_id=namespace_id,
                key=key,
                value=value,
                size=stored_size(key, size, metadata_size(metadata)),
                etag=new_etag(),
                now=now,
                storage_limit=self._storage_limit(user_id),
                expires_at=expires,
                metadata=metadata,
            )
        )
        return written.item, written.created

    def increment(self, user_id: str, namespace: str, key: str, by: Any) -> Item:
        """Add ``by`` to a number item atomically, keeping its expiry and metadata;
        ``Conflict`` (``not_a_number``) when its value is not a number."""
        validate_key(key)
        by = check_increment(by)
        namespace_id = self.namespace(user_id, namespace).id
        increment = IncrementItem(
            user_id=user_id,
            namespace_id=namespace_id,
            key=key,
            by=by,
            etag=new_etag(),
            now=isoformat(self.config.clock()),
            storage_limit=self._storage_limit(user_id),
        )
        return self.store.increment_item(increment).item

    def position(self, user_id: str, namespace: str) -> int:
        """Where the namespace's change feed is now: the position a page shown now is
        up to date with, to :meth:`watch` from."""
        return self.store.last_change(self.namespace(user_id, namespace).id)

    def watch(
        self, user_id: str, namespace: str, after: int, *, prefix: str = "", wait: float = 0
    ) -> Watched:
        """Whether an item under ``prefix`` was put, deleted or expired after position
        ``after``, waiting up to ``wait`` seconds for one when none has been yet.

        For a page that shows the items to know when to show them again: it tells that
        something changed, not what (the owner reads the items themselves), and, like
        the rest of the owner's view, counts no request.
        """
        if after < 0:
            raise InvalidInput("A position in the change feed is 0 or more.", code="invalid_cursor")
        namespace_id = self.namespace(user_id, namespace).id
        deadline = time.monotonic() + wait
        while True:
            page = self.store.read_changes(ReadChanges(namespace_id, after, 1, prefix))
            if page.changes:
                return Watched(True, self.store.last_change(namespace_id))
            after = page.last
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Watched(False, after)
            self.store.wait_for_change(namespace_id, after, remaining)

    def _storage_limit(self, user_id: str) -> int | None:
        user = self.store.get_user(user_id)
        return account_plan(user).storage_bytes if user is not None else None

    def _at(self) -> int:
        return unix_second(isoformat(self.config.clock()))
