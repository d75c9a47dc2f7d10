"""The account's settings: a new password, and leaving."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kv_core.errors import Forbidden, InvalidInput, TooManyAttempts
from kv_dashboard.accounts import sign_out
from kv_dashboard.blueprints.accounts import add_error
from kv_dashboard.context import login_required, services
from kv_dashboard.forms import ChangePasswordForm, DeleteAccountForm

bp = Blueprint("settings", __name__, url_prefix="/settings")


def render(
    password: ChangePasswordForm | None = None,
    delete: DeleteAccountForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "settings.html",
            password_form=password or ChangePasswordForm(formdata=None),
            delete_form=delete or DeleteAccountForm(formdata=None),
            nav="settings",
        ),
        status,
    )


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    return render()


@bp.post("/password")
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render(password=form, status=400)
    try:
        services().passwords.change(
            current_user.user,
            form.current.data,
            form.new.data,
            client=request.remote_addr or "",
            keep_session=current_user.session_id,
        )
    except Forbidden as exc:
        add_error(form.current, exc.message)
        return render(password=form, status=403)
    except TooManyAttempts as exc:
        add_error(form.current, exc.message)
        return render(password=form, status=429)
    except InvalidInput as exc:
        add_error(form.new, exc.message)
        return render(password=form, status=400)
    flash("Your password is changed. Every other browser is signed out.", "success")
    return redirect(url_for("settings.index"))


@bp.post("/delete")
@login_required
def delete_account() -> ResponseReturnValue:
    form = DeleteAccountForm()
    if not form.validate_on_submit() or (form.confirm.data or "").strip().lower() != (
        current_user.email
    ):
        add_error(form.confirm, "Type your account's email exactly to confirm.")
        return render(delete=form, status=400)
    user_id = current_user.id
    sign_out(current_user)
    services().accounts.delete(user_id)
    flash("Your account and everything in it are deleted.", "info")
    return redirect(url_for("accounts.signup"))
