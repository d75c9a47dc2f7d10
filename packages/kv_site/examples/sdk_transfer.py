"""A transfer between two counters with the SDK's atomic operations: the balance read
is checked by version, the transfer's record makes it happen once, and a lost race
is read again.

Needs KV_BASE_URL, KV_API_KEY and KV_NAMESPACE.
"""

import os
from concurrent.futures import ThreadPoolExecutor

from kv_sdk import CheckFailed, KVClient

namespace = os.environ["KV_NAMESPACE"]
kv = KVClient()
kv.put(namespace, "account:alice", 100)
kv.put(namespace, "account:bob", 0)


def transfer(number: int, source: str, target: str, amount: int) -> bool:
    """Move ``amount`` from ``source`` to ``target`` once; False if transfer ``number``
    was made before. Refuses to overdraw ``source``."""
    record = f"transfer:{number}"
    while True:
        balance, other = kv.get(namespace, source), kv.get(namespace, target)
        if balance.value < amount:
            raise ValueError(f"{source} holds {balance.value}, less than {amount}")
        try:
            (
                kv.atomic(namespace)
                .check(source, balance.version)  # nobody wrote it since we read it
                .check(target, other.version)
                .check(record, None)  # this transfer was never made
                .increment(source, -amount)
                .increment(target, amount)
                .put(record, {"from": source, "to": target, "amount": amount})
                .commit()
            )
            return True
        except CheckFailed as failed:
            if record in failed.failed:
                return False  # made before: not again
            # another transfer wrote first: read the balances again


with ThreadPoolExecutor(max_workers=8) as pool:
    done = list(pool.map(lambda n: transfer(n, "account:alice", "account:bob", 5), range(10)))
alice = kv.get(namespace, "account:alice").value
bob = kv.get(namespace, "account:bob").value
print(f"{sum(done)} transfers from 8 threads: alice {alice}, bob {bob}, total {alice + bob}")
print("transfer 3 again:", transfer(3, "account:alice", "account:bob", 5))

print(list(kv.iter_keys(namespace, "account:", reverse=True)))
print(kv.count(namespace, prefix="transfer:"), "transfer records")
print(kv.delete_prefix(namespace, "transfer:"), "deleted;", kv.count(namespace), "items left")
kv.close()
