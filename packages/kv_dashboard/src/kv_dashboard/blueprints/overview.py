"""The overview: this month's usage, the last six months, and how to start."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kv_dashboard.charts import requests_chart
from kv_dashboard.context import login_required, services, user_id
from kv_dashboard.snippets import examples

bp = Blueprint("overview", __name__)
EXAMPLE_NAMESPACE = "my-app"


def api_url() -> str:
    """The API's absolute address as a person would type it in a terminal."""
    base = str(current_app.config["API_BASE_URL"])
    if base.startswith(("http://", "https://")):
        return base
    return request.host_url.rstrip("/") + base


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    core = services()
    report = core.usage.report(current_user.user)
    chart = requests_chart(core.usage.history(user_id(), months=6))
    namespaces = core.namespaces.list(user_id())
    example_ns = namespaces[0].name if namespaces else EXAMPLE_NAMESPACE
    return render_template(
        "overview.html",
        report=report,
        chart=chart,
        namespaces=namespaces,
        snippets=examples(api_url(), example_ns),
        example_ns=example_ns,
        nav="overview",
    )
