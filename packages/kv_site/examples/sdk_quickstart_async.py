"""Store, read, list and delete items with the SDK's async client.

AsyncKVClient reads KV_API_KEY and KV_BASE_URL from the environment; this sample also
reads KV_NAMESPACE. It needs the async extra: pip install 'kv-sdk[async]'.
"""

import asyncio
import os

from kv_sdk import AsyncKVClient, NotFound

namespace = os.environ["KV_NAMESPACE"]


# --8<-- [start:crud]
async def main() -> None:
    async with AsyncKVClient() as kv:
        written = await kv.put(namespace, "user:42", {"name": "Ada", "languages": ["en", "fr"]})
        print(written.created, written.etag)  # True and the item's ETag

        item = await kv.get(namespace, "user:42")
        print(item.value["name"])  # Ada

        print([key async for key in kv.iter_keys(namespace, prefix="user:")])  # ['user:42']

        await kv.delete(namespace, "user:42")
        try:
            await kv.get(namespace, "user:42")
        except NotFound as error:
            print(error.status, error.code)  # 404 item_not_found


asyncio.run(main())
# --8<-- [end:crud]
