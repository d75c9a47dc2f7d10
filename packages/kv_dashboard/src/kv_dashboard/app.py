"""The dashboard's application factory."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, InternalServerError

from kv_core.errors import NotFound, StorageFull, StoreUnavailable
from kv_core.services import Services
from kv_core.services.sessions import REMEMBERED_LIFETIME
from kv_core.settings import Settings, build_services
from kv_dashboard import formatting
from kv_dashboard.accounts import init_login
from kv_dashboard.blueprints import accounts, billing, live, namespaces, overview
from kv_dashboard.blueprints import settings as account_settings
from kv_dashboard.blueprints.oidc import init_oidc

PADDLE_HOSTS = "https://*.paddle.com"


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    services: Services | None = None,
    settings: Settings | None = None,
) -> Flask:
    """Build the dashboard.

    Without arguments it reads the environment (see :class:`Settings`) and opens its
    own store; ``kv-storage serve`` passes ``settings`` and ``services`` to share one
    store with the API. ``config`` overrides Flask settings, e.g. ``API_BASE_URL``
    (where the API tester and the code examples send requests, ``/v1`` by default).
    """
    settings = settings or Settings.from_env()
    services = services or build_services(settings)

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=session_secret(settings.secret),
        SESSION_COOKIE_NAME="kv_dashboard",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_DURATION=REMEMBERED_LIFETIME,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session they belong to
        API_BASE_URL="/v1",
        PADDLE_CLIENT_TOKEN=settings.paddle_client_token,
        PADDLE_ENVIRONMENT=settings.paddle_environment,
        PADDLE_PRICES=dict(settings.paddle_prices),
    )
    app.config.update(config or {})
    app.extensions["kv_services"] = services
    app.extensions["kv_settings"] = settings

    CSRFProtect(app)
    init_login(app)
    for module in (accounts, overview, namespaces, live, billing, account_settings):
        app.register_blueprint(module.bp)
    init_oidc(app)
    formatting.register(app)
    register_error_pages(app)
    app.after_request(security_headers)
    return app


def session_secret(secret: str) -> bytes:
    """A key for the session cookie derived from the deployment's secret, so the
    dashboard's signatures never equal the API's tokens'."""
    return hashlib.sha256(b"kv-dashboard-session:" + secret.encode("utf-8")).digest()


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> ResponseReturnValue:
        message = (
            "This form has expired or was not sent from this dashboard. Reload the page and"
            " try again."
        )
        return render_template("error.html", title="Form expired", message=message), 400

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(error: StoreUnavailable) -> ResponseReturnValue:
        # The API's statuses for the same error (kv_api.errors), on a page.
        full = isinstance(error, StorageFull)
        title = "The disk is full" if full else "Try again in a moment"
        app.logger.warning("the store failed: %s", error.__cause__ or error)
        page = render_template(
            "unavailable.html", title=title, message=error.message, retry_after=error.retry_after
        )
        return page, 507 if full else 503, {"Retry-After": str(error.retry_after)}

    @app.errorhandler(404)
    @app.errorhandler(NotFound)
    def not_found(error: Exception) -> ResponseReturnValue:
        message = error.message if isinstance(error, NotFound) else "There is no such page."
        return render_template("error.html", title="Not found", message=message), 404

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        """werkzeug's other refusals (405, 413...) as the dashboard's own page."""
        status = error.code or 500
        if status >= 500:
            return server_error(error)
        title = error.name or "Request refused"
        message = "The dashboard cannot answer this request. Go back and try again."
        return render_template("error.html", title=title, message=message), status

    @app.errorhandler(InternalServerError)
    def server_error(error: Exception) -> ResponseReturnValue:
        """A page of our own that needs no store or session, since either may be what
        failed; the error itself goes to the log (Flask logs it), never to the page."""
        return render_template("500.html"), 500


def security_headers(response: Response) -> Response:
    """Only this app's own scripts and styles run; Paddle's only where it is set up."""
    from flask import current_app

    api = urlsplit(str(current_app.config["API_BASE_URL"]))
    api_origin = f" {api.scheme}://{api.netloc}" if api.netloc else ""
    paddle = f" {PADDLE_HOSTS}" if current_app.config.get("PADDLE_CLIENT_TOKEN") else ""
    policy = (
        "default-src 'self'; "
        f"script-src 'self'{paddle}; "
        "style-src 'self'; "
        f"img-src 'self' data:{paddle}; "
        f"connect-src 'self'{api_origin}{paddle}; "
        f"frame-src 'self'{paddle}; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
