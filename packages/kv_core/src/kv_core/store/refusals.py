"""The refusals that every engine raises, worded once."""

from __future__ import annotations

from kv_core.errors import CheckFailed, Conflict, NotFound, PreconditionFailed, QuotaExceeded
from kv_core.store.requests import ANY_ETAG


def email_taken() -> Conflict:
    return Conflict("An account with that email exists already.", code="email_taken")


def namespace_exists(name: str) -> Conflict:
    return Conflict(f"You already have a namespace called '{name}'.", code="namespace_exists")


def user_not_found() -> NotFound:
    return NotFound("There is no such account.", code="user_not_found")


def item_not_found(key: str) -> NotFound:
    return NotFound(f"There is no item '{key}'.", code="item_not_found")


def not_a_number(key: str) -> Conflict:
    """An increment of an item whose value is not a number."""
    return Conflict(f"The value of '{key}' is not a number.", code="not_a_number")


def namespace_gone() -> NotFound:
    """A write that raced the deletion of its namespace."""
    return NotFound("This namespace was deleted.", code="namespace_not_found")


def precondition_failed(*, if_absent: bool, missing: bool = False) -> PreconditionFailed:
    if if_absent:
        return PreconditionFailed("The item exists already.", code="precondition_failed")
    if missing:
        return PreconditionFailed("There is no such item to replace.", code="precondition_failed")
    return PreconditionFailed(
        "The item has changed since you read it (its ETag differs).", code="precondition_failed"
    )


def check_failed(keys: list[str]) -> CheckFailed:
    """An atomic operation whose checks on ``keys`` did not hold (or whose items a
    concurrent writer changed between the engine's read and its write)."""
    names = ", ".join(f"'{key}'" for key in keys)
    return CheckFailed(
        f"Nothing was written: these items are not at the versions checked: {names}.",
        failed=keys,
    )


def storage_exceeded() -> QuotaExceeded:
    return QuotaExceeded(
        "This write would take your storage past your plan's limit. Delete items or upgrade.",
        code="storage_quota_exceeded",
    )


def check_preconditions(current_etag: str | None, *, if_match: str | None, if_absent: bool) -> None:
    """Raise :class:`PreconditionFailed` unless the current item's etag (``None``: no
    item) satisfies ``if_match`` and ``if_absent``, for engines that compare in code."""
    if if_absent and current_etag is not None:
        raise precondition_failed(if_absent=True)
    if if_match is not None and current_etag is None:
        raise precondition_failed(if_absent=False, missing=True)
    if if_match not in (None, ANY_ETAG, current_etag):
        raise precondition_failed(if_absent=False)
