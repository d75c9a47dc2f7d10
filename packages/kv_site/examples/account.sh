#!/bin/sh
# Sign up, make a namespace, and make an API key for it, with curl alone.
# Needs KV_BASE_URL (like http://127.0.0.1:8000), KV_EMAIL and KV_PASSWORD.
set -eu

# --8<-- [start:signup]
TOKEN=$(curl -sS --fail-with-body "$KV_BASE_URL/v1/auth/signup" \
  -H "content-type: application/json" \
  -d "{\"email\": \"$KV_EMAIL\", \"password\": \"$KV_PASSWORD\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
# --8<-- [end:signup]

# --8<-- [start:namespace]
curl -sS --fail-with-body "$KV_BASE_URL/v1/namespaces" \
  -H "authorization: Bearer $TOKEN" \
  -H "content-type: application/json" \
  -d '{"name": "my-app"}'
# --8<-- [end:namespace]

# --8<-- [start:apikey]
curl -sS --fail-with-body "$KV_BASE_URL/v1/api-keys" \
  -H "authorization: Bearer $TOKEN" \
  -H "content-type: application/json" \
  -d '{"namespace": "my-app", "name": "backend"}'
# --8<-- [end:apikey]
