"""OpenAPI of :mod:`kv_api.blueprints.kv`: the data plane, with an API key."""

from __future__ import annotations

from copy import deepcopy

from kv_api.item_options import METADATA_HEADER
from kv_api.openapi import changes
from kv_api.openapi.common import (
    BAD_JSON,
    INTEGER,
    JSON,
    NAMESPACE_PARAM,
    RETRY_AFTER,
    STRICT_JSON,
    STRING,
    TIMESTAMP,
    TOO_LARGE,
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

EXPIRES_AT: Schema = {
    "type": ["integer", "null"],
    "description": "The unix second from which the item is gone; null: it is permanent.",
}
METADATA: Schema = {
    "type": ["object", "null"],
    "description": (
        f"The JSON object kept beside the value (at most {LIMITS.metadata_max_bytes} bytes"
        " as compact JSON); null: none."
    ),
}
TTL: Schema = {
    "type": "integer",
    "minimum": LIMITS.ttl_min_seconds,
    "maximum": LIMITS.ttl_max_seconds,
    "description": "Seconds from now until the item expires.",
}
EXPIRES_AT_INPUT: Schema = {
    "type": "integer",
    "description": (
        "The unix second the item expires at: in the future, at most"
        f" {LIMITS.ttl_max_seconds} seconds ahead."
    ),
}
EXPIRY_PARAMS: list[Schema] = [
    {
        "name": "ttl",
        "in": "query",
        "required": False,
        "description": "Expire the item this many seconds from now (not with `expiresAt`).",
        "schema": {k: v for k, v in TTL.items() if k != "description"},
    },
    {
        "name": "expiresAt",
        "in": "query",
        "required": False,
        "description": (
            "Expire the item at this unix second: in the future, at most"
            f" {LIMITS.ttl_max_seconds} seconds ahead (not with `ttl`)."
        ),
        "schema": INTEGER,
    },
]
BAD_EXPIRY = (
    "`ttl` and `expiresAt` both given (`ttl_and_expires_at`), `ttl` not a whole number of"
    f" {LIMITS.ttl_min_seconds} to {LIMITS.ttl_max_seconds} seconds (`invalid_ttl`), or"
    " `expiresAt` not a whole unix second in the future within that range"
    " (`invalid_expires_at`)."
)
METADATA_PARAM: Schema = {
    "name": METADATA_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "A JSON object kept beside the value and replaced by the next PUT: at most"
        f" {LIMITS.metadata_max_bytes} bytes as compact UTF-8 JSON, nested at most"
        f" {LIMITS.json_max_depth} levels, each key once. Without it the item has none."
    ),
    "schema": STRING,
}
BAD_METADATA = (
    f"`{METADATA_HEADER}` is not a strict JSON object (`invalid_metadata`), is over"
    f" {LIMITS.metadata_max_bytes} bytes as compact JSON (`metadata_too_large`), or nests"
    f" deeper than {LIMITS.json_max_depth} levels (`too_deep`)."
)
IF_MATCH_PARAM: Schema = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "Patch only if the item's ETag is this (or `*`: any).",
    "schema": STRING,
}
MERGE_PATCH = "application/merge-patch+json"
BULK_ENTRY: Schema = {
    "type": "object",
    "required": ["key", "value"],
    "properties": {
        "key": STRING,
        "value": {"description": "Any JSON value."},
        "ttl": TTL,
        "expiresAt": EXPIRES_AT_INPUT,
        "metadata": {
            "type": "object",
            "description": f"At most {LIMITS.metadata_max_bytes} bytes as compact JSON.",
        },
    },
    "additionalProperties": False,
}
BULK_KEYS: Schema = {"type": "array", "items": STRING, "minItems": 1}


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
    **changes.SCHEMAS,
    "Item": obj(
        ["key", "value", "version", "updatedAt", "expiresAt", "metadata"],
        key=STRING,
        value={"description": "Any JSON value."},
        version=INTEGER,
        updatedAt=TIMESTAMP,
        expiresAt=EXPIRES_AT,
        metadata=METADATA,
    ),
    "Written": obj(
        ["key", "version", "updatedAt", "expiresAt"],
        key=STRING,
        version=INTEGER,
        updatedAt=TIMESTAMP,
        expiresAt=EXPIRES_AT,
    ),
    "KeyPage": obj(
        ["keys", "cursor"],
        keys={"type": "array", "items": STRING},
        cursor={
            "type": ["string", "null"],
            "description": "Pass as `cursor` for the next page; null on the last page.",
        },
        items={
            "type": "array",
            "items": ref("KeyInfo"),
            "description": "With `details=true` only: each key of `keys`, in the same order.",
        },
    ),
    "KeyInfo": obj(
        ["key", "version", "updatedAt", "expiresAt", "metadata"],
        key=STRING,
        version=INTEGER,
        updatedAt=TIMESTAMP,
        expiresAt=EXPIRES_AT,
        metadata=METADATA,
    ),
    "Increment": {
        **obj(
            ["increment"],
            increment={
                "type": "number",
                "description": "Any JSON number to add (negative to subtract).",
            },
        ),
        "additionalProperties": False,
    },
    "BulkRequest": {
        "type": "object",
        "description": "Exactly one of `get`, `put` and `delete`.",
        "properties": {
            "get": {
                **BULK_KEYS,
                "maxItems": LIMITS.bulk_get_max_keys,
                "description": "Keys to read, in the order the answer gives them.",
            },
            "put": {
                "type": "array",
                "items": BULK_ENTRY,
                "minItems": 1,
                "maxItems": LIMITS.bulk_write_max_items,
                "description": (
                    "Items to write, each key once; every one is checked before any is"
                    " written. An entry without `ttl` or `expiresAt` is permanent."
                ),
            },
            "delete": {
                **BULK_KEYS,
                "maxItems": LIMITS.bulk_write_max_items,
                "description": "Keys to delete.",
            },
        },
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
    },
    "BulkResult": {
        "type": "object",
        "description": ("`get`: `items` and `missing`; `put`: `written`; `delete`: `deleted`."),
        "properties": {
            "items": {
                "type": "array",
                "items": ref("Item"),
                "description": "The live items asked for, in the order asked.",
            },
            "missing": {
                "type": "array",
                "items": STRING,
                "description": "The keys asked for that have no live item, in the order asked.",
            },
            "written": {"type": "integer", "description": "How many items were written."},
            "deleted": {
                "type": "integer",
                "description": "How many live items were deleted (missing keys not counted).",
            },
        },
    },
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
                    METADATA_PARAM,
                    *EXPIRY_PARAMS,
                ],
                "requestBody": body(
                    {"description": "Any JSON value."},
                    f"At most {LIMITS.value_max_bytes} bytes as compact UTF-8 JSON. {STRICT_JSON}",
                ),
                "responses": {
                    "201": ok("Created.", ref("Written"), dict(HEADER_ETAG)),
                    "200": ok("Replaced.", ref("Written"), dict(HEADER_ETAG)),
                    "400": error(f"{BAD_KEY} {BAD_JSON} {BAD_EXPIRY} {BAD_METADATA}"),
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
        "post": data_plane(
            {
                "summary": "Increment a number item atomically",
                "description": (
                    "A missing item starts at 0; concurrent increments never lose one. The"
                    " item keeps its expiry and metadata unless `ttl` or `expiresAt` names"
                    " a new expiry. Numbers add as decimals (0.1 + 0.2 is 0.3)."
                ),
                "operationId": "incrementItem",
                "parameters": [NAMESPACE_PARAM, KEY_PARAM, *EXPIRY_PARAMS],
                "requestBody": body(ref("Increment"), STRICT_JSON),
                "responses": {
                    "201": ok("Created at `increment`.", ref("Item"), dict(HEADER_ETAG)),
                    "200": ok("Incremented.", ref("Item"), dict(HEADER_ETAG)),
                    "400": error(
                        f"{BAD_KEY} {BAD_JSON} {BAD_EXPIRY} The body is not"
                        ' `{"increment": n}` (`invalid_body`), or `n` is not a number'
                        " (`invalid_increment`)."
                    ),
                    "409": error(
                        "The stored value is not a number (`not_a_number`), or the sum would"
                        " have more than 38 significant digits (`number_out_of_range`)."
                    ),
                    "413": error(TOO_LARGE["description"]),
                },
            }
        ),
        "patch": data_plane(
            {
                "summary": "Apply a JSON merge patch (RFC 7396)",
                "description": (
                    "Members of the patch replace the stored value's, `null` removes one,"
                    " applied atomically: concurrent patches of different fields all"
                    " survive. The item keeps its expiry and metadata."
                ),
                "operationId": "patchItem",
                "parameters": [NAMESPACE_PARAM, KEY_PARAM, IF_MATCH_PARAM],
                "requestBody": {
                    "required": True,
                    "description": STRICT_JSON,
                    "content": {MERGE_PATCH: {"schema": {"description": "Any JSON value."}}},
                },
                "responses": {
                    "200": ok("Patched.", ref("Item"), dict(HEADER_ETAG)),
                    "400": error(f"{BAD_KEY} {BAD_JSON}"),
                    "404": error("No such item."),
                    "409": error(
                        "The item kept changing while the patch was applied"
                        " (`patch_contended`): send it again."
                    ),
                    "412": error("The If-Match condition failed."),
                    "413": error(
                        "The patched value is too large (`value_too_large`), or the body is"
                        " (`payload_too_large`)."
                    ),
                    "415": {
                        **error(f"The body is not `{MERGE_PATCH}` (`unsupported_media_type`)."),
                        "headers": {
                            "Accept-Patch": {
                                "description": "The media type to send.",
                                "schema": {"type": "string", "enum": [MERGE_PATCH]},
                            }
                        },
                    },
                },
            }
        ),
    },
    "/v1/{namespace}": {
        "get": data_plane(
            changes.with_changes(
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
                        {
                            "name": "details",
                            "in": "query",
                            "required": False,
                            "description": (
                                "`true`: `items` beside `keys`, each key's version, update time,"
                                " expiry and metadata (no values)."
                            ),
                            "schema": {
                                "type": "string",
                                "enum": ["true", "false"],
                                "default": "false",
                            },
                        },
                    ],
                    "responses": {
                        "200": ok("One page of keys.", ref("KeyPage")),
                        "400": error(
                            "Bad limit (`invalid_limit`), cursor (`invalid_cursor`) or details"
                            " (`invalid_details`: `true` or `false`)."
                        ),
                    },
                }
            )
        ),
        "post": data_plane(
            {
                "summary": "Get, put or delete many items in one request",
                "description": (
                    "Each key counts as one request; a request that would cross the quota"
                    " is refused whole before any work. A read-only key may only `get`."
                ),
                "operationId": "bulk",
                "parameters": [NAMESPACE_PARAM],
                "requestBody": body(
                    ref("BulkRequest"),
                    f"At most {LIMITS.bulk_body_max_bytes} bytes of UTF-8 JSON, nested at most"
                    f" {LIMITS.json_max_depth} levels, without duplicate object keys or lone"
                    " surrogates.",
                ),
                "responses": {
                    "200": ok("Done.", ref("BulkResult")),
                    "400": error(
                        f"{BAD_JSON} Not exactly one known operation, or a list of the wrong"
                        " length (`invalid_bulk`); the first bad entry (`invalid_entry`,"
                        " `invalid_key`, `duplicate_key`, `value_too_large`, or an expiry or"
                        " metadata refusal as on PUT) named by `index`. Nothing was written."
                    ),
                    "413": error(
                        f"The body is over {LIMITS.bulk_body_max_bytes} bytes"
                        " (`payload_too_large`)."
                    ),
                },
            }
        ),
    },
}
