"""What every response carries: request ids, JSON errors, CORS for allowed origins."""

import io

import pytest

from kv_api import create_app
from kv_core.settings import Settings


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/v1/health"), ("get", "/nowhere"), ("post", "/v1/health"), ("get", "/v1/usage")],
)
def test_every_response_has_a_request_id(client, method, path):
    response = getattr(client, method)(path)
    assert len(response.headers["X-Request-Id"]) >= 16


def test_a_sane_incoming_request_id_is_kept(client):
    response = client.get("/v1/health", headers={"X-Request-Id": "abc-123"})
    assert response.headers["X-Request-Id"] == "abc-123"
    response = client.get("/v1/health", headers={"X-Request-Id": "bad id; drop table"})
    assert response.headers["X-Request-Id"] != "bad id; drop table"


def test_unknown_routes_and_methods_answer_json(client, assert_error):
    assert_error(client.get("/v1/auth/nothing/here/x"), 404, "not_found")
    assert_error(client.get("/v1/auth/signup"), 404, "not_found")  # never a namespace
    assert_error(client.post("/v1/health"), 405, "method_not_allowed")
    assert_error(client.open("/v1/app/key", method="PROPFIND"), 405, "method_not_allowed")


def test_unexpected_errors_are_json_500(app, client, monkeypatch, assert_error, account):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.extensions["kv_services"].store, "get_item", boom)
    response = account.get("k")
    assert_error(response, 500, "internal_error")
    assert "disk" not in response.get_data(as_text=True)


@pytest.fixture
def cors_client(tmp_path):
    settings = Settings.from_env(
        {
            "KV_DATA_DIR": str(tmp_path),
            "KV_JWT_SECRET": "x" * 40,
            "KV_CORS_ORIGINS": "https://dashboard.example.com, https://example.com",
        }
    )
    return create_app(settings=settings).test_client()


def test_cors_preflight_for_an_allowed_origin(cors_client):
    response = cors_client.options(
        "/v1/app/key",
        headers={
            "Origin": "https://dashboard.example.com",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-api-key, content-type, if-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://dashboard.example.com"
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "x-api-key" in response.headers["Access-Control-Allow-Headers"].lower()


def test_cors_exposes_headers_and_ignores_other_origins(cors_client):
    allowed = cors_client.get("/v1/health", headers={"Origin": "https://example.com"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://example.com"
    assert "ETag" in allowed.headers["Access-Control-Expose-Headers"]
    denied = cors_client.get("/v1/health", headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_no_cors_headers_without_configured_origins(client):
    response = client.get("/v1/health", headers={"Origin": "https://example.com"})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1", 404),
        ("GET", "/v1/", 404),
        ("GET", "/v1//x", 404),
        ("PROPFIND", "/v1/app/", 404),
        ("BREW", "/v1/app", 405),
        ("TRACE", "/v1/app/k", 405),
        ("PATCH", "/v1/health", 405),
        ("DELETE", "/v1/namespaces", 405),
    ],
)
def test_unknown_addresses_and_odd_methods_answer_json(client, assert_error, method, path, status):
    response = client.open(path, method=method)
    assert_error(response, status, "not_found" if status == 404 else "method_not_allowed")


def test_a_body_over_the_limit_is_a_json_413_before_it_is_read(client, assert_error):
    response = client.post(
        "/v1/auth/signup",
        input_stream=io.BytesIO(b"{}"),
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": str(8 * 1024 * 1024)},
    )
    assert_error(response, 413, "payload_too_large")


def test_a_routing_redirect_answers_json(app, assert_error):
    """Werkzeug answers its own redirects (to the slash a rule ends with) in HTML,
    past Flask's error handlers; under /v1 the body is JSON too."""
    app.add_url_rule("/v1/folder/", "folder", lambda: "")
    response = app.test_client().get("/v1/folder?x=1")
    assert_error(response, 308, "permanent_redirect")
    assert response.headers["Location"].endswith("/v1/folder/?x=1")
