"""The compare-and-swap counter with the SDK: a lost race raises PreconditionFailed.

Needs KV_BASE_URL, KV_API_KEY and KV_NAMESPACE.
"""

import os
from concurrent.futures import ThreadPoolExecutor

from kv_sdk import KVClient, NotFound, PreconditionFailed

namespace = os.environ["KV_NAMESPACE"]
kv = KVClient()


def increment(key: str) -> int:
    """Add one to the counter at ``key`` (created at 1), and return the new count."""
    while True:
        try:
            current = kv.get(namespace, key)
        except NotFound:
            try:
                kv.put(namespace, key, 1, only_if_absent=True)
                return 1
            except PreconditionFailed:
                continue  # someone else created it first
        try:
            kv.put(namespace, key, current.value + 1, if_match=current.etag)
            return current.value + 1
        except PreconditionFailed:
            continue  # someone else wrote first: read again


with ThreadPoolExecutor(max_workers=8) as pool:
    list(pool.map(lambda _: increment("counters/sdk"), range(40)))
print(f"40 increments from 8 threads: the counter is {kv.get(namespace, 'counters/sdk').value}")
kv.close()
