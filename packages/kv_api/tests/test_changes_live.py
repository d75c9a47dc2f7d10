"""The change feed end to end: ``kv-storage serve`` (two worker processes) over real
HTTP on loopback, 5,000 writes from 4 threads, and a reader that follows the feed as
Server-Sent Events through dropped connections, resuming with its cursor each time."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator

import pytest
import requests

from kv_api.testing import serving

WRITERS = 4
WRITES = 1_250  # per writer: 5,000 in all
EXPIRING = 40  # of writer 0's keys, written with a one-second ttl


def account(base: str) -> dict[str, str]:
    http = requests.Session()
    token = http.post(
        f"{base}/v1/auth/signup", json={"email": "ann@example.com", "password": "s3cret-pass"}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert http.post(f"{base}/v1/namespaces", json={"name": "app"}, headers=auth).ok
    key = http.post(f"{base}/v1/api-keys", json={"namespace": "app"}, headers=auth).json()
    return {"x-api-key": key["apiKey"]}


def write(base: str, key_header: dict[str, str], writer: int, done: dict[str, list]) -> None:
    """Puts and deletes on this writer's own keys, each acknowledged one noted in order."""
    http = requests.Session()
    live: set[str] = set()
    for index in range(WRITES):
        if writer == 0 and index < EXPIRING:
            key = f"w0/expiring/{index}"
            answer = http.put(f"{base}/v1/app/{key}?ttl=1", json=index, headers=key_header)
            assert answer.status_code == 201, answer.text
            done[key].append(("put", answer.json()["version"]))
            continue
        key = f"w{writer}/k{index % 30}"
        if key in live and index % 4 == 3:
            answer = http.delete(f"{base}/v1/app/{key}", headers=key_header)
            assert answer.status_code == 204, answer.text
            live.discard(key)
            done[key].append(("delete", None))
        else:
            answer = http.put(f"{base}/v1/app/{key}", json={"i": index}, headers=key_header)
            assert answer.status_code in (200, 201), answer.text
            live.add(key)
            done[key].append(("put", answer.json()["version"]))


def stream(base: str, key_header: dict[str, str], since: str | None) -> Iterator[dict[str, str]]:
    """The events of one connection to the feed's stream."""
    headers = {**key_header, "Accept": "text/event-stream"}
    if since is not None:
        headers["Last-Event-ID"] = since
    with requests.get(
        f"{base}/v1/app?changes=true", headers=headers, stream=True, timeout=30
    ) as answer:
        assert answer.status_code == 200, answer.text
        fields: dict[str, str] = {}
        for line in answer.iter_lines(decode_unicode=True):
            if line:
                name, _, value = line.partition(":")
                fields[name or "comment"] = value.strip()
                continue
            if fields:
                yield fields
            fields = {}


class Reader:
    """Follows the feed, dropping its connection after a random number of events and
    resuming from the id of the last event it got."""

    def __init__(self, base: str, key_header: dict[str, str]) -> None:
        self.base = base
        self.key_header = key_header
        self.seen: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.count = 0
        self.connections = 0
        self.stop = threading.Event()
        self.cursor: str | None = None
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        chance = random.Random(26)
        while not self.stop.is_set():
            self.connections += 1
            drop_after = chance.randint(1, 400)
            for got, event in enumerate(stream(self.base, self.key_header, self.cursor)):
                if "id" in event:
                    if event.get("event") == "change":
                        change = json.loads(event["data"])
                        self.seen[change["key"]].append((change["op"], change["version"]))
                        self.count += 1
                    self.cursor = event["id"]
                if got >= drop_after or self.stop.is_set():
                    break  # the connection drops; the next one resumes from the cursor


@pytest.mark.slow
def test_every_change_is_followed_exactly_once_in_order_through_reconnects(tmp_path):
    env = {"KV_SWEEP_INTERVAL_SECONDS": "1"}
    with serving(tmp_path / "data", options=["--workers", "2"], env=env) as base:
        key_header = account(base)
        reader = Reader(base, key_header)
        reader.thread.start()
        done: dict[str, list] = defaultdict(list)
        writers = [
            threading.Thread(target=write, args=(base, key_header, writer, done))
            for writer in range(WRITERS)
        ]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        # Half the expiring items are written over once expired, the rest swept.
        time.sleep(1.5)
        http = requests.Session()
        for index in range(0, EXPIRING, 2):
            key = f"w0/expiring/{index}"
            answer = http.put(f"{base}/v1/app/{key}", json="again", headers=key_header)
            assert answer.status_code == 201, answer.text
            done[key] += [("expire", 1), ("put", 1)]
        for index in range(1, EXPIRING, 2):
            done[f"w0/expiring/{index}"].append(("expire", 1))
        expected = sum(len(ops) for ops in done.values())
        deadline = time.monotonic() + 60
        while reader.count < expected and time.monotonic() < deadline:
            time.sleep(0.1)
        reader.stop.set()
        http.put(f"{base}/v1/app/wake", json=0, headers=key_header)  # ends its last wait
        reader.thread.join()

    # 5,000 writes; an expiry and a put for each item written over; an expiry swept
    assert sum(len(ops) for ops in done.values()) == 5_000 + EXPIRING // 2 * 3
    assert reader.connections > 5
    seen = {key: ops for key, ops in reader.seen.items() if key != "wake"}
    for key, ops in done.items():
        got = seen.get(key, [])
        assert [op for op, _ in got] == [op for op, _ in ops], key
        assert [v for (_, v), (_, want) in zip(got, ops, strict=True) if want is not None] == [
            want for _, want in ops if want is not None
        ], key
    assert set(seen) == set(done)
