"""Paddle Billing webhooks: verified, parsed, applied once."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from kv_api import paddle
from kv_api.bodies import parse_json, request_body
from kv_core.errors import InvalidInput, Unauthorized
from kv_core.services import Billing, BillingEvent

bp = Blueprint("webhooks", __name__, url_prefix="/v1/webhooks")


@bp.post("/paddle")
def paddle_webhook() -> ResponseReturnValue:
    settings = current_app.extensions["kv_settings"]
    secret = settings.paddle_webhook_secret
    body = request_body()
    if not secret or not paddle.verify(
        request.headers.get("Paddle-Signature"),
        body,
        secret,
        tolerance=current_app.config["PADDLE_TOLERANCE_SECONDS"],
    ):
        raise Unauthorized(
            "The Paddle-Signature is missing, wrong or too old.", code="invalid_signature"
        )
    try:
        payload = parse_json(body)
    except InvalidInput as error:
        if error.code == "too_deep":
            raise
        message = f"The event is not valid JSON: {error.message}"
        raise InvalidInput(message, code="invalid_event") from None
    billing: Billing = current_app.extensions["kv_billing"]
    outcome = billing.apply(BillingEvent.parse(payload))
    return jsonify(received=True, outcome=outcome)
