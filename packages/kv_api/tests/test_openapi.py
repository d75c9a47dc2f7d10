import re

from openapi_spec_validator import validate

from kv_api import openapi_document


def rule_to_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule_to_path(rule.rule), method.lower()))
    return found


def documented() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, operations in openapi_document()["paths"].items()
        for method in operations
    }


def test_the_document_is_valid_openapi_3_1():
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_is_documented_and_every_documented_route_exists(app):
    assert routes(app) == documented()


def test_path_parameters_match_the_routes():
    for path, operations in openapi_document()["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for operation in operations.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, path


def test_both_security_schemes_and_errors(client):
    document = client.get("/v1/openapi.json").get_json()
    assert {"apiKey", "bearer"} <= set(document["components"]["securitySchemes"])
    put = document["paths"]["/v1/{namespace}/{key}"]["put"]
    assert put["security"] == [{"apiKey": []}]
    assert {"400", "401", "403", "412", "413", "429"} <= set(put["responses"])
    error_schema = document["components"]["schemas"]["Error"]
    assert error_schema["required"] == ["error", "code"]


def test_documented_responses_are_what_the_api_sends(account):
    """A smoke check of the shapes: the fields the schemas require are present."""
    schemas = openapi_document()["components"]["schemas"]
    account.put("k", {"a": 1})
    samples = {
        "Item": account.get("k").json,
        "KeyPage": account.client.get("/v1/app", headers=account.key_header).json,
        "Usage": account.usage(),
        "Namespace": account.client.get("/v1/namespaces", headers=account.auth).json["namespaces"][
            0
        ],
        "ApiKey": account.client.get("/v1/api-keys", headers=account.auth).json["apiKeys"][0],
        "Error": account.get("missing").json,
    }
    for name, sample in samples.items():
        assert set(schemas[name]["required"]) <= set(sample), name
