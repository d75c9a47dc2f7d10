"""Plan changes from the payment provider's subscription events.

The events arrive verified (the API checks Paddle's signature); this applies them:
each event id once, the account found by the ``user_id`` the checkout put in
``custom_data``, the plan found by the price id in a configured map.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kv_core.errors import InvalidInput
from kv_core.model import isoformat
from kv_core.notify import Notifier
from kv_core.plans import DEFAULT_PLAN, PLANS
from kv_core.services.api_keys import ApiKeys
from kv_core.services.config import CoreConfig
from kv_core.store import Store

log = logging.getLogger(__name__)

Outcome = Literal["applied", "duplicate", "ignored"]
SUBSCRIPTION_ENDED = {"canceled", "paused"}


@dataclass(frozen=True, slots=True)
class BillingEvent:
    """The parts of a Paddle Billing event that matter here."""

    id: str
    type: str
    data: Mapping[str, Any]

    @classmethod
    def parse(cls, payload: Any) -> BillingEvent:
        """Check the envelope's shape; ``InvalidInput`` for anything malformed."""
        if not isinstance(payload, dict):
            raise InvalidInput("The event is not a JSON object.", code="invalid_event")
        event_id, event_type, data = (
            payload.get("event_id"),
            payload.get("event_type"),
            payload.get("data"),
        )
        if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
            raise InvalidInput("The event has no event_id or event_type.", code="invalid_event")
        if not isinstance(data, dict):
            raise InvalidInput("The event has no data object.", code="invalid_event")
        return cls(event_id, event_type, data)

    @property
    def user_id(self) -> str | None:
        custom = self.data.get("custom_data")
        user_id = custom.get("user_id") if isinstance(custom, dict) else None
        return user_id if isinstance(user_id, str) else None

    @property
    def price_ids(self) -> list[str]:
        ids = []
        for item in self.data.get("items") or []:
            price = item.get("price") if isinstance(item, dict) else None
            price_id = price.get("id") if isinstance(price, dict) else None
            if isinstance(price_id, str):
                ids.append(price_id)
        return ids


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
        handler = {
            "subscription.created": self._subscription,
            "subscription.updated": self._subscription,
            "subscription.canceled": self._canceled,
            "transaction.payment_failed": self._payment_failed,
        }.get(event.type)
        if handler is None:
            return "ignored"
        user = self.store.get_user(event.user_id) if event.user_id else None
        if user is None:
            log.warning("event %s (%s) names no known account", event.id, event.type)
            return "ignored"
        now = isoformat(self.config.clock())
        if not self.store.mark_once("paddle-event", event.id, now):
            return "duplicate"
        handler(event, user.id, user.email, now)
        return "applied"

    def _subscription(self, event: BillingEvent, user_id: str, email: str, now: str) -> None:
        if event.data.get("status") in SUBSCRIPTION_ENDED:
            self._set_plan(user_id, DEFAULT_PLAN, now)
            return
        plans = [self.prices[p] for p in event.price_ids if p in self.prices]
        if not plans:
            log.warning("event %s has no price in the price map: %s", event.id, event.price_ids)
            return
        best = max(plans, key=lambda name: PLANS[name].price_usd)
        self._set_plan(user_id, best, now)

    def _set_plan(self, user_id: str, plan: str, now: str) -> None:
        """Change the plan; this instance's cached keys of the account see it at once."""
        self.store.set_plan(user_id, plan, now)
        if self.api_keys is not None:
            self.api_keys.forget_user(user_id)

    def _canceled(self, event: BillingEvent, user_id: str, email: str, now: str) -> None:
        self._set_plan(user_id, DEFAULT_PLAN, now)

    def _payment_failed(self, event: BillingEvent, user_id: str, email: str, now: str) -> None:
        self.store.mark_once(f"payment-failed:{user_id}", event.id, now)
        self.notifier.send(
            email,
            "KV Storage: your payment failed",
            "We could not take your latest payment. Please update your payment method in"
            " the dashboard's billing page; your plan stays active while Paddle retries.",
        )
