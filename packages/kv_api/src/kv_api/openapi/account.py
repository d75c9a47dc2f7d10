"""OpenAPI of :mod:`kv_api.blueprints.account`: a forgotten password, a changed one,
and deleting the account."""

from __future__ import annotations

from kv_api.openapi.common import (
    BAD_JSON,
    JSON,
    RETRY_AFTER,
    STRICT_JSON,
    TOO_LARGE,
    Schema,
    account,
    body,
    error,
    obj,
    ok,
    ref,
)
from kv_core.services.accounts import PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS
from kv_core.services.passwords import RESET_LIFETIME, RESETS_PER_HOUR

PASSWORD: Schema = {
    "type": "string",
    "minLength": PASSWORD_MIN_CHARS,
    "maxLength": PASSWORD_MAX_CHARS,
}
MINUTES = int(RESET_LIFETIME.total_seconds() // 60)

SCHEMAS: dict[str, Schema] = {
    "PasswordResetRequest": obj(["email"], email={"type": "string", "format": "email"}),
    "PasswordResetAccepted": obj(["message"], message={"type": "string"}),
    "PasswordReset": obj(["token", "password"], token={"type": "string"}, password=PASSWORD),
    "PasswordChange": obj(
        ["currentPassword", "newPassword"], currentPassword={"type": "string"}, newPassword=PASSWORD
    ),
}

PATHS: dict[str, Schema] = {
    "/v1/auth/password-reset": {
        "post": {
            "tags": ["Account"],
            "summary": "Email a link to reset the password",
            "description": (
                "Answers the same whether or not the email has an account. The link opens"
                f" the dashboard's reset page, works once, for {MINUTES} minutes; at most"
                f" {RESETS_PER_HOUR} are sent to one address an hour."
            ),
            "operationId": "requestPasswordReset",
            "requestBody": body(ref("PasswordResetRequest"), STRICT_JSON),
            "responses": {
                "202": ok(
                    "Accepted: a link is sent if the address has an account.",
                    ref("PasswordResetAccepted"),
                ),
                "400": error(f"Not a valid email address (`invalid_email`). {BAD_JSON}"),
                "413": TOO_LARGE,
            },
        }
    },
    "/v1/auth/password-reset/confirm": {
        "post": {
            "tags": ["Account"],
            "summary": "Set a new password with a reset link's token",
            "description": "Ends every dashboard session of the account.",
            "operationId": "resetPassword",
            "requestBody": body(ref("PasswordReset"), STRICT_JSON),
            "responses": {
                "204": ok("The password is changed."),
                "400": error(
                    "The token was used, has expired or is wrong (`invalid_reset_token`), or"
                    f" the password is outside {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS}"
                    f" characters (`invalid_password`). {BAD_JSON}"
                ),
                "413": TOO_LARGE,
            },
        }
    },
    "/v1/auth/password": {
        "post": account(
            {
                "summary": "Change the password",
                "description": "Ends the account's other dashboard sessions.",
                "operationId": "changePassword",
                "requestBody": body(ref("PasswordChange"), STRICT_JSON),
                "responses": {
                    "204": ok("The password is changed."),
                    "400": error(
                        f"The new password is outside {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS}"
                        f" characters (`invalid_password`). {BAD_JSON}"
                    ),
                    "403": error("The current password is wrong (`wrong_password`)."),
                    "413": TOO_LARGE,
                    "429": {
                        "description": "Too many wrong passwords from this address; wait.",
                        "headers": RETRY_AFTER,
                        "content": {JSON: {"schema": ref("Error")}},
                    },
                },
            }
        )
    },
    "/v1/account": {
        "delete": account(
            {
                "summary": "Delete the account",
                "description": (
                    "Deletes the account and everything in it: namespaces, items, API keys"
                    " (which stop working), usage, sessions. A paid subscription is not"
                    " cancelled by this: cancel it from the link in Paddle's receipt email."
                ),
                "operationId": "deleteAccount",
                "responses": {"204": ok("The account is gone.")},
            }
        )
    },
}
