"""The embedded engine's schema, as an ordered list of migrations.

A file's ``PRAGMA user_version`` is the number of steps it has been through; opening a
store runs the steps it has not, each in the transaction that also records it, so a
file is always at one step or the next, never half-way. A step is never changed once
released: a change of schema is a new step at the end.

Files made before the steps were numbered are at version 0 with the first step's
tables in place (hence ``IF NOT EXISTS`` in the first step only).
"""

from __future__ import annotations

import sqlite3

# Every change of an item moves its namespace's and its owner's counters in the same
# statement; a write into a namespace deleted meanwhile is refused.
_FIRST_ROUND = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    plan TEXT NOT NULL,
    storage_bytes INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS namespaces (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    item_count INTEGER NOT NULL DEFAULT 0,
    size_bytes INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, name)
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id),
    namespace_id TEXT NOT NULL REFERENCES namespaces(id),
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    access TEXT NOT NULL,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_by_user ON api_keys (user_id, created_at);
CREATE INDEX IF NOT EXISTS api_keys_by_namespace ON api_keys (namespace_id);
CREATE TABLE IF NOT EXISTS items (
    namespace_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    version INTEGER NOT NULL,
    etag TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (namespace_id, key)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS items_counted_on_insert AFTER INSERT ON items
BEGIN
    SELECT RAISE(ABORT, 'namespace_gone')
        WHERE NOT EXISTS (SELECT 1 FROM namespaces WHERE id = NEW.namespace_id);
    UPDATE namespaces SET item_count = item_count + 1, size_bytes = size_bytes + NEW.size
        WHERE id = NEW.namespace_id;
    UPDATE users SET storage_bytes = storage_bytes + NEW.size
        WHERE id = (SELECT user_id FROM namespaces WHERE id = NEW.namespace_id);
END;
CREATE TRIGGER IF NOT EXISTS items_counted_on_update AFTER UPDATE OF size ON items
BEGIN
    UPDATE namespaces SET size_bytes = size_bytes + NEW.size - OLD.size
        WHERE id = NEW.namespace_id;
    UPDATE users SET storage_bytes = storage_bytes + NEW.size - OLD.size
        WHERE id = (SELECT user_id FROM namespaces WHERE id = NEW.namespace_id);
END;
CREATE TRIGGER IF NOT EXISTS items_counted_on_delete AFTER DELETE ON items
BEGIN
    UPDATE namespaces SET item_count = item_count - 1, size_bytes = size_bytes - OLD.size
        WHERE id = OLD.namespace_id;
    UPDATE users SET storage_bytes = storage_bytes - OLD.size
        WHERE id = (SELECT user_id FROM namespaces WHERE id = OLD.namespace_id);
END;
CREATE TABLE IF NOT EXISTS usage (
    user_id TEXT NOT NULL,
    month TEXT NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (user_id, month)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS markers (
    scope TEXT NOT NULL,
    marker TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, marker)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS login_failures (
    email TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    window_start TEXT NOT NULL
);
"""

# A replacement of the same size moves no counter: the trigger only runs when it must.
# (Files of the first round that were opened by a later build before the steps were
# numbered have this trigger already.)
_RESIZE_ONLY_WHEN_RESIZED = """
DROP TRIGGER IF EXISTS items_counted_on_update;
CREATE TRIGGER IF NOT EXISTS items_resized AFTER UPDATE OF size ON items
    WHEN NEW.size <> OLD.size
BEGIN
    UPDATE namespaces SET size_bytes = size_bytes + NEW.size - OLD.size
        WHERE id = NEW.namespace_id;
    UPDATE users SET storage_bytes = storage_bytes + NEW.size - OLD.size
        WHERE id = (SELECT user_id FROM namespaces WHERE id = NEW.namespace_id);
END;
"""

# Logins are throttled per email and client address, counting attempts, not failures.
_LOGIN_ATTEMPTS = """
ALTER TABLE login_failures RENAME TO login_attempts;
ALTER TABLE login_attempts RENAME COLUMN email TO subject;
"""

# The dashboard's sessions live on the server, so that logging out ends them.
_SESSIONS = """
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);
"""

# A payment subscription belongs to one account, and its events apply in order.
_SUBSCRIPTIONS = """
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    occurred_at TEXT NOT NULL
) WITHOUT ROWID;
"""

# Password reset links: single use, an hour long.
_RESET_TOKENS = """
CREATE TABLE reset_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX reset_tokens_by_user ON reset_tokens (user_id);
"""

# An API key may be confined to the item keys under a prefix, and may expire.
_SCOPED_KEYS = """
ALTER TABLE api_keys ADD COLUMN key_prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
"""

# An account's own limits beside its plan (NULL: the plan's), and whether an operator
# disabled it.
_ACCOUNT_LIMITS_AND_DISABLING = """
ALTER TABLE users ADD COLUMN requests_limit INTEGER;
ALTER TABLE users ADD COLUMN storage_limit INTEGER;
ALTER TABLE users ADD COLUMN disabled_at TEXT;
"""

# Items may expire (a unix second) and carry metadata (compact JSON, counted in their
# size, so the resize trigger still moves the counters); the sweep finds the expired
# ones by the partial index, which holds only items that expire.
_EXPIRY_AND_METADATA = """
ALTER TABLE items ADD COLUMN expires_at INTEGER;
ALTER TABLE items ADD COLUMN metadata TEXT;
CREATE INDEX items_by_expiry ON items (expires_at) WHERE expires_at IS NOT NULL;
"""

# The change feed: each write of an item logs its change in the same statement, by
# these triggers, so no commit (nor a kill -9) ever holds one without the other. A seq
# is never reused (AUTOINCREMENT), so a cursor survives the pruning of everything
# before it. A put carries its value when its compact JSON is at most 4 KiB
# (LIMITS.change_value_max_bytes when this step was written). A put over an expired
# item (its version starts again at 1) logs the expiry first. A delete logs "expire"
# for an item expired by ``expiring.at``, the unix second by which the transaction
# under way judges expiry (set by the sweep, NULL otherwise), and nothing once its
# namespace is gone (the namespace's deletion removes its log).
_CHANGE_FEED = """
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace_id TEXT NOT NULL,
    key TEXT NOT NULL,
    op TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at INTEGER,
    value TEXT,
    at TEXT NOT NULL
);
CREATE INDEX changes_by_namespace ON changes (namespace_id, seq);
CREATE TABLE expiring (at INTEGER);
INSERT INTO expiring (at) VALUES (NULL);
CREATE TRIGGER items_logged_on_insert AFTER INSERT ON items
BEGIN
    INSERT INTO changes (namespace_id, key, op, version, updated_at, expires_at, value, at)
        VALUES (NEW.namespace_id, NEW.key, 'put', NEW.version, NEW.updated_at,
            NEW.expires_at,
            CASE WHEN length(CAST(NEW.value AS BLOB)) <= 4096 THEN NEW.value END,
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER items_logged_on_update AFTER UPDATE ON items
BEGIN
    INSERT INTO changes (namespace_id, key, op, version, updated_at, expires_at, at)
        SELECT OLD.namespace_id, OLD.key, 'expire', OLD.version, OLD.updated_at,
            OLD.expires_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        WHERE NEW.version <= OLD.version;
    INSERT INTO changes (namespace_id, key, op, version, updated_at, expires_at, value, at)
        VALUES (NEW.namespace_id, NEW.key, 'put', NEW.version, NEW.updated_at,
            NEW.expires_at,
            CASE WHEN length(CAST(NEW.value AS BLOB)) <= 4096 THEN NEW.value END,
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER items_logged_on_delete AFTER DELETE ON items
    WHEN EXISTS (SELECT 1 FROM namespaces WHERE id = OLD.namespace_id)
BEGIN
    INSERT INTO changes (namespace_id, key, op, version, updated_at, expires_at, at)
        VALUES (OLD.namespace_id, OLD.key,
            CASE WHEN OLD.expires_at <= (SELECT at FROM expiring) THEN 'expire'
                ELSE 'delete' END,
            OLD.version, OLD.updated_at, OLD.expires_at,
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
"""

MIGRATIONS: tuple[str, ...] = (
    _FIRST_ROUND,
    _RESIZE_ONLY_WHEN_RESIZED,
    _LOGIN_ATTEMPTS,
    _SESSIONS,
    _SUBSCRIPTIONS,
    _RESET_TOKENS,
    _SCOPED_KEYS,
    _ACCOUNT_LIMITS_AND_DISABLING,
    _EXPIRY_AND_METADATA,
    _CHANGE_FEED,
)


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, steps: tuple[str, ...] = MIGRATIONS) -> int:
    """Run the steps the file has not been through; returns its version after.

    The caller holds the writer lock, so no other process migrates at the same time. A
    file from a newer build (a version past the last step) is refused rather than
    written by code that does not know its schema.
    """
    current = version(db)
    if current > len(steps):
        raise RuntimeError(
            f"the database is at schema version {current}, newer than this build's"
            f" {len(steps)}: upgrade KV Storage to open it"
        )
    for number, step in enumerate(steps[current:], start=current + 1):
        try:
            db.executescript(f"BEGIN IMMEDIATE; {step}\nPRAGMA user_version = {number}; COMMIT;")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return version(db)
