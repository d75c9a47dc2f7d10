"""The data plane: get, put, increment, patch, delete and list items with an API key,
one at a time or in bulk (:mod:`kv_core.services.bulk`).

An item past its expiry is gone for every read and condition in that second, judged
at the second of the services' clock (:class:`~kv_core.services.item_access.Moment`).
"""

from __future__ import annotations

from typing import Any

from kv_core.errors import Forbidden, InvalidInput
from kv_core.expiry import expiry
from kv_core.hashing import new_etag
from kv_core.limits import LIMITS
from kv_core.metadata import validate_metadata
from kv_core.model import Item
from kv_core.names import validate_key
from kv_core.numbers import is_number
from kv_core.services.bulk import BulkItems
from kv_core.services.changes import ChangeFeed
from kv_core.services.cursors import decode_cursor, encode_cursor
from kv_core.services.item_access import (
    Carried,
    ItemAccess,
    KeyPage,
    Principal,
    checked_value_size,
    item_not_found,
)
from kv_core.services.patch import PatchItems
from kv_core.sizing import metadata_size, stored_size
from kv_core.store import DeleteItem, IncrementItem, ListKeys, PutItem, Store

__all__ = ["Carried", "Items", "KeyPage", "Principal"]


def check_increment(by: Any) -> int | float:
    """An increment is a JSON number: an int, or a finite float (not a boolean)."""
    if not is_number(by) or (isinstance(by, float) and by - by != 0):
        raise InvalidInput("increment is a number, such as 1 or -2.5.", code="invalid_increment")
    return by  # type: ignore[no-any-return]


class Items(BulkItems, PatchItems, ChangeFeed, ItemAccess):
    def get(self, principal: Principal, key: str) -> Item:
        validate_key(key)
        self.in_scope(principal, key)
        at = self.moment().at
        self.admit(principal)
        item = self.store.get_item(principal.key.namespace_id, key, at=at)
        if item is None or not item.live(at):
            raise item_not_found(key)
        return item

    def put(
        self,
        principal: Principal,
        key: str,
        value: Any,
        *,
        if_match: str | None = None,
        if_absent: bool = False,
        ttl: int | None = None,
        expires_at: int | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[Item, bool]:
        """Create or replace an item; returns it and whether it was created.

        ``if_match`` is an etag the current item must have, or ``*`` for any current
        item; ``if_absent`` requires that there is none. ``ttl`` (seconds) or
        ``expires_at`` (a unix second) make it expire; without either it is permanent.
        ``metadata`` (a JSON object) is kept beside the value and counts in its size.
        """
        validate_key(key)
        size = checked_value_size(value)
        metadata = validate_metadata(metadata)
        moment = self.moment()
        expires = expiry(ttl, expires_at, now=moment.at)
        self.in_scope(principal, key)
        with self.admit_write(principal) as carried:
            written = carried.note(
                self.store.put_item(
                    PutItem(
                        user_id=principal.user.id,
                        namespace_id=principal.key.namespace_id,
                        key=key,
                        value=value,
                        size=stored_size(key, size, metadata_size(metadata)),
                        etag=new_etag(),
                        now=moment.now,
                        if_match=if_match,
                        if_absent=if_absent,
                        storage_limit=principal.plan.storage_bytes,
                        requests=carried.batch,
                        expires_at=expires,
                        metadata=metadata,
                    )
                )
            )
        return written.item, written.created

    def increment(
        self,
        principal: Principal,
        key: str,
        by: int | float,
        *,
        ttl: int | None = None,
        expires_at: int | None = None,
    ) -> tuple[Item, bool]:
        """Add ``by`` to a number item atomically (a missing item starts at 0); returns
        it and whether it was created. It keeps its expiry unless ``ttl`` or
        ``expires_at`` names one, and its metadata."""
        validate_key(key)
        by = check_increment(by)
        moment = self.moment()
        expires = expiry(ttl, expires_at, now=moment.at)
        self.in_scope(principal, key)
        with self.admit_write(principal) as carried:
            written = carried.note(
                self.store.increment_item(
                    IncrementItem(
                        user_id=principal.user.id,
                        namespace_id=principal.key.namespace_id,
                        key=key,
                        by=by,
                        etag=new_etag(),
                        now=moment.now,
                        storage_limit=principal.plan.storage_bytes,
                        requests=carried.batch,
                        expires_at=expires,
                    )
                )
            )
        return written.item, written.created

    def delete(self, principal: Principal, key: str, *, if_match: str | None = None) -> Item:
        """Delete an item; ``if_match`` as for :meth:`put` (``*``: any current item)."""
        validate_key(key)
        self.in_scope(principal, key)
        at = self.moment().at
        with self.admit_write(principal) as carried:
            written = carried.note(
                self.store.delete_item(
                    DeleteItem(
                        user_id=principal.user.id,
                        namespace_id=principal.key.namespace_id,
                        key=key,
                        if_match=if_match,
                        requests=carried.batch,
                        at=at,
                    )
                )
            )
        return written.item

    def list(
        self,
        principal: Principal,
        *,
        prefix: str = "",
        limit: int | None = None,
        cursor: str | None = None,
        details: bool = False,
    ) -> KeyPage:
        """One page of live keys in key order; ``cursor`` is ``None`` on the last page;
        ``details``: each key's version, update time, expiry and metadata too. A
        prefix-scoped API key lists under its prefix (a narrower ``prefix`` is fine, a
        wider one is ``outside_key_prefix``)."""
        prefix = prefix or principal.key.key_prefix
        if not principal.key.covers(prefix):
            raise Forbidden(
                f"This API key may only list keys that start with '{principal.key.key_prefix}'.",
                code="outside_key_prefix",
            )
        size = check_page_request(prefix, limit)
        namespace_id = principal.key.namespace_id
        after = decode_cursor(self.config.secret, cursor, namespace_id, prefix) if cursor else None
        at = self.moment().at
        self.admit(principal)
        return list_page(
            self.store, self.config.secret, namespace_id, prefix, after, size, at, details
        )


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


def list_page(
    store: Store,
    secret: bytes,
    namespace_id: str,
    prefix: str,
    after: str | None,
    limit: int,
    at: int,
    details: bool,
) -> KeyPage:
    """One page from the store, with the signed cursor of the next."""
    listing = store.list_keys(
        ListKeys(
            namespace_id=namespace_id,
            limit=limit,
            at=at,
            prefix=prefix,
            after=after,
            details=details,
        )
    )
    keys = listing.keys
    next_cursor = (
        encode_cursor(secret, namespace_id, prefix, keys[-1]) if listing.more and keys else None
    )
    return KeyPage(keys, next_cursor, listing.details if details else None)
