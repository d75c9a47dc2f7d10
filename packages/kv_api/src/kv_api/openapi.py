"""The whole API contract as one OpenAPI 3.1 document.

This is the one description of the API: a test checks it against the app's routes in
both directions, and the site renders its API reference from it.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from kv_core.limits import LIMITS
from kv_core.names import RESERVED_NAMESPACES

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


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}
STATUS: Schema = {"type": "string", "enum": ["ok", "warning", "exceeded"]}

HEADER_ETAG: Schema = {"ETag": {"description": "Changes on every write.", "schema": STRING}}
RATE_HEADERS: Schema = {
    "X-RateLimit-Limit": {"description": "Requests allowed this month.", "schema": INTEGER},
    "X-RateLimit-Remaining": {"description": "Requests left this month.", "schema": INTEGER},
}
RETRY_AFTER: Schema = {
    "Retry-After": {"description": "Seconds until the next month.", "schema": INTEGER}
}

NAMESPACE_PARAM: Schema = {
    "name": "namespace",
    "in": "path",
    "required": True,
    "description": "The namespace the API key belongs to.",
    "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
}
KEY_PARAM: Schema = {
    "name": "key",
    "in": "path",
    "required": True,
    "description": (
        f"The item key: the rest of the path, URL-decoded, 1 to {LIMITS.key_max_bytes} bytes"
        " of UTF-8 without control characters. It may contain '/'."
    ),
    "schema": {"type": "string"},
}

UNAUTHORIZED: Schema = error("The API key is missing, malformed, unknown or revoked.")
FORBIDDEN: Schema = error(
    "The key belongs to another namespace, or is read-only and this is a write"
    " (`wrong_namespace`, `read_only_key`), or its account is disabled (`account_disabled`)."
)
QUOTA: Schema = {
    "description": "The month's request quota (`request_quota_exceeded`, with `Retry-After`)"
    " or the storage quota (`storage_quota_exceeded`) is reached.",
    "headers": RETRY_AFTER,
    "content": {JSON: {"schema": ref("Error")}},
}
TOKEN_401: Schema = error("The session token is missing, invalid or expired.")
DISABLED_403: Schema = error("The account is disabled (`account_disabled`).")

KV_SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
ACCOUNT_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


def _kv(operation: Schema) -> Schema:
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


def _account(operation: Schema) -> Schema:
    operation = deepcopy(operation)
    operation["security"] = ACCOUNT_SECURITY
    operation.setdefault("tags", ["Account"])
    operation["responses"].setdefault("401", TOKEN_401)
    operation["responses"].setdefault("403", DISABLED_403)
    return operation


SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        ["error", "code"],
        error={"type": "string", "description": "A sentence for a person."},
        code={"type": "string", "description": "A stable snake_case code for programs."},
    ),
    "User": obj(
        ["id", "email", "plan", "createdAt"],
        id=STRING,
        email={"type": "string", "format": "email"},
        plan=STRING,
        createdAt=TIMESTAMP,
    ),
    "Session": obj(["token", "user"], token={"type": "string"}, user=ref("User")),
    "Credentials": obj(
        ["email", "password"],
        email={"type": "string", "format": "email"},
        password={"type": "string", "minLength": 8},
    ),
    "Namespace": obj(
        ["id", "name", "createdAt", "itemCount", "sizeBytes"],
        id=STRING,
        name=STRING,
        createdAt=TIMESTAMP,
        itemCount=INTEGER,
        sizeBytes=INTEGER,
    ),
    "ApiKey": obj(
        ["id", "name", "namespace", "access", "prefix", "createdAt", "lastUsedAt"],
        id=STRING,
        name=STRING,
        namespace=STRING,
        access={"type": "string", "enum": ["read-write", "read-only"]},
        prefix={"type": "string", "description": "The first characters of the key."},
        createdAt=TIMESTAMP,
        lastUsedAt={"type": ["string", "null"], "format": "date-time"},
    ),
    "Usage": obj(
        ["plan", "month", "requests", "storage", "status"],
        plan=STRING,
        month={"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
        requests=obj(["used", "limit", "status"], used=INTEGER, limit=INTEGER, status=STATUS),
        storage=obj(
            ["usedBytes", "limitBytes", "status"],
            usedBytes=INTEGER,
            limitBytes=INTEGER,
            status=STATUS,
        ),
        status=STATUS,
    ),
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
    "/v1/auth/signup": {
        "post": {
            "tags": ["Account"],
            "summary": "Create an account",
            "operationId": "signup",
            "requestBody": body(ref("Credentials")),
            "responses": {
                "201": ok("The account, and a session token.", ref("Session")),
                "400": error("Invalid email, or a password under 8 characters."),
                "409": error("An account with this email exists (`email_taken`)."),
            },
        }
    },
    "/v1/auth/login": {
        "post": {
            "tags": ["Account"],
            "summary": "Log in",
            "operationId": "login",
            "requestBody": body(ref("Credentials")),
            "responses": {
                "200": ok("A session token.", ref("Session")),
                "400": error("The body is not a JSON object with string fields."),
                "401": error("Wrong email or password (one message for both)."),
                "403": error("The account is disabled (`account_disabled`)."),
                "429": {
                    "description": "Too many failed logins for this email; wait.",
                    "headers": RETRY_AFTER,
                    "content": {JSON: {"schema": ref("Error")}},
                },
            },
        }
    },
    "/v1/namespaces": {
        "post": _account(
            {
                "summary": "Create a namespace",
                "operationId": "createNamespace",
                "requestBody": body(obj(["name"], name=NAMESPACE_PARAM["schema"])),
                "responses": {
                    "201": ok("The new namespace.", obj(["namespace"], namespace=ref("Namespace"))),
                    "400": error(
                        "Invalid name, or one of the reserved names: "
                        + ", ".join(sorted(RESERVED_NAMESPACES))
                        + "."
                    ),
                    "409": error("You have a namespace of that name."),
                },
            }
        ),
        "get": _account(
            {
                "summary": "List your namespaces",
                "operationId": "listNamespaces",
                "responses": {
                    "200": ok(
                        "Your namespaces with their item counts and bytes.",
                        obj(
                            ["namespaces"], namespaces={"type": "array", "items": ref("Namespace")}
                        ),
                    )
                },
            }
        ),
    },
    "/v1/namespaces/{name}": {
        "delete": _account(
            {
                "summary": "Delete a namespace with all its items and API keys",
                "operationId": "deleteNamespace",
                "parameters": [dict(NAMESPACE_PARAM, name="name")],
                "responses": {
                    "204": ok("Deleted."),
                    "404": error("You have no namespace of that name."),
                },
            }
        )
    },
    "/v1/api-keys": {
        "post": _account(
            {
                "summary": "Create an API key for a namespace",
                "operationId": "createApiKey",
                "requestBody": body(
                    obj(
                        ["namespace"],
                        namespace=STRING,
                        name=STRING,
                        access={
                            "type": "string",
                            "enum": ["read-write", "read-only"],
                            "default": "read-write",
                        },
                    )
                ),
                "responses": {
                    "201": ok(
                        "The raw key (shown only here) and its metadata.",
                        obj(
                            ["apiKey", "key"],
                            apiKey={"type": "string", "pattern": "^kv_"},
                            key=ref("ApiKey"),
                        ),
                    ),
                    "400": error("Invalid access level or name."),
                    "404": error("You have no namespace of that name."),
                },
            }
        ),
        "get": _account(
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
        "delete": _account(
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
    "/v1/usage": {
        "get": _account(
            {
                "summary": "This month's usage against your plan",
                "operationId": "getUsage",
                "responses": {"200": ok("Usage and status.", ref("Usage"))},
            }
        )
    },
    "/v1/{namespace}/{key}": {
        "get": _kv(
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
                    "400": error("Invalid key."),
                    "404": error("No such item (the request still counts)."),
                },
            }
        ),
        "put": _kv(
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
                    f"At most {LIMITS.value_max_bytes} bytes as compact UTF-8 JSON.",
                ),
                "responses": {
                    "201": ok("Created.", ref("Written"), dict(HEADER_ETAG)),
                    "200": ok("Replaced.", ref("Written"), dict(HEADER_ETAG)),
                    "400": error("Invalid key, or the body is empty or not JSON."),
                    "412": error("The If-Match or If-None-Match condition failed."),
                    "413": error("The value is too large."),
                },
            }
        ),
        "delete": _kv(
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
                    "400": error("Invalid key."),
                    "404": error("No such item."),
                    "412": error("The If-Match condition failed."),
                },
            }
        ),
    },
    "/v1/{namespace}": {
        "get": _kv(
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
                    "400": error("Bad limit or cursor."),
                },
            }
        )
    },
    "/v1/webhooks/paddle": {
        "post": {
            "tags": ["Billing"],
            "summary": "Paddle Billing events (subscriptions and failed payments)",
            "operationId": "paddleWebhook",
            "description": (
                "Called by Paddle. `subscription.created` and `subscription.updated` set the"
                " plan of the account in `data.custom_data.user_id` from the price id;"
                " `subscription.canceled` returns it to free; `transaction.payment_failed`"
                " is recorded and the account holder told. Each `event_id` is applied once;"
                " other event types are acknowledged and ignored."
            ),
            "security": [{"paddleSignature": []}],
            "requestBody": body({"type": "object"}, "A Paddle Billing event, as sent."),
            "responses": {
                "200": ok(
                    "Acknowledged.",
                    obj(
                        ["received", "outcome"],
                        received={"type": "boolean"},
                        outcome={"type": "string", "enum": ["applied", "duplicate", "ignored"]},
                    ),
                ),
                "400": error("The body is not a Paddle event."),
                "401": error("The signature is missing, wrong or older than the tolerance."),
            },
        }
    },
    "/v1/health": {
        "get": {
            "tags": ["Meta"],
            "summary": "Liveness, and with deep=1 whether the store answers",
            "operationId": "health",
            "parameters": [
                {
                    "name": "deep",
                    "in": "query",
                    "required": False,
                    "description": "1: also read from the store (costs a store call).",
                    "schema": {"type": "string", "enum": ["0", "1"]},
                }
            ],
            "responses": {
                "200": ok(
                    "Up (and with deep=1 the store answers, named in `store`).",
                    obj(["status"], status=STRING, store={"enum": ["sqlite", "dynamodb"]}),
                ),
                "503": error("deep=1: the store does not answer (`store_unavailable`)."),
            },
        }
    },
    "/v1/openapi.json": {
        "get": {
            "tags": ["Meta"],
            "summary": "This document",
            "operationId": "openapi",
            "responses": {"200": ok("The OpenAPI 3.1 document.", {"type": "object"})},
        }
    },
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the whole API (a fresh copy each call)."""
    return deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "KV Storage API",
                "version": "1.0.0",
                "description": (
                    "Store and fetch JSON values over REST. Account endpoints take a"
                    " session token from signup or login; the data plane takes a"
                    " namespace-scoped API key in `x-api-key`. Every error is"
                    ' `{"error": "...", "code": "..."}` and every response carries'
                    " `X-Request-Id`."
                ),
            },
            "servers": [{"url": "/"}],
            "tags": [
                {"name": "Account", "description": "Sign up, namespaces, API keys, usage."},
                {"name": "Data plane", "description": "Items, with an API key."},
                {"name": "Billing", "description": "Webhooks from the payment provider."},
                {"name": "Meta", "description": "Health and this document."},
            ],
            "paths": PATHS,
            "components": {
                "schemas": SCHEMAS,
                "securitySchemes": {
                    "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                    "paddleSignature": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "Paddle-Signature",
                        "description": "ts=<unix time>;h1=<HMAC-SHA256 of ts:body>.",
                    },
                },
            },
        }
    )
