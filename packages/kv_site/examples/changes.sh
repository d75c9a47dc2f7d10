#!/bin/sh
# The change feed over plain HTTP: read what changed, then long-poll from the cursor.
# Needs KV_BASE_URL, KV_NAMESPACE and KV_API_KEY.
set -eu
BASE="$KV_BASE_URL/v1/$KV_NAMESPACE"

curl -sS --fail -X PUT "$BASE/order:1" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d '{"total": 12}' -o /dev/null

# --8<-- [start:read]
# Everything still kept (no since), in the order it happened, and the cursor after it.
ANSWER=$(curl -sS --fail "$BASE?changes=true" -H "x-api-key: $KV_API_KEY")
echo "$ANSWER"
CURSOR=$(echo "$ANSWER" | sed 's/.*"cursor": *"\([^"]*\)".*/\1/')
# --8<-- [end:read]

# --8<-- [start:wait]
# Held up to 2 seconds: it answers as soon as something changes, or empty at the end.
curl -sS --fail "$BASE?changes=true&since=$CURSOR&wait=2" -H "x-api-key: $KV_API_KEY" \
  -o /dev/null -w 'nothing new: %{http_code}\n'
curl -sS --fail -X DELETE "$BASE/order:1" -H "x-api-key: $KV_API_KEY"
curl -sS --fail "$BASE?changes=true&since=$CURSOR&wait=2" -H "x-api-key: $KV_API_KEY"
# --8<-- [end:wait]
