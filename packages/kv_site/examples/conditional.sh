#!/bin/sh
# Compare-and-swap over plain HTTP: create only if absent, replace only if unchanged.
# Needs KV_BASE_URL, KV_NAMESPACE and KV_API_KEY (and curl 7.84 or newer for %header).
set -eu
ITEM="$KV_BASE_URL/v1/$KV_NAMESPACE/settings"

# --8<-- [start:create]
# Create only: with If-None-Match: * the write fails with 412 if the key exists.
ETAG=$(curl -sS --fail -X PUT "$ITEM" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -H "If-None-Match: *" \
  -d '{"theme": "dark"}' -o /dev/null -w '%header{etag}')
echo "created, ETag $ETAG"

curl -sS -X PUT "$ITEM" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -H "If-None-Match: *" \
  -d '{"theme": "dark"}' -o /dev/null -w 'create again: %{http_code}\n'
# --8<-- [end:create]

# --8<-- [start:replace]
# Replace only if nobody wrote since we read it: If-Match with the ETag we hold.
curl -sS -X PUT "$ITEM" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -H "If-Match: $ETAG" \
  -d '{"theme": "light"}' -o /dev/null -w 'replace: %{http_code}\n'

# That ETag is stale now: 412, and nothing is written.
curl -sS -X PUT "$ITEM" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -H "If-Match: $ETAG" \
  -d '{"theme": "blue"}' -o /dev/null -w 'stale replace: %{http_code}\n'
# --8<-- [end:replace]
