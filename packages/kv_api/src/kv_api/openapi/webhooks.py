"""OpenAPI of :mod:`kv_api.blueprints.webhooks`: Paddle Billing events."""

from __future__ import annotations

from typing import get_args

from kv_api.openapi.common import STRICT_JSON, TOO_LARGE, Schema, body, enum, error, obj, ok
from kv_core.limits import LIMITS
from kv_core.services.billing import Outcome

SCHEMAS: dict[str, Schema] = {}

PATHS: dict[str, Schema] = {
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
            "requestBody": body(
                {"type": "object"}, f"A Paddle Billing event, as sent. {STRICT_JSON}"
            ),
            "responses": {
                "200": ok(
                    "Acknowledged.",
                    obj(
                        ["received", "outcome"],
                        received={"type": "boolean"},
                        outcome=enum(get_args(Outcome)),
                    ),
                ),
                "400": error(
                    "The body is not strict JSON or not a Paddle event (`invalid_event`), or"
                    f" nests deeper than {LIMITS.json_max_depth} levels (`too_deep`)."
                ),
                "401": error("The signature is missing, wrong or older than the tolerance."),
                "413": TOO_LARGE,
            },
        }
    },
}
