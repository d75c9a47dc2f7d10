"""Signing in with an OpenID Connect provider the operator configured (Authlib's Flask
client): "Continue with Google" and its kind.

``/login/<name>`` sends the browser to the provider with the authorization code flow,
a ``state`` and a ``nonce`` (kept in this browser's session cookie, signed) and PKCE;
``/login/<name>/callback`` takes the code back. Authlib exchanges it for the tokens
and verifies the ID token: its signature against the provider's published keys (found
through ``<issuer>/.well-known/openid-configuration``), its issuer, its audience (this
client), its expiry and its nonce. The account is then found, or made, by the email
the provider says it verified (:meth:`kv_core.services.Accounts.sign_in_with_identity`)
and signed in as a password login would be.

Every refusal (a denied consent, a ``state`` that this browser did not start, an
unverified email, a provider's error, a disabled account) is a page that says so and
signs nobody in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session
from flask import url_for as flask_url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kv_core.errors import Forbidden, InvalidInput, NotFound
from kv_core.settings import OidcProvider
from kv_dashboard.accounts import sign_in
from kv_dashboard.blueprints.accounts import safe_next
from kv_dashboard.context import services, settings

bp = Blueprint("oidc", __name__)

SCOPES = "openid email profile"
# How long the dashboard waits on a provider's discovery, keys and token endpoints.
PROVIDER_TIMEOUT_SECONDS = 10
# Where the page to return to after signing in waits while the provider is visited.
_NEXT = "kv_oidc_next"


def init_oidc(app: Flask) -> None:
    """Register each configured provider with Authlib, the sign-in views, and the
    providers' buttons on the login and sign-up pages (none when none is configured).

    Nothing is fetched here: a provider's discovery document is read on the first
    sign-in through it, so a provider that is down never stops the dashboard. Authlib
    (and the cryptography under it) is imported only when a provider is configured,
    so a dashboard without one starts as fast as before.
    """
    providers: tuple[OidcProvider, ...] = app.extensions["kv_settings"].oidc_providers
    app.register_blueprint(bp)
    app.context_processor(lambda: {"sign_in_providers": providers})
    if not providers:
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    for provider in providers:
        oauth.register(
            provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.metadata_url,
            client_kwargs={
                "scope": SCOPES,
                "code_challenge_method": "S256",
                "default_timeout": PROVIDER_TIMEOUT_SECONDS,
            },
        )
    app.extensions["kv_oauth"] = oauth


def find_provider(name: str) -> tuple[OidcProvider, Any]:
    """The provider called ``name`` and its Authlib client; 404 for any other name."""
    for provider in settings().oidc_providers:
        if provider.name == name:
            return provider, current_app.extensions["kv_oauth"].create_client(name)
    raise NotFound("There is no such way to sign in.", code="unknown_provider")


def callback_url(name: str) -> str:
    """The redirect URI registered with the provider: on ``KV_PUBLIC_URL`` when it is
    set, otherwise on the address this request came to."""
    public = settings().public_url
    if public:
        return public + flask_url_for("oidc.callback", provider=name)
    return flask_url_for("oidc.callback", provider=name, _external=True)


def id_token_checks(config: OidcProvider) -> dict[str, dict[str, object]]:
    """The claims Authlib must find in an ID token besides its signature, expiry and
    nonce (which it always checks): the issuer the operator configured, not merely the
    one discovery named, and this client as the audience, which Authlib checks only
    when told to."""
    return {
        "iss": {"essential": True, "value": config.issuer},
        "aud": {"essential": True, "value": config.client_id},
    }


def refuse(status: int, title: str, message: str) -> ResponseReturnValue:
    return render_template("error.html", title=title, message=message), status


@bp.get("/login/<provider>")
def start(provider: str) -> ResponseReturnValue:
    """Off to the provider (a plain link, so no form-action rule stands in the way)."""
    import requests

    config, client = find_provider(provider)
    if current_user.is_authenticated:
        return redirect(flask_url_for("overview.home"))
    session[_NEXT] = safe_next(request.args.get("next"))
    try:
        response: ResponseReturnValue = client.authorize_redirect(callback_url(provider))
    except (requests.RequestException, RuntimeError, ValueError) as exc:
        current_app.logger.warning("sign-in provider %s unreachable: %s", provider, exc)
        return unreachable(config)
    return response


@bp.get("/login/<provider>/callback")
def callback(provider: str) -> ResponseReturnValue:
    import requests
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.base_client import MismatchingStateError
    from joserfc.errors import JoseError

    config, client = find_provider(provider)
    error = request.args.get("error")
    if error == "access_denied":
        return refuse(
            403,
            "Sign-in cancelled",
            f"{config.title} did not sign you in, as you chose. Log in again whenever you"
            " like, with it or with a password.",
        )
    if error:
        current_app.logger.warning(
            "sign-in provider %s answered %r: %s",
            provider,
            error,
            request.args.get("error_description", ""),
        )
        return provider_failed(config)
    try:
        token = client.authorize_access_token(claims_options=id_token_checks(config))
    except MismatchingStateError:
        return refuse(
            400,
            "Sign-in expired",
            "This sign-in did not start in this browser, or has expired, so it cannot"
            " sign you in. Start again from the login page.",
        )
    except (AuthlibBaseError, JoseError) as exc:
        current_app.logger.warning("sign-in through %s refused: %r", provider, exc)
        return provider_failed(config)
    except requests.RequestException as exc:
        current_app.logger.warning("sign-in provider %s unreachable: %s", provider, exc)
        return unreachable(config)
    claims = token.get("userinfo")  # the verified ID token's claims
    if not claims:  # no ID token: nothing this dashboard can trust
        current_app.logger.warning("sign-in provider %s sent no ID token", provider)
        return provider_failed(config)
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        return refuse(
            400,
            "No email address",
            f"{config.title} did not share your email address, which your account is"
            " found by. Allow it to, or sign up with a password.",
        )
    verified = claims.get("email_verified") in (True, "true")  # some send a string
    try:
        user, created = services().accounts.sign_in_with_identity(email, verified)
    except Forbidden as exc:
        return refuse(403, "Cannot sign you in", exc.message)
    except InvalidInput as exc:
        return refuse(400, "Cannot sign you in", exc.message)
    sign_in(user)
    next_page = session.pop(_NEXT, None)
    if created:
        flash("Welcome! Create a namespace to start storing data.", "success")
        return redirect(flask_url_for("namespaces.index"))
    return redirect(safe_next(next_page))


def provider_failed(config: OidcProvider) -> ResponseReturnValue:
    return refuse(
        400,
        "Sign-in failed",
        f"{config.title} could not sign you in, or its answer could not be verified."
        " Try again, or log in with a password.",
    )


def unreachable(config: OidcProvider) -> ResponseReturnValue:
    return refuse(
        502,
        "Sign-in unavailable",
        f"{config.title} cannot be reached right now. Try again in a moment, or log in"
        " with a password.",
    )
