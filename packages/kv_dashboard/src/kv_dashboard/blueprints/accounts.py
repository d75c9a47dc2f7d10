"""Signing up, logging in (throttled by kv_core) and logging out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from kv_core.errors import Conflict, Forbidden, InvalidInput, TooManyAttempts, Unauthorized
from kv_dashboard.accounts import Account
from kv_dashboard.context import login_required, services
from kv_dashboard.forms import LoginForm, SignupForm

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
            login_user(Account(user))
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
            user = services().accounts.login(form.email.data, form.password.data)
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
            login_user(Account(user), remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next")))
    if form.errors and status == 200:
        status = 400
    return render_template("login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))
