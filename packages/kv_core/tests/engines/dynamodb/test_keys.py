"""The table's key schema round-trips every valid value."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv_core.engines.dynamodb import keys
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
