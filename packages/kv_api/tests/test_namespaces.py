import pytest


def test_create_and_list_with_counts(account):
    account.put("a", {"n": 1})
    account.put("b", [1, 2, 3])
    account.new_namespace("empty")
    listed = account.client.get("/v1/namespaces", headers=account.auth).json["namespaces"]
    by_name = {n["name"]: n for n in listed}
    assert [n["name"] for n in listed] == ["app", "empty"]
    assert by_name["app"]["itemCount"] == 2
    assert by_name["app"]["sizeBytes"] == len("a") + len('{"n":1}') + len("b") + len("[1,2,3]")
    assert by_name["empty"]["itemCount"] == 0


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "invalid_namespace"),
        ("Upper", "invalid_namespace"),
        ("-dash", "invalid_namespace"),
        ("a" * 65, "invalid_namespace"),
        ("has space", "invalid_namespace"),
        ("auth", "reserved_namespace"),
        ("usage", "reserved_namespace"),
        ("api-keys", "reserved_namespace"),
        ("health", "reserved_namespace"),
    ],
)
def test_invalid_or_reserved_names(account, assert_error, name, code):
    response = account.client.post("/v1/namespaces", json={"name": name}, headers=account.auth)
    assert_error(response, 400, code)
    listed = account.client.get("/v1/namespaces", headers=account.auth).json["namespaces"]
    assert [n["name"] for n in listed] == ["app"]


@pytest.mark.parametrize("body", [{"name": 5}, {}, {"name": None}, "app"])
def test_wrong_json_types(account, assert_error, body):
    response = account.client.post("/v1/namespaces", json=body, headers=account.auth)
    assert_error(response, 400, "invalid_body")


def test_a_name_is_unique_per_user(account, assert_error, new_account):
    response = account.client.post("/v1/namespaces", json={"name": "app"}, headers=account.auth)
    assert_error(response, 409, "namespace_exists")
    new_account("bob@example.com", "app")  # another user may use the same name


def test_delete_takes_items_and_keys_with_it(account, assert_error):
    account.put("a", 1)
    before = account.usage()["storage"]["usedBytes"]
    assert before > 0
    response = account.client.delete("/v1/namespaces/app", headers=account.auth)
    assert response.status_code == 204
    assert account.usage()["storage"]["usedBytes"] == 0
    keys = account.client.get("/v1/api-keys", headers=account.auth).json["apiKeys"]
    assert keys == []
    assert_error(account.get("a"), 401, "invalid_api_key")
    # Recreated under the same name, it is empty.
    account.new_namespace("app")
    account.api_key = account.new_key()
    assert account.list_keys() == []


def test_delete_unknown(account, assert_error):
    response = account.client.delete("/v1/namespaces/nope", headers=account.auth)
    assert_error(response, 404, "namespace_not_found")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"name": "app\\ud800"}', "invalid_json"),
        (b'{"name": "\\udc00"}', "invalid_json"),
        (b'{"name": "two", "name": "three"}', "invalid_json"),
        ('{"name": "wide"}'.encode("utf-16-le"), "invalid_json"),
        (b'{"name": "deep", "x": ' + b"[" * 65 + b"]" * 65 + b"}", "too_deep"),
    ],
)
def test_bodies_that_are_not_strict_json_create_nothing(account, assert_error, raw, code):
    response = account.client.post(
        "/v1/namespaces", data=raw, headers={**account.auth, "Content-Type": "application/json"}
    )
    assert_error(response, 400, code)
    listed = account.client.get("/v1/namespaces", headers=account.auth).json["namespaces"]
    assert [n["name"] for n in listed] == ["app"]
