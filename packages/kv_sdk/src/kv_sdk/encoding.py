"""Paths, headers and bodies as the API wants them: path segments quoted whole, ETags
as ``If-Match`` takes them, and JSON in the compact form the service measures."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by ``values[name]`` quoted as one path
    segment; ``ValueError`` for an empty value, which would address another resource."""

    def segment(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values[name]
        if not value:
            raise ValueError(f"The {name.replace('_', ' ')} must not be empty.")
        return quote_segment(value)

    return _PLACEHOLDER.sub(segment, template)


def quote_segment(value: str) -> str:
    """``value`` as one path segment, every reserved character quoted (``/`` too), so
    ``a/b``, ``?``, ``#``, ``%`` and spaces reach the server intact.

    A value of only dots is quoted whole, since ``.`` and ``..`` path segments would
    otherwise be resolved away by URL normalisation.
    """
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted.strip(".") == "" else quoted


def etag_header(etag: str) -> str:
    """An ETag as ``If-Match`` wants it: quoted, unless already quoted, weak or ``*``."""
    if etag == "*" or etag.startswith(('"', "W/")):
        return etag
    return f'"{etag}"'


def same_json(left: Any, right: Any) -> bool:
    """Whether two values are the same JSON document (key order aside)."""
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, the form the service measures and stores.

    Raises ``ValueError`` for NaN or infinities and ``TypeError`` for what JSON cannot hold.
    """
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
