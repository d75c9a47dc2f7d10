"""Expiry, metadata, atomic increments, merge patches, bulk calls and detailed lists with
the SDK's async client.

AsyncKVClient reads KV_API_KEY and KV_BASE_URL from the environment; this sample also
reads KV_NAMESPACE. It needs the async extra: pip install 'kv-sdk[async]'.
"""

import asyncio
import os

from kv_sdk import AsyncKVClient, BulkItem

namespace = os.environ["KV_NAMESPACE"]


async def main() -> None:
    async with AsyncKVClient() as kv:
        # --8<-- [start:expiry]
        written = await kv.put(
            namespace, "session:7", {"user": 42}, ttl=3600, metadata={"ip": "10.0.0.1"}
        )
        print(written.expires_at is not None)  # True: gone 3600 s from now, to the second
        print((await kv.get(namespace, "session:7")).metadata)  # {'ip': '10.0.0.1'}
        # --8<-- [end:expiry]

        # --8<-- [start:increment]
        await kv.increment(namespace, "hits")  # a missing item starts at 0
        print((await kv.increment(namespace, "hits", 41)).value)  # 42
        # --8<-- [end:increment]

        # --8<-- [start:patch]
        await kv.put(namespace, "profile:42", {"name": "Ada", "theme": "dark", "beta": True})
        patched = await kv.patch(namespace, "profile:42", {"theme": "light", "beta": None})
        print(patched.value)  # {'name': 'Ada', 'theme': 'light'}
        # --8<-- [end:patch]

        # --8<-- [start:bulk]
        # Any number of items: the SDK sends 1000 a request (100 a request for get_many).
        print(await kv.put_many(namespace, {f"city:{i}": {"rank": i} for i in range(250)}))
        await kv.put_many(
            namespace, [BulkItem("city:oslo", {"rank": 1}, ttl=600, metadata={"no": 1})]
        )
        found = await kv.get_many(namespace, ["city:oslo", "city:7", "city:lima"])
        print([item.key for item in found.items], found.missing)  # [...] ['city:lima']
        print(await kv.delete_many(namespace, [f"city:{i}" for i in range(250)]))  # 250
        # --8<-- [end:bulk]

        # --8<-- [start:details]
        async for info in kv.iter_key_info(namespace, prefix="session:"):
            print(info.key, info.version, info.metadata)  # session:7 1 {'ip': '10.0.0.1'}
        # --8<-- [end:details]


asyncio.run(main())
