"""``AccountClient``: sign up or log in, then manage namespaces, API keys and usage."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

import requests

from kv_sdk._env import resolve_base_url
from kv_sdk.errors import AuthenticationError
from kv_sdk.models import ApiKey, Namespace, NewApiKey, Usage, User
from kv_sdk.transport import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, PooledClient, Transport

Access = Literal["read-write", "read-only"]


class AccountClient(PooledClient):
    """The account API (``/v1/auth``, ``/v1/namespaces``, ``/v1/api-keys``, ``/v1/usage``).

    :meth:`signup` or :meth:`login` obtain a session ``token`` that every other call
    sends as ``Authorization: Bearer``; pass ``token`` to reuse one. ``base_url``,
    ``timeout``, ``max_retries`` and ``session`` mean what they mean for
    :class:`KVClient`; sign-up, login and creations (POST) are never retried once sent::

        with AccountClient() as account:
            account.signup("ada@example.com", "a long password")
            account.create_namespace("app")
            secret = account.create_api_key("app").secret
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
    ) -> None:
        self._transport = Transport(
            resolve_base_url(base_url), timeout=timeout, max_retries=max_retries, session=session
        )
        self.token = token

    @property
    def base_url(self) -> str:
        """The server's root URL the client talks to."""
        return self._transport.base_url

    def signup(self, email: str, password: str) -> User:
        """Create an account (password of 8 characters or more) and sign in as it."""
        return self._sign_in("/v1/auth/signup", email, password)

    def login(self, email: str, password: str) -> User:
        """Sign in to an existing account; :class:`AuthenticationError` if refused."""
        return self._sign_in("/v1/auth/login", email, password)

    def create_namespace(self, name: str) -> Namespace:
        """A new namespace: 1 to 64 of ``a-z 0-9 - _``, starting with a letter or digit."""
        data = self._call("POST", "/v1/namespaces", {"name": name}).json()
        return Namespace.from_json(data["namespace"])

    def list_namespaces(self) -> list[Namespace]:
        """Every namespace of the account."""
        data = self._call("GET", "/v1/namespaces").json()
        return [Namespace.from_json(n) for n in data["namespaces"]]

    def delete_namespace(self, name: str) -> None:
        """Delete a namespace with all its items and API keys."""
        self._call("DELETE", f"/v1/namespaces/{quote(name, safe='')}")

    def create_api_key(
        self, namespace: str, *, name: str | None = None, access: Access = "read-write"
    ) -> NewApiKey:
        """A new key for ``namespace``; its ``secret`` is returned this once only."""
        body: dict[str, str] = {"namespace": namespace, "access": access}
        if name is not None:
            body["name"] = name
        data = self._call("POST", "/v1/api-keys", body).json()
        return NewApiKey(secret=data["apiKey"], key=ApiKey.from_json(data["key"]))

    def list_api_keys(self, namespace: str | None = None) -> list[ApiKey]:
        """The account's keys (of one ``namespace`` if given), without their secrets."""
        params = {"namespace": namespace} if namespace else None
        data = self._call("GET", "/v1/api-keys", params=params).json()
        return [ApiKey.from_json(k) for k in data["apiKeys"]]

    def revoke_api_key(self, key_id: str) -> None:
        """Revoke a key by its ``id``: it stops working at once."""
        self._call("DELETE", f"/v1/api-keys/{quote(key_id, safe='')}")

    def usage(self) -> Usage:
        """This month's requests and storage against the account's plan."""
        return Usage.from_json(self._call("GET", "/v1/usage").json())

    def __repr__(self) -> str:
        state = "signed in" if self.token else "signed out"
        return f"AccountClient(base_url={self.base_url!r}, {state})"

    def _sign_in(self, path: str, email: str, password: str) -> User:
        data = self._transport.request(
            "POST", path, json_body={"email": email, "password": password}
        ).json()
        self.token = str(data["token"])
        return User.from_json(data["user"])

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, str] | None = None,
        *,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        if not self.token:
            raise AuthenticationError("Not signed in: call signup() or login(), or pass token=.")
        return self._transport.request(
            method,
            path,
            json_body=body,
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
        )
