"""Plans and upgrades through Paddle checkout; the webhook (in the API) changes the plan."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kv_core.plans import PLANS, account_plan
from kv_dashboard.context import login_required

bp = Blueprint("billing", __name__)


def price_ids() -> dict[str, str]:
    """Plan name to Paddle price id, from the configured price id to plan map."""
    prices: dict[str, str] = current_app.config.get("PADDLE_PRICES") or {}
    return {plan: price for price, plan in prices.items() if plan in PLANS}


@bp.get("/billing")
@login_required
def index() -> ResponseReturnValue:
    token = current_app.config.get("PADDLE_CLIENT_TOKEN")
    prices = price_ids() if token else {}
    current = account_plan(current_user.user)  # with the account's own limits, if any
    return render_template(
        "billing.html",
        plans=[current if plan.name == current.name else plan for plan in PLANS.values()],
        current=current,
        prices=prices,
        paddle_token=token,
        paddle_environment=current_app.config.get("PADDLE_ENVIRONMENT", "sandbox"),
        checkout_done=request.args.get("checkout") == "done",
        nav="billing",
    )
