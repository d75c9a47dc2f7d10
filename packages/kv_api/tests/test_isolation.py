"""Two users, each with namespaces and keys: every cross-user or cross-namespace path
is refused, and nothing of one is visible to the other."""


def test_data_plane_with_the_other_users_key_or_namespace(account, other, assert_error):
    account.put("secret", "ann's")
    other.put("secret", "bob's")
    ann_key, bob_key = account.key_header, other.key_header
    client = account.client
    # Bob's key on Ann's namespace, every operation.
    for response in (
        client.get("/v1/app/secret", headers=bob_key),
        client.put("/v1/app/secret", json="bob was here", headers=bob_key),
        client.delete("/v1/app/secret", headers=bob_key),
        client.get("/v1/app", headers=bob_key),
    ):
        assert_error(response, 403, "wrong_namespace")
    # Ann's key on Bob's namespace.
    for response in (
        client.get("/v1/bobs/secret", headers=ann_key),
        client.put("/v1/bobs/secret", json="ann was here", headers=ann_key),
        client.delete("/v1/bobs/secret", headers=ann_key),
        client.get("/v1/bobs", headers=ann_key),
    ):
        assert_error(response, 403, "wrong_namespace")
    assert account.get("secret").json["value"] == "ann's"
    assert other.get("secret").json["value"] == "bob's"


def test_same_namespace_name_for_two_users_stays_apart(account, new_account, assert_error):
    carol = new_account("carol@example.com", "app")  # same name as Ann's
    account.put("k", "ann")
    assert_error(carol.get("k"), 404, "item_not_found")
    carol.put("k", "carol")
    assert account.get("k").json["value"] == "ann"
    assert carol.list_keys() == ["k"]


def test_account_endpoints_with_the_other_users_token(account, other, assert_error):
    client = account.client
    # Bob cannot delete Ann's namespace, nor see it.
    assert_error(
        client.delete("/v1/namespaces/app", headers=other.auth), 404, "namespace_not_found"
    )
    names = [n["name"] for n in client.get("/v1/namespaces", headers=other.auth).json["namespaces"]]
    assert names == ["bobs"]
    # Bob cannot create a key for Ann's namespace.
    response = client.post("/v1/api-keys", json={"namespace": "app"}, headers=other.auth)
    assert_error(response, 404, "namespace_not_found")
    # Bob cannot list or revoke Ann's keys.
    ann_keys = client.get("/v1/api-keys", headers=account.auth).json["apiKeys"]
    bob_keys = client.get("/v1/api-keys", headers=other.auth).json["apiKeys"]
    assert {k["id"] for k in ann_keys}.isdisjoint({k["id"] for k in bob_keys})
    assert_error(
        client.delete(f"/v1/api-keys/{ann_keys[0]['id']}", headers=other.auth),
        404,
        "api_key_not_found",
    )
    assert account.get("nothing").status_code == 404  # Ann's key still works
    # Usage is each user's own.
    account.put("a", "x" * 50)
    assert other.usage()["storage"]["usedBytes"] == 0
    assert account.usage()["storage"]["usedBytes"] > 0
