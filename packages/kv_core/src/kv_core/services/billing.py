"""Plan changes from the payment provider's subscription events.

The events arrive verified (the API checks Paddle's signature); this checks their shape
and applies them. A subscription event changes the plan of the account that its
subscription belongs to (the ``user_id`` the checkout put in ``custom_data`` binds it
on its first event), in the order the events occurred, and each event once: the store
records the event in the same transaction as the plan change, so an event whose
application fails is applied when Paddle sends it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from kv_core.errors import InvalidInput
from kv_core.model import isoformat
from kv_core.notify import Notifier
from kv_core.plans import DEFAULT_PLAN, PLANS
from kv_core.services.api_keys import ApiKeys
from kv_core.services.config import CoreConfig
from kv_core.store import PlanEvent, Store

log = logging.getLogger(__name__)

Outcome = Literal["applied", "duplicate", "ignored", "stale", "foreign"]
SUBSCRIPTION_EVENTS = {"subscription.created", "subscription.updated", "subscription.canceled"}
PAYMENT_FAILED = "transaction.payment_failed"
SUBSCRIPTION_ENDED = {"canceled", "paused"}
EVENTS = "paddle-event"


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_event")


def _optional(data: Mapping[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and not isinstance(value, kind):
        raise _invalid(f"The event's '{name}' is not a {kind.__name__}.")
    return value


def _instant(text: Any) -> str:
    """``occurred_at`` as UTC to the microsecond, so that its text orders as its time."""
    if not isinstance(text, str):
        raise _invalid("The event has no occurred_at.")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid("The event's occurred_at is not an ISO-8601 time.") from None
    if moment.tzinfo is None:
        raise _invalid("The event's occurred_at has no time zone.")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_data(data: Mapping[str, Any]) -> None:
    """The members this service reads have the types Paddle documents."""
    for name in ("id", "status"):
        _optional(data, name, str)
    custom = _optional(data, "custom_data", dict)
    if custom is not None:
        _optional(custom, "user_id", str)
    for item in _optional(data, "items", list) or []:
        if not isinstance(item, dict):
            raise _invalid("The event's items are not objects.")
        price = _optional(item, "price", dict)
        if price is not None:
            _optional(price, "id", str)


@dataclass(frozen=True, slots=True)
class BillingEvent:
    """The parts of a Paddle Billing event that matter here, checked."""

    id: str
    type: str
    data: Mapping[str, Any]
    occurred_at: str | None = None

    @classmethod
    def parse(cls, payload: Any) -> BillingEvent:
        """Check the event's shape; ``InvalidInput`` (``invalid_event``) for anything
        malformed, so that a signed but broken event is a 400, never a 500."""
        if not isinstance(payload, dict):
            raise _invalid("The event is not a JSON object.")
        event_id, event_type, data = (
            payload.get("event_id"),
            payload.get("event_type"),
            payload.get("data"),
        )
        if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
            raise _invalid("The event has no event_id or event_type.")
        if not isinstance(data, dict):
            raise _invalid("The event has no data object.")
        if event_type not in SUBSCRIPTION_EVENTS | {PAYMENT_FAILED}:
            return cls(event_id, event_type, data)  # acknowledged and ignored
        _check_data(data)
        if event_type == PAYMENT_FAILED:
            return cls(event_id, event_type, data)
        if not data.get("id"):
            raise _invalid("The subscription event has no subscription id.")
        return cls(event_id, event_type, data, _instant(payload.get("occurred_at")))

    @property
    def user_id(self) -> str | None:
        custom = self.data.get("custom_data")
        user_id = custom.get("user_id") if isinstance(custom, dict) else None
        return user_id if isinstance(user_id, str) else None

    @property
    def subscription_id(self) -> str:
        return str(self.data.get("id") or "")

    @property
    def price_ids(self) -> list[str]:
        return [
            item["price"]["id"]
            for item in self.data.get("items") or []
            if isinstance(item.get("price"), dict) and isinstance(item["price"].get("id"), str)
        ]


class Billing:
    def __init__(
        self,
        store: Store,
        config: CoreConfig,
        notifier: Notifier,
        prices: Mapping[str, str],
        api_keys: ApiKeys | None = None,
    ) -> None:
        unknown = set(prices.values()) - set(PLANS)
        if unknown:
            raise ValueError(f"the price map names unknown plans: {sorted(unknown)}")
        self.store = store
        self.config = config
        self.notifier = notifier
        self.prices = dict(prices)
        self.api_keys = api_keys

    def apply(self, event: BillingEvent) -> Outcome:
        """Apply one verified event, at most once per event id."""
        if event.type in SUBSCRIPTION_EVENTS:
            return self._subscription(event)
        if event.type == PAYMENT_FAILED:
            return self._payment_failed(event)
        return "ignored"

    def _subscription(self, event: BillingEvent) -> Outcome:
        plan = self._plan_of(event)
        if plan is None:
            log.warning("event %s has no price in the price map: %s", event.id, event.price_ids)
            return "ignored"
        assert event.occurred_at is not None  # parse() gives every subscription event one
        outcome = self.store.apply_plan_event(
            PlanEvent(
                event_id=event.id,
                subscription_id=event.subscription_id,
                user_id=event.user_id,
                occurred_at=event.occurred_at,
                plan=plan,
                now=isoformat(self.config.clock()),
            )
        )
        if outcome in ("foreign", "ignored"):
            log.warning("event %s (%s) was not applied: %s", event.id, event.type, outcome)
        if outcome == "applied" and self.api_keys is not None:
            # This instance's cached keys see the new plan at once (others within the
            # cache's bound); an event that names no account is the subscription's.
            if event.user_id is not None:
                self.api_keys.forget_user(event.user_id)
            else:
                self.api_keys.forget_all()
        return outcome

    def _plan_of(self, event: BillingEvent) -> str | None:
        if event.type == "subscription.canceled" or event.data.get("status") in SUBSCRIPTION_ENDED:
            return DEFAULT_PLAN
        plans = [self.prices[p] for p in event.price_ids if p in self.prices]
        return max(plans, key=lambda name: PLANS[name].price_usd) if plans else None

    def _payment_failed(self, event: BillingEvent) -> Outcome:
        """Tell the account holder, then record the event: a failure to record means
        Paddle sends it again, and the holder may hear twice rather than never."""
        user = self.store.get_user(event.user_id) if event.user_id else None
        if user is None:
            log.warning("event %s (%s) names no known account", event.id, event.type)
            return "ignored"
        if self.store.has_mark(EVENTS, event.id):
            return "duplicate"
        self.notifier.send(
            user.email,
            "KV Storage: your payment failed",
            "We could not take your latest payment. Please update your payment method in"
            " the dashboard's billing page; your plan stays active while Paddle retries.",
        )
        now = isoformat(self.config.clock())
        self.store.mark_once(f"payment-failed:{user.id}", event.id, now)
        return "applied" if self.store.mark_once(EVENTS, event.id, now) else "duplicate"
