"""OpenAPI of :mod:`kv_api.blueprints.api_keys`: a signed-in user's API keys."""

from __future__ import annotations

from kv_api.openapi.common import (
    BAD_JSON,
    NAMESPACE_NAME,
    STRICT_JSON,
    STRING,
    TIMESTAMP,
    TOO_LARGE,
    Schema,
    account,
    body,
    enum,
    error,
    obj,
    ok,
    ref,
)
from kv_core.limits import LIMITS
from kv_core.model import ACCESS_LEVELS
from kv_core.services.api_keys import KEY_NAME_MAX_CHARS

ACCESS: Schema = enum(ACCESS_LEVELS)
KEY_PREFIX: Schema = {
    "type": "string",
    "maxLength": LIMITS.key_max_bytes,
    "description": (
        "The key may only touch items whose keys start with this (any other is 403"
        " `outside_key_prefix`, and its lists stay under it); empty: the whole namespace."
    ),
}
EXPIRES_AT: Schema = {
    "type": ["integer", "null"],
    "description": (
        "Unix seconds; from then on the key answers 401 `api_key_expired`. At most ten"
        " years ahead; null: until revoked."
    ),
}

SCHEMAS: dict[str, Schema] = {
    "ApiKey": obj(
        [
            "id",
            "name",
            "namespace",
            "access",
            "prefix",
            "createdAt",
            "lastUsedAt",
            "keyPrefix",
            "expiresAt",
            "requestsThisMonth",
        ],
        id=STRING,
        name=STRING,
        namespace=STRING,
        access=ACCESS,
        prefix={"type": "string", "description": "The first characters of the key."},
        createdAt=TIMESTAMP,
        lastUsedAt={"type": ["string", "null"], "format": "date-time"},
        keyPrefix=KEY_PREFIX,
        expiresAt=EXPIRES_AT,
        requestsThisMonth={
            "type": "integer",
            "minimum": 0,
            "description": (
                "Requests made with this key in the current month (UTC), counted as the"
                " account's are: a 404 counts, a refusal (401, 403, 429) does not. Exact"
                " on the embedded server; on AWS counts are written in batches, so a"
                " moment late. A new key has made none."
            ),
        },
    ),
}

PATHS: dict[str, Schema] = {
    "/v1/api-keys": {
        "post": account(
            {
                "summary": "Create an API key for a namespace",
                "operationId": "createApiKey",
                "requestBody": body(
                    obj(
                        ["namespace"],
                        namespace=NAMESPACE_NAME,
                        name={"type": "string", "maxLength": KEY_NAME_MAX_CHARS},
                        access=enum(ACCESS_LEVELS, default=ACCESS_LEVELS[0]),
                        keyPrefix=KEY_PREFIX,
                        expiresAt=EXPIRES_AT,
                    ),
                    STRICT_JSON,
                ),
                "responses": {
                    "201": ok(
                        "The raw key (shown only here, never cached) and its metadata.",
                        obj(
                            ["apiKey", "key"],
                            apiKey={"type": "string", "pattern": "^kv_"},
                            key=ref("ApiKey"),
                        ),
                        {
                            "Cache-Control": {
                                "description": "`no-store`: the answer holds a raw key.",
                                "schema": STRING,
                            }
                        },
                    ),
                    "400": error(
                        "Invalid access level or name, a key prefix that is not a valid key"
                        " (`invalid_key`), or an expiry not in the next ten years"
                        f" (`invalid_expiry`). {BAD_JSON}"
                    ),
                    "404": error("You have no namespace of that name."),
                    "413": TOO_LARGE,
                },
            }
        ),
        "get": account(
            {
                "summary": "List your API keys (never the raw keys)",
                "operationId": "listApiKeys",
                "parameters": [
                    {
                        "name": "namespace",
                        "in": "query",
                        "required": False,
                        "description": "Only the keys of this namespace.",
                        "schema": STRING,
                    }
                ],
                "responses": {
                    "200": ok(
                        "Your keys.",
                        obj(["apiKeys"], apiKeys={"type": "array", "items": ref("ApiKey")}),
                    )
                },
            }
        ),
    },
    "/v1/api-keys/{key_id}": {
        "delete": account(
            {
                "summary": "Revoke an API key",
                "operationId": "revokeApiKey",
                "parameters": [
                    {"name": "key_id", "in": "path", "required": True, "schema": STRING}
                ],
                "responses": {"204": ok("Revoked."), "404": error("You have no such key.")},
            }
        )
    },
}
