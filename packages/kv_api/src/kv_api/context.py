"""The per-app objects a request handler reaches for."""

from __future__ import annotations

from flask import current_app

from kv_core.services import Services


def services() -> Services:
    """The use cases of this app, built once by :func:`kv_api.app.create_app`."""
    return current_app.extensions["kv_services"]  # type: ignore[no-any-return]
