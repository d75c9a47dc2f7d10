"""Waiters of the change feed on the embedded engine wake for another process's
commits (here: another store on the same file, which has wake-ups of its own), through
the one poller, and only for the namespace they wait on."""

from __future__ import annotations

import threading
from pathlib import Path

from kv_core.engines.sqlite import SqliteStore
from kv_core.model import Namespace, User
from kv_core.store import PutItem

NOW = "2026-11-25T10:00:00.000Z"


def test_a_commit_of_another_store_wakes_the_waiter_of_its_namespace(tmp_path: Path):
    waiting, writing = SqliteStore(tmp_path / "kv.sqlite3"), SqliteStore(tmp_path / "kv.sqlite3")
    try:
        writing.create_user(User("u1", "ann@example.com", "h", "free", NOW, NOW))
        writing.create_namespace(Namespace("n1", "u1", "app", NOW))
        writing.create_namespace(Namespace("n2", "u1", "other", NOW))
        answers: dict[str, bool] = {}
        threads = [
            threading.Thread(
                target=lambda ns=ns: answers.update({ns: waiting.wait_for_change(ns, 0, 20)})
            )
            for ns in ("n1",)
        ]
        for thread in threads:
            thread.start()
        writing.put_item(PutItem("u1", "n1", "k", 1, 2, "e", NOW))
        for thread in threads:
            thread.join()
        assert answers == {"n1": True}
        assert not waiting.wait_for_change("n2", 0, timeout=0.6)
    finally:
        waiting.close()
        writing.close()
