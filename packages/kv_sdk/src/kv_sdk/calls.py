"""Every operation the clients wrap, described once: its OpenAPI ``operationId``, method,
path template, query, body, and how its answer is read.

The sync clients (requests) and the async ones (httpx) build their requests with the
functions here and read the answers with the same readers (`kv_sdk.readers`), so
the two cannot drift; a test holds these records to the server's OpenAPI document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, TypeAlias, TypeVar

from kv_sdk import readers
from kv_sdk.answer import Answer
from kv_sdk.encoding import encode_json, etag_header, fill, same_json
from kv_sdk.errors import AuthenticationError, KVError, PreconditionFailed
from kv_sdk.models import (
    ApiKey,
    AtomicResult,
    BulkAnswer,
    BulkItem,
    Item,
    Namespace,
    NewApiKey,
    Page,
    Session,
    Usage,
    WriteResult,
)

T = TypeVar("T")
Method: TypeAlias = Literal["GET", "PUT", "POST", "PATCH", "DELETE"]
Access: TypeAlias = Literal["read-write", "read-only"]
# A JSON object with these fields, any JSON value ("any"), or no body (None).
Body: TypeAlias = tuple[str, ...] | Literal["any"] | None


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One operation of the API, and the name of the client method that wraps it.

    ``plane`` says which pair of clients has it: ``"data"`` (``KVClient`` and
    ``AsyncKVClient``, with an API key) or ``"account"`` (``AccountClient`` and
    ``AsyncAccountClient``, with a session token). ``also`` names further methods
    that wrap the same operation (the bulk operation's ``get_many``, ``put_many`` and
    ``delete_many``).
    """

    operation_id: str
    plane: Literal["data", "account"]
    wrapper: str
    method: Method
    path: str
    read: Callable[[Answer], T]
    query: tuple[str, ...] = ()
    body: Body = None
    also: tuple[str, ...] = ()

    @property
    def wrappers(self) -> tuple[str, ...]:
        """Every client method that sends this call."""
        return (self.wrapper, *self.also)

    def request(
        self,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        **path: str,
    ) -> Request[T]:
        """This call with its path filled in from ``path`` (each value quoted whole)."""
        return Request(self, fill(self.path, path), dict(params or {}), dict(headers or {}), body)


@dataclass(frozen=True, slots=True)
class Request(Generic[T]):
    """A `Call` ready to send: its path, query, headers and encoded body; ``held`` is
    how many seconds the server may hold the answer back (a long poll), which the
    transports add to their timeout."""

    call: Call[T]
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    held: float = 0.0

    @property
    def method(self) -> Method:
        """The HTTP method."""
        return self.call.method

    def read(self, answer: Answer) -> T:
        """The call's result, from its successful ``answer``."""
        return self.call.read(answer)

    def signed(self, token: str | None) -> Request[T]:
        """This request with the account's session ``token`` as ``Authorization: Bearer``."""
        if not token:
            raise AuthenticationError("Not signed in: call signup() or login(), or pass token=.")
        return replace(self, headers={**self.headers, "Authorization": f"Bearer {token}"})


U = TypeVar("U")


def reading(call: Call[Any], read: Callable[[Answer], U]) -> Call[U]:
    """``call`` with another reader: one operation whose answer has a shape of its own
    for some requests (a count, an atomic operation)."""
    return Call(
        call.operation_id,
        call.plane,
        call.wrapper,
        call.method,
        call.path,
        read,
        call.query,
        call.body,
        call.also,
    )


