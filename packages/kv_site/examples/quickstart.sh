#!/bin/sh
# Store, read, list and delete items with curl.
# Needs KV_BASE_URL, KV_NAMESPACE and KV_API_KEY (a key of that namespace).
set -eu

# --8<-- [start:put]
curl -sS --fail-with-body -X PUT "$KV_BASE_URL/v1/$KV_NAMESPACE/user:42" \
  -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" \
  -d '{"name": "Ada", "languages": ["en", "fr"]}'
# --8<-- [end:put]

# --8<-- [start:get]
curl -sS --fail-with-body "$KV_BASE_URL/v1/$KV_NAMESPACE/user:42" \
  -H "x-api-key: $KV_API_KEY"
# --8<-- [end:get]

# --8<-- [start:list]
curl -sS --fail-with-body "$KV_BASE_URL/v1/$KV_NAMESPACE?prefix=user:&limit=10" \
  -H "x-api-key: $KV_API_KEY"
# --8<-- [end:list]

# --8<-- [start:delete]
curl -sS --fail-with-body -X DELETE "$KV_BASE_URL/v1/$KV_NAMESPACE/user:42" \
  -H "x-api-key: $KV_API_KEY" -w 'deleted: %{http_code}\n'
# --8<-- [end:delete]
