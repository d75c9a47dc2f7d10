"""JSON merge patch (RFC 7396): the RFC's own examples and its properties."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv_core.merge_patch import diff, merge_patch

# RFC 7396, appendix A.
EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), EXAMPLES)
def test_the_rfcs_examples(target, patch, result):
    assert merge_patch(target, patch) == result


scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=4)
names = st.text(alphabet="abc", min_size=1, max_size=2)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=12,
)
# What merge patches can produce: no null inside an object.
no_null_members = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(names, inner.filter(lambda v: v is not None), max_size=3)
    ),
    max_leaves=12,
)


@given(json_values, json_values)
def test_idempotent(target, patch):
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once


@given(json_values, json_values)
def test_changes_neither_argument(target, patch):
    before = copy.deepcopy((target, patch))
    merge_patch(target, patch)
    assert (target, patch) == before


@given(json_values, no_null_members)
def test_the_diff_patches_one_into_the_other(source, target):
    assert merge_patch(source, diff(source, target)) == target


@given(json_values, st.dictionaries(names, json_values, max_size=3))
def test_null_removes_and_others_are_kept(target, patch):
    result = merge_patch(target, patch)
    for name, change in patch.items():
        if change is None:
            assert name not in result
        else:
            assert name in result
    if isinstance(target, dict):
        for name, value in target.items():
            if name not in patch:
                assert result[name] == value


@given(json_values, json_values.filter(lambda p: not isinstance(p, dict)))
def test_anything_but_an_object_replaces(target, patch):
    assert merge_patch(target, patch) == patch
