"""JSON merge patch (RFC 7396): a pure function, and the diff that is its inverse."""

from __future__ import annotations

from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with ``patch`` applied, as RFC 7396 section 2 defines it: an object
    patch merges member by member (``null`` removes a member), anything else replaces
    the target. Neither argument is changed."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, change in patch.items():
        if change is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), change)
    return result


def diff(source: Any, target: Any) -> Any:
    """A merge patch that turns ``source`` into ``target``, where one exists (a
    ``target`` holding ``null`` inside an object has none: merge patches cannot write
    ``null`` members)."""
    if not isinstance(source, dict) or not isinstance(target, dict):
        return target
    patch: dict[str, Any] = {}
    for name in source:
        if name not in target:
            patch[name] = None
    for name, value in target.items():
        if name not in source:
            patch[name] = value
        elif source[name] != value or type(source[name]) is not type(value):
            patch[name] = diff(source[name], value)
    return patch