SIGNUP = Call(
    "signup",
    "account",
    "signup",
    "POST",
    "/v1/auth/signup",
    readers.session,
    body=("email", "password"),
)
LOGIN = Call(
    "login",
    "account",
    "login",
    "POST",
    "/v1/auth/login",
    readers.session,
    body=("email", "password"),
)
CREATE_NAMESPACE = Call(
    "createNamespace",
    "account",
    "create_namespace",
    "POST",
    "/v1/namespaces",
    readers.namespace,
    body=("name",),
)
LIST_NAMESPACES = Call(
    "listNamespaces", "account", "list_namespaces", "GET", "/v1/namespaces", readers.namespaces
)
DELETE_NAMESPACE = Call(
    "deleteNamespace",
    "account",
    "delete_namespace",
    "DELETE",
    "/v1/namespaces/{name}",
    readers.nothing,
)
CREATE_API_KEY = Call(
    "createApiKey",
    "account",
    "create_api_key",
    "POST",
    "/v1/api-keys",
    readers.new_api_key,
    body=("namespace", "name", "access", "keyPrefix", "expiresAt"),
)
LIST_API_KEYS = Call(
    "listApiKeys",
    "account",
    "list_api_keys",
    "GET",
    "/v1/api-keys",
    readers.api_keys,
    query=("namespace",),
)
REVOKE_API_KEY = Call(
    "revokeApiKey", "account", "revoke_api_key", "DELETE", "/v1/api-keys/{key_id}", readers.nothing
)
GET_USAGE = Call("getUsage", "account", "usage", "GET", "/v1/usage", readers.usage)
REQUEST_PASSWORD_RESET = Call(
    "requestPasswordReset",
    "account",
    "request_password_reset",
    "POST",
    "/v1/auth/password-reset",
    readers.message,
    body=("email",),
)
RESET_PASSWORD = Call(
    "resetPassword",
    "account",
    "reset_password",
    "POST",
    "/v1/auth/password-reset/confirm",
    readers.nothing,
    body=("token", "password"),
)
CHANGE_PASSWORD = Call(
    "changePassword",
    "account",
    "change_password",
    "POST",
    "/v1/auth/password",
    readers.nothing,
    body=("currentPassword", "newPassword"),
)
DELETE_ACCOUNT = Call(
    "deleteAccount", "account", "delete_account", "DELETE", "/v1/account", readers.nothing
)
GET_ITEM = Call("getItem", "data", "get", "GET", "/v1/{namespace}/{key}", readers.item)
PUT_ITEM = Call(
    "putItem",
    "data",
    "put",
    "PUT",
    "/v1/{namespace}/{key}",
    readers.written,
    query=("ttl", "expiresAt"),
    body="any",
)
INCREMENT_ITEM = Call(
    "incrementItem",
    "data",
    "increment",
    "POST",
    "/v1/{namespace}/{key}",
    readers.item,
    query=("ttl", "expiresAt"),
    body=("increment",),
)
PATCH_ITEM = Call(
    "patchItem", "data", "patch", "PATCH", "/v1/{namespace}/{key}", readers.item, body="any"
)
DELETE_ITEM = Call(
    "deleteItem", "data", "delete", "DELETE", "/v1/{namespace}/{key}", readers.nothing
)
LIST_KEYS = Call(
    "listKeys",
    "data",
    "list",
    "GET",
    "/v1/{namespace}",
    readers.page,
    # changes, since and wait are the change feed's (kv_sdk.changes), read differently.
    query=(
        "prefix",
        "limit",
        "cursor",
        "details",
        "start",
        "end",
        "reverse",
        "count",
        "changes",
        "since",
        "wait",
    ),
    also=("count",),
)
# The same operation with ``count=true``, whose answer is ``{count}``.
COUNT_KEYS = reading(LIST_KEYS, readers.count)
BULK = Call(
    "bulk",
    "data",
    "get_many",
    "POST",
    "/v1/{namespace}",
    readers.bulk,
    body=("get", "put", "delete", "atomic", "deletePrefix", "limit"),
    also=("put_many", "delete_many", "delete_prefix"),
)
# The same operation with an ``atomic`` body, whose answer is ``{ok, items}``.
ATOMIC = reading(BULK, readers.atomic)

CALLS: tuple[Call[Any], ...] = (
    SIGNUP,
    LOGIN,
    CREATE_NAMESPACE,
    LIST_NAMESPACES,
    DELETE_NAMESPACE,
    CREATE_API_KEY,
    LIST_API_KEYS,
    REVOKE_API_KEY,
    GET_USAGE,
    REQUEST_PASSWORD_RESET,
    RESET_PASSWORD,
    CHANGE_PASSWORD,
    DELETE_ACCOUNT,
    GET_ITEM,
    PUT_ITEM,
    INCREMENT_ITEM,
    PATCH_ITEM,
    DELETE_ITEM,
    LIST_KEYS,
    BULK,
)

# The API's bulk limits: keys of one get, items of one put, keys of one delete, and the
# body of one put (the SDK splits larger batches into requests within them).
MAX_BULK_GET = 100
MAX_BULK_PUT = 1000
MAX_BULK_DELETE = 1000
MAX_BULK_BODY = 10 * 1024 * 1024
MERGE_PATCH = "application/merge-patch+json"


def signup(email: str, password: str) -> Request[Session]:
    """Create an account and sign in as it."""
    return SIGNUP.request(body=encode_json({"email": email, "password": password}))


def login(email: str, password: str) -> Request[Session]:
    """Sign in to an existing account."""
    return LOGIN.request(body=encode_json({"email": email, "password": password}))


