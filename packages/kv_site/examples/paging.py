"""Walk every key under a prefix, one page at a time, following the cursor.

Needs KV_BASE_URL, KV_NAMESPACE and KV_API_KEY.
"""

import os
from collections.abc import Iterator

import requests

base = f"{os.environ['KV_BASE_URL']}/v1/{os.environ['KV_NAMESPACE']}"
http = requests.Session()
http.headers["x-api-key"] = os.environ["KV_API_KEY"]


def all_keys(prefix: str, page_size: int = 100) -> Iterator[str]:
    """Every key that starts with ``prefix``, in key order."""
    params = {"prefix": prefix, "limit": page_size}
    while True:
        page = http.get(base, params=params)
        page.raise_for_status()
        body = page.json()
        yield from body["keys"]
        if body["cursor"] is None:
            return
        params["cursor"] = body["cursor"]


for day in range(1, 26):
    http.put(f"{base}/logs/2025-01-{day:02d}", json={"day": day}).raise_for_status()

keys = list(all_keys("logs/2025-01-", page_size=10))
print(f"{len(keys)} keys, from {keys[0]} to {keys[-1]}")
