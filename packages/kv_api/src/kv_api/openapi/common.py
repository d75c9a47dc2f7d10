"""The building blocks of the OpenAPI fragments: schema helpers, and the parameters,
errors and security that several areas of the API share.

Every constraint here is read from ``kv_core`` (or the API's own body limit), never
retyped, so the document changes when a rule does.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any, get_args

from kv_api.bodies import MAX_BODY_BYTES
from kv_core.limits import LIMITS
from kv_core.names import NAMESPACE_PATTERN
from kv_core.plans import Status

JSON = "application/json"
Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def error(description: str) -> Schema:
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


def ok(description: str, schema: Schema | None = None, headers: Schema | None = None) -> Schema:
    response: Schema = {"description": description}
    if schema is not None:
        response["content"] = {JSON: {"schema": schema}}
    if headers:
        response["headers"] = headers
    return response


def body(schema: Schema, description: str = "") -> Schema:
    return {"required": True, "description": description, "content": {JSON: {"schema": schema}}}


def obj(required: list[str], **properties: Schema) -> Schema:
    return {"type": "object", "required": required, "properties": properties}


def enum(values: tuple[str, ...] | list[str], **extra: Any) -> Schema:
    return {"type": "string", "enum": list(values), **extra}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}
STATUS: Schema = enum(get_args(Status))

NAMESPACE_NAME: Schema = {
    "type": "string",
    "pattern": f"^{NAMESPACE_PATTERN.pattern}$",
    "minLength": 1,
    "maxLength": LIMITS.namespace_max_chars,
}
NAMESPACE_PARAM: Schema = {
    "name": "namespace",
    "in": "path",
    "required": True,
    "description": "The namespace the API key belongs to.",
    "schema": NAMESPACE_NAME,
}

# What every body of the API must be, whatever it holds.
STRICT_JSON = (
    f"The body is UTF-8 JSON of at most {MAX_BODY_BYTES} bytes, nested at most"
    f" {LIMITS.json_max_depth} levels, without duplicate object keys or lone surrogates."
)
BAD_JSON = (
    "The body is empty or not strict JSON (`invalid_json`: not UTF-8, a key twice in an"
    f" object, a lone surrogate), or nests deeper than {LIMITS.json_max_depth} levels"
    " (`too_deep`)."
)
TOO_LARGE: Schema = error(f"The body is over {MAX_BODY_BYTES} bytes (`payload_too_large`).")

RETRY_AFTER: Schema = {
    "Retry-After": {"description": "Seconds until the next month.", "schema": INTEGER}
}
TOKEN_401: Schema = error("The session token is missing, invalid or expired.")
DISABLED_403: Schema = error("The account is disabled (`account_disabled`).")
ACCOUNT_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]

ERROR_SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        ["error", "code"],
        error={"type": "string", "description": "A sentence for a person."},
        code={"type": "string", "description": "A stable snake_case code for programs."},
        index={
            "type": "integer",
            "description": "In a refused bulk request: the position of the first bad entry.",
        },
        failed={
            "type": "array",
            "items": {"type": "string"},
            "description": (
                "In a refused atomic operation (`check_failed`): the keys whose checks did"
                " not hold."
            ),
        },
    ),
}


def account(operation: Schema) -> Schema:
    """An account operation: a session token, the Account tag, its 401 and the 403 of a
    disabled account."""
    operation = deepcopy(operation)
    operation["security"] = ACCOUNT_SECURITY
    operation.setdefault("tags", ["Account"])
    operation["responses"].setdefault("401", TOKEN_401)
    operation["responses"].setdefault("403", DISABLED_403)
    return operation
