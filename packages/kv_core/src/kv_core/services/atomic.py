"""Atomic operations: checks and writes on up to ``LIMITS.atomic_max_keys`` keys of one
namespace, applied all at once or not at all.

The body is checked whole before anything is read or written, each entry as its single
operation would be (a put as a PUT, an increment as an increment), and a bad entry is
named by where it is (``ops[2]: ...``). Each distinct key counts as one request. A
read-only key may not use it; a prefix-scoped key only inside its prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kv_core.errors import InvalidInput, KVError
from kv_core.expiry import expiry
from kv_core.hashing import new_etag
from kv_core.limits import LIMITS
from kv_core.names import validate_key
from kv_core.services.bulk import check_entry
from kv_core.services.item_access import ItemAccess, Principal, check_increment
from kv_core.store import (
    AtomicCheck,
    AtomicDelete,
    AtomicIncrement,
    AtomicOp,
    AtomicPut,
    AtomicWrite,
)

BODY_FIELDS = frozenset({"checks", "ops"})
CHECK_FIELDS = frozenset({"key", "version"})
INCREMENT_FIELDS = frozenset({"op", "key", "by", "ttl", "expiresAt"})
OP_NAMES = ("put", "delete", "increment")


@dataclass(frozen=True, slots=True)
class AtomicResult:
    """Each op's key and the version it left (``None`` for a delete), in op order."""

    items: list[tuple[str, int | None]]


def invalid(message: str, code: str) -> InvalidInput:
    return InvalidInput(message, code=code)


def where(place: str, index: int, error: KVError) -> InvalidInput:
    """``error`` of one entry, as the refusal of the whole operation."""
    return InvalidInput(f"{place}[{index}]: {error.message}", code=error.code)


def entries(body: dict[str, Any], name: str, *, required: bool) -> Sequence[Any]:
    found = body.get(name, [] if not required else None)
    if not isinstance(found, list):
        raise invalid(f"atomic.{name} is a list.", "invalid_atomic")
    if required and not found:
        raise invalid("atomic.ops holds at least one operation.", "invalid_atomic")
    return found


def key_of(entry: dict[str, Any]) -> str:
    key = entry.get("key")
    if not isinstance(key, str):
        raise invalid("Each entry has a key, a string.", "invalid_key")
    return validate_key(key)


def check_check(entry: Any) -> AtomicCheck:
    """``{key, version}``: the item must be at ``version``, or absent for ``null``."""
    if not isinstance(entry, dict) or set(entry) != CHECK_FIELDS:
        raise invalid(
            "A check is {key, version}, with version a number or null (must not exist).",
            "invalid_check",
        )
    version = entry["version"]
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int) or version < 1
    ):
        raise invalid("A check's version is a whole number from 1, or null.", "invalid_check")
    return AtomicCheck(key_of(entry), version)


def check_op(entry: Any, at: int) -> AtomicOp:
    """One op, checked as its single operation would be."""
    if not isinstance(entry, dict) or entry.get("op") not in OP_NAMES:
        raise invalid(
            'An op is {"op": "put" | "delete" | "increment", "key": ..., ...}.', "invalid_op"
        )
    name = entry["op"]
    if name == "delete":
        if set(entry) != {"op", "key"}:
            raise invalid('A delete is {"op": "delete", "key": ...}.', "invalid_op")
        return AtomicDelete(key_of(entry))
    if name == "increment":
        unknown = sorted(set(entry) - INCREMENT_FIELDS)
        if unknown or "by" not in entry:
            raise invalid(
                'An increment is {"op": "increment", "key": ..., "by": n, "ttl"?, "expiresAt"?}.',
                "invalid_op",
            )
        key = key_of(entry)
        by = check_increment(entry["by"])
        expires = expiry(entry.get("ttl"), entry.get("expiresAt"), now=at)
        return AtomicIncrement(key, by, new_etag(), expires)
    put = check_entry({field: value for field, value in entry.items() if field != "op"}, at)
    return AtomicPut(put.key, put.value, put.size, put.etag, put.expires_at, put.metadata)


def check_atomic(body: Any, at: int) -> tuple[tuple[AtomicCheck, ...], tuple[AtomicOp, ...]]:
    """The checks and ops of an atomic body ``{checks?, ops}``, or the refusal of it."""
    if not isinstance(body, dict) or not set(body) <= BODY_FIELDS:
        raise invalid(
            'atomic is {"checks": [{key, version}, ...], "ops": [...]}.', "invalid_atomic"
        )
    checks: list[AtomicCheck] = []
    checked: set[str] = set()
    for index, entry in enumerate(entries(body, "checks", required=False)):
        try:
            check = check_check(entry)
            if check.key in checked:
                raise invalid(f"The key '{check.key}' is checked twice.", "duplicate_key")
        except KVError as error:
            raise where("checks", index, error) from None
        checks.append(check)
        checked.add(check.key)
    ops: list[AtomicOp] = []
    written: set[str] = set()
    size = 0
    for index, entry in enumerate(entries(body, "ops", required=True)):
        try:
            op = check_op(entry, at)
            if op.key in written:
                raise invalid(
                    f"The key '{op.key}' is written twice in one operation.", "duplicate_key"
                )
        except KVError as error:
            raise where("ops", index, error) from None
        ops.append(op)
        written.add(op.key)
        size += op.size if isinstance(op, AtomicPut) else 0
    keys = checked | written
    if len(keys) > LIMITS.atomic_max_keys:
        raise invalid(
            f"An atomic operation touches at most {LIMITS.atomic_max_keys} keys (checks and"
            f" ops together), not {len(keys)}.",
            "too_many_keys",
        )
    if size > LIMITS.atomic_body_max_bytes:
        raise invalid(
            f"An atomic operation writes at most {LIMITS.atomic_body_max_bytes:,} bytes.",
            "atomic_too_large",
        )
    return tuple(checks), tuple(ops)


class AtomicItems(ItemAccess):
    def atomic(self, principal: Principal, body: Any) -> AtomicResult:
        """Apply ``{checks?: [{key, version}], ops: [{op, key, ...}]}`` all at once or
        not at all: ``CheckFailed`` (nothing written) names the checks that did not
        hold; ``Conflict`` (``not_a_number``) for an increment of a non-number;
        ``QuotaExceeded`` when its growth does not fit the storage quota."""
        self.may_write(principal)
        moment = self.moment()
        checks, ops = check_atomic(body, moment.at)
        keys = list(dict.fromkeys([*(check.key for check in checks), *(op.key for op in ops)]))
        for key in keys:
            self.in_scope(principal, key)
        with self.admit_write(principal, count=len(keys)) as carried:
            written = self.store.apply_atomic(
                AtomicWrite(
                    user_id=principal.user.id,
                    namespace_id=principal.key.namespace_id,
                    checks=checks,
                    ops=ops,
                    now=moment.now,
                    storage_limit=principal.plan.storage_bytes,
                    requests=carried.batch,
                )
            )
            carried.total = written.requests_total
        return AtomicResult(written.items)
