"""Which of SQLite's failures mean "the store cannot answer now".

A full disk (``SQLITE_FULL``, or ``ENOSPC`` from a side file) is
:class:`~kv_core.errors.StorageFull`; an I/O error, a lock held past the busy timeout
and their kin are :class:`~kv_core.errors.StoreUnavailable`. A corrupt file or a
misused API is neither: it stays an unexpected error, for an operator to see.
"""

from __future__ import annotations

import errno
import sqlite3

from kv_core.errors import StorageFull, StoreUnavailable
from kv_core.store.faults import causes, guarded

UNAVAILABLE = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_READONLY,
    }
)
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
UNAVAILABLE_ERRNOS = frozenset({errno.EIO, errno.EROFS, errno.EAGAIN, errno.ENOLCK})


def translate(error: BaseException) -> StoreUnavailable | None:
    """The domain's error for a fault somewhere in ``error``'s chain, else ``None``."""
    for cause in causes(error):
        if isinstance(cause, sqlite3.Error):
            code = getattr(cause, "sqlite_errorcode", None)
            primary = code & 0xFF if isinstance(code, int) else None
            if primary == sqlite3.SQLITE_FULL:
                return StorageFull()
            if primary in UNAVAILABLE:
                return StoreUnavailable()
        elif isinstance(cause, OSError):
            if cause.errno in FULL_ERRNOS:
                return StorageFull()
            if cause.errno in UNAVAILABLE_ERRNOS:
                return StoreUnavailable()
    return None


faults_translated = guarded(translate)
