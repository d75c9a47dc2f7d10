"""Secrets from SSM Parameter Store, for Lambda.

serverless.yml gives the functions the *names* of the parameters
(``KV_JWT_SECRET_PARAMETER``, ``KV_PADDLE_WEBHOOK_SECRET_PARAMETER``, and for each
sign-in provider named in ``KV_OIDC_PROVIDERS`` its
``KV_OIDC_<NAME>_CLIENT_SECRET_PARAMETER``), never the values, which stay out of the
template; each instance reads them once at start.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

SECRETS = ("KV_JWT_SECRET", "KV_PADDLE_WEBHOOK_SECRET")


def load_secrets(env: MutableMapping[str, str] | None = None, client: Any = None) -> None:
    """Fill each unset secret variable from the SSM parameter its ``_PARAMETER`` names."""
    env = os.environ if env is None else env
    providers = [n.strip() for n in env.get("KV_OIDC_PROVIDERS", "").split(",") if n.strip()]
    names = [*SECRETS, *(f"KV_OIDC_{p.upper()}_CLIENT_SECRET" for p in providers)]
    wanted = {
        name: env[f"{name}_PARAMETER"]
        for name in names
        if not env.get(name) and env.get(f"{name}_PARAMETER")
    }
    if not wanted:
        return
    if client is None:
        import boto3

        client = boto3.client("ssm")
    for name, parameter in wanted.items():
        response = client.get_parameter(Name=parameter, WithDecryption=True)
        env[name] = response["Parameter"]["Value"]
