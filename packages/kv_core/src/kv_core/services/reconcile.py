"""Reconciling the storage counters with the items they count.

Every write moves its counters exactly; on DynamoDB a write is two calls, and the one
that did not land when a process died between them (or whose undo failed, or whose
answer was lost after it was applied) leaves a namespace's counters off by that write.
A reconciliation recounts each namespace (:meth:`~kv_core.store.Store.recount_namespace`)
and corrects the counters that are off. It runs on a schedule (``serve``'s background
pass, a scheduled function on AWS) and on demand (``kv-storage admin recount``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from kv_core.model import Namespace, User
from kv_core.store import Recount, Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recounted:
    """One namespace's recount, named for the operator."""

    email: str
    namespace: str
    recount: Recount


@dataclass(slots=True)
class Reconciled:
    """What one pass did: how many namespaces it recounted, those whose counters it
    corrected, and those it could not settle (live writes kept moving them) or did not
    reach before its deadline."""

    namespaces: int = 0
    corrected: list[Recounted] = field(default_factory=list)
    unsettled: list[Recounted] = field(default_factory=list)
    skipped: int = 0


class Reconciliation:
    """Recounts namespaces over one store; ``settle_seconds`` as the store's port says."""

    def __init__(self, store: Store, *, settle_seconds: float) -> None:
        self.store = store
        self.settle_seconds = settle_seconds

    def run(
        self, users: Iterable[User] | None = None, *, deadline: float | None = None
    ) -> Reconciled:
        """Recount every namespace of ``users`` (default: every user). No namespace is
        started after ``deadline`` (a ``time.monotonic()`` value)."""
        done = Reconciled()
        for user in self.store.iter_users() if users is None else users:
            for namespace in self.store.list_namespaces(user.id):
                if deadline is not None and time.monotonic() >= deadline:
                    done.skipped += 1
                    continue
                self._recount(user, namespace, done)
        return done

    def _recount(self, user: User, namespace: Namespace, done: Reconciled) -> None:
        recount = self.store.recount_namespace(
            user.id, namespace.id, settle_seconds=self.settle_seconds
        )
        if recount is None:  # deleted meanwhile
            return
        done.namespaces += 1
        named = Recounted(user.email, namespace.name, recount)
        if recount.corrected:
            logger.warning(
                "corrected the counters of %s/%s: %+d items, %+d bytes",
                user.email,
                namespace.name,
                -recount.items_drift,
                -recount.bytes_drift,
            )
            done.corrected.append(named)
        elif not recount.settled:
            done.unsettled.append(named)
