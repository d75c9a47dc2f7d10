"""The API reference, against kv_api's OpenAPI document."""

from __future__ import annotations

import pytest

from kv_api.openapi import openapi_document
from kv_site.apiref import api_reference_page, cell, operations, type_of


@pytest.fixture(scope="module")
def document():
    return openapi_document()


@pytest.fixture(scope="module")
def page(document):
    return api_reference_page(document)


def test_every_operation_has_a_section_with_its_method_and_path(document, page):
    listed = operations(document)
    assert len(listed) == sum(
        1
        for item in document["paths"].values()
        for m in item
        if m in {"get", "put", "post", "delete", "patch"}
    )
    for path, method, operation in listed:
        assert f"`{method.upper()} {path}`" in page
        assert f"{{#{operation['operationId']}}}" in page


def test_every_response_status_and_parameter_is_listed(document, page):
    for path, method, operation in operations(document):
        section = page.split(f"`{method.upper()} {path}`", 1)[1].split("\n### ", 1)[0]
        for status in operation["responses"]:
            assert f"| `{status}` |" in section
        for parameter in operation.get("parameters", []):
            assert f"| `{parameter['name']}` | {parameter['in']} |" in section


def test_every_schema_is_described(document, page):
    for name, schema in document["components"]["schemas"].items():
        assert f"### {name} {{#schema-{name.lower()}}}" in page
        for field in schema.get("properties", {}):
            assert f"| `{field}` |" in page


@pytest.mark.parametrize(
    ("schema", "text"),
    [
        ({"$ref": "#/components/schemas/Item"}, "[Item](#schema-item)"),
        ({"type": "array", "items": {"type": "string"}}, "array of string"),
        ({"type": ["string", "null"], "format": "date-time"}, "string or null (date-time)"),
        ({"type": "string", "enum": ["a", "b"]}, "one of `a`, `b`"),
        ({"type": "integer", "minimum": 1, "maximum": 9}, "integer (minimum 1, maximum 9)"),
        ({"description": "Any JSON value."}, "any JSON"),
    ],
)
def test_types_read_as_words(schema, text):
    assert type_of(schema) == text


def test_cells_never_break_a_table_row():
    assert cell("a | b\nc") == "a \\| b c"
