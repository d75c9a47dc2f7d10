"""OpenAPI of :mod:`kv_api.blueprints.namespaces`: a signed-in user's namespaces."""

from __future__ import annotations

from kv_api.openapi.common import (
    BAD_JSON,
    INTEGER,
    NAMESPACE_NAME,
    NAMESPACE_PARAM,
    STRICT_JSON,
    STRING,
    TIMESTAMP,
    TOO_LARGE,
    Schema,
    account,
    body,
    error,
    obj,
    ok,
    ref,
)
from kv_core.names import RESERVED_NAMESPACES

SCHEMAS: dict[str, Schema] = {
    "Namespace": obj(
        ["id", "name", "createdAt", "itemCount", "sizeBytes"],
        id=STRING,
        name=STRING,
        createdAt=TIMESTAMP,
        itemCount=INTEGER,
        sizeBytes=INTEGER,
    ),
}

PATHS: dict[str, Schema] = {
    "/v1/namespaces": {
        "post": account(
            {
                "summary": "Create a namespace",
                "operationId": "createNamespace",
                "requestBody": body(obj(["name"], name=NAMESPACE_NAME), STRICT_JSON),
                "responses": {
                    "201": ok("The new namespace.", obj(["namespace"], namespace=ref("Namespace"))),
                    "400": error(
                        "Invalid name, or one of the reserved names: "
                        + ", ".join(sorted(RESERVED_NAMESPACES))
                        + f". {BAD_JSON}"
                    ),
                    "409": error("You have a namespace of that name."),
                    "413": TOO_LARGE,
                },
            }
        ),
        "get": account(
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
        "delete": account(
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
}
