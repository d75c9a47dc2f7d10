"""Deployment settings, read from the environment once, and the store they choose.

The API, the dashboard and the scheduled jobs all start here, so one process that
serves both web apps shares one store and one secret.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kv_core.services import CoreConfig, Services
from kv_core.store import Store

GENERATED_KEY_FILE = "secret.key"
DATABASE_FILE = "kv.sqlite3"  # the embedded engine's, in the data directory


@dataclass(frozen=True)
class Settings:
    """Everything a deployment chooses. See ``from_env`` for the variables."""

    store: str = "sqlite"
    data_dir: Path = Path(".kv-data")
    table: str = "kv-storage-data"
    region: str | None = None
    dynamodb_endpoint: str | None = None
    secret: str = ""
    cors_origins: tuple[str, ...] = ()
    paddle_webhook_secret: str | None = None
    paddle_prices: Mapping[str, str] = field(default_factory=dict)
    paddle_client_token: str | None = None
    paddle_environment: str = "sandbox"
    paddle_tolerance_seconds: int = 5
    alert_from: str | None = None
    secure_cookies: bool = True

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, secret_required: bool = True
    ) -> Settings:
        """Read ``KV_*`` variables.

        ``KV_STORE`` (sqlite|dynamodb), ``KV_DATA_DIR``, ``KV_TABLE``, ``AWS_REGION``,
        ``KV_DYNAMODB_ENDPOINT``, ``KV_JWT_SECRET`` (without it, a secret is made once
        and kept in the data directory), ``KV_CORS_ORIGINS`` (comma-separated),
        ``KV_PADDLE_WEBHOOK_SECRET``, ``KV_PADDLE_PRICES`` (JSON: price id to plan),
        ``KV_PADDLE_CLIENT_TOKEN``, ``KV_PADDLE_ENVIRONMENT``,
        ``KV_PADDLE_TOLERANCE_SECONDS`` (signature age, default 5), ``KV_ALERT_FROM``,
        ``KV_SECURE_COOKIES`` (0 for plain-HTTP local runs). The operator's commands,
        which sign nothing, pass ``secret_required=False`` (and no secret is made).
        """
        env = os.environ if env is None else env
        store = env.get("KV_STORE", "sqlite")
        if store not in {"sqlite", "dynamodb"}:
            raise ValueError(f"KV_STORE is 'sqlite' or 'dynamodb', not {store!r}")
        data_dir = Path(env.get("KV_DATA_DIR", ".kv-data"))
        secret = env.get("KV_JWT_SECRET") or (
            load_or_create_secret(data_dir) if store == "sqlite" and secret_required else ""
        )
        if not secret and secret_required:
            raise ValueError("KV_JWT_SECRET must be set when the store is DynamoDB")
        origins = tuple(o.strip() for o in env.get("KV_CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            store=store,
            data_dir=data_dir,
            table=env.get("KV_TABLE", "kv-storage-data"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            dynamodb_endpoint=env.get("KV_DYNAMODB_ENDPOINT"),
            secret=secret,
            cors_origins=origins,
            paddle_webhook_secret=env.get("KV_PADDLE_WEBHOOK_SECRET") or None,
            paddle_prices=json.loads(env.get("KV_PADDLE_PRICES") or "{}"),
            paddle_client_token=env.get("KV_PADDLE_CLIENT_TOKEN") or None,
            paddle_environment=env.get("KV_PADDLE_ENVIRONMENT", "sandbox"),
            paddle_tolerance_seconds=int(env.get("KV_PADDLE_TOLERANCE_SECONDS", "5")),
            alert_from=env.get("KV_ALERT_FROM") or None,
            secure_cookies=env.get("KV_SECURE_COOKIES", "1") != "0",
        )

    def core_config(self) -> CoreConfig:
        return CoreConfig(secret=self.secret.encode("utf-8"))


def load_or_create_secret(data_dir: Path) -> str:
    """The secret kept in ``data_dir``, made on first use, so that sessions and
    tokens survive a restart."""
    path = data_dir / GENERATED_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_urlsafe(48)
    try:
        with path.open("x") as handle:  # only the first of racing processes writes
            handle.write(candidate)
        path.chmod(0o600)
    except FileExistsError:
        pass
    return path.read_text().strip()


def open_store(settings: Settings) -> Store:
    """The engine the settings name."""
    if settings.store == "dynamodb":
        from kv_core.engines.dynamodb import DynamoStore

        dynamo: Store = DynamoStore(
            settings.table, region=settings.region, host=settings.dynamodb_endpoint
        )
        return dynamo
    from kv_core.engines.sqlite import SqliteStore

    return SqliteStore(settings.data_dir / DATABASE_FILE)


def build_services(settings: Settings) -> Services:
    return Services(open_store(settings), settings.core_config())
