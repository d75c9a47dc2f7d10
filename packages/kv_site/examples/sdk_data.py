"""Expiry, metadata, atomic increments, merge patches, bulk calls and detailed lists with
the SDK's sync client.

KVClient reads KV_API_KEY and KV_BASE_URL from the environment; this sample also reads
KV_NAMESPACE.
"""

import os

from kv_sdk import BulkItem, KVClient

namespace = os.environ["KV_NAMESPACE"]

with KVClient() as kv:
    # --8<-- [start:expiry]
    written = kv.put(namespace, "session:7", {"user": 42}, ttl=3600, metadata={"ip": "10.0.0.1"})
    print(written.expires_at is not None)  # True: gone 3600 s from now, to the second
    print(kv.get(namespace, "session:7").metadata)  # {'ip': '10.0.0.1'}
    # --8<-- [end:expiry]

    # --8<-- [start:increment]
    kv.increment(namespace, "hits")  # a missing item starts at 0
    print(kv.increment(namespace, "hits", 41).value)  # 42
    # --8<-- [end:increment]

    # --8<-- [start:patch]
    kv.put(namespace, "profile:42", {"name": "Ada", "theme": "dark", "beta": True})
    patched = kv.patch(namespace, "profile:42", {"theme": "light", "beta": None})
    print(patched.value)  # {'name': 'Ada', 'theme': 'light'}
    # --8<-- [end:patch]

    # --8<-- [start:bulk]
    # Any number of items: the SDK sends 1000 a request (100 a request for get_many).
    print(kv.put_many(namespace, {f"city:{i}": {"rank": i} for i in range(250)}))  # 250
    kv.put_many(namespace, [BulkItem("city:oslo", {"rank": 1}, ttl=600, metadata={"no": 1})])
    found = kv.get_many(namespace, ["city:oslo", "city:7", "city:lima"])
    print([item.key for item in found.items], found.missing)  # [...] ['city:lima']
    print(kv.delete_many(namespace, [f"city:{i}" for i in range(250)]))  # 250
    # --8<-- [end:bulk]

    # --8<-- [start:details]
    for info in kv.iter_key_info(namespace, prefix="session:"):
        print(info.key, info.version, info.metadata)  # session:7 1 {'ip': '10.0.0.1'}
    # --8<-- [end:details]
