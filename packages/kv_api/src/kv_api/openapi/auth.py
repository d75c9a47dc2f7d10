"""OpenAPI of :mod:`kv_api.blueprints.auth`: signing up and logging in."""

from __future__ import annotations

from kv_api.openapi.common import (
    BAD_JSON,
    JSON,
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
from kv_core.services.accounts import PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS

NO_STORE: Schema = {
    "Cache-Control": {
        "description": "`no-store`: the answer holds a session token.",
        "schema": STRING,
    }
}

SCHEMAS: dict[str, Schema] = {
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
        password={
            "type": "string",
            "minLength": PASSWORD_MIN_CHARS,
            "maxLength": PASSWORD_MAX_CHARS,
        },
    ),
}

PATHS: dict[str, Schema] = {
    "/v1/auth/signup": {
        "post": {
            "tags": ["Account"],
            "summary": "Create an account",
            "operationId": "signup",
            "requestBody": body(ref("Credentials"), STRICT_JSON),
            "responses": {
                "201": ok("The account, and a session token.", ref("Session"), NO_STORE),
                "400": error(
                    f"Invalid email, or a password outside {PASSWORD_MIN_CHARS} to"
                    f" {PASSWORD_MAX_CHARS} characters. {BAD_JSON}"
                ),
                "409": error("An account with this email exists (`email_taken`)."),
                "413": TOO_LARGE,
            },
        }
    },
    "/v1/auth/login": {
        "post": {
            "tags": ["Account"],
            "summary": "Log in",
            "operationId": "login",
            "requestBody": body(ref("Credentials"), STRICT_JSON),
            "responses": {
                "200": ok("A session token.", ref("Session"), NO_STORE),
                "400": error(f"The body is not a JSON object with string fields. {BAD_JSON}"),
                "401": error("Wrong email or password (one message for both)."),
                "403": error("The account is disabled (`account_disabled`)."),
                "413": TOO_LARGE,
                "429": {
                    "description": "Too many failed logins for this email; wait.",
                    "headers": RETRY_AFTER,
                    "content": {JSON: {"schema": ref("Error")}},
                },
            },
        }
    },
}
