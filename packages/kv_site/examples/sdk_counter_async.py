"""The compare-and-swap counter with the async SDK: 40 increments from 8 tasks sharing
one AsyncKVClient (and its connection pool); a lost race raises PreconditionFailed.

Needs KV_BASE_URL, KV_API_KEY and KV_NAMESPACE, and the async extra (kv-sdk[async]).
"""

import asyncio
import os

from kv_sdk import AsyncKVClient, NotFound, PreconditionFailed

namespace = os.environ["KV_NAMESPACE"]


async def increment(kv: AsyncKVClient, key: str) -> int:
    """Add one to the counter at ``key`` (created at 1), and return the new count."""
    while True:
        try:
            current = await kv.get(namespace, key)
        except NotFound:
            try:
                await kv.put(namespace, key, 1, only_if_absent=True)
                return 1
            except PreconditionFailed:
                continue  # someone else created it first
        try:
            await kv.put(namespace, key, current.value + 1, if_match=current.etag)
            return current.value + 1
        except PreconditionFailed:
            continue  # someone else wrote first: read again


async def worker(kv: AsyncKVClient, times: int) -> None:
    for _ in range(times):
        await increment(kv, "counters/sdk-async")


async def main() -> None:
    async with AsyncKVClient() as kv:
        await asyncio.gather(*(worker(kv, 5) for _ in range(8)))
        count = (await kv.get(namespace, "counters/sdk-async")).value
    print(f"40 increments from 8 tasks: the counter is {count}")


asyncio.run(main())
