"""Code examples filled in with the person's own namespace and the API's address."""

from __future__ import annotations

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
    python = "\n".join(
        [
            "from kv_sdk import KVClient",
            "",
            f'kv = KVClient(api_key="{key}", namespace="{namespace}", base_url="{base}")',
            'kv.put("user:42", {"name": "Ada", "plan": "pro"})',
            'print(kv.get("user:42"))',
            'print(kv.list(prefix="user:"))',
        ]
    )
    cli = "\n".join(
        [
            f"export KV_API_KEY={key} KV_NAMESPACE={namespace} KV_BASE_URL={base}",
            """kv put user:42 '{"name": "Ada", "plan": "pro"}'""",
            "kv get user:42",
            "kv list --prefix user:",
        ]
    )
    return [
        Snippet("curl", "curl", curl),
        Snippet("python", "Python SDK", python),
        Snippet("cli", "kv command line", cli),
    ]
