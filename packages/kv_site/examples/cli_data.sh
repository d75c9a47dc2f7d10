#!/bin/sh
# kv with expiry, metadata, counters, merge patches and detailed lists.
# Needs KV_BASE_URL, KV_NAMESPACE and KV_API_KEY, and kv on the PATH.
set -eu
NS="$KV_NAMESPACE"

# --8<-- [start:expiry]
kv put "$NS" session:7 '{"user": 42}' --ttl 3600 --metadata '{"ip": "10.0.0.1"}'
kv list "$NS" --details       # a JSON line per key: version, updatedAt, expiresAt, metadata
# --8<-- [end:expiry]

# --8<-- [start:counters]
kv incr "$NS" hits            # 1: a missing item starts at 0
kv incr "$NS" hits 41         # 42
kv put "$NS" profile:42 '{"name": "Ada", "theme": "dark"}' > /dev/null
kv patch "$NS" profile:42 '{"theme": null, "lang": "en"}'   # {"name": "Ada", "lang": "en"}
# --8<-- [end:counters]
