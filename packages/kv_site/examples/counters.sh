#!/bin/sh
# Atomic increments and JSON merge patches.
# Needs KV_BASE_URL, KV_NAMESPACE and KV_API_KEY.
set -eu
BASE="$KV_BASE_URL/v1/$KV_NAMESPACE"

# --8<-- [start:increment]
# A missing item starts at 0; concurrent increments never lose one.
curl -sS --fail -X POST "$BASE/visits" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d '{"increment": 1}'
curl -sS --fail -X POST "$BASE/visits" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d '{"increment": 41}'
# --8<-- [end:increment]

# --8<-- [start:decimal]
# Decimal arithmetic: 0.1 + 0.2 is 0.3, as in an account book.
curl -sS --fail -X POST "$BASE/balance" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d '{"increment": 0.1}' -o /dev/null
curl -sS --fail -X POST "$BASE/balance" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d '{"increment": 0.2}'
# --8<-- [end:decimal]

# --8<-- [start:rate-limit]
# A rate limiter: one counter per client and minute, gone a minute later.
MINUTE=$(( $(date +%s) / 60 ))
curl -sS --fail -X POST "$BASE/rate:client-9:$MINUTE?ttl=60" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" -d '{"increment": 1}' -o /dev/null -w 'counted: %{http_code}\n'
# --8<-- [end:rate-limit]

# --8<-- [start:patch]
# A merge patch changes only the fields it names; null removes one.
curl -sS --fail -X PUT "$BASE/profile:42" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/json" \
  -d '{"name": "Ada", "theme": "dark", "beta": true}' -o /dev/null
ETAG=$(curl -sS --fail "$BASE/profile:42" -H "x-api-key: $KV_API_KEY" \
  -o /dev/null -w '%header{etag}')
curl -sS --fail -X PATCH "$BASE/profile:42" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/merge-patch+json" -H "If-Match: $ETAG" \
  -d '{"theme": "light", "beta": null}'

# The ETag is stale now: 412, nothing changed.
curl -sS -X PATCH "$BASE/profile:42" -H "x-api-key: $KV_API_KEY" \
  -H "content-type: application/merge-patch+json" -H "If-Match: $ETAG" \
  -d '{"theme": "blue"}' -o /dev/null -w 'stale patch: %{http_code}\n'
# --8<-- [end:patch]
