"""ttl and expiresAt into a unix second, and an item's metadata: the rules, once."""

from __future__ import annotations

import pytest

from kv_core.errors import InvalidInput
from kv_core.expiry import expiry
from kv_core.limits import LIMITS
from kv_core.metadata import nesting, validate_metadata

NOW = 1_800_000_000
TEN_YEARS = LIMITS.ttl_max_seconds


def test_neither_is_permanent():
    assert expiry(None, None, now=NOW) is None


@pytest.mark.parametrize("ttl", [1, 60, TEN_YEARS])
def test_a_ttl_counts_from_now(ttl):
    assert expiry(ttl, None, now=NOW) == NOW + ttl


@pytest.mark.parametrize("ttl", [0, -1, TEN_YEARS + 1, 1.5, "60", True])
def test_a_bad_ttl(ttl):
    with pytest.raises(InvalidInput) as refused:
        expiry(ttl, None, now=NOW)
    assert refused.value.code == "invalid_ttl"


@pytest.mark.parametrize("at", [NOW + 1, NOW + TEN_YEARS])
def test_expires_at_in_the_next_ten_years(at):
    assert expiry(None, at, now=NOW) == at


@pytest.mark.parametrize("at", [NOW, NOW - 1, 0, NOW + TEN_YEARS + 1, float(NOW + 5), False])
def test_a_bad_expires_at(at):
    with pytest.raises(InvalidInput) as refused:
        expiry(None, at, now=NOW)
    assert refused.value.code == "invalid_expires_at"


def test_not_both():
    with pytest.raises(InvalidInput) as refused:
        expiry(60, NOW + 60, now=NOW)
    assert refused.value.code == "ttl_and_expires_at"


@pytest.mark.parametrize("metadata", [None, {}, {"a": [1, {"b": None}]}, {"é": "ü" * 300}])
def test_metadata_kept(metadata):
    assert validate_metadata(metadata) == metadata


@pytest.mark.parametrize("metadata", [[], "x", 1, True, {1: "a"}, {"x": float("nan")}])
def test_metadata_is_an_object(metadata):
    with pytest.raises(InvalidInput) as refused:
        validate_metadata(metadata)
    assert refused.value.code == "invalid_metadata"


def test_metadata_size_is_its_compact_json():
    fits = {"a": "x" * (LIMITS.metadata_max_bytes - len('{"a":""}'))}
    assert validate_metadata(fits) == fits
    with pytest.raises(InvalidInput) as refused:
        validate_metadata({"a": fits["a"] + "x"})
    assert refused.value.code == "metadata_too_large"
    with pytest.raises(InvalidInput):  # two bytes a character
        validate_metadata({"a": "é" * 512})


def test_metadata_depth():
    deep: dict = {}
    level = deep
    for _ in range(LIMITS.json_max_depth - 1):
        level["a"] = {}
        level = level["a"]
    assert nesting(deep) == LIMITS.json_max_depth
    assert validate_metadata(deep) == deep
    level["a"] = []
    with pytest.raises(InvalidInput) as refused:
        validate_metadata(deep)
    assert refused.value.code == "too_deep"
