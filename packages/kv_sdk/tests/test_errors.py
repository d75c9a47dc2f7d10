"""Every error type, each from a real server response (or a real failure to get one)."""

from __future__ import annotations

import pytest

from kv_sdk import (
    AuthenticationError,
    ConfigurationError,
    Conflict,
    InvalidRequest,
    KVClient,
    KVError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PreconditionFailed,
    TransportError,
)


def test_every_error_is_a_kv_error():
    for cls in (
        AuthenticationError,
        ConfigurationError,
        Conflict,
        InvalidRequest,
        NotFound,
        PayloadTooLarge,
        PermissionDenied,
        PreconditionFailed,
        TransportError,
    ):
        assert issubclass(cls, KVError)


def test_not_found_carries_status_code_message_and_response(kv, space):
    with pytest.raises(NotFound) as caught:
        kv.get(space.name, "missing")
    error = caught.value
    assert error.status == 404
    assert error.code == "item_not_found"
    assert "missing" in error.message
    assert error.response is not None
    assert error.response.status_code == 404
    assert error.request_id == error.response.headers["X-Request-Id"]
    assert str(error) == f"404 item_not_found: {error.message}"


def test_unknown_key_is_an_authentication_error(server, space):
    with (
        KVClient("kv_not-a-real-key", base_url=server) as kv,
        pytest.raises(AuthenticationError) as caught,
    ):
        kv.get(space.name, "k")
    assert caught.value.status == 401
    assert caught.value.code == "invalid_api_key"


def test_revoked_key_stops_working(server, account, new_space):
    space = new_space()
    with KVClient(space.secret, base_url=server) as kv:
        kv.put(space.name, "k", 1)
        account.revoke_api_key(space.key_id)
        with pytest.raises(AuthenticationError):
            kv.get(space.name, "k")


def test_read_only_key_cannot_write(server, account, kv, space):
    kv.put(space.name, "k", 1)
    read_only = account.create_api_key(space.name, name="reader", access="read-only")
    assert read_only.key.read_only
    with KVClient(read_only.secret, base_url=server) as reader:
        assert reader.get(space.name, "k").value == 1
        with pytest.raises(PermissionDenied) as caught:
            reader.put(space.name, "k", 2)
        assert caught.value.code == "read_only_key"
        with pytest.raises(PermissionDenied):
            reader.delete(space.name, "k")
    assert kv.get(space.name, "k").value == 1


def test_key_of_another_namespace_is_denied(kv, new_space):
    other = new_space()
    with pytest.raises(PermissionDenied) as caught:
        kv.get(other.name, "k")
    assert caught.value.status == 403
    assert caught.value.code == "wrong_namespace"


def test_value_over_the_limit_is_payload_too_large(kv, space):
    with pytest.raises(PayloadTooLarge) as caught:
        kv.put(space.name, "big", "x" * (256 * 1024))
    assert caught.value.status == 413
    with pytest.raises(PayloadTooLarge):
        kv.put(space.name, "huge", "x" * (2 * 1024 * 1024))
    with pytest.raises(NotFound):
        kv.get(space.name, "big")


def test_precondition_failed_is_412(kv, space):
    kv.put(space.name, "k", 1)
    with pytest.raises(PreconditionFailed) as caught:
        kv.put(space.name, "k", 2, only_if_absent=True)
    assert (caught.value.status, caught.value.code) == (412, "precondition_failed")


def test_bad_limit_and_cursor_are_invalid_requests(kv, space):
    with pytest.raises(InvalidRequest) as caught:
        kv.list(space.name, limit=0)
    assert caught.value.code == "invalid_limit"
    with pytest.raises(InvalidRequest) as caught:
        kv.list(space.name, cursor="not-a-cursor")
    assert caught.value.code == "invalid_cursor"


def test_taken_name_is_a_conflict(account, space):
    with pytest.raises(Conflict) as caught:
        account.create_namespace(space.name)
    assert (caught.value.status, caught.value.code) == (409, "namespace_exists")


def test_nobody_listening_is_a_transport_error(space, unused_port):
    port = unused_port
    base_url = f"http://127.0.0.1:{port}"
    with (
        KVClient(space.secret, base_url=base_url, max_retries=1) as kv,
        pytest.raises(TransportError) as caught,
    ):
        kv.get(space.name, "k")
    error = caught.value
    assert error.status is None
    assert error.response is None
    assert f"127.0.0.1:{port}" in str(error)
    assert "refused" in str(error).lower()


def test_missing_key_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="KV_API_KEY"):
        KVClient()


def test_base_url_without_a_scheme_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="http"):
        KVClient("kv_x", base_url="localhost:8000")
