import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv_core import names as keys
from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS

# Every valid item key: 1..512 UTF-8 bytes, no control characters, no surrogates.
key_chars = st.characters(exclude_categories=("Cc", "Cs"))
valid_keys = st.text(key_chars, min_size=1, max_size=128).filter(
    lambda k: len(k.encode()) <= LIMITS.key_max_bytes
)
ids = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)


@given(valid_keys)
def test_item_key_round_trips_through_the_schema(key):
    assert keys.parse_item_sk(keys.item_sk(key)) == key


@given(ids)
def test_id_keys_round_trip(value):
    for build, parse in [
        (keys.user_pk, keys.parse_user_pk),
        (keys.namespace_pk, keys.parse_namespace_pk),
        (keys.namespace_sk, keys.parse_namespace_sk),
        (keys.apikey_sk, keys.parse_apikey_sk),
        (keys.apikey_gsi1pk, keys.parse_apikey_gsi1pk),
        (keys.email_pk, keys.parse_email_pk),
        (keys.marker_pk, keys.parse_marker_pk),
        (keys.login_pk, keys.parse_login_pk),
    ]:
        assert parse(build(value)) == value


def test_parsers_refuse_other_entities():
    with pytest.raises(ValueError, match="not a KEY key"):
        keys.parse_item_sk(keys.apikey_sk("x"))
    with pytest.raises(ValueError, match="not a USER key"):
        keys.parse_user_pk("USER")


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
def test_key_validation_accepts_exactly_the_valid_set(key):
    size = len(key.encode())
    valid = 1 <= size <= 512 and not any(keys.is_control(c) for c in key)
    if valid:
        assert keys.validate_key(key) == key
    else:
        with pytest.raises(InvalidInput) as error:
            keys.validate_key(key)
        assert error.value.code == "invalid_key"


@pytest.mark.parametrize(
    "key", ["a/b/c", "user:123", "#", "ключ", "x" * 512, "é" * 256, " spaced key ", "%2F"]
)
def test_awkward_but_valid_keys(key):
    assert keys.validate_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 513, "é" * 257, "a\x00b", "line\nbreak", "\x7f", "\x85"])
def test_invalid_keys(key):
    with pytest.raises(InvalidInput):
        keys.validate_key(key)


def test_lone_surrogate_is_invalid():
    with pytest.raises(InvalidInput):
        keys.validate_key("\ud800")


@given(st.text(max_size=70))
def test_namespace_validation_accepts_exactly_the_valid_set(name):
    import re

    valid = (
        re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", name) is not None
        and name not in keys.RESERVED_NAMESPACES
    )
    if valid:
        assert keys.validate_namespace_name(name) == name
    else:
        with pytest.raises(InvalidInput):
            keys.validate_namespace_name(name)


@pytest.mark.parametrize("name", sorted(keys.RESERVED_NAMESPACES))
def test_reserved_names_are_refused_with_their_own_code(name):
    with pytest.raises(InvalidInput) as error:
        keys.validate_namespace_name(name)
    # openapi.json is refused by the pattern already; the rest by reservation.
    assert error.value.code in {"reserved_namespace", "invalid_namespace"}


@pytest.mark.parametrize("name", ["", "-a", "_a", "A", "a" * 65, "a.b", "a b", "ä"])
def test_invalid_namespace_names(name):
    with pytest.raises(InvalidInput) as error:
        keys.validate_namespace_name(name)
    assert error.value.code == "invalid_namespace"


def test_email_normalization():
    assert keys.normalize_email("  Ann@Example.COM ") == "ann@example.com"
    for bad in ["", "ann", "ann@", "@example.com", "a b@example.com", "ann@example"]:
        with pytest.raises(InvalidInput):
            keys.normalize_email(bad)
