"""`AsyncChangeFeed`: the change feed followed for ``AsyncKVClient.changes``, by the
same rules as the sync feed (`kv_sdk.changes`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from kv_sdk import errors
from kv_sdk.aio.transport import AsyncTransport
from kv_sdk.changes import MAX_WAIT, Change, FeedState


class AsyncChangeFeed(AsyncIterator[Change]):
    """`ChangeFeed` for asyncio: ``async for change in kv.changes(ns)``.

    ``cursor`` is where it stands, to pass back as ``since`` later; dropped
    connections, 5xx and 429 answers are waited out and the same cursor asked again;
    `CursorExpired` is raised when the cursor is older than the changes kept.
    """

    def __init__(
        self,
        transport: AsyncTransport,
        namespace: str,
        *,
        prefix: str | None = None,
        since: str | None = None,
        wait: int = MAX_WAIT,
    ) -> None:
        self._transport = transport
        self._state = FeedState(namespace, prefix=prefix, since=since, wait=wait)

    @property
    def cursor(self) -> str | None:
        """The cursor to resume from (``None``: from the oldest change kept)."""
        return self._state.cursor

    @property
    def failures(self) -> int:
        """Failed reads in a row, waited out and retried."""
        return self._state.failures

    def __aiter__(self) -> AsyncIterator[Change]:
        return self

    async def __anext__(self) -> Change:
        state = self._state
        while (change := state.hand_out()) is None:
            try:
                state.took(await self._transport.send(state.request()))
            except errors.KVError as error:
                await asyncio.sleep(state.failed(error))
        return change
