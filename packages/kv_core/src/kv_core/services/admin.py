"""The operator's view of the accounts: list and inspect them, set a plan with the
account's own limits, disable and enable. Accounts are named by email here, as an
operator knows them."""

from __future__ import annotations

from dataclasses import dataclass

from kv_core.errors import InvalidInput, NotFound
from kv_core.model import User, isoformat
from kv_core.plans import get_plan
from kv_core.services.api_keys import ApiKeys
from kv_core.services.config import CoreConfig
from kv_core.services.usage import UsageReport, UsageReports
from kv_core.store import Store


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """One account as ``admin user`` shows it."""

    user: User
    usage: UsageReport
    namespaces: int
    api_keys: int


class Admin:
    """Every change goes through the store, which tells the key caches: a running
    server sees it at once on SQLite, and within the key cache's bound on DynamoDB."""

    def __init__(
        self, store: Store, config: CoreConfig, api_keys: ApiKeys, usage: UsageReports
    ) -> None:
        self.store = store
        self.config = config
        self.api_keys = api_keys
        self.usage = usage

    def users(self) -> list[User]:
        """Every account, by email."""
        return sorted(self.store.iter_users(), key=lambda user: user.email)

    def find(self, email: str) -> User:
        """The account with this email; ``NotFound`` if there is none."""
        user = self.store.get_user_by_email(email.strip().lower())
        if user is None:
            raise NotFound(f"There is no account with the email '{email}'.", code="user_not_found")
        return user

    def summary(self, email: str) -> AccountSummary:
        user = self.find(email)
        return AccountSummary(
            user,
            self.usage.report(user),
            len(self.store.list_namespaces(user.id)),
            len(self.store.list_api_keys(user.id)),
        )

    def set_plan(
        self,
        email: str,
        plan: str,
        *,
        requests_limit: int | None = None,
        storage_limit: int | None = None,
    ) -> User:
        """Move the account to ``plan`` with its own limits, where given, in place of
        the plan's (a limit not given is the plan's). Everything is checked before
        anything is written."""
        get_plan(plan)
        for name, limit in (("requests", requests_limit), ("storage", storage_limit)):
            if limit is not None and limit < 0:
                raise InvalidInput(
                    f"A {name} limit is a whole number, 0 or more, not {limit}.",
                    code="invalid_limit",
                )
        user = self.find(email)
        self.store.set_plan(
            user.id,
            plan,
            self._now(),
            requests_limit=requests_limit,
            storage_limit=storage_limit,
        )
        self.api_keys.forget_user(user.id)
        return self.find(email)

    def disable(self, email: str) -> User:
        """Refuse the account's API keys and its logins (until :meth:`enable`)."""
        user = self.find(email)
        if user.disabled_at is None:
            self.store.set_disabled(user.id, self._now(), self._now())
            self.api_keys.forget_user(user.id)
        return self.find(email)

    def enable(self, email: str) -> User:
        user = self.find(email)
        if user.disabled_at is not None:
            self.store.set_disabled(user.id, None, self._now())
            self.api_keys.forget_user(user.id)
        return self.find(email)

    def _now(self) -> str:
        return isoformat(self.config.clock())
