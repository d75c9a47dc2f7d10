"""The dashboard's sessions on DynamoDB: an entry under the user, removed by the table's
TTL some time after it ends (reads check the end themselves)."""

from __future__ import annotations

from kv_core.engines.dynamodb import keys
from kv_core.engines.dynamodb.table import Entry, Table
from kv_core.model import Session, parse_iso


class Sessions(Table):
    def create_session(self, session: Session) -> None:
        self.Entry(
            keys.user_pk(session.user_id),
            keys.session_sk(session.token_hash),
            user_id=session.user_id,
            created_at=session.created_at,
            ends_at=session.expires_at,
            expires_at=parse_iso(session.expires_at),
        ).save()

    def get_session(self, user_id: str, token_hash: str) -> Session | None:
        entry = self._get(keys.user_pk(user_id), keys.session_sk(token_hash))
        return _session(entry, token_hash) if entry else None

    def delete_session(self, user_id: str, token_hash: str) -> None:
        self.Entry(keys.user_pk(user_id), keys.session_sk(token_hash)).delete()

    def delete_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        ended = [
            entry
            for entry in self.Entry.query(
                keys.user_pk(user_id),
                self.Entry.sk.startswith(keys.session_sk("")),
                consistent_read=True,
                attributes_to_get=["PK", "SK"],
            )
            if keys.parse_session_sk(entry.sk) != keep
        ]
        with self.Entry.batch_write() as batch:
            for entry in ended:
                batch.delete(entry)
        return len(ended)


def _session(entry: Entry, token_hash: str) -> Session:
    return Session(
        user_id=entry.user_id or "",
        token_hash=token_hash,
        created_at=entry.created_at or "",
        expires_at=entry.ends_at or "",
    )
