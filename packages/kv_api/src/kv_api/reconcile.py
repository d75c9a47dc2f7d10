"""The counters' reconciliation (:mod:`kv_core.services.reconcile`) as a job: run on
demand by ``kv-storage admin recount``, on AWS by a scheduled function, and by
``serve`` in the background every ``KV_RECONCILE_INTERVAL_SECONDS``."""

from __future__ import annotations

import logging
from pathlib import Path

from kv_api.periodic import PeriodicJob
from kv_core.names import normalize_email
from kv_core.services.reconcile import Reconciled, Reconciliation
from kv_core.settings import Settings, open_store
from kv_core.store import Store

logger = logging.getLogger(__name__)

LAST_RUN_FILE = "reconciled-at"


def reconcile(
    settings: Settings | None = None, *, email: str | None = None, deadline: float | None = None
) -> Reconciled:
    """One pass over every namespace (of one account, given its ``email``); raises
    ``LookupError`` for an email with no account."""
    settings = settings or Settings.from_env()
    store = open_store(settings)
    try:
        users = None
        if email is not None:
            user = store.get_user_by_email(normalize_email(email))
            if user is None:
                raise LookupError(f"there is no account {email!r}")
            users = [user]
        reconciliation = Reconciliation(store, settle_seconds=settings.reconcile_settle_seconds)
        return reconciliation.run(users, deadline=deadline)
    finally:
        store.close()


class BackgroundPass(PeriodicJob[Reconciled]):
    """A pass every ``KV_RECONCILE_INTERVAL_SECONDS`` from a daemon thread of this
    process, taking turns with the other workers (:mod:`kv_api.periodic`)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.reconciliation = Reconciliation(
            store, settle_seconds=settings.reconcile_settle_seconds
        )
        super().__init__(
            "kv-reconcile",
            self._pass,
            interval=settings.reconcile_interval_seconds,
            path=Path(settings.data_dir) / LAST_RUN_FILE,
            what="the counters' reconciliation",
        )

    def _pass(self) -> Reconciled:
        done = self.reconciliation.run()
        logger.info(
            "reconciled %d namespaces: %d corrected, %d left for the next pass",
            done.namespaces,
            len(done.corrected),
            len(done.unsettled),
        )
        return done
