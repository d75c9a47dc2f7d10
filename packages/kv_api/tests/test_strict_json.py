"""Strict JSON: depth, encoding, lone surrogates and duplicate keys, refused at parse."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv_api.strict_json import deeper_than, loads
from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS

DEPTH = LIMITS.json_max_depth


def refused(raw: bytes) -> str:
    with pytest.raises(InvalidInput) as caught:
        loads(raw)
    return caught.value.code


def nested(depth: int, open_: str = "[", close: str = "]") -> bytes:
    return (open_ * depth + close * depth).encode()


def objects(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def test_the_limit_is_64_levels():
    assert DEPTH == 64


@pytest.mark.parametrize("make", [nested, objects])
def test_as_deep_as_the_limit_is_read(make):
    assert loads(make(DEPTH)) is not None


@pytest.mark.parametrize("depth", [DEPTH + 1, 970, 5000, 200_000])
@pytest.mark.parametrize("make", [nested, objects])
def test_deeper_is_too_deep_however_deep(make, depth):
    assert refused(make(depth)) == "too_deep"


def test_mixed_nesting_counts_every_level():
    raw = ('[{"a":' * 32 + "1" + "}]" * 32).encode()  # 64 levels
    assert loads(raw) is not None
    assert refused(b"[" + raw + b"]") == "too_deep"


def test_brackets_inside_strings_do_not_count():
    text = json.dumps(["[" * 1000, '{\\"[' * 300, {"k[{": "]}" * 100}])
    assert loads(text.encode())[0] == "[" * 1000


def test_many_shallow_brackets_are_fine():
    value = [[i] for i in range(5000)]
    assert loads(json.dumps(value).encode()) == value


def json_values(max_leaves: int = 30) -> st.SearchStrategy[object]:
    return st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=max_leaves,
    )


def depth_of(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


@given(json_values(), st.integers(min_value=0, max_value=6))
def test_depth_is_measured_exactly(value, limit):
    raw = json.dumps(value).encode()
    assert deeper_than(raw, limit) == (depth_of(value) > limit)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_utf16_and_utf32_are_refused(encoding):
    raw = '{"a": "b"}'.encode(encoding)
    assert json.loads(raw) == {"a": "b"}  # what Python's parser alone would accept
    assert refused(raw) == "invalid_json"


def test_a_utf8_byte_order_mark_is_refused():
    assert refused(b'\xef\xbb\xbf{"a": 1}') == "invalid_json"


@pytest.mark.parametrize(
    "raw",
    [
        b'"\\ud800"',
        b'"\\uDFFF"',
        b'{"\\ud800": 1}',
        b'[1, {"a": ["x", "\\udc00y"]}]',
        b'"\\ude00\\ud83d"',  # the halves of a pair, in the wrong order
        b'{"email": "ann\\ud800@example.com", "password": "s3cret-pass"}',
    ],
)
def test_lone_surrogates_are_refused(raw):
    assert refused(raw) == "invalid_json"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'"\\ud83d\\ude00"', "\U0001f600"),  # a pair is one character
        (b'"\\\\ud800"', "\\ud800"),  # an escaped backslash, then plain letters
        ('"\U0001f600 é"'.encode(), "\U0001f600 é"),
    ],
)
def test_real_text_is_read(raw, value):
    assert loads(raw) == value


@pytest.mark.parametrize(
    "raw", [b'{"a": 1, "a": 2}', b'[{"b": {"x": 1, "y": 2, "x": 3}}]', b'{"a": 1, "\\u0061": 1}']
)
def test_duplicate_keys_are_refused(raw):
    assert refused(raw) == "invalid_json"


@pytest.mark.parametrize("raw", [b"", b" \n", b"{", b"NaN", b"[Infinity]", b"\xff", b"1 2"])
def test_what_is_not_json(raw):
    assert refused(raw) == "invalid_json"
