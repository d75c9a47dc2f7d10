"""Helpers for tests against moto (not used by the product itself)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock


@contextmanager
def atomic_calls(calls: list[str] | None = None) -> Iterator[None]:
    """Make each DynamoDB call atomic, as it is on AWS.

    moto applies an update as an unlocked read-modify-write, so racing threads lose
    updates that DynamoDB would not; one lock around each call restores the per-call
    atomicity that the engine relies on (and nothing more: our code's own races,
    between calls, still race). Each call's operation name goes to ``calls``."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    lock = threading.Lock()

    def atomic(self: BaseClient, operation: str, params: dict) -> dict:  # type: ignore[type-arg]
        with lock:
            if calls is not None:
                calls.append(operation)
            return original(self, operation, params)  # type: ignore[no-any-return]

    with mock.patch.object(BaseClient, "_make_api_call", atomic):
        yield
