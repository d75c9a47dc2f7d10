"""Bulk reads and writes: many keys of one namespace in one request.

Each key counts as one request, admitted all at once or refused whole before any work.
Every key and entry is checked before anything is read or written: a bad entry is
``InvalidInput`` naming its index (``put[3]: ...``, and :attr:`KVError.index`), a key
outside a prefix-scoped API key's prefix refuses the whole request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kv_core.errors import InvalidInput, KVError
from kv_core.expiry import expiry
from kv_core.hashing import new_etag
from kv_core.limits import LIMITS
from kv_core.metadata import validate_metadata
from kv_core.model import Item
from kv_core.names import validate_key
from kv_core.services.item_access import ItemAccess, Principal, checked_value_size
from kv_core.sizing import metadata_size, stored_size
from kv_core.store import DeleteItems, PutEntry, PutItems

ENTRY_FIELDS = frozenset({"key", "value", "ttl", "expiresAt", "metadata"})


def at_index(operation: str, index: int, error: KVError) -> InvalidInput:
    """``error`` of one entry of a bulk request, as the refusal of the request."""
    return InvalidInput(f"{operation}[{index}]: {error.message}", code=error.code, index=index)


def check_count(operation: str, entries: Any, most: int) -> Sequence[Any]:
    if not isinstance(entries, list | tuple):
        raise InvalidInput(f"{operation} is a list.", code="invalid_bulk")
    if not 1 <= len(entries) <= most:
        raise InvalidInput(
            f"{operation} takes 1 to {most:,} entries, not {len(entries):,}.",
            code="invalid_bulk",
        )
    return entries


def check_keys(operation: str, keys: Any, most: int) -> list[str]:
    """Bulk keys, each a valid key (the first bad one named by its index)."""
    checked: list[str] = []
    for index, key in enumerate(check_count(operation, keys, most)):
        try:
            if not isinstance(key, str):
                raise InvalidInput("A key is a string.", code="invalid_key")
            checked.append(validate_key(key))
        except KVError as error:
            raise at_index(operation, index, error) from None
    return checked


def check_entry(entry: Any, at: int) -> PutEntry:
    """One entry of a bulk put, as a single put would check it."""
    if not isinstance(entry, dict):
        raise InvalidInput(
            "An entry is an object {key, value, ttl?, expiresAt?, metadata?}.",
            code="invalid_entry",
        )
    unknown = sorted(set(entry) - ENTRY_FIELDS)
    if unknown:
        raise InvalidInput(
            f"An entry has key, value, ttl, expiresAt and metadata, not {', '.join(unknown)}.",
            code="invalid_entry",
        )
    if "key" not in entry or "value" not in entry:
        raise InvalidInput("An entry needs a key and a value.", code="invalid_entry")
    key = entry["key"]
    if not isinstance(key, str):
        raise InvalidInput("A key is a string.", code="invalid_key")
    validate_key(key)
    value = entry["value"]
    size = checked_value_size(value)
    metadata = validate_metadata(entry.get("metadata"))
    expires = expiry(entry.get("ttl"), entry.get("expiresAt"), now=at)
    return PutEntry(
        key=key,
        value=value,
        size=stored_size(key, size, metadata_size(metadata)),
        etag=new_etag(),
        expires_at=expires,
        metadata=metadata,
    )


class BulkItems(ItemAccess):
    def get_many(self, principal: Principal, keys: list[str]) -> tuple[list[Item], list[str]]:
        """The live items among ``keys`` (1 to 100; a key may be asked twice) in the
        order asked, and the keys that have none, in the order asked."""
        keys = check_keys("get", keys, LIMITS.bulk_get_max_keys)
        for key in keys:
            self.in_scope(principal, key)
        at = self.moment().at
        self.admit(principal, count=len(keys))
        found = self.store.get_items(principal.key.namespace_id, list(dict.fromkeys(keys)), at=at)
        items = [found[key] for key in keys if key in found and found[key].live(at)]
        missing = [key for key in keys if key not in found or not found[key].live(at)]
        return items, missing

    def put_many(self, principal: Principal, entries: list[dict[str, Any]]) -> int:
        """Write 1 to 1000 entries ``{key, value, ttl?, expiresAt?, metadata?}`` (as
        they come in a JSON body), all checked before any is written; how many were
        written. A key may appear once; the whole batch must fit the storage quota."""
        self.may_write(principal)
        moment = self.moment()
        checked: list[PutEntry] = []
        seen: set[str] = set()
        for index, entry in enumerate(check_count("put", entries, LIMITS.bulk_write_max_items)):
            try:
                put = check_entry(entry, moment.at)
                if put.key in seen:
                    raise InvalidInput(
                        f"The key '{put.key}' is written twice in one request.",
                        code="duplicate_key",
                    )
            except KVError as error:
                raise at_index("put", index, error) from None
            seen.add(put.key)
            checked.append(put)
        for put in checked:
            self.in_scope(principal, put.key)
        with self.admit_write(principal, count=len(checked)) as carried:
            written = self.store.put_items(
                PutItems(
                    user_id=principal.user.id,
                    namespace_id=principal.key.namespace_id,
                    entries=tuple(checked),
                    now=moment.now,
                    storage_limit=principal.plan.storage_bytes,
                    requests=carried.batch,
                )
            )
            carried.total = written.requests_total
        return written.count

    def delete_many(self, principal: Principal, keys: list[str]) -> int:
        """Delete 1 to 1000 keys; how many live items were deleted (a key asked twice,
        missing or expired is not counted)."""
        self.may_write(principal)
        keys = check_keys("delete", keys, LIMITS.bulk_write_max_items)
        for key in keys:
            self.in_scope(principal, key)
        moment = self.moment()
        with self.admit_write(principal, count=len(keys)) as carried:
            deleted = self.store.delete_items(
                DeleteItems(
                    user_id=principal.user.id,
                    namespace_id=principal.key.namespace_id,
                    keys=tuple(dict.fromkeys(keys)),
                    now=moment.now,
                    requests=carried.batch,
                )
            )
            carried.total = deleted.requests_total
        return deleted.count
