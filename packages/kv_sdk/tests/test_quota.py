"""429 from a real server: the free plan's monthly request and storage quotas.

The server reads no setting that lowers a plan's quota, so these tests spend a fresh
free account's real 10,000 requests and 100 MB.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from kv_sdk import KVClient, NotFound, QuotaExceeded, RateLimited

FREE_REQUESTS = 10_000
FREE_STORAGE = 100_000_000


@pytest.mark.slow
def test_request_quota_is_quota_exceeded_with_retry_after(server, fresh_account):
    account = fresh_account()
    account.create_namespace("busy")
    secret = account.create_api_key("busy").secret

    def spend(count: int) -> None:
        with KVClient(secret, base_url=server) as kv:
            for _ in range(count):
                kv.list("busy", limit=1)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(spend, [FREE_REQUESTS // 4] * 4))
    assert account.usage().requests.used == FREE_REQUESTS
    with KVClient(secret, base_url=server) as kv:
        with pytest.raises(QuotaExceeded) as caught:
            kv.get("busy", "anything")
        # A refused request is not counted, and reads of a missing key stay refused.
        with pytest.raises(QuotaExceeded):
            kv.list("busy")
    error = caught.value
    assert isinstance(error, RateLimited)
    assert (error.status, error.code) == (429, "request_quota_exceeded")
    assert error.retry_after is not None
    assert 0 < error.retry_after <= 31 * 24 * 3600
    assert error.retry_after == int(error.response.headers["Retry-After"])
    assert account.usage().requests.status == "exceeded"


@pytest.mark.slow
def test_storage_quota_is_quota_exceeded_without_retry_after(server, fresh_account):
    account = fresh_account()
    account.create_namespace("full")
    value = "x" * (256 * 1024 - 2)  # the largest value: 256 KiB as JSON
    with KVClient(account.create_api_key("full").secret, base_url=server) as kv:
        keys: list[str] = []

        def fill() -> None:
            for i in range(FREE_STORAGE // len(value) + 2):
                kv.put("full", f"{i:04d}", value)
                keys.append(f"{i:04d}")

        with pytest.raises(QuotaExceeded) as caught:
            fill()
        stored = len(keys)
        error = caught.value
        assert (error.status, error.code) == (429, "storage_quota_exceeded")
        assert error.retry_after is None
        assert stored == (FREE_STORAGE // (len(value) + 6))
        with pytest.raises(NotFound):
            kv.get("full", f"{stored:04d}")
        # Shrinking is always allowed, so a full account can clean up.
        kv.put("full", "0000", "small")
        kv.delete("full", "0001")