def create_namespace(name: str) -> Request[Namespace]:
    """Make a namespace of the signed-in account."""
    return CREATE_NAMESPACE.request(body=encode_json({"name": name}))


def list_namespaces() -> Request[list[Namespace]]:
    """Every namespace of the signed-in account."""
    return LIST_NAMESPACES.request()


def delete_namespace(name: str) -> Request[None]:
    """Delete a namespace with its items and keys."""
    return DELETE_NAMESPACE.request(name=name)


def create_api_key(
    namespace: str,
    *,
    name: str | None,
    access: Access,
    key_prefix: str = "",
    expires_at: int | None = None,
) -> Request[NewApiKey]:
    """Make an API key for ``namespace``."""
    body: dict[str, str | int] = {"namespace": namespace, "access": access}
    if name is not None:
        body["name"] = name
    if key_prefix:
        body["keyPrefix"] = key_prefix
    if expires_at is not None:
        body["expiresAt"] = expires_at
    return CREATE_API_KEY.request(body=encode_json(body))


def list_api_keys(namespace: str | None) -> Request[list[ApiKey]]:
    """The account's keys, of one ``namespace`` if given."""
    return LIST_API_KEYS.request(params={"namespace": namespace} if namespace else None)


def revoke_api_key(key_id: str) -> Request[None]:
    """Revoke a key by its id."""
    return REVOKE_API_KEY.request(key_id=key_id)


def get_usage() -> Request[Usage]:
    """This month's usage against the plan."""
    return GET_USAGE.request()


def request_password_reset(email: str) -> Request[str]:
    """Have a reset link emailed to ``email`` (if it has an account)."""
    return REQUEST_PASSWORD_RESET.request(body=encode_json({"email": email}))


def reset_password(token: str, password: str) -> Request[None]:
    """Set a new password with the token of an emailed reset link."""
    return RESET_PASSWORD.request(body=encode_json({"token": token, "password": password}))


def change_password(current: str, new: str) -> Request[None]:
    """Change the signed-in account's password."""
    return CHANGE_PASSWORD.request(
        body=encode_json({"currentPassword": current, "newPassword": new})
    )


def delete_account() -> Request[None]:
    """Delete the signed-in account and everything in it."""
    return DELETE_ACCOUNT.request()


def get_item(namespace: str, key: str) -> Request[Item]:
    """Read one item."""
    return GET_ITEM.request(namespace=namespace, key=key)


def expiry(ttl: int | None, expires_at: int | None) -> dict[str, str]:
    """The ``ttl`` or ``expiresAt`` query of a write (at most one of them)."""
    if ttl is not None and expires_at is not None:
        raise ValueError("Pass ttl or expires_at, not both.")
    if ttl is not None:
        return {"ttl": str(whole(ttl, "ttl"))}
    if expires_at is not None:
        return {"expiresAt": str(whole(expires_at, "expires_at"))}
    return {}


