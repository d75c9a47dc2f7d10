"""Where the clients find their address and API key when not given them."""

from __future__ import annotations

import os
from collections.abc import Mapping

from kv_sdk.errors import ConfigurationError

API_KEY_VARIABLE = "KV_API_KEY"
BASE_URL_VARIABLE = "KV_BASE_URL"
# Where `kv-storage serve` listens by default.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def resolve_base_url(explicit: str | None, env: Mapping[str, str] | None = None) -> str:
    """The server's root URL: ``explicit``, else ``KV_BASE_URL``, else the local default.

    A trailing ``/`` or ``/v1`` is dropped, so the dashboard's API address works as is.
    """
    env = os.environ if env is None else env
    url = (explicit or env.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL).strip().rstrip("/")
    url = url.removesuffix("/v1").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"The base URL must start with http:// or https://, not {url!r}.")
    return url


def resolve_api_key(explicit: str | None, env: Mapping[str, str] | None = None) -> str:
    """The API key: ``explicit``, else ``KV_API_KEY``; ``ConfigurationError`` if neither."""
    env = os.environ if env is None else env
    key = (explicit or env.get(API_KEY_VARIABLE) or "").strip()
    if not key:
        raise ConfigurationError(
            f"No API key: pass api_key= or set {API_KEY_VARIABLE} "
            "(create one in the dashboard under API keys)."
        )
    return key
