import importlib
import re

import pytest
from openapi_spec_validator import validate

from kv_api import openapi_document
from kv_api.openapi import FRAGMENTS
from kv_core.limits import LIMITS
from kv_core.model import ACCESS_LEVELS
from kv_core.names import NAMESPACE_PATTERN, RESERVED_NAMESPACES
from kv_core.services.accounts import PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS
from kv_core.services.api_keys import KEY_NAME_MAX_CHARS


def rule_to_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def routes(app, blueprint: str | None = None) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if blueprint is not None and rule.endpoint.split(".")[0] != blueprint:
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


@pytest.mark.parametrize("fragment", FRAGMENTS, ids=lambda f: f.__name__.rsplit(".", 1)[-1])
def test_each_blueprints_routes_are_described_beside_it(app, fragment):
    """kv_api.openapi.<name> describes exactly the routes of kv_api.blueprints.<name>."""
    name = fragment.__name__.rsplit(".", 1)[-1]
    blueprint = importlib.import_module(f"kv_api.blueprints.{name}").bp.name
    described = {(path, method) for path, item in fragment.PATHS.items() for method in item}
    assert routes(app, blueprint) == described


def test_the_constraints_are_kv_cores():
    document = openapi_document()
    paths, schemas = document["paths"], document["components"]["schemas"]
    namespace = paths["/v1/namespaces"]["post"]["requestBody"]["content"]["application/json"]
    name = namespace["schema"]["properties"]["name"]
    assert name["pattern"] == f"^{NAMESPACE_PATTERN.pattern}$"
    assert (name["minLength"], name["maxLength"]) == (1, LIMITS.namespace_max_chars)
    for reserved in RESERVED_NAMESPACES:
        assert reserved in paths["/v1/namespaces"]["post"]["responses"]["400"]["description"]
    password = schemas["Credentials"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (
        PASSWORD_MIN_CHARS,
        PASSWORD_MAX_CHARS,
    )
    assert schemas["ApiKey"]["properties"]["access"]["enum"] == list(ACCESS_LEVELS)
    create_key = paths["/v1/api-keys"]["post"]["requestBody"]["content"]["application/json"]
    assert create_key["schema"]["properties"]["name"]["maxLength"] == KEY_NAME_MAX_CHARS
    assert create_key["schema"]["properties"]["access"]["default"] == ACCESS_LEVELS[0]
    key = next(p for p in paths["/v1/{namespace}/{key}"]["get"]["parameters"] if p["name"] == "key")
    assert f"{LIMITS.key_max_bytes} bytes" in key["description"]
    (limit,) = [p for p in paths["/v1/{namespace}"]["get"]["parameters"] if p["name"] == "limit"]
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (
        LIMITS.list_limit_min,
        LIMITS.list_limit_max,
    )
    assert limit["schema"]["default"] == LIMITS.list_limit_default
    put = paths["/v1/{namespace}/{key}"]["put"]
    assert f"{LIMITS.json_max_depth} levels" in put["requestBody"]["description"]
    assert "too_deep" in put["responses"]["400"]["description"]


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
