"""GET throughput of the SDK from one process: ``AsyncKVClient`` with N tasks on one
event loop against ``KVClient`` in N threads (a client each), in alternating rounds
against the same server."""

from __future__ import annotations

import asyncio
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.report import Figure
from kv_sdk import AsyncKVClient, KVClient

CONCURRENCY = 16
CALLS = 640  # per round, spread over the tasks or the threads
ROUNDS = 8


async def _async_round(kv: AsyncKVClient) -> float:
    async def task(count: int) -> None:
        for _ in range(count):
            await kv.get("bench", "item")

    started = time.perf_counter()
    await asyncio.gather(*(task(CALLS // CONCURRENCY) for _ in range(CONCURRENCY)))
    return CALLS / (time.perf_counter() - started)


def _threads_round(pool: ThreadPoolExecutor, clients: list[KVClient]) -> float:
    def thread(kv: KVClient) -> None:
        for _ in range(CALLS // CONCURRENCY):
            kv.get("bench", "item")

    started = time.perf_counter()
    list(pool.map(thread, clients))
    return CALLS / (time.perf_counter() - started)


async def _rounds(base: str, key: str) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {"async": [], "threads": []}
    clients = [KVClient(key, base_url=base) for _ in range(CONCURRENCY)]
    try:
        async with AsyncKVClient(key, base_url=base) as aio:
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                await _async_round(aio)  # warm both pools up
                _threads_round(pool, clients)
                for round_ in range(ROUNDS):
                    # The order alternates, so that neither always runs on a warmer server.
                    if round_ % 2:
                        rates["threads"].append(_threads_round(pool, clients))
                        rates["async"].append(await _async_round(aio))
                    else:
                        rates["async"].append(await _async_round(aio))
                        rates["threads"].append(_threads_round(pool, clients))
    finally:
        for client in clients:
            client.close()
    return rates


def against_threads(base: str, key: str) -> Figure:
    """The ratio of the two throughputs (the median of each round's ratio), with both."""
    rates = asyncio.run(_rounds(base, key))
    ratio = statistics.median(a / t for a, t in zip(rates["async"], rates["threads"], strict=True))
    aio, threads = statistics.median(rates["async"]), statistics.median(rates["threads"])
    return Figure(
        f"SDK async GET calls/s ({CONCURRENCY} tasks) / sync in {CONCURRENCY} threads",
        ratio,
        None,
        "higher",
        detail=f"async {aio:,.0f}/s, threads {threads:,.0f}/s, one process",
    )
