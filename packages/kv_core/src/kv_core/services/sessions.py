"""The dashboard's sign-ins, kept on the server so that logging out ends them.

A session id is ``<user id>.<secret>``: the browser holds it (in the session cookie and,
for "keep me logged in", the remember cookie), the store holds only the secret's
SHA-256. Ending a session deletes that record, so every cookie that names it stops
working at once, wherever it was copied.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from kv_core.hashing import digest
from kv_core.model import Session, User, isoformat, parse_iso
from kv_core.services.config import CoreConfig
from kv_core.store import Store

# A plain sign-in lasts a working day; "keep me logged in" a month.
SESSION_LIFETIME = timedelta(hours=12)
REMEMBERED_LIFETIME = timedelta(days=30)
_SECRET_BYTES = 24


class Sessions:
    def __init__(self, store: Store, config: CoreConfig) -> None:
        self.store = store
        self.config = config

    def start(self, user: User, *, remember: bool = False) -> str:
        """A new session for ``user``; its id, for the browser only."""
        now = self.config.clock()
        secret = secrets.token_urlsafe(_SECRET_BYTES)
        lifetime = REMEMBERED_LIFETIME if remember else SESSION_LIFETIME
        self.store.create_session(
            Session(user.id, digest(secret), isoformat(now), isoformat(now + lifetime))
        )
        return f"{user.id}.{secret}"

    def resolve(self, session_id: str) -> User | None:
        """The signed-in user, or ``None`` for an ended, expired or made-up session."""
        user_id, secret = _split(session_id)
        if not user_id:
            return None
        session = self.store.get_session(user_id, digest(secret))
        if session is None or parse_iso(session.expires_at) <= self.config.clock():
            return None
        return self.store.get_user(user_id)

    def end(self, session_id: str) -> None:
        user_id, secret = _split(session_id)
        if user_id:
            self.store.delete_session(user_id, digest(secret))

    def end_others(self, session_id: str) -> int:
        """End every other session of the same user (after a password change)."""
        user_id, secret = _split(session_id)
        return self.store.delete_sessions(user_id, keep=digest(secret)) if user_id else 0


def _split(session_id: str) -> tuple[str, str]:
    user_id, dot, secret = session_id.partition(".")
    return (user_id, secret) if dot and user_id and secret else ("", "")
