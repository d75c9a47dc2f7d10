"""Store, read, list and delete items with nothing but ``requests``.

Needs KV_BASE_URL, KV_NAMESPACE and KV_API_KEY in the environment.
"""

import os

import requests

# --8<-- [start:setup]
base = f"{os.environ['KV_BASE_URL']}/v1/{os.environ['KV_NAMESPACE']}"
http = requests.Session()
http.headers["x-api-key"] = os.environ["KV_API_KEY"]
# --8<-- [end:setup]

# --8<-- [start:crud]
response = http.put(f"{base}/cart:7", json={"items": ["tea", "milk"], "total": 4.5})
print(response.status_code, response.headers["ETag"])  # 201 and the item's ETag

item = http.get(f"{base}/cart:7").json()
print(item["value"]["items"])  # ['tea', 'milk']

page = http.get(base, params={"prefix": "cart:", "limit": 100}).json()
print(page["keys"], page["cursor"])  # ['cart:7'] None

print(http.delete(f"{base}/cart:7").status_code)  # 204
print(http.get(f"{base}/cart:7").json()["code"])  # item_not_found
# --8<-- [end:crud]
