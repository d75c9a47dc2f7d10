"""Deployment settings, read from the environment once, and the store they choose.

The API, the dashboard and the scheduled jobs all start here, so one process that
serves both web apps shares one store and one secret.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kv_core.notify import Notifier, make_notifier
from kv_core.services import CoreConfig, Services
from kv_core.store import Store

GENERATED_KEY_FILE = "secret.key"
DATABASE_FILE = "kv.sqlite3"  # the embedded engine's, in the data directory
SQLITE_SYNC_MODES = ("full", "normal")
# Below this a bound on SQLite's log would checkpoint after every few writes.
MIN_WAL_MAX_BYTES = 1024 * 1024

GOOGLE_ISSUER = "https://accounts.google.com"
# A provider's name is a path segment (``/login/<name>``) and, upper-cased, a part of
# its variables' names.
_PROVIDER_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_PROVIDER_PARTS = ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")


@dataclass(frozen=True)
class OidcProvider:
    """An OpenID Connect provider the dashboard offers to sign in with.

    ``issuer`` is the provider's issuer identifier: its discovery document is at
    ``issuer + "/.well-known/openid-configuration"`` and every ID token it signs names
    it as ``iss``.
    """

    name: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)  # out of logs and tracebacks
    label: str = ""

    @property
    def is_google(self) -> bool:
        return self.issuer == GOOGLE_ISSUER

    @property
    def title(self) -> str:
        """How the sign-in buttons name it: the label, or "Google" for Google's issuer."""
        return self.label or ("Google" if self.is_google else self.name.replace("_", " ").title())

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_oidc_providers(env: Mapping[str, str]) -> tuple[OidcProvider, ...]:
    """The providers ``KV_OIDC_PROVIDERS`` names (comma-separated), each from its own
    ``KV_OIDC_<NAME>_ISSUER``, ``_CLIENT_ID``, ``_CLIENT_SECRET`` and optional
    ``_LABEL``; ``ValueError`` naming what is missing or wrong, so that a server with
    a half-configured provider does not start."""
    names = [n.strip() for n in env.get("KV_OIDC_PROVIDERS", "").split(",") if n.strip()]
    providers: list[OidcProvider] = []
    for name in names:
        if not _PROVIDER_NAME.fullmatch(name):
            raise ValueError(
                f"KV_OIDC_PROVIDERS: {name!r} is not a provider name (a lower-case letter,"
                " then up to 31 lower-case letters, digits or underscores)"
            )
        if name in {p.name for p in providers}:
            raise ValueError(f"KV_OIDC_PROVIDERS names {name!r} twice")
        prefix = f"KV_OIDC_{name.upper()}_"
        values = {part: env.get(prefix + part, "").strip() for part in _PROVIDER_PARTS}
        missing = [prefix + part for part, value in values.items() if not value]
        if missing:
            raise ValueError(
                f"The sign-in provider {name!r} needs {', '.join(missing)}"
                " (or remove it from KV_OIDC_PROVIDERS)"
            )
        issuer = values["ISSUER"].rstrip("/")
        parts = urlsplit(issuer)
        secure = parts.scheme == "https" or (
            parts.scheme == "http" and _loopback(parts.hostname or "")
        )
        if not parts.hostname or not secure or parts.query or parts.fragment:
            raise ValueError(
                f"{prefix}ISSUER is an https:// URL (http:// only on this machine's"
                f" loopback), not {values['ISSUER']!r}"
            )
        providers.append(
            OidcProvider(
                name=name,
                issuer=issuer,
                client_id=values["CLIENT_ID"],
                client_secret=values["CLIENT_SECRET"],
                label=env.get(prefix + "LABEL", "").strip(),
            )
        )
    return tuple(providers)


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
    smtp_url: str | None = None
    public_url: str | None = None
    secure_cookies: bool = True
    # How long the engines wait on a failing store before answering 503: defaults
    # that answer well within API Gateway's 30 s (see test_settings).
    sqlite_busy_timeout_ms: int = 5_000
    # The embedded engine's durability and the bound on its log (kv_core.engines.sqlite).
    sqlite_sync: str = "full"
    sqlite_wal_max_bytes: int = 64 * 1024 * 1024
    dynamodb_max_attempts: int = 3
    dynamodb_connect_timeout: float = 0.5
    dynamodb_read_timeout: float = 1.0
    dynamodb_undo_seconds: float = 5.0
    # The counters' reconciliation (kv_core.services.reconcile): how often ``serve``
    # runs it (0: never), and how long a namespace's counters must stay still
    # before a drift is corrected.
    reconcile_interval_seconds: float = 3_600.0
    reconcile_settle_seconds: float = 30.0
    # How often ``serve`` sweeps expired items out of the store, releasing their
    # bytes (0: never; readers stop seeing them in the second they expire anyway).
    sweep_interval_seconds: float = 60.0
    # How long each namespace's change feed keeps a change (at least; older cursors
    # are refused with 410).
    changes_retention_seconds: int = 86_400
    # Threads of each ``serve`` worker: a held request (a long poll of the change feed,
    # a stream of its events) keeps one busy while it waits, so there are enough for
    # a hundred of them beside the writes.
    serve_threads: int = 128
    # How often ``serve`` on DynamoDB reads the table's stream into the change feed
    # (0: never; in AWS the stream-processing function does it).
    stream_interval_seconds: float = 1.0
    # Sign-in with OpenID Connect (the dashboard's "Continue with ..." buttons).
    oidc_providers: tuple[OidcProvider, ...] = ()

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
        ``KV_PADDLE_TOLERANCE_SECONDS`` (signature age, default 5), ``KV_ALERT_FROM``
        (the sender of every email), ``KV_SMTP_URL`` (mail through SMTP, see
        :mod:`kv_core.mail.smtp`), ``KV_PUBLIC_URL`` (the site's address, for links in
        emails; without it, the address a request came to), ``KV_SECURE_COOKIES`` (0
        for plain-HTTP local runs), ``KV_SQLITE_BUSY_TIMEOUT_MS``, ``KV_SQLITE_SYNC``
        (``full``, the default: a write is answered once it is on disk; ``normal``: once
        it is in the log, which a power cut may lose), ``KV_SQLITE_WAL_MAX_BYTES`` (the
        bound on SQLite's log, default 64 MiB),
        ``KV_DYNAMODB_MAX_ATTEMPTS`` (attempts of a call, retries included),
        ``KV_DYNAMODB_CONNECT_TIMEOUT`` and ``KV_DYNAMODB_READ_TIMEOUT`` (seconds, per
        attempt), ``KV_DYNAMODB_UNDO_SECONDS`` (how long a half-done write keeps trying
        to undo itself), ``KV_RECONCILE_INTERVAL_SECONDS``,
        ``KV_RECONCILE_SETTLE_SECONDS``, ``KV_SWEEP_INTERVAL_SECONDS`` (how often
        ``serve`` sweeps expired items, default 60), ``KV_CHANGES_RETENTION_SECONDS`` (how
        long the change feed keeps a change, default a day), ``KV_SERVE_THREADS``
        (threads per ``serve`` worker, default 128), ``KV_OIDC_PROVIDERS`` and each
        provider's ``KV_OIDC_<NAME>_*`` (see :func:`read_oidc_providers`). The
        operator's commands, which sign nothing, pass ``secret_required=False`` (and no
        secret is made).
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
        sync = env.get("KV_SQLITE_SYNC", cls.sqlite_sync).lower()
        if sync not in SQLITE_SYNC_MODES:
            raise ValueError(f"KV_SQLITE_SYNC is 'full' or 'normal', not {sync!r}")
        wal_max = env.get("KV_SQLITE_WAL_MAX_BYTES", str(cls.sqlite_wal_max_bytes))
        if not wal_max.isdigit() or int(wal_max) < MIN_WAL_MAX_BYTES:
            raise ValueError(
                f"KV_SQLITE_WAL_MAX_BYTES is a number of bytes of at least {MIN_WAL_MAX_BYTES},"
                f" not {wal_max!r}"
            )
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
            smtp_url=env.get("KV_SMTP_URL") or None,
            public_url=(env.get("KV_PUBLIC_URL") or "").rstrip("/") or None,
            secure_cookies=env.get("KV_SECURE_COOKIES", "1") != "0",
            sqlite_busy_timeout_ms=int(
                env.get("KV_SQLITE_BUSY_TIMEOUT_MS", cls.sqlite_busy_timeout_ms)
            ),
            sqlite_sync=sync,
            sqlite_wal_max_bytes=int(wal_max),
            dynamodb_max_attempts=int(
                env.get("KV_DYNAMODB_MAX_ATTEMPTS", cls.dynamodb_max_attempts)
            ),
            dynamodb_connect_timeout=float(
                env.get("KV_DYNAMODB_CONNECT_TIMEOUT", cls.dynamodb_connect_timeout)
            ),
            dynamodb_read_timeout=float(
                env.get("KV_DYNAMODB_READ_TIMEOUT", cls.dynamodb_read_timeout)
            ),
            dynamodb_undo_seconds=float(
                env.get("KV_DYNAMODB_UNDO_SECONDS", cls.dynamodb_undo_seconds)
            ),
            reconcile_interval_seconds=float(
                env.get("KV_RECONCILE_INTERVAL_SECONDS", cls.reconcile_interval_seconds)
            ),
            reconcile_settle_seconds=float(
                env.get("KV_RECONCILE_SETTLE_SECONDS", cls.reconcile_settle_seconds)
            ),
            sweep_interval_seconds=float(
                env.get("KV_SWEEP_INTERVAL_SECONDS", cls.sweep_interval_seconds)
            ),
            changes_retention_seconds=int(
                env.get("KV_CHANGES_RETENTION_SECONDS", cls.changes_retention_seconds)
            ),
            serve_threads=int(env.get("KV_SERVE_THREADS", cls.serve_threads)),
            stream_interval_seconds=float(
                env.get("KV_STREAM_INTERVAL_SECONDS", cls.stream_interval_seconds)
            ),
            oidc_providers=read_oidc_providers(env),
        )

    def core_config(self) -> CoreConfig:
        return CoreConfig(
            secret=self.secret.encode("utf-8"),
            changes_retention_seconds=self.changes_retention_seconds,
        )

    def notifier(self) -> Notifier:
        """How this deployment sends email (see :mod:`kv_core.notify`)."""
        return make_notifier(
            aws=self.store == "dynamodb",
            sender=self.alert_from,
            smtp_url=self.smtp_url,
            region=self.region,
        )


