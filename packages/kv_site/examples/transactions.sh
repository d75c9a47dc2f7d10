#!/bin/sh
# Atomic operations, ranges, counts and deletion under a prefix.
# Needs KV_BASE_URL, KV_NAMESPACE and KV_API_KEY.
set -eu
BASE="$KV_BASE_URL/v1/$KV_NAMESPACE"

# --8<-- [start:setup]
# Two accounts, each at version 1.
for account in alice:100 bob:0; do
  curl -sS --fail -X PUT "$BASE/account:${account%%:*}" -H "x-api-key: $KV_API_KEY" \
    -H "content-type: application/json" -d "${account#*:}" -o /dev/null
done
# --8<-- [end:setup]

# --8<-- [start:transfer]
# Move 30 from alice to bob, if neither changed since we read them (version 1) and this
# transfer was never made (transfer:1 must not exist): all three writes, or none.
TRANSFER='{"atomic": {
  "checks": [{"key": "account:alice", "version": 1},
             {"key": "account:bob", "version": 1},
             {"key": "transfer:1", "version": null}],
  "ops": [{"op": "increment", "key": "account:alice", "by": -30},
          {"op": "increment", "key": "account:bob", "by": 30},
          {"op": "put", "key": "transfer:1", "value": {"from": "alice", "to": "bob", "amount": 30}}]}}'
curl -sS --fail -X POST "$BASE" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d "$TRANSFER"
# --8<-- [end:transfer]

# --8<-- [start:replay]
# The same request again: every check fails now, and nothing is written.
curl -sS -X POST "$BASE" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d "$TRANSFER" -w 'status: %{http_code}\n'
# --8<-- [end:replay]

# --8<-- [start:ranges]
# Keys in reverse order, and a range: start <= key < end.
curl -sS --fail "$BASE?prefix=account:&reverse=true" -H "x-api-key: $KV_API_KEY"
curl -sS --fail "$BASE?start=account:b&end=account:c" -H "x-api-key: $KV_API_KEY"
# --8<-- [end:ranges]

# --8<-- [start:count]
curl -sS --fail "$BASE?count=true&prefix=account:" -H "x-api-key: $KV_API_KEY"
# --8<-- [end:count]

# --8<-- [start:delete-prefix]
# Delete every transfer record, a page at a time, until none are left.
while :; do
  ANSWER=$(curl -sS --fail -X POST "$BASE" -H "x-api-key: $KV_API_KEY" \
    -H "content-type: application/json" -d '{"deletePrefix": "transfer:", "limit": 1000}')
  echo "$ANSWER"
  case "$ANSWER" in *'"more": false'* | *'"more":false'*) break ;; esac
done
# --8<-- [end:delete-prefix]
