"""Real API Gateway HTTP API (payload 2.0) events through the Lambda entry points.

The events under ``events/`` derive from ``sam local generate-event apigateway
http-api-proxy`` (kept as ``sam-http-api-proxy.json``); ``{API_KEY}`` is filled in.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from kv_api import lambda_handlers

EVENTS = Path(__file__).parent / "events"


def event(name: str, api_key: str) -> dict:
    text = (EVENTS / name).read_text().replace("{API_KEY}", api_key)
    return json.loads(text)


def body_of(response: dict) -> dict:
    raw = response.get("body", "")
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw)


@pytest.fixture
def handlers(monkeypatch, tmp_path, app):
    """The handlers, on the same store as the ``app`` fixture (so tests can set up)."""
    monkeypatch.setenv("STRIP_STAGE_PATH", "true")
    monkeypatch.setattr(lambda_handlers, "_apps", {"api": app})
    return lambda_handlers


def test_the_sam_template_is_a_payload_2_event():
    template = json.loads((EVENTS / "sam-http-api-proxy.json").read_text())
    assert template["version"] == "2.0"
    for name in ("get-item.json", "put-item-base64.json", "put-encoded-slash.json"):
        derived = json.loads((EVENTS / name).read_text())
        assert set(derived) <= set(template)
        assert derived["requestContext"]["http"]["method"] in {"GET", "PUT"}


def test_put_with_a_base64_body_then_get(handlers, account):
    put = handlers.api(event("put-item-base64.json", account.api_key), None)
    assert put["statusCode"] == 201, put
    assert put["headers"]["ETag"]
    got = handlers.api(event("get-item.json", account.api_key), None)
    assert got["statusCode"] == 200
    assert body_of(got) == {
        "key": "user:1",
        "value": {"name": "Ann", "tags": ["a", "b"]},
        "version": 1,
        "updatedAt": body_of(got)["updatedAt"],
        "expiresAt": None,
        "metadata": None,
    }
    assert got["headers"]["X-RateLimit-Remaining"] == "9998"
    assert account.get("user:1").json["value"]["name"] == "Ann"


def test_a_key_with_encoded_slashes(handlers, account):
    put = handlers.api(event("put-encoded-slash.json", account.api_key), None)
    assert put["statusCode"] == 201, put
    assert body_of(put)["key"] == "folder/nested/key"
    listed = handlers.api(event("list-keys.json", account.api_key), None)
    assert body_of(listed) == {"keys": ["folder/nested/key"], "cursor": None}


@pytest.mark.parametrize("raw_key", ["bad%FF", "bad%FE"])
def test_invalid_utf8_in_a_key_is_refused_on_lambda_too(handlers, account, raw_key):
    """serverless-wsgi decodes the path with replacement; the event's rawPath has the
    bytes."""
    put = event("put-encoded-slash.json", account.api_key)
    put["rawPath"] = f"/v1/app/{raw_key}"
    response = handlers.api(put, None)
    assert response["statusCode"] == 400, response
    assert body_of(response)["code"] == "invalid_key"
    assert account.list_keys() == []


def test_errors_come_back_as_json(handlers, account):
    response = handlers.api(event("get-item.json", "kv_" + "x" * 32), None)
    assert response["statusCode"] == 401
    assert body_of(response)["code"] == "invalid_api_key"


def test_a_dashboard_login_sets_several_cookies_and_all_reach_the_browser(
    monkeypatch, app, account
):
    """Payload 2.0 needs cookies in ``cookies``; in headers only one would survive."""
    from kv_dashboard import create_app as create_dashboard

    dashboard = create_dashboard(
        settings=app.extensions["kv_settings"], services=app.extensions["kv_services"]
    )
    monkeypatch.setattr(lambda_handlers, "_apps", {"dashboard": dashboard})
    monkeypatch.setenv("STRIP_STAGE_PATH", "true")
    monkeypatch.setenv("API_GATEWAY_BASE_PATH", "dashboard")

    page = lambda_handlers.dashboard(event("dashboard-login-page.json", ""), None)
    assert page["statusCode"] == 200
    [session] = page["cookies"]
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page["body"]).group(1)

    login_event = event("dashboard-login.json", "")
    login_event["cookies"] = [session.split(";")[0]]
    login_event["body"] = login_event["body"].replace("{CSRF}", csrf)
    response = lambda_handlers.dashboard(login_event, None)

    assert response["statusCode"] == 302, response.get("body")
    assert response["headers"]["Location"].endswith("/dashboard/")
    names = sorted(cookie.split("=")[0] for cookie in response["cookies"])
    assert names == ["kv_dashboard", "remember_token"]
    assert not [h for h in response["headers"] if h.lower() == "set-cookie"]
    for cookie in response["cookies"]:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Path=/dashboard" in cookie or "Path=/" in cookie


def test_usage_alerts_handler(monkeypatch, tmp_path):
    monkeypatch.setenv("KV_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KV_JWT_SECRET", "x" * 40)
    assert lambda_handlers.usage_alerts({"source": "aws.events"}, None) == {"sent": 0}


def test_secrets_come_from_ssm_parameters(fake_aws):
    import boto3

    from kv_api.secrets import load_secrets

    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/kv/dev/jwt", Value="j" * 40, Type="SecureString")
    ssm.put_parameter(Name="/kv/dev/paddle", Value="pdl_secret", Type="SecureString")
    env = {
        "KV_JWT_SECRET_PARAMETER": "/kv/dev/jwt",
        "KV_PADDLE_WEBHOOK_SECRET_PARAMETER": "/kv/dev/paddle",
    }
    load_secrets(env)
    assert env["KV_JWT_SECRET"] == "j" * 40
    assert env["KV_PADDLE_WEBHOOK_SECRET"] == "pdl_secret"
    # A value given directly wins, and nothing is fetched.
    given = {"KV_JWT_SECRET": "given", "KV_JWT_SECRET_PARAMETER": "/kv/dev/missing"}
    load_secrets(given)
    assert given["KV_JWT_SECRET"] == "given"


def test_sign_in_providers_client_secrets_come_from_ssm_when_named(fake_aws):
    import boto3

    from kv_api.secrets import load_secrets

    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/kv/dev/cognito", Value="cognito-secret", Type="SecureString")
    env = {
        "KV_OIDC_PROVIDERS": "cognito",
        "KV_OIDC_COGNITO_CLIENT_SECRET_PARAMETER": "/kv/dev/cognito",
        # Not named in KV_OIDC_PROVIDERS: its parameter need not exist, nor is it read.
        "KV_OIDC_GOOGLE_CLIENT_SECRET_PARAMETER": "/kv/dev/missing",
    }
    load_secrets(env)
    assert env["KV_OIDC_COGNITO_CLIENT_SECRET"] == "cognito-secret"
    assert "KV_OIDC_GOOGLE_CLIENT_SECRET" not in env


def test_each_request_is_one_line_of_embedded_metrics(monkeypatch, app, account, capsys):
    monkeypatch.setenv("STRIP_STAGE_PATH", "true")
    monkeypatch.setenv("KV_METRICS_NAMESPACE", "KVStorage/test")
    monkeypatch.setattr(lambda_handlers, "_apps", {"api": lambda_handlers.observed(app, "api")})
    capsys.readouterr()
    put = lambda_handlers.api(event("put-item-base64.json", account.api_key), None)
    [line] = capsys.readouterr().out.splitlines()
    record = json.loads(line)
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "KVStorage/test"
    assert directive["Dimensions"] == [["Service"], ["Service", "Route"]]
    names = {metric["Name"] for metric in directive["Metrics"]}
    assert names == {"Requests", "Latency", "ServerErrors", "QuotaRefusals", "StoreErrors"}
    assert all(name in record for name in names)  # each metric has its value
    assert record["Service"] == "api"
    assert record["Route"] == record["route"] == "/v1/<namespace>/<key:key>"
    assert (record["status"], record["namespace"], record["Requests"]) == (201, "app", 1)
    assert record["request_id"] == put["headers"]["X-Request-Id"]
    assert (record["ServerErrors"], record["QuotaRefusals"], record["StoreErrors"]) == (0, 0, 0)
    assert "user:1" not in line
    assert account.api_key not in line
