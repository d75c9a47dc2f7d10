"""What the settings make on disk: a secret that only its owner can read."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from kv_core.settings import GENERATED_KEY_FILE, load_or_create_secret


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask():
    """Nothing masked off: whatever a file is created with, it keeps."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_the_secret_and_its_directory_are_private_from_the_start(
    tmp_path, monkeypatch, permissive_umask
):
    seen: list[int] = []
    link = os.link

    def linking(source, target):
        seen.append(mode(Path(source)))  # what the file is while it is written
        link(source, target)

    monkeypatch.setattr(os, "link", linking)
    data = tmp_path / "data"
    secret = load_or_create_secret(data)
    assert seen == [0o600]
    assert len(secret) >= 48
    assert mode(data) == 0o700
    assert mode(data / GENERATED_KEY_FILE) == 0o600
    assert load_or_create_secret(data) == secret
    assert [p.name for p in data.iterdir()] == [GENERATED_KEY_FILE]


def test_racing_processes_agree_on_one_whole_secret(tmp_path):
    data = tmp_path / "data"
    found: list[str] = []
    threads = [
        threading.Thread(target=lambda: found.append(load_or_create_secret(data))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1
    assert len(found[0]) >= 48
