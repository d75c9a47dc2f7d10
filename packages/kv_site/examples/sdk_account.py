"""Sign up, make a namespace and an API key for it with the SDK's AccountClient.

Needs KV_BASE_URL, KV_EMAIL and KV_PASSWORD.
"""

import os

from kv_sdk import AccountClient

# --8<-- [start:account]
with AccountClient() as account:
    account.signup(os.environ["KV_EMAIL"], os.environ["KV_PASSWORD"])
    account.create_namespace("my-app")
    new_key = account.create_api_key("my-app", name="backend", access="read-write")
    print(new_key.secret[:3], new_key.key.namespace, new_key.key.access)  # kv_ my-app read-write
    for key in account.list_api_keys("my-app"):
        print(key.name, key.requests_this_month)  # backend 0: requests made with it this month

    usage = account.usage()
    print(usage.plan, usage.requests.used, usage.requests.limit)
# --8<-- [end:account]
