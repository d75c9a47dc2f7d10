"""The domain's names: item keys, namespace names, emails."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv_core import names
from kv_core.errors import InvalidInput


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
def test_key_validation_accepts_exactly_the_valid_set(key):
    size = len(key.encode())
    valid = 1 <= size <= 512 and not any(names.is_control(c) for c in key)
    if valid:
        assert names.validate_key(key) == key
    else:
        with pytest.raises(InvalidInput) as error:
            names.validate_key(key)
        assert error.value.code == "invalid_key"


@pytest.mark.parametrize(
    "key", ["a/b/c", "user:123", "#", "ключ", "x" * 512, "é" * 256, " spaced key ", "%2F"]
)
def test_awkward_but_valid_keys(key):
    assert names.validate_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 513, "é" * 257, "a\x00b", "line\nbreak", "\x7f", "\x85"])
def test_invalid_keys(key):
    with pytest.raises(InvalidInput):
        names.validate_key(key)


def test_lone_surrogate_is_invalid():
    with pytest.raises(InvalidInput):
        names.validate_key("\ud800")


@given(st.text(max_size=70))
def test_namespace_validation_accepts_exactly_the_valid_set(name):
    import re

    valid = (
        re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", name) is not None
        and name not in names.RESERVED_NAMESPACES
    )
    if valid:
        assert names.validate_namespace_name(name) == name
    else:
        with pytest.raises(InvalidInput):
            names.validate_namespace_name(name)


@pytest.mark.parametrize("name", sorted(names.RESERVED_NAMESPACES))
def test_reserved_names_are_refused_with_their_own_code(name):
    with pytest.raises(InvalidInput) as error:
        names.validate_namespace_name(name)
    # openapi.json is refused by the pattern already; the rest by reservation.
    assert error.value.code in {"reserved_namespace", "invalid_namespace"}


@pytest.mark.parametrize("name", ["", "-a", "_a", "A", "a" * 65, "a.b", "a b", "ä"])
def test_invalid_namespace_names(name):
    with pytest.raises(InvalidInput) as error:
        names.validate_namespace_name(name)
    assert error.value.code == "invalid_namespace"


def test_email_normalization():
    assert names.normalize_email("  Ann@Example.COM ") == "ann@example.com"
    for bad in ["", "ann", "ann@", "@example.com", "a b@example.com", "ann@example"]:
        with pytest.raises(InvalidInput):
            names.normalize_email(bad)
