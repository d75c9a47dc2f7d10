"""Plan changes from the payment provider on the embedded engine: one transaction
records the event, binds the subscription and changes the plan."""

from __future__ import annotations

import sqlite3

from kv_core.engines.sqlite.connection import Database
from kv_core.store import PlanEvent, PlanOutcome

EVENTS = "paddle-event"


class Billing(Database):
    def apply_plan_event(self, event: PlanEvent) -> PlanOutcome:
        with self._write() as db:
            outcome, owner = self._decide(db, event)
            if outcome in ("applied", "foreign", "stale"):
                db.execute(
                    "INSERT INTO markers (scope, marker, created_at) VALUES (?, ?, ?)",
                    (EVENTS, event.event_id, event.now),
                )
            if outcome == "applied":
                db.execute(
                    "INSERT INTO subscriptions (id, user_id, occurred_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET occurred_at = excluded.occurred_at",
                    (event.subscription_id, owner, event.occurred_at),
                )
                db.execute(
                    "UPDATE users SET plan = ?, updated_at = ? WHERE id = ?",
                    (event.plan, event.now, owner),
                )
        if outcome == "applied":
            self._keys_changed()
        return outcome

    @staticmethod
    def _decide(db: sqlite3.Connection, event: PlanEvent) -> tuple[PlanOutcome, str | None]:
        if db.execute(
            "SELECT 1 FROM markers WHERE scope = ? AND marker = ?", (EVENTS, event.event_id)
        ).fetchone():
            return "duplicate", None
        bound = db.execute(
            "SELECT user_id, occurred_at FROM subscriptions WHERE id = ?",
            (event.subscription_id,),
        ).fetchone()
        owner: str | None = bound["user_id"] if bound else event.user_id
        if owner is None or not db.execute("SELECT 1 FROM users WHERE id = ?", (owner,)).fetchone():
            return "ignored", None
        if event.user_id not in (None, owner):
            return "foreign", owner
        if bound and bound["occurred_at"] > event.occurred_at:
            return "stale", owner
        return "applied", owner
