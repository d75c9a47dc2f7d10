"""Bad input over real HTTP against ``kv-storage serve``: chunked bodies, invalid UTF-8
in keys, deep JSON and odd addresses, as a client on the network sends them."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests

from kv_api.testing import serving

pytestmark = pytest.mark.slow
MIB = 1024 * 1024


@dataclass(frozen=True)
class Live:
    base: str
    api_key: str

    @property
    def port(self) -> int:
        return int(urlsplit(self.base).port or 80)

    def send(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One request on its own connection; an iterable body goes out chunked. The
        answer's headers are looked up in any case, as HTTP names them."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def stored_keys(self) -> list[str]:
        listed = requests.get(f"{self.base}/v1/app", headers={"x-api-key": self.api_key})
        return list(listed.json()["keys"])


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    data = tmp_path_factory.mktemp("kv-data")
    with serving(data, options=["--workers", "1", "--threads", "4"]) as base:
        http_ = requests.Session()
        signup = {"email": "ann@example.com", "password": "s3cret-pass"}
        token = http_.post(f"{base}/v1/auth/signup", json=signup).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert http_.post(f"{base}/v1/namespaces", json={"name": "app"}, headers=auth).ok
        raw = http_.post(f"{base}/v1/api-keys", json={"namespace": "app"}, headers=auth)
        yield Live(base, raw.json()["apiKey"])


def chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def json_error(status: int, headers: Mapping[str, str], body: bytes, code: str | None = None):
    assert headers["Content-Type"] == "application/json", body[:200]
    error = json.loads(body)
    assert set(error) == {"error", "code"}, error
    if code is not None:
        assert error["code"] == code, (status, error)
    return error


# Plain PUTs are the fast path's; conditional ones are Flask's.
PATHS = pytest.mark.parametrize("condition", [{}, {"If-None-Match": "*"}], ids=["fast", "flask"])


@PATHS
def test_a_chunked_body_is_411_and_stores_nothing(live, condition):
    """serve's server cannot tell a chunked body cut short from a whole one (see
    kv_api.chunked), so it takes none, within the limit or over it; the app's own reading
    of chunked bodies (to the limit plus one byte) is tested through WSGI."""
    headers = {"x-api-key": live.api_key, "Content-Type": "application/json", **condition}
    status, answer_headers, answer = live.send("PUT", "/v1/app/cut", chunks(b'{"a":1}'), headers)
    assert status == 411
    json_error(status, answer_headers, answer, "length_required")
    assert live.send("GET", "/v1/app/cut", headers={"x-api-key": live.api_key})[0] == 404
    assert "cut" not in live.stored_keys()


@PATHS
def test_a_chunked_body_over_the_limit_is_411_before_it_is_sent(live, condition):
    """The answer comes on the request's head: a client that waits for it after its
    first chunk has it, and need not send the rest (the server closes the connection)."""
    head = (
        f"PUT /v1/app/big HTTP/1.1\r\nHost: x\r\nx-api-key: {live.api_key}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in condition.items())
        + "\r\n"
    )
    first = b'{"a":1}' + b" " * (64 * 1024 - 7)
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as conn:
        conn.sendall(head.encode() + b"%x\r\n" % len(first) + first + b"\r\n")
        answer = http.client.HTTPResponse(conn)
        answer.begin()
        assert answer.status == 411
        json_error(answer.status, answer.headers, answer.read(), "length_required")
        assert answer.headers["Connection"] == "close"
    assert "big" not in live.stored_keys()


@PATHS
def test_a_body_of_near_one_mib_with_its_length_is_stored_whole(live, condition):
    value = {"whole": True, "pad": "x" * 200_000}  # under the value limit, and then
    body = json.dumps(value).encode() + b" " * (MIB - 300_000)  # spaces to near 1 MiB
    headers = {"x-api-key": live.api_key, "Content-Type": "application/json", **condition}
    key = f"whole-{len(condition)}"
    status, _, answer = live.send("PUT", f"/v1/app/{key}", body, headers)
    assert status == 201, answer
    got = requests.get(f"{live.base}/v1/app/{key}", headers={"x-api-key": live.api_key})
    assert got.json()["value"] == value


@PATHS
@pytest.mark.parametrize("key", ["bad%FF", "bad%FE", "x%C3%28"])
def test_invalid_utf8_in_a_key_is_invalid_key(live, condition, key):
    headers = {"x-api-key": live.api_key, **condition}
    status, answer_headers, answer = live.send("PUT", f"/v1/app/{key}", b"1", headers)
    assert status == 400
    json_error(status, answer_headers, answer, "invalid_key")
    assert not [k for k in live.stored_keys() if "\ufffd" in k]


@PATHS
def test_deep_json_is_too_deep_not_a_500(live, condition):
    headers = {"x-api-key": live.api_key, **condition}
    for depth in (65, 990, 5000):
        body = b"[" * depth + b"]" * depth
        status, answer_headers, answer = live.send("PUT", "/v1/app/deep", body, headers)
        assert status == 400
        json_error(status, answer_headers, answer, "too_deep")
    assert "deep" not in live.stored_keys()


def test_a_deep_signup_body_is_too_deep(live):
    body = b'{"email": "deep@example.com", "password": "s3cret-pass", "x": '
    body += b"[" * 5000 + b"]" * 5000 + b"}"
    status, headers, answer = live.send(
        "POST", "/v1/auth/signup", body, {"Content-Type": "application/json"}
    )
    assert status == 400
    json_error(status, headers, answer, "too_deep")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH", "FOO", "TRACE"])
@pytest.mark.parametrize(
    "path", ["/v1", "/v1/", "/v1//x", "/v1/app/", "/v1/namespaces/", "/v1/health/", "/v1/%"]
)
def test_every_error_under_v1_is_json(live, method, path):
    status, headers, body = live.send(method, path, headers={"x-api-key": live.api_key})
    if status >= 400:
        json_error(status, headers, body)


def test_a_declared_length_over_the_limit_is_a_json_413(live):
    status, headers, body = live.send(
        "POST",
        "/v1/auth/signup",
        b"{}",
        {"Content-Length": str(64 * MIB), "Content-Type": "application/json"},
    )
    assert status == 413
    json_error(status, headers, body, "payload_too_large")


@pytest.mark.parametrize("path", ["/v1/app/k", "/v1/auth/signup"])
def test_a_malformed_chunk_is_a_json_411(live, path):
    """Refused before the app reads any of it: a 411 of ours, not a 500."""
    method = "PUT" if path.startswith("/v1/app") else "POST"
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nx-api-key: {live.api_key}\r\n"
        "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
    assert response.status == 411
    json_error(response.status, response.headers, body, "length_required")
    assert "k" not in live.stored_keys()
