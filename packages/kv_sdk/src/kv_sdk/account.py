"""``AccountClient``: sign up or log in, then manage namespaces, API keys and usage."""

from __future__ import annotations

from typing import TypeVar

import requests

from kv_sdk import calls
from kv_sdk._env import resolve_base_url
from kv_sdk.calls import Access, Request
from kv_sdk.models import ApiKey, Namespace, NewApiKey, Session, Usage, User
from kv_sdk.transport import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, PooledClient, Transport

T = TypeVar("T")


class AccountClient(PooledClient):
    """The account API (``/v1/auth``, ``/v1/namespaces``, ``/v1/api-keys``, ``/v1/usage``).

    `signup` or `login` obtain a session ``token`` that every other call
    sends as ``Authorization: Bearer``; pass ``token`` to reuse one. ``base_url``,
    ``timeout``, ``max_retries`` and ``session`` mean what they mean for
    `KVClient`; sign-up, login and creations (POST) are never retried once sent:

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
        return self._sign_in(self._transport.send(calls.signup(email, password)))

    def login(self, email: str, password: str) -> User:
        """Sign in to an existing account; `AuthenticationError` if refused."""
        return self._sign_in(self._transport.send(calls.login(email, password)))

    def create_namespace(self, name: str) -> Namespace:
        """A new namespace: 1 to 64 of ``a-z 0-9 - _``, starting with a letter or digit."""
        return self._send(calls.create_namespace(name))

    def list_namespaces(self) -> list[Namespace]:
        """Every namespace of the account."""
        return self._send(calls.list_namespaces())

    def delete_namespace(self, name: str) -> None:
        """Delete a namespace with all its items and API keys."""
        self._send(calls.delete_namespace(name))

    def create_api_key(
        self,
        namespace: str,
        *,
        name: str | None = None,
        access: Access = "read-write",
        key_prefix: str = "",
        expires_at: int | None = None,
    ) -> NewApiKey:
        """A new key for ``namespace``; its ``secret`` is returned this once only.

        ``key_prefix`` confines it to the item keys that start with it; ``expires_at``
        (unix seconds) is when it stops working.
        """
        return self._send(
            calls.create_api_key(
                namespace, name=name, access=access, key_prefix=key_prefix, expires_at=expires_at
            )
        )

    def list_api_keys(self, namespace: str | None = None) -> list[ApiKey]:
        """The account's keys (of one ``namespace`` if given), without their secrets."""
        return self._send(calls.list_api_keys(namespace))

    def revoke_api_key(self, key_id: str) -> None:
        """Revoke a key by its ``id``: it stops working at once."""
        self._send(calls.revoke_api_key(key_id))

    def usage(self) -> Usage:
        """This month's requests and storage against the account's plan."""
        return self._send(calls.get_usage())

    def request_password_reset(self, email: str) -> str:
        """Have a link to reset the password emailed to ``email``; the server answers the
        same whether or not it has an account (its message is returned)."""
        return self._transport.send(calls.request_password_reset(email))

    def reset_password(self, token: str, password: str) -> None:
        """Set a new password with the token of an emailed reset link (it works once,
        for an hour); `InvalidRequest` with code ``invalid_reset_token`` otherwise."""
        self._transport.send(calls.reset_password(token, password))

    def change_password(self, current: str, new: str) -> None:
        """Change the signed-in account's password; `PermissionDenied` with code
        ``wrong_password`` when ``current`` is wrong."""
        self._send(calls.change_password(current, new))

    def delete_account(self) -> None:
        """Delete the signed-in account with everything in it, and sign out."""
        self._send(calls.delete_account())
        self.token = None

    def __repr__(self) -> str:
        state = "signed in" if self.token else "signed out"
        return f"AccountClient(base_url={self.base_url!r}, {state})"

    def _sign_in(self, session: Session) -> User:
        self.token = session.token
        return session.user

    def _send(self, request: Request[T]) -> T:
        return self._transport.send(request.signed(self.token))
