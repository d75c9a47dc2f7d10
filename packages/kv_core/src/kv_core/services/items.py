"""The data plane: get, put, delete and list items with an API key.

Every operation that reaches a namespace counts one request against the owner's
monthly quota (before it runs, so a 404 counts); refusals for bad keys, wrong
namespaces and read-only keys do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kv_core.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
)
from kv_core.hashing import new_etag
from kv_core.limits import LIMITS
from kv_core.model import ApiKey, Item, User, isoformat
from kv_core.names import validate_key
from kv_core.plans import Plan, account_plan, admits_request, month_of, seconds_until_next_month
from kv_core.services.accounts import account_disabled
from kv_core.services.api_keys import ApiKeys
from kv_core.services.config import CoreConfig
from kv_core.services.cursors import decode_cursor, encode_cursor
from kv_core.services.metering import RequestMeter
from kv_core.sizing import stored_size, value_size
from kv_core.store import DeleteItem, PutItem, RequestBatch, Store, Written


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
class _Carried:
    """The request counts a write carries, and the month's total it answered."""

    batch: RequestBatch | None
    total: int | None = None

    def note(self, written: Written) -> Written:
        self.total = written.requests_total
        return written


@dataclass(frozen=True, slots=True)
class KeyPage:
    keys: list[str]
    cursor: str | None


class Items:
    def __init__(self, store: Store, config: CoreConfig, api_keys: ApiKeys) -> None:
        self.store = store
        self.config = config
        self.api_keys = api_keys
        self.meter = RequestMeter(
            store,
            batch=config.request_batch if store.remote else 1,
            interval=config.request_flush_seconds,
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
            raise Forbidden("This API key is read-only.", code="read_only_key")
        return Principal(key, user, account_plan(user))

    def admit(self, principal: Principal, *, carry: bool = False) -> str:
        """Count one request, or refuse it when the month's quota is reached; returns
        the month it counts in. ``carry``: see :meth:`RequestMeter.admit`."""
        now = self.config.clock()
        month = month_of(now)
        limit = principal.plan.requests_per_month
        used = self.meter.admit(principal.user.id, month, limit, carry=carry)
        if used is None or not admits_request(used - 1, limit):
            principal.requests_used = limit
            raise QuotaExceeded(
                f"You have used this month's {limit:,} requests. Upgrade, or wait for the"
                " next month.",
                code="request_quota_exceeded",
                retry_after=seconds_until_next_month(now),
            )
        principal.requests_used = used
        return month

    @contextmanager
    def _admit_write(self, principal: Principal) -> Iterator[_Carried]:
        """Admit a write, and give it the pending request counts to carry to the store
        in the counters update it makes anyway: a write costs no call for counting."""
        month = self.admit(principal, carry=True)
        carried = _Carried(self.meter.take(principal.user.id, month))
        try:
            yield carried
        finally:
            if carried.batch is not None:
                self.meter.settle(principal.user.id, carried.batch, carried.total)

    @staticmethod
    def _in_scope(principal: Principal, key: str) -> None:
        """A prefix-scoped API key touches only the keys under its prefix."""
        if not principal.key.covers(key):
            raise Forbidden(
                f"This API key may only touch keys that start with '{principal.key.key_prefix}'.",
                code="outside_key_prefix",
            )

    def get(self, principal: Principal, key: str) -> Item:
        validate_key(key)
        self._in_scope(principal, key)
        self.admit(principal)
        item = self.store.get_item(principal.key.namespace_id, key)
        if item is None:
            raise NotFound(f"There is no item '{key}'.", code="item_not_found")
        return item

    def put(
        self,
        principal: Principal,
        key: str,
        value: Any,
        *,
        if_match: str | None = None,
        if_absent: bool = False,
    ) -> tuple[Item, bool]:
        """Create or replace an item; returns it and whether it was created.

        ``if_match`` is an etag the current item must have, or ``*`` for any current
        item; ``if_absent`` requires that there is none.
        """
        validate_key(key)
        try:
            size = value_size(value)
        except ValueError:
            raise InvalidInput(
                "The value is not JSON (NaN and Infinity are not allowed).", code="invalid_json"
            ) from None
        if size > LIMITS.value_max_bytes:
            raise PayloadTooLarge(
                f"The value is {size:,} bytes; values are at most {LIMITS.value_max_bytes:,}"
                " bytes as compact JSON.",
                code="value_too_large",
            )
        self._in_scope(principal, key)
        with self._admit_write(principal) as carried:
            written = carried.note(
                self.store.put_item(
                    PutItem(
                        user_id=principal.user.id,
                        namespace_id=principal.key.namespace_id,
                        key=key,
                        value=value,
                        size=stored_size(key, size),
                        etag=new_etag(),
                        now=isoformat(self.config.clock()),
                        if_match=if_match,
                        if_absent=if_absent,
                        storage_limit=principal.plan.storage_bytes,
                        requests=carried.batch,
                    )
                )
            )
        return written.item, written.created

    def delete(self, principal: Principal, key: str, *, if_match: str | None = None) -> Item:
        """Delete an item; ``if_match`` as for :meth:`put` (``*``: any current item)."""
        validate_key(key)
        self._in_scope(principal, key)
        with self._admit_write(principal) as carried:
            written = carried.note(
                self.store.delete_item(
                    DeleteItem(
                        user_id=principal.user.id,
                        namespace_id=principal.key.namespace_id,
                        key=key,
                        if_match=if_match,
                        requests=carried.batch,
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
    ) -> KeyPage:
        """One page of keys in key order; ``cursor`` is ``None`` on the last page. A
        prefix-scoped API key lists under its prefix (a narrower ``prefix`` is fine, a
        wider one is ``outside_key_prefix``)."""
        prefix = prefix or principal.key.key_prefix
        if not principal.key.covers(prefix):
            raise Forbidden(
                f"This API key may only list keys that start with '{principal.key.key_prefix}'.",
                code="outside_key_prefix",
            )
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
        namespace_id = principal.key.namespace_id
        after = decode_cursor(self.config.secret, cursor, namespace_id, prefix) if cursor else None
        self.admit(principal)
        keys, more = self.store.list_keys(namespace_id, prefix=prefix, after=after, limit=limit)
        next_cursor = (
            encode_cursor(self.config.secret, namespace_id, prefix, keys[-1]) if more else None
        )
        return KeyPage(keys, next_cursor)
