#!/bin/sh
# The `kv` command line. It reads KV_API_KEY and KV_BASE_URL; this sample also reads
# KV_NAMESPACE.
set -eu

# --8<-- [start:basics]
kv put "$KV_NAMESPACE" greeting '{"text": "hello"}'
kv get "$KV_NAMESPACE" greeting
echo '["a", "b"]' | kv put "$KV_NAMESPACE" letters
kv list "$KV_NAMESPACE"
kv delete "$KV_NAMESPACE" letters
# --8<-- [end:basics]

# --8<-- [start:exit]
# A missing key exits with 3, so scripts can tell it from a failure (1).
status=0
kv get "$KV_NAMESPACE" nowhere 2>/dev/null || status=$?
echo "kv get of a missing key exits with $status"
# --8<-- [end:exit]

# --8<-- [start:transfer]
kv export "$KV_NAMESPACE" > backup.jsonl
kv import "$KV_NAMESPACE" backup.jsonl
rm backup.jsonl
# --8<-- [end:transfer]
