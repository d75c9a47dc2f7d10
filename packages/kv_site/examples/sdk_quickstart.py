"""Store, read, list and delete items with the Python SDK.

KVClient reads KV_API_KEY and KV_BASE_URL from the environment; this sample also
reads KV_NAMESPACE.
"""

import os

from kv_sdk import KVClient, NotFound

namespace = os.environ["KV_NAMESPACE"]

# --8<-- [start:crud]
with KVClient() as kv:
    written = kv.put(namespace, "user:42", {"name": "Ada", "languages": ["en", "fr"]})
    print(written.created, written.etag)  # True and the item's ETag

    item = kv.get(namespace, "user:42")
    print(item.value["name"])  # Ada

    print(kv.list(namespace, prefix="user:").keys)  # ['user:42']

    kv.delete(namespace, "user:42")
    try:
        kv.get(namespace, "user:42")
    except NotFound as error:
        print(error.status, error.code)  # 404 item_not_found
# --8<-- [end:crud]
