"""Which core each worker of ``kv-storage serve`` gets, and when workers are pinned."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv_api import affinity
from kv_api.cli import build_parser, server_options

cpu_sets = st.lists(st.integers(0, 63), min_size=1, max_size=8, unique=True)


@given(cpus=cpu_sets, workers=st.integers(1, 20))
def test_workers_started_one_after_another_spread_evenly(cpus, workers):
    taken: list[int | None] = []
    for _ in range(workers):
        taken.append(affinity.least_used(cpus, taken))
    loads = [taken.count(cpu) for cpu in cpus]
    assert set(taken) <= set(cpus)
    assert max(loads) - min(loads) <= 1


@given(cpus=cpu_sets, data=st.data())
def test_a_replacement_takes_the_core_its_predecessor_left(cpus, data):
    taken: list[int | None] = []
    for _ in range(len(cpus)):
        taken.append(affinity.least_used(cpus, taken))
    gone = taken.pop(data.draw(st.integers(0, len(taken) - 1)))
    assert affinity.least_used(cpus, taken) == gone


def test_the_hooks_pass_the_core_from_the_arbiter_to_the_worker(monkeypatch):
    cpus = sorted(os.sched_getaffinity(0))
    pinned: list[set[int]] = []
    monkeypatch.setattr(os, "sched_setaffinity", lambda pid, mask: pinned.append(mask))
    server = SimpleNamespace(WORKERS={})
    for pid in range(len(cpus)):
        worker = SimpleNamespace()
        affinity.choose_cpu(server, worker)
        affinity.pin_worker(server, worker)
        server.WORKERS[pid] = worker
    assert pinned == [{cpu} for cpu in cpus]


def test_a_worker_that_may_not_pin_runs_unpinned(monkeypatch, caplog):
    def refuse(pid, mask):
        raise PermissionError("not allowed")

    monkeypatch.setattr(os, "sched_setaffinity", refuse)
    affinity.pin_worker(SimpleNamespace(), SimpleNamespace(cpu=0))
    assert "left unpinned: not allowed" in caplog.text


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


def test_serve_pins_only_when_asked_and_useful(monkeypatch):
    monkeypatch.setattr(affinity, "available_cpus", lambda: [0, 1])
    hooks = {"pre_fork": affinity.choose_cpu, "post_fork": affinity.pin_worker}
    options = server_options("127.0.0.1", 1, workers=2, threads=4)
    assert hooks.items() <= options.items()
    for unpinned in (
        server_options("127.0.0.1", 1, workers=2, threads=4, pin=False),
        server_options("127.0.0.1", 1, workers=1, threads=4),
    ):
        assert not hooks.keys() & unpinned.keys()


def test_serve_starts_a_worker_for_each_core_it_may_use(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {2, 3, 5}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert build_parser().parse_args(["serve"]).workers == 3
