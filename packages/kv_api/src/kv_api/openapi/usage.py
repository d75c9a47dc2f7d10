"""OpenAPI of :mod:`kv_api.blueprints.usage`: this month's usage against the plan."""

from __future__ import annotations

from kv_api.openapi.common import INTEGER, STATUS, STRING, Schema, account, obj, ok, ref

SCHEMAS: dict[str, Schema] = {
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
}

PATHS: dict[str, Schema] = {
    "/v1/usage": {
        "get": account(
            {
                "summary": "This month's usage against your plan",
                "operationId": "getUsage",
                "responses": {"200": ok("Usage and status.", ref("Usage"))},
            }
        )
    },
}
