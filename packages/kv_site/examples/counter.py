"""A counter that many processes can increment at once without losing an update.

Read the item and its ETag, write the new value with ``If-Match``; if someone else
wrote in between, the write answers 412 and we read again. Needs KV_BASE_URL,
KV_NAMESPACE and KV_API_KEY.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import requests

base = f"{os.environ['KV_BASE_URL']}/v1/{os.environ['KV_NAMESPACE']}"
headers = {"x-api-key": os.environ["KV_API_KEY"]}


def increment(key: str) -> int:
    """Add one to the counter at ``key`` (created at 1), and return the new count."""
    while True:
        current = requests.get(f"{base}/{key}", headers=headers, timeout=10)
        if current.status_code == 404:
            count, condition = 1, {"If-None-Match": "*"}
        else:
            current.raise_for_status()
            count, condition = current.json()["value"] + 1, {"If-Match": current.headers["ETag"]}
        written = requests.put(
            f"{base}/{key}", json=count, headers={**headers, **condition}, timeout=10
        )
        if written.status_code != 412:
            written.raise_for_status()
            return count


with ThreadPoolExecutor(max_workers=8) as pool:
    list(pool.map(lambda _: increment("counters/visits"), range(40)))

final = requests.get(f"{base}/counters/visits", headers=headers, timeout=10).json()["value"]
print(f"40 increments from 8 threads: the counter is {final}")
