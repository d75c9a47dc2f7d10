"""Code examples filled in with the person's own namespace and the API's address."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

KEY_PLACEHOLDER = "YOUR_API_KEY"


@dataclass(frozen=True, slots=True)
class Snippet:
    id: str
    title: str
    code: str


def examples(api_url: str, namespace: str, key: str = KEY_PLACEHOLDER) -> list[Snippet]:
    """curl, the Python SDK and the ``kv`` command line, storing and reading one item."""
    base = api_url.rstrip("/")
    item = f"{base}/{namespace}/user:42"
    curl = "\n".join(
        [
            f"curl -X PUT {shlex.quote(item)} \\",
            f"  -H 'x-api-key: {key}' -H 'Content-Type: application/json' \\",
            """  -d '{"name": "Ada", "plan": "pro"}'""",
            f"curl {shlex.quote(item)} -H 'x-api-key: {key}'",
            f"curl '{base}/{namespace}?prefix=user:' -H 'x-api-key: {key}'",
        ]
    )
    # The SDK and the command line take the server's root; they add /v1 themselves.
    root = base.removesuffix("/v1")
    python = "\n".join(
        [
            "from kv_sdk import KVClient",
            "",
            f"kv = KVClient(api_key={json.dumps(key)}, base_url={json.dumps(root)})",
            f'kv.put({json.dumps(namespace)}, "user:42", {{"name": "Ada", "plan": "pro"}})',
            f'print(kv.get({json.dumps(namespace)}, "user:42").value)',
            f'print(kv.list({json.dumps(namespace)}, prefix="user:").keys)',
        ]
    )
    ns = shlex.quote(namespace)
    cli = "\n".join(
        [
            f"export KV_API_KEY={shlex.quote(key)} KV_BASE_URL={shlex.quote(root)}",
            f"""kv put {ns} user:42 '{{"name": "Ada", "plan": "pro"}}'""",
            f"kv get {ns} user:42",
            f"kv list {ns} --prefix user:",
        ]
    )
    return [
        Snippet("curl", "curl", curl),
        Snippet("python", "Python SDK", python),
        Snippet("cli", "kv command line", cli),
    ]
