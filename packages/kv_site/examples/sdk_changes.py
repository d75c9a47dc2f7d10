"""Follow a namespace's change feed with the SDK, keep its cursor, and resume from it.

KVClient reads KV_API_KEY and KV_BASE_URL from the environment; this sample also reads
KV_NAMESPACE.
"""

import os
from itertools import islice

from kv_sdk import KVClient

namespace = os.environ["KV_NAMESPACE"]

with KVClient() as kv:
    kv.put(namespace, "order:1", {"total": 12})
    kv.put(namespace, "order:1", {"total": 15})
    kv.put(namespace, "cart:9", ["tea"])

    # --8<-- [start:follow]
    feed = kv.changes(namespace, prefix="order:")  # no since: from the oldest change kept
    for change in feed:
        print(change.op, change.key, change.version, change.value)
        if change.version == 2:
            break
    saved = feed.cursor  # keep it (a file, a database) to resume after a restart
    # --8<-- [end:follow]

    # --8<-- [start:resume]
    kv.delete(namespace, "order:1")
    kv.put(namespace, "cart:9", ["tea", "milk"])  # outside the prefix: not seen
    kv.put(namespace, "order:2", {"total": 3})
    resumed = kv.changes(namespace, prefix="order:", since=saved)
    print([(change.op, change.key) for change in islice(resumed, 2)])
    # --8<-- [end:resume]
