"""The one load every HTTP server of the side-by-side run gets: ``wrk`` (Debian's
package) on a core of its own, reading or writing the same 103-byte JSON value over
the same 10,000 keys, each server asked in its own dialect (Lua scripts made here).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

KEYS = 10_000
STRIDE = 7_919  # a prime: consecutive requests touch keys far apart, every key in turn
VALUE = json.dumps(
    {
        "name": "Ann Example",
        "email": "ann@example.com",
        "plan": "pro",
        "tags": ["a", "b", "c"],
        "n": 12,
        "active": True,
    },
    separators=(",", ":"),
)
assert len(VALUE) == 103, len(VALUE)

# Each script walks the keys; `request` builds
# one request from the key's name (made by Python below, one table per dialect).
_WALK = """
local names = {%(names)s}
local at = 0
local done = 0
function request()
  at = (at + %(stride)d) %% #names
  return %(request)s
end
"""
_STOP_AFTER_EVERY_KEY = """
function response(status)
  done = done + 1
  if done >= #names then wrk.thread:stop() end
end
"""


@dataclass(frozen=True)
class Dialect:
    """How one server is asked to read and to write a key."""

    name: str
    get: str  # Lua expression of the request, `names[at + 1]` is the key's name
    put: str
    headers: dict[str, str]
    base64_keys: bool = False

    def key_name(self, key: str) -> str:
        return base64.b64encode(key.encode()).decode() if self.base64_keys else key


def kv_storage(api_key: str) -> Dialect:
    path = '"/v1/bench/" .. names[at + 1]'
    return Dialect(
        "kv-storage serve",
        get=f"wrk.format('GET', {path})",
        put=f"wrk.format('PUT', {path}, nil, {_lua(VALUE)})",
        headers={"x-api-key": api_key, "Content-Type": "application/json"},
    )


def etcd() -> Dialect:
    """etcd's HTTP/JSON gateway: POST ``/v3/kv/range`` and ``/v3/kv/put`` with base64
    keys and values in JSON bodies."""
    value = base64.b64encode(VALUE.encode()).decode()
    get = """wrk.format('POST', '/v3/kv/range', nil, '{"key":"' .. names[at + 1] .. '"}')"""
    put = (
        """wrk.format('POST', '/v3/kv/put', nil, '{"key":"' .. names[at + 1] .. '","value":"""
        f""""{value}"}}')"""
    )
    headers = {"Content-Type": "application/json"}
    return Dialect("etcd", get=get, put=put, headers=headers, base64_keys=True)


def webdis() -> Dialect:
    return Dialect(
        "Redis + webdis",
        get="wrk.format('GET', '/GET/' .. names[at + 1])",
        put=f"wrk.format('PUT', '/SET/' .. names[at + 1], nil, {_lua(VALUE)})",
        headers={},
    )


def _lua(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def script(dialect: Dialect, operation: str, folder: Path, *, fill: bool = False) -> Path:
    """The Lua script of ``operation`` ("get" or "put") for ``dialect``; with ``fill``,
    a PUT of every key that stops once each was answered."""
    names = ",".join(f'"{dialect.key_name(f"k{index:05d}")}"' for index in range(KEYS))
    headers = "".join(
        f"wrk.headers[{_lua(name)}] = {_lua(value)}\n" for name, value in dialect.headers.items()
    )
    stride = 1 if fill else STRIDE
    body = _WALK % {"names": names, "stride": stride, "request": getattr(dialect, operation)}
    path = folder / f"{dialect.name.split()[0]}-{operation}{'-fill' if fill else ''}.lua"
    path.write_text(headers + body + (_STOP_AFTER_EVERY_KEY if fill else ""))
    return path


def run(url: str, lua: Path, *, cpu: int, seconds: float, connections: int = 16) -> float:
    """Requests per second of one ``wrk`` run on core ``cpu``; fails on any answer that
    is not 2xx."""
    done = subprocess.run(
        [
            "taskset",
            "-c",
            str(cpu),
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "-s",
            str(lua),
            url,
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed against {url}:\n{done.stdout}{done.stderr}")
    out = done.stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if failed:
        raise RuntimeError(f"wrk saw {failed.group(1)} failed responses from {url}:\n{out}")
    errors = re.search(r"Socket errors: (.*)", out)
    if errors:
        raise RuntimeError(f"wrk saw socket errors from {url}: {errors.group(1)}\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(out)
    return float(match.group(1))
