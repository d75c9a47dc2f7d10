#!/bin/sh
# Bulk put, get and delete: many items in one request.
# Needs KV_BASE_URL, KV_NAMESPACE and KV_API_KEY.
set -eu
BASE="$KV_BASE_URL/v1/$KV_NAMESPACE"

# --8<-- [start:put]
# Every item is checked before any is written.
curl -sS --fail -X POST "$BASE" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d '{"put": [
    {"key": "city:paris", "value": {"population": 2102650}},
    {"key": "city:rome", "value": {"population": 2748109}, "metadata": {"country": "it"}},
    {"key": "city:oslo", "value": {"population": 717710}, "ttl": 3600}
  ]}'
# --8<-- [end:put]

# --8<-- [start:get]
# Items in the order asked; keys that are not there are listed as missing.
curl -sS --fail -X POST "$BASE" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d '{"get": ["city:rome", "city:lima"]}'
# --8<-- [end:get]

# --8<-- [start:delete]
curl -sS --fail -X POST "$BASE" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d '{"delete": ["city:paris", "city:lima"]}'
# --8<-- [end:delete]

# --8<-- [start:bad]
# One bad item refuses the whole batch, naming its index; nothing is written.
curl -sS -X POST "$BASE" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" \
  -d '{"put": [{"key": "city:bern", "value": 1}, {"key": "city:kyiv", "value": 2, "ttl": 0}]}' \
  -w 'status: %{http_code}\n'
# --8<-- [end:bad]
