"""Counting and deleting the items under a prefix.

A count without a prefix is the namespace's own counter (no scan); under a prefix the
store counts the live items. A prefix deletion removes one page of at most ``limit``
items per call (call again while ``more``) and never takes an empty prefix: deleting
a whole namespace is the namespace's own deletion. Both count as one request; a
prefix-scoped API key counts and deletes only inside its prefix, and a read-only key
may count but not delete.
"""

from __future__ import annotations

from typing import Any

from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS
from kv_core.services.item_access import ItemAccess, Principal
from kv_core.services.ranges import utf8
from kv_core.store import DeletePrefix, PrefixDeleted
from kv_core.store.refusals import namespace_gone


def check_prefix(prefix: Any) -> str:
    """A prefix to delete under: a non-empty string of at most a key's length."""
    if not isinstance(prefix, str) or not prefix:
        raise InvalidInput(
            "deletePrefix is a non-empty string; delete the namespace to remove everything.",
            code="invalid_prefix",
        )
    if len(utf8(prefix)) > LIMITS.key_max_bytes:
        raise InvalidInput(
            f"A prefix is at most {LIMITS.key_max_bytes} bytes.", code="invalid_prefix"
        )
    return prefix


def check_delete_limit(limit: Any) -> int:
    """How many items one prefix deletion removes at most: 1 to the limit, by default
    the limit."""
    most = LIMITS.delete_prefix_max_items
    if limit is None:
        return most
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= most:
        raise InvalidInput(f"limit is a whole number, 1 to {most:,}.", code="invalid_limit")
    return limit


class PrefixItems(ItemAccess):
    def count(self, principal: Principal, *, prefix: str = "") -> int:
        """How many live items have keys starting with ``prefix`` (a prefix-scoped key:
        its own prefix when none is given)."""
        prefix = self.scoped_prefix(principal, prefix)
        if len(utf8(prefix)) > LIMITS.key_max_bytes:
            raise InvalidInput(
                f"A prefix is at most {LIMITS.key_max_bytes} bytes.", code="invalid_prefix"
            )
        at = self.moment().at
        self.admit(principal)
        if prefix:
            return self.store.count_keys(principal.key.namespace_id, prefix=prefix, at=at)
        namespace = self.store.get_namespace(principal.user.id, principal.key.namespace)
        if namespace is None:
            raise namespace_gone()
        return namespace.item_count

    def delete_prefix(
        self, principal: Principal, prefix: Any, *, limit: Any = None
    ) -> PrefixDeleted:
        """Delete up to ``limit`` (1 to 1000, default 1000) items under ``prefix``;
        ``more``: items remain, call again."""
        self.may_write(principal)
        prefix = check_prefix(prefix)
        size = check_delete_limit(limit)
        self.scoped_prefix(principal, prefix)
        moment = self.moment()
        with self.admit_write(principal) as carried:
            deleted = self.store.delete_prefix(
                DeletePrefix(
                    user_id=principal.user.id,
                    namespace_id=principal.key.namespace_id,
                    prefix=prefix,
                    limit=size,
                    now=moment.now,
                    requests=carried.batch,
                )
            )
            carried.total = deleted.requests_total
        return deleted
