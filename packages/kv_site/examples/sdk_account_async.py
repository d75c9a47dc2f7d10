"""Sign up, make a namespace and an API key for it with the SDK's AsyncAccountClient.

Needs KV_BASE_URL, KV_EMAIL and KV_PASSWORD, and the async extra (kv-sdk[async]).
"""

import asyncio
import os

from kv_sdk import AsyncAccountClient


# --8<-- [start:account]
async def main() -> None:
    async with AsyncAccountClient() as account:
        await account.signup(os.environ["KV_EMAIL"], os.environ["KV_PASSWORD"])
        await account.create_namespace("my-app")
        new_key = await account.create_api_key("my-app", name="backend", access="read-write")
        # kv_ my-app read-write
        print(new_key.secret[:3], new_key.key.namespace, new_key.key.access)
        for key in await account.list_api_keys("my-app"):
            print(key.name, key.requests_this_month)  # backend 0: requests made with it this month

        usage = await account.usage()
        print(usage.plan, usage.requests.used, usage.requests.limit)


asyncio.run(main())
# --8<-- [end:account]
