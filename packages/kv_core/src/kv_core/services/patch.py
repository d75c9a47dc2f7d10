"""JSON merge patch of a stored value, atomic against concurrent writes.

The item is read, patched (:func:`kv_core.merge_patch.merge_patch`) and written back
on the condition that it is still the version read; when another write came between,
the patch is made again on what it wrote, a few times. A caller's own ``If-Match``
that is not the current etag is refused at once, never retried.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from kv_core.errors import Conflict, PreconditionFailed
from kv_core.hashing import new_etag
from kv_core.merge_patch import merge_patch
from kv_core.model import Item
from kv_core.names import validate_key
from kv_core.services.item_access import ItemAccess, Principal, checked_value_size, item_not_found
from kv_core.sizing import metadata_size, stored_size
from kv_core.store import ANY_ETAG, PutItem, refusals

PATCH_ATTEMPTS = 8
_BACKOFF_MS = 2  # the first wait's bound; each attempt doubles it, at random below it


def patch_contended(key: str) -> Conflict:
    return Conflict(
        f"'{key}' kept changing while the patch was applied; send it again.",
        code="patch_contended",
    )


class PatchItems(ItemAccess):
    def patch(
        self, principal: Principal, key: str, patch: Any, *, if_match: str | None = None
    ) -> Item:
        """Apply an RFC 7396 merge patch to the stored value; the item as written. It
        keeps its expiry and metadata. ``NotFound`` for a missing or expired item,
        ``PreconditionFailed`` when ``if_match`` is not its etag, ``Conflict``
        (``patch_contended``) when other writes won every attempt."""
        validate_key(key)
        checked_value_size(patch)
        self.in_scope(principal, key)
        namespace_id = principal.key.namespace_id
        own_etag = None if if_match in (None, ANY_ETAG) else if_match
        with self.admit_write(principal) as carried:
            for attempt in range(PATCH_ATTEMPTS):
                if attempt:
                    # Writers that collided wait apart, so that they stop colliding.
                    time.sleep(secrets.randbelow(_BACKOFF_MS << attempt) / 1000)
                moment = self.moment()
                current = self.store.get_item(namespace_id, key, at=moment.at)
                if current is None or not current.live(moment.at):
                    raise item_not_found(key)
                if own_etag is not None and own_etag != current.etag:
                    raise refusals.precondition_failed(if_absent=False)
                value = merge_patch(current.value, patch)
                size = checked_value_size(value)
                try:
                    written = carried.note(
                        self.store.put_item(
                            PutItem(
                                user_id=principal.user.id,
                                namespace_id=namespace_id,
                                key=key,
                                value=value,
                                size=stored_size(key, size, metadata_size(current.metadata)),
                                etag=new_etag(),
                                now=moment.now,
                                if_match=current.etag,
                                storage_limit=principal.plan.storage_bytes,
                                requests=carried.batch,
                                expires_at=current.expires_at,
                                metadata=current.metadata,
                            )
                        )
                    )
                except PreconditionFailed:
                    if own_etag is not None:
                        raise
                    continue
                return written.item
        raise patch_contended(key)
