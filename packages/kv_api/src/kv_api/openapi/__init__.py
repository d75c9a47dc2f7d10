"""The whole API contract as one OpenAPI 3.1 document.

This is the one description of the API: each module here describes the routes of the
blueprint of the same name (:mod:`kv_api.blueprints`), a test holds the two to each
other in both directions, and the site renders its API reference from the document.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from kv_api.openapi import account, api_keys, auth, kv, meta, namespaces, usage, webhooks
from kv_api.openapi.common import ERROR_SCHEMAS, INTEGER, JSON, Schema, ref

# In the order the reference presents them.
FRAGMENTS = (auth, account, namespaces, api_keys, usage, kv, webhooks, meta)

INFO: Schema = {
    "title": "KV Storage API",
    "version": "1.0.0",
    "description": (
        "Store and fetch JSON values over REST. Account endpoints take a"
        " session token from signup or login; the data plane takes a"
        " namespace-scoped API key in `x-api-key`. Every error is"
        ' `{"error": "...", "code": "..."}` and every response carries'
        " `X-Request-Id`."
    ),
}
TAGS: list[Schema] = [
    {"name": "Account", "description": "Sign up, namespaces, API keys, usage."},
    {"name": "Data plane", "description": "Items, with an API key."},
    {"name": "Billing", "description": "Webhooks from the payment provider."},
    {"name": "Meta", "description": "Health and this document."},
]
SECURITY_SCHEMES: Schema = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "paddleSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "Paddle-Signature",
        "description": "ts=<unix time>;h1=<HMAC-SHA256 of ts:body>.",
    },
}


WAIT: Schema = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": INTEGER}
}
STORE_UNAVAILABLE: Schema = {
    "description": (
        "The store cannot answer now (`store_unavailable`): try again after `Retry-After`"
        " seconds. Nothing was written."
    ),
    "headers": WAIT,
    "content": {JSON: {"schema": ref("Error")}},
}
STORAGE_FULL: Schema = {
    "description": (
        "The server's disk is full (`insufficient_storage`): try again after `Retry-After`"
        " seconds. Nothing was written."
    ),
    "headers": WAIT,
    "content": {JSON: {"schema": ref("Error")}},
}


LENGTH_REQUIRED: Schema = {
    "description": (
        "`kv-storage serve` only: the body came chunked, without a `Content-Length`"
        " (`length_required`). Send its length; nothing was written."
    ),
    "content": {JSON: {"schema": ref("Error")}},
}


def _with_store_faults(paths: Schema) -> Schema:
    """Every operation may meet a store that cannot answer; a write, a full disk; one
    that takes a body, a server that wants its length."""
    for operations in paths.values():
        for method, operation in operations.items():
            operation["responses"].setdefault("503", STORE_UNAVAILABLE)
            if method != "get":
                operation["responses"].setdefault("507", STORAGE_FULL)
            if "requestBody" in operation:
                operation["responses"].setdefault("411", LENGTH_REQUIRED)
    return paths


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the whole API (a fresh copy each call)."""
    paths: Schema = {}
    schemas: Schema = dict(ERROR_SCHEMAS)
    for fragment in FRAGMENTS:
        paths.update(deepcopy(fragment.PATHS))
        schemas.update(fragment.SCHEMAS)
    _with_store_faults(paths)
    return deepcopy(
        {
            "openapi": "3.1.0",
            "info": INFO,
            "servers": [{"url": "/"}],
            "tags": TAGS,
            "paths": paths,
            "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
        }
    )


__all__ = ["openapi_document"]
