"""OpenAPI of :mod:`kv_api.blueprints.meta`: health and this document."""

from __future__ import annotations

from kv_api.openapi.common import STRING, Schema, error, obj, ok

SCHEMAS: dict[str, Schema] = {}

PATHS: dict[str, Schema] = {
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
