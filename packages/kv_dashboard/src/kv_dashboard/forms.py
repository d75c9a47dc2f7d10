"""The dashboard's forms. Each carries a CSRF token (flask-wtf).

The rules themselves (email shape, password length, namespace names) live in
kv_core; the views hand its refusals back to the field they concern.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
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


class DeletePrefixForm(FlaskForm):  # type: ignore[misc]
    """Deleting every item under a prefix, from its confirmation page."""

    prefix = HiddenField()


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


def _size(size: int) -> str:
    """``256 KiB``, ``1 KiB``, ``900 bytes``: sizes as the limits are set."""
    return f"{size // 1024} KiB" if size >= 1024 and size % 1024 == 0 else f"{size:,} bytes"


class ItemForm(FlaskForm):  # type: ignore[misc]
    """Store an item from the dashboard: a key, a JSON value, and optionally when it
    expires (a TTL or a time, not both) and its metadata. The value, the metadata and
    the expiry are checked by kv_core; the form only reads the text."""

    key = StringField(
        "Key",
        validators=[DataRequired("Give the item a key.")],
        description=f"1 to {LIMITS.key_max_bytes} bytes of UTF-8, e.g. 'user:42'.",
    )
    value = TextAreaField(
        "Value (JSON)",
        validators=[DataRequired('Give the item a value in JSON, e.g. "text", 42 or {"a": 1}.')],
        description=f"Any JSON, at most {_size(LIMITS.value_max_bytes)} as compact JSON.",
    )
    ttl = StringField(
        "Expires after (seconds)",
        validators=[Optional()],
        description=(
            f"A TTL: {LIMITS.ttl_min_seconds} to {LIMITS.ttl_max_seconds:,} seconds after it is"
            " stored. Leave this and the time empty for an item that never expires."
        ),
    )
    expires_at = StringField(
        "Or expires at (UTC)",
        validators=[Optional()],
        description="A date and time in UTC, to the second. Not with a TTL.",
    )
    metadata = TextAreaField(
        "Metadata (JSON object)",
        validators=[Optional()],
        description=(
            f'Optional, e.g. {{"owner": "ann"}}: at most {_size(LIMITS.metadata_max_bytes)}'
            " as compact JSON, shown in the items list."
        ),
    )


class IncrementForm(FlaskForm):  # type: ignore[misc]
    """Add a number to a number item, atomically."""

    by = StringField(
        "Increment by",
        default="1",
        validators=[DataRequired("Give a number to add, such as 1 or -2.5.")],
    )
