"""The dashboard's forms. Each carries a CSRF token (flask-wtf).

The rules themselves (email shape, password length, namespace names) live in
kv_core; the views hand its refusals back to the field they concern.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from kv_core.limits import LIMITS
from kv_core.model import ACCESS_LEVELS
from kv_core.services.accounts import PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS
from kv_core.services.api_keys import KEY_NAME_MAX_CHARS


class SignupForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired("Enter your email address.")])
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Choose a password."),
            Length(
                min=PASSWORD_MIN_CHARS,
                message=f"A password is at least {PASSWORD_MIN_CHARS} characters long.",
            ),
        ],
        description=f"At least {PASSWORD_MIN_CHARS} characters.",
    )


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me logged in on this device")


class NamespaceForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Namespace name",
        validators=[DataRequired("Give the namespace a name.")],
        description=(
            f"1 to {LIMITS.namespace_max_chars} characters: a-z, 0-9, '-' and '_', starting"
            " with a letter or a digit."
        ),
    )


# How long a new key works, in days (0: until revoked).
KEY_LIFETIMES = (
    (0, "Never"),
    (1, "In a day"),
    (7, "In a week"),
    (30, "In 30 days"),
    (90, "In 90 days"),
    (365, "In a year"),
)


class ApiKeyForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Key name",
        validators=[Optional(), Length(max=KEY_NAME_MAX_CHARS)],
        description="Where the key is used, e.g. 'production server'. Optional.",
    )
    access = RadioField(
        "Access",
        choices=list(ACCESS_LEVELS),
        default=ACCESS_LEVELS[0],
        validators=[InputRequired()],
    )
    key_prefix = StringField(
        "Key prefix",
        validators=[Optional()],
        description="Only item keys that start with this, e.g. 'user:42/'. Empty: all of them.",
    )
    lifetime = SelectField(
        "Expires",
        choices=[SelectChoice(str(days), label) for days, label in KEY_LIFETIMES],
        default="0",
    )


class ConfirmDeleteForm(FlaskForm):  # type: ignore[misc]
    """Deleting a namespace: the person types its name to confirm."""

    confirm = StringField("Type the namespace's name to confirm")


def new_password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired("Choose a password."),
            Length(
                min=PASSWORD_MIN_CHARS,
                max=PASSWORD_MAX_CHARS,
                message=f"A password is {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters.",
            ),
        ],
        description=f"At least {PASSWORD_MIN_CHARS} characters.",
    )


class ForgotPasswordForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired("Enter your email address.")])


class ResetPasswordForm(FlaskForm):  # type: ignore[misc]
    password = new_password("New password")


class ChangePasswordForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    new = new_password("New password")


class DeleteAccountForm(FlaskForm):  # type: ignore[misc]
    """Deleting the account: the person types its email to confirm."""

    confirm = StringField("Type your email to confirm")
