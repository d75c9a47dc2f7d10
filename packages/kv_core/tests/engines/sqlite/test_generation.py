"""The key cache's generation is shared by every store that opens one file."""

from pathlib import Path

from kv_core.engines.sqlite.generation import SharedGeneration


def test_a_bump_is_seen_by_another_opener(tmp_path: Path):
    first = SharedGeneration(tmp_path / "kv.sqlite3.generation")
    second = SharedGeneration(tmp_path / "kv.sqlite3.generation")
    seen = second.value()
    first.bump()
    first.bump()
    assert second.value() == seen + 2
    first.close()
    second.close()


def test_it_survives_a_reopen(tmp_path: Path):
    path = tmp_path / "kv.sqlite3.generation"
    generation = SharedGeneration(path)
    generation.bump()
    generation.close()
    assert SharedGeneration(path).value() == 1
