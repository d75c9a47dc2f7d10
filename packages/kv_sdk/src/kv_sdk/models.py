"""The records the clients return, built from the API's JSON shapes; the sync and the
async clients return the same ones."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Item:
    """A stored item: its value and the ``etag`` to pass back as ``if_match``.

    ``expires_at`` is the unix second from which it is gone (``None``: permanent), and
    ``metadata`` the JSON object kept beside the value by ``put(..., metadata=)``.
    """

    key: str
    value: Any
    etag: str
    version: int | None = None
    updated_at: str | None = None
    expires_at: int | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a ``put`` did: the new ``etag``, whether the item was ``created``, and when
    it expires (``None``: permanent)."""

    key: str
    etag: str
    created: bool
    version: int | None = None
    updated_at: str | None = None
    expires_at: int | None = None


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a detailed list (``details=True``) tells of one key, without its value."""

    key: str
    version: int | None = None
    updated_at: str | None = None
    expires_at: int | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class BulkItem:
    """One item of ``put_many``: its value, and optionally its expiry (``ttl`` seconds
    from now, or ``expires_at`` a unix second) and ``metadata``."""

    key: str
    value: Any
    ttl: int | None = None
    expires_at: int | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ManyItems:
    """What ``get_many`` found: the ``items`` there, in the order asked, and the keys
    ``missing`` (absent or expired), in the order asked too."""

    items: list[Item]
    missing: list[str]

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True)
class BulkAnswer:
    """One bulk request's answer as the API gives it: ``items`` and ``missing`` for a
    ``get``, ``written`` for a ``put``, ``deleted`` for a ``delete``, ``deleted`` and
    ``more`` for a ``deletePrefix``."""

    items: list[Item] | None = None
    missing: list[str] | None = None
    written: int | None = None
    deleted: int | None = None
    more: bool | None = None


@dataclass(frozen=True, slots=True)
class AtomicResult:
    """An applied atomic operation: each op's key and the version it left (``None``
    for a delete), in the order of the ops."""

    items: list[tuple[str, int | None]]

    @property
    def versions(self) -> dict[str, int | None]:
        """The version each written key is at now, by key."""
        return dict(self.items)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of keys in key order; ``cursor`` fetches the next, ``None`` on the last.

    ``items`` holds each key's `KeyInfo` when the page was asked for with
    ``details=True``, and is ``None`` otherwise.
    """

    keys: list[str]
    cursor: str | None
    items: list[KeyInfo] | None = None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True, slots=True)
class User:
    """An account."""

    id: str
    email: str
    plan: str
    created_at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> User:
        """Build from the API's ``user`` object."""
        return cls(data["id"], data["email"], data["plan"], data["createdAt"])


@dataclass(frozen=True, slots=True)
class Session:
    """What signing up or logging in gives: the ``token`` the account client keeps, and
    the ``user``."""

    token: str
    user: User

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        """Build from the API's session object."""
        return cls(str(data["token"]), User.from_json(data["user"]))


@dataclass(frozen=True, slots=True)
class Namespace:
    """A namespace of the signed-in account, with its item count and stored bytes."""

    id: str
    name: str
    created_at: str
    item_count: int
    size_bytes: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Namespace:
        """Build from the API's ``namespace`` object."""
        return cls(
            data["id"], data["name"], data["createdAt"], data["itemCount"], data["sizeBytes"]
        )


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key's metadata; the raw key is never part of it.

    ``key_prefix`` confines the key to the item keys that start with it (``""``: the
    whole namespace); ``expires_at`` is when it stops working (unix seconds), if ever.
    ``requests_this_month`` is how many requests it made in the current month (UTC),
    counted as the account's are (a 404 counts, a refusal does not).
    """

    id: str
    name: str | None
    namespace: str
    access: str
    prefix: str
    created_at: str
    last_used_at: str | None
    key_prefix: str = ""
    expires_at: int | None = None
    requests_this_month: int = 0

    @property
    def read_only(self) -> bool:
        """Whether the key can only read."""
        return self.access == "read-only"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApiKey:
        """Build from the API's ``key`` object."""
        return cls(
            data["id"],
            data.get("name"),
            data["namespace"],
            data["access"],
            data["prefix"],
            data["createdAt"],
            data.get("lastUsedAt"),
            data.get("keyPrefix") or "",
            data.get("expiresAt"),
            int(data.get("requestsThisMonth") or 0),
        )


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A key just created: ``secret`` (``kv_...``) is shown this once only."""

    secret: str
    key: ApiKey


@dataclass(frozen=True, slots=True)
class Quota:
    """Used and allowed amounts of one resource this month, and their ``status``
    (``ok``, ``warning`` or ``exceeded``)."""

    used: int
    limit: int
    status: str


@dataclass(frozen=True, slots=True)
class Usage:
    """This month's requests and storage against the plan."""

    plan: str
    month: str
    requests: Quota
    storage: Quota
    status: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Usage:
        """Build from the API's usage report."""
        requests, storage = data["requests"], data["storage"]
        return cls(
            plan=data["plan"],
            month=data["month"],
            requests=Quota(requests["used"], requests["limit"], requests.get("status", "ok")),
            storage=Quota(storage["usedBytes"], storage["limitBytes"], storage.get("status", "ok")),
            status=data["status"],
        )
