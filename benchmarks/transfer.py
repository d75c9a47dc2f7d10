"""``kv export`` and ``kv import`` of 10,000 items on bulk get and bulk put, against
their first form (one GET per item, one PUT per item): HTTP requests counted, through
the CLI's own functions against a live ``kv-storage serve``.

The first forms' counts are what their code made, without running it: the export
listed a page of 1000 keys per request and read each item with a GET; the import
made one PUT per item.
"""

from __future__ import annotations

import io
import math
import shutil
import tempfile
from pathlib import Path

import requests

from benchmarks.report import Figure
from kv_api.testing import serving
from kv_sdk import AccountClient, KVClient
from kv_sdk.cli import transfer
from kv_sdk.client import MAX_PAGE_SIZE
from kv_sdk.transport import make_session

ITEMS = 10_000
EMAIL = "transfer-bench@example.com"


class Counted:
    """A requests session for the SDK that counts the requests it sends."""

    def __init__(self) -> None:
        self.session = make_session(max_retries=0)
        self.requests = 0
        self.session.hooks["response"].append(self._count)

    def _count(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.requests += 1


def _lift_quota(data: Path) -> None:
    """A plan whose request quota 20,000 bulk keys do not reach."""
    from kv_core.settings import Settings, open_store

    store = open_store(Settings.from_env({"KV_DATA_DIR": str(data)}))
    user = store.get_user_by_email(EMAIL)
    assert user is not None
    store.set_plan(user.id, "business", "2026-01-01T00:00:00.000Z")
    store.close()


def measure() -> list[Figure]:
    data = Path(tempfile.mkdtemp(prefix="kv-bench-transfer-"))
    try:
        with serving(data) as base:
            with AccountClient(base) as account:
                account.signup(EMAIL, "bench-pass-1")
                account.create_namespace("bench")
                secret = account.create_api_key("bench").secret
            _lift_quota(data)
            lines = [
                transfer.ImportItem(n + 1, f"item/{n:05d}", {"n": n, "text": "x" * 64})
                for n in range(ITEMS)
            ]
            imported, exported = Counted(), Counted()
            with KVClient(secret, base_url=base, session=imported.session) as kv:
                transfer.import_items(kv, "bench", lines, checkpoint=None, progress=io.StringIO())
            out = io.StringIO()
            with KVClient(secret, base_url=base, session=exported.session) as kv:
                count = transfer.export_items(kv, "bench", out, progress=io.StringIO())
            assert count == ITEMS, count
    finally:
        shutil.rmtree(data, ignore_errors=True)
    per_item_export = ITEMS + math.ceil(ITEMS / MAX_PAGE_SIZE)
    per_item_import = ITEMS
    return [
        Figure(
            "kv export of 10,000 items: requests / one GET per item",
            exported.requests / per_item_export,
            1 / 50,
            detail=f"{exported.requests} requests against {per_item_export:,}",
        ),
        Figure(
            "kv import of 10,000 items: requests / one PUT per item",
            imported.requests / per_item_import,
            1 / 500,
            detail=f"{imported.requests} requests against {per_item_import:,}",
        ),
    ]


if __name__ == "__main__":
    for figure in measure():
        print(figure.line())
