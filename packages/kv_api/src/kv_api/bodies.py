"""Reading request bodies: JSON objects for the account API, any JSON for values."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from kv_core.errors import InvalidInput


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """Any JSON document; ``InvalidInput`` for an empty or malformed body."""
    if not raw.strip():
        raise InvalidInput("The request body is empty; send a JSON value.", code="invalid_json")
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The request body is not valid JSON.", code="invalid_json") from None


def json_object() -> dict[str, Any]:
    """The request body as a JSON object."""
    body = parse_json(request.get_data(cache=False))
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.", code="invalid_body")
    return body


def string_field(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    """A string member of ``body``; ``InvalidInput`` if missing (when required) or not a
    string."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"'{name}' is required.", code="invalid_body")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be a string.", code="invalid_body")
    return value


def required_string(body: dict[str, Any], name: str) -> str:
    value = string_field(body, name, required=True)
    assert value is not None
    return value
