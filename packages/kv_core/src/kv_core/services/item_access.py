"""What every data-plane use case shares: who calls (:class:`Principal`), the request
quota they are admitted against, the key scope, and the checks of a written item.

Every operation that reaches a namespace counts its requests against the owner's
monthly quota (before it runs, so a 404 counts; a bulk request counts one for each
key), and against the API key that made it; refusals for bad keys, wrong namespaces
and read-only keys do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kv_core.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge, QuotaExceeded
from kv_core.limits import LIMITS
from kv_core.model import ApiKey, KeyInfo, User, isoformat
from kv_core.numbers import is_number
from kv_core.plans import Plan, account_plan, month_of, seconds_until_next_month
from kv_core.services.accounts import account_disabled
from kv_core.services.api_keys import ApiKeys
from kv_core.services.config import CoreConfig
from kv_core.services.metering import RequestMeter
from kv_core.sizing import value_size
from kv_core.store import RequestBatch, Store, Written, unix_second


@dataclass(slots=True)
class Principal:
    """Who is calling the data plane: a key, its owner, and their plan as it applies
    to them (:func:`~kv_core.plans.account_plan`).

    ``requests_used`` is the month's count once this request was admitted, for the
    rate-limit headers.
    """

    key: ApiKey
    user: User
    plan: Plan
    requests_used: int | None = None

    @property
    def requests_remaining(self) -> int | None:
        if self.requests_used is None:
            return None
        return max(0, self.plan.requests_per_month - self.requests_used)


@dataclass(slots=True)
class Carried:
    """The request counts a write carries, and the month's total it answered."""

    batch: RequestBatch | None
    total: int | None = None

    def note(self, written: Written) -> Written:
        self.total = written.requests_total
        return written


@dataclass(frozen=True, slots=True)
class KeyPage:
    """A page of keys; ``cursor`` is ``None`` on the last page. ``details`` (when asked
    for) describes each key of ``keys``, in the same order."""

    keys: list[str]
    cursor: str | None
    details: list[KeyInfo] | None = None


@dataclass(frozen=True, slots=True)
class Moment:
    """When a request happens: its timestamp and the unix second by which expiry is
    judged (the same second the store derives from the timestamp)."""

    now: str
    at: int


def item_not_found(key: str) -> NotFound:
    return NotFound(f"There is no item '{key}'.", code="item_not_found")


def checked_value_size(value: Any) -> int:
    """The compact JSON size of a value to store, or the refusal of it."""
    try:
        size = value_size(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            "The value is not JSON (NaN and Infinity are not allowed).", code="invalid_json"
        ) from None
    if size > LIMITS.value_max_bytes:
        raise PayloadTooLarge(
            f"The value is {size:,} bytes; values are at most {LIMITS.value_max_bytes:,}"
            " bytes as compact JSON.",
            code="value_too_large",
        )
    return size


def check_increment(by: Any) -> int | float:
    """An increment is a JSON number: an int, or a finite float (not a boolean)."""
    if not is_number(by) or (isinstance(by, float) and by - by != 0):
        raise InvalidInput("increment is a number, such as 1 or -2.5.", code="invalid_increment")
    return by  # type: ignore[no-any-return]


class ItemAccess:
    """The base of :class:`~kv_core.services.items.Items`: authorization, admission
    and the clock."""

    def __init__(self, store: Store, config: CoreConfig, api_keys: ApiKeys) -> None:
        self.store = store
        self.config = config
        self.api_keys = api_keys
        self.meter = RequestMeter(
            store,
            batch=config.request_batch if store.remote else 1,
            interval=config.request_flush_seconds,
            batch_share=config.request_batch_share,
            batch_max=config.request_batch_max if store.remote else 1,
        )

    def authorize(self, raw_key: str | None, namespace: str, *, write: bool) -> Principal:
        """Check a raw key against the namespace in the URL and the operation, and
        that its account is not disabled."""
        key, user = self.api_keys.resolve(raw_key)
        if user.disabled_at is not None:
            raise account_disabled()
        if key.namespace != namespace:
            raise Forbidden(
                f"This API key belongs to namespace '{key.namespace}', not '{namespace}'.",
                code="wrong_namespace",
            )
        if write and not key.can_write:
            raise read_only()
        return Principal(key, user, account_plan(user))

    def moment(self) -> Moment:
        now = isoformat(self.config.clock())
        return Moment(now, unix_second(now))

    def admit(self, principal: Principal, *, carry: bool = False, count: int = 1) -> str:
        """Count ``count`` requests at once, or refuse them all when they would pass
        the month's quota; returns the month they count in. ``carry``: see
        :meth:`RequestMeter.admit`."""
        now = self.config.clock()
        month = month_of(now)
        limit = principal.plan.requests_per_month
        used = self.meter.admit(
            principal.user.id, month, limit, count=count, carry=carry, key_id=principal.key.id
        )
        if used is None or used > limit:
            principal.requests_used = limit
            raise QuotaExceeded(
                f"You have used this month's {limit:,} requests"
                + ("" if count == 1 else f" (this request counts {count:,})")
                + ". Upgrade, or wait for the next month.",
                code="request_quota_exceeded",
                retry_after=seconds_until_next_month(now),
            )
        principal.requests_used = used
        return month

    @contextmanager
    def admit_write(self, principal: Principal, *, count: int = 1) -> Iterator[Carried]:
        """Admit a write, and give it the pending request counts to carry to the store
        in the counters update it makes anyway: a write costs no call for counting."""
        month = self.admit(principal, carry=True, count=count)
        carried = Carried(self.meter.take(principal.user.id, month))
        try:
            yield carried
        finally:
            if carried.batch is not None:
                self.meter.settle(principal.user.id, carried.batch, carried.total)

    @staticmethod
    def in_scope(principal: Principal, key: str) -> None:
        """A prefix-scoped API key touches only the keys under its prefix."""
        if not principal.key.covers(key):
            raise Forbidden(
                f"This API key may only touch keys that start with '{principal.key.key_prefix}'.",
                code="outside_key_prefix",
            )

    @staticmethod
    def scoped_prefix(principal: Principal, prefix: str) -> str:
        """The prefix that a listing, count or prefix deletion works under: a
        prefix-scoped API key's own when none is given; a narrower one is fine, a wider
        one is ``outside_key_prefix``."""
        prefix = prefix or principal.key.key_prefix
        if not principal.key.covers(prefix):
            raise Forbidden(
                f"This API key may only reach keys that start with '{principal.key.key_prefix}'.",
                code="outside_key_prefix",
            )
        return prefix

    @staticmethod
    def may_write(principal: Principal) -> None:
        if not principal.key.can_write:
            raise read_only()


def read_only() -> Forbidden:
    return Forbidden("This API key is read-only.", code="read_only_key")
