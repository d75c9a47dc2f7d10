"""Signing up, logging in (throttled by kv_core) and logging out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kv_core.errors import Conflict, Forbidden, InvalidInput, TooManyAttempts, Unauthorized
from kv_core.services.passwords import RESET_LIFETIME
from kv_dashboard.accounts import sign_in, sign_out
from kv_dashboard.context import login_required, services
from kv_dashboard.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("overview.home")


def add_error(field: object, message: str) -> None:
    field.errors = [*getattr(field, "errors", ()), message]  # type: ignore[attr-defined]


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("overview.home"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = services().accounts.signup(form.email.data, form.password.data)
        except Conflict:
            add_error(form.email, "There is already an account with this email. Log in instead.")
        except InvalidInput as exc:
            add_error(form.password if exc.code == "invalid_password" else form.email, exc.message)
        else:
            sign_in(user)
            flash("Welcome! Create a namespace to start storing data.", "success")
            return redirect(url_for("namespaces.index"))
    status = 400 if form.errors else 200
    return render_template("signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("overview.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services().accounts.login(
                form.email.data, form.password.data, client=request.remote_addr or ""
            )
        except TooManyAttempts as exc:
            add_error(form.password, exc.message)
            status = 429
        except Unauthorized as exc:
            add_error(form.password, exc.message)
            status = 401
        except Forbidden as exc:  # a disabled account
            add_error(form.email, exc.message)
            status = 403
        else:
            sign_in(user, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next")))
    if form.errors and status == 200:
        status = 400
    return render_template("login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    sign_out(current_user)
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> ResponseReturnValue:
    """Ask for a reset link; the page says the same whether or not the address has an
    account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            services().passwords.request_reset(
                form.email.data,
                lambda token: url_for("accounts.reset_password", token=token, _external=True),
            )
        except InvalidInput as exc:
            add_error(form.email, exc.message)
        else:
            minutes = int(RESET_LIFETIME.total_seconds() // 60)
            flash(
                "If an account has this email, a link to reset its password is on its way."
                f" It works once, for {minutes} minutes.",
                "info",
            )
            return redirect(url_for("accounts.forgot_password"))
    return render_template("forgot.html", form=form), 400 if form.errors else 200


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password() -> ResponseReturnValue:
    """The emailed link's page: choose a new password."""
    token = request.args.get("token", "")
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            services().passwords.reset(token, form.password.data)
        except InvalidInput as exc:
            if exc.code != "invalid_reset_token":
                add_error(form.password, exc.message)
                status = 400
            else:
                return render_template("reset.html", form=form, broken=exc.message), 400
        else:
            if current_user.is_authenticated:
                sign_out(current_user)
            flash("Your password is changed. Log in with it.", "success")
            return redirect(url_for("accounts.login"))
    if form.errors and status == 200:
        status = 400
    return render_template("reset.html", form=form, token=token, broken=None), status
