"""The API reference page, rendered from ``kv_api``'s OpenAPI document.

The document is the one the API serves at ``/v1/openapi.json`` and that a test holds
against the app's routes, so the reference shows exactly what the API does.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
METHODS = ("get", "put", "post", "delete", "patch")


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.replace("|", "\\|").split())


def schema_anchor(name: str) -> str:
    return f"schema-{name.lower()}"


def type_of(schema: Schema) -> str:
    """A short Markdown description of a schema's type: ``string (date-time)``,
    ``array of [Item](#schema-item)``, ``one of "a", "b"``."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f"[{name}](#{schema_anchor(name)})"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return "array of " + type_of(schema.get("items", {}))
    if isinstance(kind, list):
        text = " or ".join(str(k) for k in kind)
    elif kind:
        text = str(kind)
    else:
        return "any JSON"
    details = [
        f"`{schema[k]}`" if k == "pattern" else str(schema[k])
        for k in ("format", "pattern")
        if k in schema
    ]
    bounds = [
        f"{k} {schema[k]}"
        for k in ("minimum", "maximum", "minLength", "maxLength", "default")
        if k in schema
    ]
    extra = ", ".join(details + bounds)
    return f"{text} ({extra})" if extra else text


def properties_table(schema: Schema) -> list[str]:
    required = set(schema.get("required", []))
    lines = ["| field | type | required | description |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        nested = prop.get("type") == "object" and "properties" in prop
        kind = (
            "object: " + ", ".join(f"`{n}`" for n in prop["properties"])
            if nested
            else type_of(prop)
        )
        lines.append(
            f"| `{name}` | {cell(kind)} | {'yes' if name in required else 'no'}"
            f" | {cell(prop.get('description', ''))} |"
        )
    return lines


def security_line(operation: Schema, schemes: dict[str, Schema]) -> str:
    requirements = operation.get("security")
    if not requirements:
        return "No authentication."
    names = [name for requirement in requirements for name in requirement]
    parts = []
    for name in names:
        scheme = schemes.get(name, {})
        if scheme.get("type") == "http":
            parts.append(f"`Authorization: Bearer <{scheme.get('bearerFormat', 'token')}>`")
        else:
            parts.append(f"`{scheme.get('name', name)}` header")
    return "Authentication: " + " or ".join(parts) + "."


def parameters_table(parameters: list[Schema]) -> list[str]:
    lines = ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
    for parameter in parameters:
        lines.append(
            f"| `{parameter['name']}` | {parameter['in']}"
            f" | {cell(type_of(parameter.get('schema', {})))}"
            f" | {'yes' if parameter.get('required') else 'no'}"
            f" | {cell(parameter.get('description', ''))} |"
        )
    return lines


def responses_table(responses: dict[str, Schema]) -> list[str]:
    lines = ["| status | meaning | body | headers |", "|---|---|---|---|"]
    for status, response in sorted(responses.items()):
        content = response.get("content", {})
        body = type_of(next(iter(content.values()))["schema"]) if content else ""
        headers = ", ".join(f"`{name}`" for name in response.get("headers", {}))
        lines.append(
            f"| `{status}` | {cell(response.get('description', ''))} | {cell(body)} | {headers} |"
        )
    return lines


def operation_section(
    path: str, method: str, operation: Schema, schemes: dict[str, Schema]
) -> list[str]:
    lines = [
        f"### {operation.get('summary', operation['operationId'])} {{#{operation['operationId']}}}",
        "",
        f"`{method.upper()} {path}`",
        "",
    ]
    if operation.get("description"):
        lines += [operation["description"], ""]
    lines += [security_line(operation, schemes), ""]
    if operation.get("parameters"):
        lines += ["**Parameters**", "", *parameters_table(operation["parameters"]), ""]
    request = operation.get("requestBody")
    if request:
        schema = next(iter(request["content"].values()))["schema"]
        described = f": {request['description']}" if request.get("description") else ""
        if "properties" in schema:
            lines += [f"**Body**: a JSON object{described}", "", *properties_table(schema), ""]
        else:
            lines += [f"**Body**: {type_of(schema)}{described}", ""]
    lines += ["**Responses**", "", *responses_table(operation["responses"]), ""]
    return lines


def operations(document: Schema) -> list[tuple[str, str, Schema]]:
    """``(path, method, operation)`` for every operation, in the document's order."""
    return [
        (path, method, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def api_reference_page(document: Schema) -> str:
    """The whole reference as Markdown: operations by tag, then the schemas."""
    info = document["info"]
    schemes = document.get("components", {}).get("securitySchemes", {})
    lines = [
        "# API reference",
        "",
        info.get("description", ""),
        "",
        f"Version {info['version']}, OpenAPI {document['openapi']}. A running server"
        " serves this document at `/v1/openapi.json`: load it into"
        " any OpenAPI tool to generate a client.",
        "",
    ]
    listed = operations(document)
    for tag in document.get("tags", []):
        tagged = [op for op in listed if tag["name"] in op[2].get("tags", [])]
        if not tagged:
            continue
        lines += [f"## {tag['name']}", "", tag.get("description", ""), ""]
        for path, method, operation in tagged:
            lines += operation_section(path, method, operation, schemes)
    lines += ["## Schemas", ""]
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        lines += [f"### {name} {{#{schema_anchor(name)}}}", ""]
        if "properties" in schema:
            lines += [*properties_table(schema), ""]
        else:
            lines += [type_of(schema), ""]
    return "\n".join(lines)
