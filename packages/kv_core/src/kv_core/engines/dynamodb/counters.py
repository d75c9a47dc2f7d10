"""Every counter lives on the user's profile, so one conditional ``UpdateItem`` moves
all that a write touches.

``storageBytes`` is the user's stored bytes; the maps ``nsItems`` and ``nsBytes``
hold each namespace's item count and bytes, keyed by namespace id; the map
``requests`` holds the month's request count, keyed by ``YYYY-MM``. The update that
counts a write also checks the storage quota and that the namespace still exists,
and adds the request counts the write carries (:class:`~kv_core.store.RequestBatch`).
The seed kept request counts in a ``USAGE#<YYYY-MM>`` item of their own; that costs a
third write whenever a batch of counts is due, which the budget of two calls per put
does not allow (backfill.py folds such items into the map).

Each API key's requests of a month are a number attribute of the profile of its own,
``K#<YYYY-MM>#<key id>`` (:func:`key_requests_name`), moved by ``ADD`` in the same
update as the user's count. Not a map: ``ADD`` (or ``SET``) on a path inside a map
fails when the map is missing, and a profile written before the keys were counted has
none, while ``ADD`` on a missing top-level attribute starts it from 0, so the first
count of a key needs no second call. A key's count of the month the update drops is
removed with it; a revoked key's counts go with it (api_keys.py).

Months older than :data:`KEPT_MONTHS` are dropped from the map by the update that
counts a month, at no extra call.
"""

from __future__ import annotations

import logging
import random
import time

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from kv_core.engines.dynamodb import keys
from kv_core.engines.dynamodb.records import counter
from kv_core.engines.dynamodb.table import Entry, Table, failed_condition
from kv_core.plans import previous_month
from kv_core.store import KeyCounts, RequestBatch, refusals

KEPT_MONTHS = 13  # this month and the twelve before it
# A write that meets a transaction under way on the same item is refused with this
# (botocore does not retry it); it is tried again this many times in all.
TRANSACTION_CONFLICT = "TransactionConflictException"
CONFLICT_ATTEMPTS = 4
DROPS_PER_UPDATE = 100  # key counts one update removes, well within an expression's size

logger = logging.getLogger(__name__)


KEY_REQUESTS = "K#"  # the start of every API key's request count on the profile


def key_requests_name(month: str, key_id: str) -> str:
    """The profile's attribute that counts one API key's requests of one month."""
    return f"{KEY_REQUESTS}{month}#{key_id}"


def expired_month(month: str) -> str:
    """The month whose count the update for ``month`` drops."""
    for _ in range(KEPT_MONTHS):
        month = previous_month(month)
    return month


class ProfileCounters(Table):
    def _profile_key(self, user_id: str) -> tuple[str, str]:
        return keys.user_pk(user_id), keys.PROFILE

    def _update_profile(
        self, user_id: str, actions: list[Action], condition: Condition | None = None
    ) -> Entry:
        """Update the user's existing profile; returns it as the update left it."""
        profile = self.Entry(*self._profile_key(user_id))
        exists = self.Entry.pk.exists()
        profile.update(actions=actions, condition=exists if condition is None else condition)
        return profile

    def _count_requests(self, month: str, count: int, by_key: KeyCounts = ()) -> list[Action]:
        """Count the month's requests, and each API key's part of them."""
        month_count: Path = self.Entry.requests[month]
        dropped = expired_month(month)
        actions: list[Action] = [
            month_count.set((month_count | 0) + count),
            self.Entry.requests[dropped].remove(),
        ]
        for key_id, part in by_key:
            actions.append(Path([key_requests_name(month, key_id)]).add(part))
            actions.append(Path([key_requests_name(dropped, key_id)]).remove())
        return actions

    def _drop_key_counts(self, user_id: str, key_ids: set[str]) -> None:
        """Remove revoked keys' request counts from the profile: one read, and an update
        if it holds any. Best effort, after the keys are gone: a count left behind is
        never shown (a listing shows live keys), it only takes room on the profile."""
        if not key_ids:
            return
        try:
            found = self._raw().get_item(*self._profile_key(user_id), consistent_read=True)
            names = [
                name
                for name in found.get("Item", {})
                if name.startswith(KEY_REQUESTS) and name.rsplit("#", 1)[-1] in key_ids
            ]
            for start in range(0, len(names), DROPS_PER_UPDATE):
                part = names[start : start + DROPS_PER_UPDATE]
                self._update_profile(user_id, [Path([name]).remove() for name in part])
        except Exception:
            logger.warning("revoked keys' request counts left on a profile", exc_info=True)

    def _counter_update(
        self,
        namespace_id: str,
        *,
        items: int,
        size: int,
        storage_limit: int | None,
        requests: RequestBatch | None = None,
        room_for: int | None = None,
    ) -> tuple[list[Action], Condition]:
        """The actions and condition of an update of the profile that moves the user's
        and the namespace's counters: the namespace must still be counted, and a growth
        must leave the user's stored bytes within ``storage_limit`` (``room_for``: the
        most they may reach, if more than the limit)."""
        entry_class = self.Entry
        actions: list[Action] = [
            entry_class.storage_bytes.add(size),
            entry_class.ns_bytes[namespace_id].set(entry_class.ns_bytes[namespace_id] + size),
        ]
        if items:
            actions.append(
                entry_class.ns_items[namespace_id].set(entry_class.ns_items[namespace_id] + items)
            )
        if requests is not None:
            actions += self._count_requests(requests.month, requests.count, requests.by_key)
        condition = entry_class.ns_items[namespace_id].exists()
        if storage_limit is not None and size > 0:
            most = max(storage_limit, room_for if room_for is not None else storage_limit)
            condition = condition & (entry_class.storage_bytes <= most - size)
        return actions, condition

    def _move_counters(
        self,
        user_id: str,
        namespace_id: str,
        *,
        items: int,
        size: int,
        storage_limit: int | None,
        requests: RequestBatch | None = None,
    ) -> int | None:
        """Move the user's and the namespace's counters in one conditional update, and
        count the requests the write carries; returns the month's total then. An update
        that meets a transaction on the profile (a bulk write's, the sweep's) is tried
        again a few times, as DynamoDB asks."""
        actions, condition = self._counter_update(
            namespace_id, items=items, size=size, storage_limit=storage_limit, requests=requests
        )
        room = storage_limit is not None and size > 0
        wait = 0.02
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                profile = self._update_profile(user_id, actions, condition)
                break
            except UpdateError as error:
                if error.cause_response_code == TRANSACTION_CONFLICT:
                    if attempt + 1 < CONFLICT_ATTEMPTS:
                        time.sleep(wait * (1 + random.random()))  # noqa: S311 (jitter)
                        wait *= 2
                        continue
                    raise
                if not failed_condition(error):
                    raise
                if room and self._namespace_counted(user_id, namespace_id):
                    raise refusals.storage_exceeded() from None
                raise refusals.namespace_gone() from None
        return counter(profile.requests, requests.month) if requests is not None else None

    def _namespace_counted(self, user_id: str, namespace_id: str) -> bool:
        profile = self._get(*self._profile_key(user_id))
        return bool(
            profile and profile.ns_items is not None and namespace_id in profile.ns_items.as_dict()
        )
