from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, run_wsgi_app

from kv_api import create_app
from kv_core.settings import Settings

SECRET = "test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(params=["sqlite", "dynamodb"])
def settings(request, tmp_path) -> Iterator[Settings]:
    """The API on each engine: SQLite in a fresh directory, or a fresh table in moto."""
    env = {"KV_DATA_DIR": str(tmp_path / "data"), "KV_JWT_SECRET": SECRET}
    if request.param == "sqlite":
        yield Settings.from_env(env)
        return
    from kv_core.engines.dynamodb import DynamoStore

    request.getfixturevalue("fake_aws")
    reads_the_feed = request.node.get_closest_marker("feed") is not None
    DynamoStore("kv-api-test", region="us-east-1").create_table(stream=reads_the_feed)
    yield Settings.from_env(
        {**env, "KV_STORE": "dynamodb", "KV_TABLE": "kv-api-test", "AWS_REGION": "us-east-1"}
    )


@pytest.fixture
def app(settings):
    app = create_app(settings=settings)
    app.config.update(TESTING=True)
    yield app
    services = app.extensions["kv_services"]
    services.items.meter.close()
    services.store.close()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@dataclass
class Account:
    """A signed-up user with a namespace and a read-write key, for tests to act as."""

    client: FlaskClient
    token: str
    namespace: str
    api_key: str
    user_id: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def key_header(self) -> dict[str, str]:
        return {"x-api-key": self.api_key}

    def new_key(self, namespace: str | None = None, access: str = "read-write") -> str:
        response = self.client.post(
            "/v1/api-keys",
            json={"namespace": namespace or self.namespace, "access": access},
            headers=self.auth,
        )
        assert response.status_code == 201, response.json
        return str(response.json["apiKey"])

    def new_namespace(self, name: str) -> None:
        response = self.client.post("/v1/namespaces", json={"name": name}, headers=self.auth)
        assert response.status_code == 201, response.json

    def put(self, key: str, value: Any, **headers: str):
        return self.client.put(
            f"/v1/{self.namespace}/{key}",
            data=json.dumps(value),
            content_type="application/json",
            headers={**self.key_header, **headers},
        )

    def get(self, key: str, **headers: str):
        return self.client.get(
            f"/v1/{self.namespace}/{key}", headers={**self.key_header, **headers}
        )

    def list_keys(self) -> list[str]:
        response = self.client.get(f"/v1/{self.namespace}?limit=1000", headers=self.key_header)
        assert response.status_code == 200, response.json
        return list(response.json["keys"])

    def usage(self) -> dict[str, Any]:
        response = self.client.get("/v1/usage", headers=self.auth)
        assert response.status_code == 200
        return dict(response.json)


def make_account(client: FlaskClient, email: str, namespace: str) -> Account:
    response = client.post("/v1/auth/signup", json={"email": email, "password": "s3cret-pass"})
    assert response.status_code == 201, response.json
    account = Account(client, response.json["token"], namespace, "", response.json["user"]["id"])
    account.new_namespace(namespace)
    account.api_key = account.new_key()
    return account


@pytest.fixture
def account(client) -> Account:
    return make_account(client, "ann@example.com", "app")


@pytest.fixture
def other(client) -> Account:
    return make_account(client, "bob@example.com", "bobs")


def _assert_error(response, status: int, code: str) -> None:
    """A JSON error body with a sentence and the expected code."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error", "code"}
    assert body["code"] == code
    assert isinstance(body["error"], str)
    assert body["error"]


@pytest.fixture
def assert_error():
    """``assert_error(response, status, code)``: a JSON error with that status and code."""
    return _assert_error


@pytest.fixture
def new_account(client):
    """``new_account(email, namespace)``: another signed-up user with a namespace and key."""
    return lambda email, namespace: make_account(client, email, namespace)


def send_chunked(
    app: Flask, method: str, path: str, data: bytes, headers: dict[str, str]
) -> Response:
    """A request as a server hands a chunked one on: no ``CONTENT_LENGTH`` (which the
    test client always sets), ``Transfer-Encoding: chunked`` and a terminated input."""
    environ = EnvironBuilder(path, method=method, headers=headers).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update(
        {
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input": io.BytesIO(data),
            "wsgi.input_terminated": True,
        }
    )
    body, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return app.response_class(b"".join(body), status=status, headers=response_headers)


@pytest.fixture
def chunked(app) -> Callable[..., Response]:
    """``chunked(method, path, data, headers)``: see :func:`send_chunked`."""
    return lambda method, path, data, headers: send_chunked(app, method, path, data, headers)
