"""OpenAPI of :mod:`kv_api.blueprints.kv`: the data plane, with an API key."""

from __future__ import annotations

from copy import deepcopy

from kv_api.openapi.common import (
    BAD_JSON,
    INTEGER,
    JSON,
    NAMESPACE_PARAM,
    RETRY_AFTER,
    STRICT_JSON,
    STRING,
    TIMESTAMP,
    Schema,
    body,
    error,
    obj,
    ok,
    ref,
)
from kv_core.limits import LIMITS

HEADER_ETAG: Schema = {"ETag": {"description": "Changes on every write.", "schema": STRING}}
RATE_HEADERS: Schema = {
    "X-RateLimit-Limit": {"description": "Requests allowed this month.", "schema": INTEGER},
    "X-RateLimit-Remaining": {"description": "Requests left this month.", "schema": INTEGER},
}
KEY_PARAM: Schema = {
    "name": "key",
    "in": "path",
    "required": True,
    "description": (
        f"The item key: the rest of the path, URL-decoded, 1 to {LIMITS.key_max_bytes} bytes"
        " of UTF-8 without control characters. It may contain '/'."
    ),
    "schema": {"type": "string", "minLength": 1},
}
BAD_KEY = "Invalid key (`invalid_key`: too long, a control character, or not UTF-8)."

UNAUTHORIZED: Schema = error(
    "The API key is missing, malformed, unknown or revoked (`invalid_api_key`), or has"
    " expired (`api_key_expired`)."
)
FORBIDDEN: Schema = error(
    "The key belongs to another namespace (`wrong_namespace`), is read-only and this is a"
    " write (`read_only_key`), is confined to a key prefix that this key or list prefix is"
    " outside (`outside_key_prefix`), or its account is disabled (`account_disabled`)."
)
QUOTA: Schema = {
    "description": "The month's request quota (`request_quota_exceeded`, with `Retry-After`)"
    " or the storage quota (`storage_quota_exceeded`) is reached.",
    "headers": RETRY_AFTER,
    "content": {JSON: {"schema": ref("Error")}},
}
KV_SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]


def data_plane(operation: Schema) -> Schema:
    """A data-plane operation: an API key, its refusals, the rate-limit headers."""
    operation = deepcopy(operation)
    operation["security"] = KV_SECURITY
    operation.setdefault("tags", ["Data plane"])
    operation["responses"].setdefault("401", UNAUTHORIZED)
    operation["responses"].setdefault("403", FORBIDDEN)
    operation["responses"].setdefault("429", QUOTA)
    for response in operation["responses"].values():
        if "$ref" not in response:
            response.setdefault("headers", {}).update(RATE_HEADERS)
    return operation


SCHEMAS: dict[str, Schema] = {
    "Item": obj(
        ["key", "value", "version", "updatedAt"],
        key=STRING,
        value={"description": "Any JSON value."},
        version=INTEGER,
        updatedAt=TIMESTAMP,
    ),
    "Written": obj(
        ["key", "version", "updatedAt"], key=STRING, version=INTEGER, updatedAt=TIMESTAMP
    ),
    "KeyPage": obj(
        ["keys", "cursor"],
        keys={"type": "array", "items": STRING},
        cursor={
            "type": ["string", "null"],
            "description": "Pass as `cursor` for the next page; null on the last page.",
        },
    ),
}

PATHS: dict[str, Schema] = {
    "/v1/{namespace}/{key}": {
        "get": data_plane(
            {
                "summary": "Get an item",
                "operationId": "getItem",
                "parameters": [
                    NAMESPACE_PARAM,
                    KEY_PARAM,
                    {
                        "name": "If-None-Match",
                        "in": "header",
                        "required": False,
                        "description": "An ETag you hold: 304 if it is still current.",
                        "schema": STRING,
                    },
                ],
                "responses": {
                    "200": ok("The item.", ref("Item"), dict(HEADER_ETAG)),
                    "304": ok("Not modified since the ETag you sent."),
                    "400": error(BAD_KEY),
                    "404": error("No such item (the request still counts)."),
                },
            }
        ),
        "put": data_plane(
            {
                "summary": "Create or replace an item",
                "operationId": "putItem",
                "parameters": [
                    NAMESPACE_PARAM,
                    KEY_PARAM,
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": False,
                        "description": "Replace only if the item's ETag is this (or `*`: any).",
                        "schema": STRING,
                    },
                    {
                        "name": "If-None-Match",
                        "in": "header",
                        "required": False,
                        "description": "`*`: create only, never replace.",
                        "schema": {"type": "string", "enum": ["*"]},
                    },
                ],
                "requestBody": body(
                    {"description": "Any JSON value."},
                    f"At most {LIMITS.value_max_bytes} bytes as compact UTF-8 JSON. {STRICT_JSON}",
                ),
                "responses": {
                    "201": ok("Created.", ref("Written"), dict(HEADER_ETAG)),
                    "200": ok("Replaced.", ref("Written"), dict(HEADER_ETAG)),
                    "400": error(f"{BAD_KEY} {BAD_JSON}"),
                    "412": error("The If-Match or If-None-Match condition failed."),
                    "413": error(
                        "The value is too large (`value_too_large`), or the body is"
                        " (`payload_too_large`)."
                    ),
                },
            }
        ),
        "delete": data_plane(
            {
                "summary": "Delete an item",
                "operationId": "deleteItem",
                "parameters": [
                    NAMESPACE_PARAM,
                    KEY_PARAM,
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": False,
                        "description": "Delete only if the item's ETag is this.",
                        "schema": STRING,
                    },
                ],
                "responses": {
                    "204": ok("Deleted."),
                    "400": error(BAD_KEY),
                    "404": error("No such item."),
                    "412": error("The If-Match condition failed."),
                },
            }
        ),
    },
    "/v1/{namespace}": {
        "get": data_plane(
            {
                "summary": "List keys, in key order",
                "operationId": "listKeys",
                "parameters": [
                    NAMESPACE_PARAM,
                    {
                        "name": "prefix",
                        "in": "query",
                        "required": False,
                        "description": "Only keys that start with this.",
                        "schema": STRING,
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "description": "Plain digits.",
                        "schema": {
                            "type": "integer",
                            "minimum": LIMITS.list_limit_min,
                            "maximum": LIMITS.list_limit_max,
                            "default": LIMITS.list_limit_default,
                        },
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "required": False,
                        "description": "The `cursor` of the previous page.",
                        "schema": STRING,
                    },
                ],
                "responses": {
                    "200": ok("One page of keys.", ref("KeyPage")),
                    "400": error("Bad limit (`invalid_limit`) or cursor (`invalid_cursor`)."),
                },
            }
        )
    },
}
