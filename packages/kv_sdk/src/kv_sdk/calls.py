"""Every operation the clients wrap, described once: its OpenAPI ``operationId``, method,
path template, query, body, and how its answer is read.

The sync clients (requests) and the async ones (httpx) build their requests with the
functions here and read the answers with the same readers (`kv_sdk.readers`), so
the two cannot drift; a test holds these records to the server's OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, TypeAlias, TypeVar

from kv_sdk import readers
from kv_sdk.answer import Answer
from kv_sdk.encoding import encode_json, etag_header, fill, same_json
from kv_sdk.errors import AuthenticationError, PreconditionFailed
from kv_sdk.models import ApiKey, Item, Namespace, NewApiKey, Page, Session, Usage, WriteResult

T = TypeVar("T")
Method: TypeAlias = Literal["GET", "PUT", "POST", "DELETE"]
Access: TypeAlias = Literal["read-write", "read-only"]
# A JSON object with these fields, any JSON value ("any"), or no body (None).
Body: TypeAlias = tuple[str, ...] | Literal["any"] | None


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One operation of the API, and the name of the client method that wraps it.

    ``plane`` says which pair of clients has it: ``"data"`` (``KVClient`` and
    ``AsyncKVClient``, with an API key) or ``"account"`` (``AccountClient`` and
    ``AsyncAccountClient``, with a session token).
    """

    operation_id: str
    plane: Literal["data", "account"]
    wrapper: str
    method: Method
    path: str
    read: Callable[[Answer], T]
    query: tuple[str, ...] = ()
    body: Body = None

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
    """A `Call` ready to send: its path, query, headers and encoded body."""

    call: Call[T]
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None

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
    "putItem", "data", "put", "PUT", "/v1/{namespace}/{key}", readers.written, body="any"
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
    query=("prefix", "limit", "cursor"),
)

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
    DELETE_ITEM,
    LIST_KEYS,
)


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


def put_item(
    namespace: str, key: str, value: Any, *, if_match: str | None, only_if_absent: bool
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
    body = encode_json(value)
    return PUT_ITEM.request(headers=headers, body=body, namespace=namespace, key=key)


def delete_item(namespace: str, key: str, *, if_match: str | None) -> Request[None]:
    """Delete one item, only if its ETag is ``if_match`` when given."""
    headers = {"If-Match": etag_header(if_match)} if if_match is not None else None
    return DELETE_ITEM.request(headers=headers, namespace=namespace, key=key)


def list_keys(
    namespace: str, *, prefix: str | None, limit: int | None, cursor: str | None
) -> Request[Page]:
    """One page of keys."""
    params: dict[str, str] = {}
    if prefix:
        params["prefix"] = prefix
    if limit is not None:
        params["limit"] = str(limit)
    if cursor:
        params["cursor"] = cursor
    return LIST_KEYS.request(params=params, namespace=namespace)


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
