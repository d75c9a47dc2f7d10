import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv_core.sizing import encode_value, item_size, value_size

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_value_size_is_the_compact_utf8_length(value):
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert value_size(value) == len(expected)
    assert json.loads(encode_value(value)) == value


@given(st.text(st.characters(exclude_categories=("Cs",)), min_size=1), json_values)
def test_item_size_adds_the_key_bytes(key, value):
    assert item_size(key, value) == len(key.encode("utf-8")) + value_size(value)


def test_examples():
    assert value_size({"a": [1, 2]}) == len('{"a":[1,2]}')
    assert value_size("é") == 4  # quotes + two bytes
    assert item_size("ключ", None) == 8 + 4


@pytest.mark.parametrize("bad", [math.nan, math.inf, {"x": -math.inf}])
def test_nan_and_infinity_are_not_json(bad):
    with pytest.raises(ValueError, match="JSON compliant"):
        value_size(bad)
