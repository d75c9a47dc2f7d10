from datetime import UTC, datetime, timedelta

import jwt
import pytest


def signup(client, email="ann@example.com", password="s3cret-pass"):
    return client.post("/v1/auth/signup", json={"email": email, "password": password})


def test_signup_answers_with_a_token_and_the_user(client):
    response = signup(client)
    assert response.status_code == 201
    assert response.json["user"]["email"] == "ann@example.com"
    assert response.json["user"]["plan"] == "free"
    assert "password" not in str(response.json)
    me = client.get("/v1/usage", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"email": "not-an-email", "password": "s3cret-pass"}, "invalid_email"),
        ({"email": "ann@example.com", "password": "short"}, "invalid_password"),
        ({"email": 123, "password": "s3cret-pass"}, "invalid_body"),
        ({"email": "ann@example.com", "password": ["s3cret-pass"]}, "invalid_body"),
        ({"email": "ann@example.com"}, "invalid_body"),
        (["ann@example.com", "s3cret-pass"], "invalid_body"),
    ],
)
def test_bad_signups_are_refused_and_create_nothing(client, body, code, assert_error):
    assert_error(client.post("/v1/auth/signup", json=body), 400, code)
    login = client.post(
        "/v1/auth/login", json={"email": "ann@example.com", "password": "s3cret-pass"}
    )
    assert_error(login, 401, "invalid_credentials")


@pytest.mark.parametrize("raw", [b"", b"{not json", b"null"])
def test_signup_body_must_be_a_json_object(client, raw):
    response = client.post("/v1/auth/signup", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json["code"] in {"invalid_json", "invalid_body"}


def test_an_email_signs_up_once(client, assert_error):
    signup(client)
    assert_error(signup(client, email="ANN@example.com"), 409, "email_taken")


def test_login(client):
    signup(client)
    response = client.post(
        "/v1/auth/login", json={"email": "Ann@Example.com", "password": "s3cret-pass"}
    )
    assert response.status_code == 200
    assert response.json["token"]


def test_unknown_email_and_wrong_password_read_the_same(client, assert_error):
    signup(client)
    wrong = client.post(
        "/v1/auth/login", json={"email": "ann@example.com", "password": "nope-nope"}
    )
    unknown = client.post(
        "/v1/auth/login", json={"email": "zed@example.com", "password": "s3cret-pass"}
    )
    assert_error(wrong, 401, "invalid_credentials")
    assert_error(unknown, 401, "invalid_credentials")
    assert wrong.json == unknown.json


def test_login_is_throttled_after_repeated_failures(client, assert_error):
    signup(client)
    for _ in range(5):
        bad = client.post("/v1/auth/login", json={"email": "ann@example.com", "password": "x" * 9})
        assert bad.status_code == 401
    right = client.post(
        "/v1/auth/login", json={"email": "ann@example.com", "password": "s3cret-pass"}
    )
    assert_error(right, 429, "too_many_attempts")
    assert int(right.headers["Retry-After"]) > 0
    # Another email is not affected.
    signup(client, email="bob@example.com")
    ok = client.post("/v1/auth/login", json={"email": "bob@example.com", "password": "s3cret-pass"})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer not.a.jwt", "Basic abc", "bearer "],
)
def test_account_endpoints_need_a_valid_token(client, header, assert_error):
    headers = {"Authorization": header} if header else {}
    assert_error(client.get("/v1/usage", headers=headers), 401, "invalid_token")
    assert_error(client.get("/v1/namespaces", headers=headers), 401, "invalid_token")


def test_expired_and_foreign_tokens_are_refused(client, assert_error):
    user_id = signup(client).json["user"]["id"]
    past = datetime.now(UTC) - timedelta(days=30)
    expired = jwt.encode(
        {"sub": user_id, "iss": "kv-storage", "iat": past, "exp": past + timedelta(days=1)},
        "test-secret-that-is-long-enough-for-hs256",
        algorithm="HS256",
    )
    forged = jwt.encode(
        {
            "sub": user_id,
            "iss": "kv-storage",
            "iat": datetime.now(UTC),
            "exp": datetime.now(UTC) + timedelta(days=1),
        },
        "another-secret-that-is-long-enough-too",
        algorithm="HS256",
    )
    for token in (expired, forged):
        response = client.get("/v1/usage", headers={"Authorization": f"Bearer {token}"})
        assert_error(response, 401, "invalid_token")


def post_raw(client, path, raw: bytes, **headers):
    return client.post(path, data=raw, headers={"Content-Type": "application/json", **headers})


CREDENTIALS = '"email": "ann@example.com", "password": "s3cret-pass"'


@pytest.mark.parametrize("path", ["/v1/auth/signup", "/v1/auth/login"])
@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"email": "ann\\ud800@example.com", "password": "s3cret-pass"}', "invalid_json"),
        (b'{"email": "ann@example.com", "password": "s3cret-pass\\udfff"}', "invalid_json"),
        (f"{{{CREDENTIALS}}}".encode("utf-16"), "invalid_json"),
        (f"{{{CREDENTIALS}}}".encode("utf-32"), "invalid_json"),
        (f'{{"email": "bob@example.com", {CREDENTIALS}}}'.encode(), "invalid_json"),
        (f'{{{CREDENTIALS}, "x": {"[" * 5000}{"]" * 5000}}}'.encode(), "too_deep"),
    ],
)
def test_bodies_that_are_not_strict_json_are_refused(client, assert_error, path, raw, code):
    assert_error(post_raw(client, path, raw), 400, code)
    assert signup(client).status_code == 201  # nothing was written before


def test_a_chunked_account_body_over_the_limit_is_refused(client, assert_error, chunked):
    body = b'{"email": "ann@example.com", "password": "s3cret-pass"}' + b" " * (1024 * 1024)
    response = chunked("POST", "/v1/auth/signup", body, {"Content-Type": "application/json"})
    assert_error(response, 413, "payload_too_large")
    assert signup(client).status_code == 201


def test_answers_with_a_token_are_never_cached(client):
    assert signup(client).headers["Cache-Control"] == "no-store"
    login = client.post(
        "/v1/auth/login", json={"email": "ann@example.com", "password": "s3cret-pass"}
    )
    assert login.headers["Cache-Control"] == "no-store"
