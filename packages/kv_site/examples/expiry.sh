#!/bin/sh
# Items that expire to the second, metadata kept beside the value, and a detailed list.
# Needs KV_BASE_URL, KV_NAMESPACE and KV_API_KEY.
set -eu
BASE="$KV_BASE_URL/v1/$KV_NAMESPACE"

# --8<-- [start:ttl]
# A session that lives for 2 seconds, with metadata beside its value.
curl -sS --fail -X PUT "$BASE/session:abc?ttl=2" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -H 'KV-Metadata: {"user": 42}' \
  -d '{"cart": ["tea"]}' -o /dev/null -w 'stored: %{http_code}\n'

curl -sS --fail "$BASE/session:abc" -H "x-api-key: $KV_API_KEY"

# In its expiry second it is gone for every reader: GET, lists, bulk gets.
sleep 3
curl -sS "$BASE/session:abc" -H "x-api-key: $KV_API_KEY" \
  -o /dev/null -w 'three seconds later: %{http_code}\n'
# --8<-- [end:ttl]

# --8<-- [start:expires-at]
# Or at a unix second: this one expires in an hour.
curl -sS --fail -X PUT "$BASE/invite:7?expiresAt=$(( $(date +%s) + 3600 ))" \
  -H "x-api-key: $KV_API_KEY" -H "content-type: application/json" \
  -H 'KV-Metadata: {"email": "ada@example.com"}' -d '"pending"' \
  -o /dev/null -w 'stored: %{http_code}\n'
# --8<-- [end:expires-at]

# --8<-- [start:details]
# A detailed list: each key's version, update time, expiry and metadata, no values.
curl -sS --fail "$BASE?prefix=invite:&details=true" -H "x-api-key: $KV_API_KEY"
# --8<-- [end:details]
