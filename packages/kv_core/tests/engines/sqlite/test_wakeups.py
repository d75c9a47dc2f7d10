"""Waiters of the change feed on the embedded engine wake for another process's
commits (here: another store on the same file, which has wake-ups of its own), through
the one poller, and only for the namespace they wait on."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

from kv_core.engines.sqlite import SqliteStore
from kv_core.engines.sqlite.wakeups import Wakeups
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


def test_a_wake_up_that_finds_nothing_new_waits_on():
    """The poller's first look at a namespace wakes its waiters whatever it finds (it
    cannot know what they saw); a waiter whose namespace holds nothing new waits on,
    and answers that nothing changed once its time is up."""
    probes = itertools.count()  # another process commits before every poll
    looks: list[str] = []
    wakeups = Wakeups(lambda: next(probes), lambda ns: looks.append(ns) or 0)
    try:
        started = time.monotonic()
        assert not wakeups.wait("n2", lambda: False, timeout=0.8)
        assert time.monotonic() - started >= 0.8
        assert looks  # the poller looked, and woke it
    finally:
        wakeups.close()


def test_a_wake_up_that_finds_a_change_answers_at_once():
    seqs = {"n1": 0}
    wakeups = Wakeups(lambda: seqs["n1"], lambda ns: seqs[ns])
    try:
        answer: list[bool] = []
        waiter = threading.Thread(
            target=lambda: answer.append(wakeups.wait("n1", lambda: seqs["n1"] > 0, 20))
        )
        started = time.monotonic()
        waiter.start()
        time.sleep(0.1)
        seqs["n1"] = 1  # another process logs a change
        waiter.join()
        assert answer == [True]
        assert time.monotonic() - started < 10
    finally:
        wakeups.close()
