"""Plan changes from the payment provider on DynamoDB: the event's marker, the
subscription's binding and the profile's plan in one transaction, conditioned on what
was read of them."""

from __future__ import annotations

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.condition import Condition

from kv_core.engines.dynamodb import keys
from kv_core.engines.dynamodb.counters import ProfileCounters
from kv_core.engines.dynamodb.table import Entry, failed_condition
from kv_core.store import PlanEvent, PlanOutcome

EVENTS = "paddle-event"
ATTEMPTS = 5


class Billing(ProfileCounters):
    def apply_plan_event(self, event: PlanEvent) -> PlanOutcome:
        for _ in range(ATTEMPTS):
            if self._get(keys.marker_pk(EVENTS), event.event_id) is not None:
                return "duplicate"
            bound = self._get(keys.subscription_pk(event.subscription_id), keys.METADATA)
            owner = bound.user_id if bound is not None else event.user_id
            if owner is None or self._get(*self._profile_key(owner)) is None:
                return "ignored"
            if event.user_id not in (None, owner):
                return self._record(event, "foreign")
            if bound is not None and (bound.occurred_at or "") > event.occurred_at:
                return self._record(event, "stale")
            try:
                self._apply(event, owner, bound)
            except TransactWriteError as error:
                reasons = error.cancellation_reasons or []
                if (
                    reasons
                    and reasons[0] is not None
                    and reasons[0].code == "ConditionalCheckFailed"
                ):
                    return "duplicate"
                if error.cause_response_code != "TransactionCanceledException":
                    raise
                continue  # the subscription changed since it was read: decide again
            return "applied"
        raise RuntimeError("the subscription kept changing under us")  # pragma: no cover

    def _apply(self, event: PlanEvent, owner: str, bound: Entry | None) -> None:
        subscription = self.Entry(
            keys.subscription_pk(event.subscription_id),
            keys.METADATA,
            user_id=owner,
            occurred_at=event.occurred_at,
        )
        unchanged: Condition = (
            self.Entry.pk.does_not_exist()
            if bound is None
            else (self.Entry.user_id == owner) & (self.Entry.occurred_at == bound.occurred_at)
        )
        with self._transaction() as transaction:
            transaction.save(self._marker(event), condition=self.Entry.pk.does_not_exist())
            transaction.save(subscription, condition=unchanged)
            transaction.update(
                self.Entry(*self._profile_key(owner)),
                actions=[self.Entry.plan.set(event.plan), self.Entry.updated_at.set(event.now)],
                condition=self.Entry.pk.exists(),
            )

    def _record(self, event: PlanEvent, outcome: PlanOutcome) -> PlanOutcome:
        """Record an event that changes nothing, so that its retries are duplicates."""
        try:
            self._marker(event).save(condition=self.Entry.pk.does_not_exist())
        except PutError as error:
            if failed_condition(error):
                return "duplicate"
            raise
        return outcome

    def _marker(self, event: PlanEvent) -> Entry:
        return self.Entry(keys.marker_pk(EVENTS), event.event_id, created_at=event.now)