def load_or_create_secret(data_dir: Path) -> str:
    """The secret kept in ``data_dir``, made on first use, so that sessions and
    tokens survive a restart."""
    path = data_dir / GENERATED_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    try:
        data_dir.mkdir(parents=True, mode=0o700)
        data_dir.chmod(0o700)  # whatever the umask left of the mode
    except FileExistsError:
        pass
    # Written private (mkstemp's 0600) and whole beside it, then linked into place: a
    # racing process or thread sees no file or the complete one, and the first link wins.
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=data_dir)
    draft = Path(name)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


def open_store(settings: Settings) -> Store:
    """The engine the settings name."""
    if settings.store == "dynamodb":
        from kv_core.engines.dynamodb import DynamoStore
        from kv_core.engines.dynamodb.table import Calls

        dynamo: Store = DynamoStore(
            settings.table,
            region=settings.region,
            host=settings.dynamodb_endpoint,
            calls=Calls(
                max_attempts=settings.dynamodb_max_attempts,
                connect_timeout=settings.dynamodb_connect_timeout,
                read_timeout=settings.dynamodb_read_timeout,
                undo_seconds=settings.dynamodb_undo_seconds,
            ),
        )
        return dynamo
    from kv_core.engines.sqlite import SqliteStore

    return SqliteStore(
        settings.data_dir / DATABASE_FILE,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        synchronous=settings.sqlite_sync,
        wal_max_bytes=settings.sqlite_wal_max_bytes,
    )


def build_services(settings: Settings) -> Services:
    return Services(open_store(settings), settings.core_config(), settings.notifier())
