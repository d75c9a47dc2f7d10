"""Which core each worker of ``kv-storage serve`` gets, and when workers are pinned."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv_api import affinity
from kv_api.cli import build_parser

cpu_sets = st.lists(st.integers(0, 63), min_size=1, max_size=8, unique=True)


@given(cpus=cpu_sets, workers=st.integers(1, 20))
def test_workers_started_one_after_another_spread_evenly(tmp_path_factory, cpus, workers):
    folder = tmp_path_factory.mktemp("slots")
    slots = [affinity.claim_slot(folder, cpus, workers) for _ in range(workers)]
    try:
        taken = [slot.cpu for slot in slots if slot is not None]
        loads = [taken.count(cpu) for cpu in cpus]
        assert len(taken) == workers
        assert set(taken) <= set(cpus)
        assert max(loads) - min(loads) <= 1
        assert affinity.claim_slot(folder, cpus, workers) is None
    finally:
        for slot in slots:
            if slot is not None:
                slot.release()


@given(cpus=cpu_sets, data=st.data())
def test_a_replacement_takes_the_core_its_predecessor_left(tmp_path_factory, cpus, data):
    folder = tmp_path_factory.mktemp("slots")
    slots = [affinity.claim_slot(folder, cpus, len(cpus)) for _ in cpus]
    gone = slots.pop(data.draw(st.integers(0, len(slots) - 1)))
    assert gone is not None
    gone.release()  # as the kernel does when a worker dies
    replacement = affinity.claim_slot(folder, cpus, len(cpus))
    assert replacement is not None
    assert replacement.cpu == gone.cpu
    for slot in [*slots, replacement]:
        assert slot is not None
        slot.release()


def test_a_worker_keeps_to_the_core_of_its_slot(tmp_path, monkeypatch):
    pinned: list[set[int]] = []
    monkeypatch.setattr(os, "sched_setaffinity", lambda pid, mask: pinned.append(mask))
    slots = [affinity.pin_worker(tmp_path, [3, 5], 2) for _ in range(2)]
    assert pinned == [{3}, {5}]
    for slot in slots:
        assert slot is not None
        slot.release()


def test_a_worker_that_may_not_pin_runs_unpinned(tmp_path, monkeypatch, caplog):
    def refuse(pid, mask):
        raise PermissionError("not allowed")

    monkeypatch.setattr(os, "sched_setaffinity", refuse)
    slot = affinity.pin_worker(tmp_path, [0, 1], 2)
    assert "left unpinned: not allowed" in caplog.text
    assert slot is not None
    slot.release()


def test_a_worker_beyond_the_slots_runs_unpinned(tmp_path, monkeypatch, caplog):
    pinned: list[set[int]] = []
    monkeypatch.setattr(os, "sched_setaffinity", lambda pid, mask: pinned.append(mask))
    first = affinity.pin_worker(tmp_path, [0, 1], 1)
    assert affinity.pin_worker(tmp_path, [0, 1], 1) is None
    assert pinned == [{0}]
    assert "every core's slot is taken" in caplog.text
    assert first is not None
    first.release()


@pytest.mark.parametrize(
    ("workers", "cpus", "pinned"),
    [
        (2, [0, 1], True),
        (4, [0, 1], True),
        (1, [0, 1], False),
        (3, [0, 1, 2, 3], False),
        (2, [5], False),
        (2, [], False),
    ],
)
def test_workers_are_pinned_only_when_every_core_has_one(workers, cpus, pinned):
    assert affinity.should_pin(workers, cpus) is pinned


def test_serve_starts_a_worker_for_each_core_it_may_use(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {2, 3, 5}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert build_parser().parse_args(["serve"]).workers == 3
