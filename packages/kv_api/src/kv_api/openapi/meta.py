"""OpenAPI of :mod:`kv_api.blueprints.meta`: health and this document."""

from __future__ import annotations

from kv_api.openapi.common import STRING, Schema, obj, ok

SCHEMAS: dict[str, Schema] = {}

PATHS: dict[str, Schema] = {
    "/v1/health": {
        "get": {
            "tags": ["Meta"],
            "summary": "Liveness",
            "operationId": "health",
            "responses": {"200": ok("Up.", obj(["status"], status=STRING))},
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