def whole(number: int, name: str) -> int:
    """``number`` if it is an ``int`` (not a bool); ``TypeError`` otherwise."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"{name} must be a whole number of seconds, not {number!r}.")
    return number


def metadata_header(metadata: Mapping[str, Any]) -> str:
    """``metadata`` as the ``KV-Metadata`` header carries it: a JSON object, ASCII only
    (other characters escaped, which JSON reads back the same)."""
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a JSON object (a mapping), not {metadata!r}.")
    encode_json(metadata := dict(metadata))  # what JSON cannot hold fails as for a value
    return json.dumps(metadata, separators=(",", ":"), ensure_ascii=True)


def put_item(
    namespace: str,
    key: str,
    value: Any,
    *,
    if_match: str | None,
    only_if_absent: bool,
    ttl: int | None = None,
    expires_at: int | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Request[WriteResult]:
    """Store ``value``; the value is encoded here, so what JSON cannot hold fails before
    anything is sent."""
    if if_match is not None and only_if_absent:
        raise ValueError("Pass if_match or only_if_absent, not both.")
    headers: dict[str, str] = {}
    if if_match is not None:
        headers["If-Match"] = etag_header(if_match)
    if only_if_absent:
        headers["If-None-Match"] = "*"
    if metadata is not None:
        headers["KV-Metadata"] = metadata_header(metadata)
    params = expiry(ttl, expires_at)
    body = encode_json(value)
    return PUT_ITEM.request(params=params, headers=headers, body=body, namespace=namespace, key=key)


def increment_item(
    namespace: str, key: str, by: int | float, *, ttl: int | None, expires_at: int | None
) -> Request[Item]:
    """Add ``by`` to the number at ``key`` (a missing item starts at 0)."""
    if isinstance(by, bool) or not isinstance(by, int | float):
        raise TypeError(f"by must be a number, not {by!r}.")
    params = expiry(ttl, expires_at)
    body = encode_json({"increment": by})
    return INCREMENT_ITEM.request(params=params, body=body, namespace=namespace, key=key)


def patch_item(namespace: str, key: str, patch: Any, *, if_match: str | None) -> Request[Item]:
    """Apply ``patch`` (an RFC 7396 JSON merge patch) to the value at ``key``."""
    headers = {"Content-Type": MERGE_PATCH}
    if if_match is not None:
        headers["If-Match"] = etag_header(if_match)
    body = encode_json(patch)
    return PATCH_ITEM.request(headers=headers, body=body, namespace=namespace, key=key)


def delete_item(namespace: str, key: str, *, if_match: str | None) -> Request[None]:
    """Delete one item, only if its ETag is ``if_match`` when given."""
    headers = {"If-Match": etag_header(if_match)} if if_match is not None else None
    return DELETE_ITEM.request(headers=headers, namespace=namespace, key=key)


def list_keys(
    namespace: str,
    *,
    prefix: str | None,
    limit: int | None,
    cursor: str | None,
    details: bool = False,
    start: str | None = None,
    end: str | None = None,
    reverse: bool = False,
) -> Request[Page]:
    """One page of keys (with each key's `KeyInfo` when ``details``), within ``start <=
    key < end`` when given, backwards when ``reverse``."""
    params: dict[str, str] = {"details": "true"} if details else {}
    if prefix:
        params["prefix"] = prefix
    if start:
        params["start"] = start
    if end:
        params["end"] = end
    if reverse:
        params["reverse"] = "true"
    if limit is not None:
        params["limit"] = str(limit)
    if cursor:
        params["cursor"] = cursor
    return LIST_KEYS.request(params=params, namespace=namespace)


def count_keys(namespace: str, *, prefix: str | None) -> Request[int]:
    """How many live items are under ``prefix`` (the whole namespace without one)."""
    params = {"count": "true", **({"prefix": prefix} if prefix else {})}
    return COUNT_KEYS.request(params=params, namespace=namespace)


def delete_prefix(namespace: str, prefix: str, *, limit: int | None) -> Request[BulkAnswer]:
    """One page of a deletion by prefix (``ValueError`` for an empty prefix: the API
    deletes everything only with the namespace)."""
    if not isinstance(prefix, str) or not prefix:
        raise ValueError("The prefix must be a non-empty string; delete the namespace instead.")
    body: dict[str, Any] = {"deletePrefix": prefix}
    if limit is not None:
        body["limit"] = whole(limit, "limit")
    return BULK.request(body=encode_json(body), namespace=namespace)


def atomic(
    namespace: str, checks: Sequence[Mapping[str, Any]], ops: Sequence[Mapping[str, Any]]
) -> Request[AtomicResult]:
    """One atomic operation (see `kv_sdk.atomic`)."""
    body = {"atomic": {"checks": list(checks), "ops": list(ops)}}
    return ATOMIC.request(body=encode_json(body), namespace=namespace)


def unique(keys: Iterable[str]) -> list[str]:
    """``keys`` without repeats, in the order first given; ``ValueError`` for an empty
    key, which names no item."""
    seen: dict[str, None] = {}
    for key in keys:
        if not isinstance(key, str) or not key:
            raise ValueError(f"A key must be a non-empty string, not {key!r}.")
        seen.setdefault(key)
    return list(seen)


def chunks(keys: Sequence[str], size: int) -> Iterator[list[str]]:
    """``keys`` in runs of at most ``size``, in order."""
    for start in range(0, len(keys), size):
        yield list(keys[start : start + size])


def get_many(namespace: str, keys: Sequence[str]) -> Request[BulkAnswer]:
    """One bulk get of at most `MAX_BULK_GET` keys."""
    return BULK.request(body=encode_json({"get": list(keys)}), namespace=namespace)


def delete_many(namespace: str, keys: Sequence[str]) -> Request[BulkAnswer]:
    """One bulk delete of at most `MAX_BULK_DELETE` keys."""
    return BULK.request(body=encode_json({"delete": list(keys)}), namespace=namespace)


def bulk_items(items: Mapping[str, Any] | Iterable[BulkItem]) -> list[BulkItem]:
    """What ``put_many`` takes (a mapping of key to value, or `BulkItem` records) as
    records; ``ValueError`` for a key given twice (the API refuses that)."""
    records = (
        [BulkItem(key, value) for key, value in items.items()]
        if isinstance(items, Mapping)
        else list(items)
    )
    seen: set[str] = set()
    for index, record in enumerate(records):
        if not isinstance(record, BulkItem):
            raise TypeError(f"Item {index} is not a BulkItem: {record!r}.")
        if not record.key:
            raise ValueError(f"Item {index} has an empty key.")
        if record.key in seen:
            raise ValueError(f"Item {index}: the key {record.key!r} is given twice.")
        seen.add(record.key)
    return records


def encode_bulk_item(item: BulkItem) -> bytes:
    """One item of a bulk put, encoded as the API takes it."""
    entry: dict[str, Any] = {"key": item.key, "value": item.value}
    if item.ttl is not None and item.expires_at is not None:
        raise ValueError(f"Item {item.key!r}: pass ttl or expires_at, not both.")
    if item.ttl is not None:
        entry["ttl"] = whole(item.ttl, "ttl")
    if item.expires_at is not None:
        entry["expiresAt"] = whole(item.expires_at, "expires_at")
    if item.metadata is not None:
        if not isinstance(item.metadata, Mapping):
            raise TypeError(f"Item {item.key!r}: metadata must be a JSON object.")
        entry["metadata"] = dict(item.metadata)
    return encode_json(entry)


_PUT_OPEN, _PUT_CLOSE = b'{"put":[', b"]}"


def put_batches(
    items: Iterable[BulkItem], *, max_items: int = MAX_BULK_PUT, max_body: int = MAX_BULK_BODY
) -> Iterator[tuple[int, bytes]]:
    """The bodies of the bulk puts that store ``items`` in order, each with at most
    ``max_items`` items and ``max_body`` bytes, and how many items each holds.

    Every item is encoded before the first body is given, so that what JSON cannot hold
    fails before anything is sent. An item too large for a body of its own still gets
    one (the server then refuses it, as it would a PUT of it).
    """
    encoded = [encode_bulk_item(item) for item in items]
    batch: list[bytes] = []
    size = len(_PUT_OPEN) + len(_PUT_CLOSE)
    for entry in encoded:
        grown = size + len(entry) + (1 if batch else 0)
        if batch and (len(batch) >= max_items or grown > max_body):
            yield len(batch), _PUT_OPEN + b",".join(batch) + _PUT_CLOSE
            batch, grown = [], len(_PUT_OPEN) + len(_PUT_CLOSE) + len(entry)
        batch.append(entry)
        size = grown
    if batch:
        yield len(batch), _PUT_OPEN + b",".join(batch) + _PUT_CLOSE


def shifted(error: KVError, start: int) -> KVError:
    """``error`` of a bulk request whose first entry is entry ``start`` of the whole
    call, its ``index`` counted in the whole call."""
    if error.index is not None:
        error.index += start
    return error


def put_many(namespace: str, body: bytes) -> Request[BulkAnswer]:
    """One bulk put of a body made by `put_batches`."""
    return BULK.request(body=body, namespace=namespace)


def in_order(keys: Sequence[str], answers: Iterable[BulkAnswer]) -> tuple[list[Item], list[str]]:
    """The items and missing keys of the bulk gets of ``keys``, in the order of ``keys``."""
    found: dict[str, Item] = {}
    for answer in answers:
        for item in answer.items or ():
            found[item.key] = item
    items = [found[key] for key in keys if key in found]
    return items, [key for key in keys if key not in found]


def write_found(
    failed: PreconditionFailed, current: Item | None, value: Any, *, only_if_absent: bool
) -> WriteResult:
    """A conditional put's result when a retry met 412 after an earlier attempt may have
    been applied: done if the item (read back as ``current``) holds ``value``, else
    ``failed`` is raised after all."""
    if current is None or not same_json(current.value, value):
        raise failed
    return WriteResult(
        key=current.key,
        etag=current.etag,
        created=only_if_absent,
        version=current.version,
        updated_at=current.updated_at,
    )


def namespace_path(namespace: str) -> str:
    """``/v1/{namespace}``, quoted."""
    return fill(LIST_KEYS.path, {"namespace": namespace})


def item_path(namespace: str, key: str) -> str:
    """``/v1/{namespace}/{key}`` with the key quoted whole (see `quote_segment`)."""
    return fill(GET_ITEM.path, {"namespace": namespace, "key": key})
