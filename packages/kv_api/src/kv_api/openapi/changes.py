"""OpenAPI of the change feed (:mod:`kv_api.feed`), which ``GET /v1/{namespace}``
answers with ``changes=true``: its parameters, its answers and its schemas, merged
into that operation by :mod:`kv_api.openapi.kv`."""

from __future__ import annotations

from copy import deepcopy

from kv_api.openapi.common import JSON, STRING, TIMESTAMP, Schema, enum, error, obj, ref
from kv_core.limits import LIMITS

EVENT_STREAM = "text/event-stream"
LIST_ONLY = "`start`, `end`, `reverse`, `count`, `details` and `cursor`"


def query(name: str, description: str, schema: Schema) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


PARAMETERS: list[Schema] = [
    query(
        "changes",
        "`true`: the namespace's change feed instead of its keys: every put, delete and"
        " expiry after `since`, in the order they happened (`prefix` and `limit` apply;"
        f" {LIST_ONLY} are a listing's and refused). Each answer counts one request.",
        {"type": "string", "enum": ["true", "false"], "default": "false"},
    ),
    query(
        "since",
        "With `changes=true`: a `cursor` of the feed (resume after it), or `now` (only"
        " what happens from now on). Absent: from the oldest change kept (changes are"
        " kept at least the retention, 24 hours by default).",
        STRING,
    ),
    query(
        "wait",
        "With `changes=true`: when there is no change yet, hold the answer until one"
        f" comes or this many seconds pass (1 to {LIMITS.changes_wait_max_seconds}).",
        {"type": "integer", "minimum": 1, "maximum": LIMITS.changes_wait_max_seconds},
    ),
    {
        "name": "Last-Event-ID",
        "in": "header",
        "required": False,
        "description": (
            "A stream's reconnection: the `id` of the last event received (a cursor),"
            " which takes the place of `since`."
        ),
        "schema": STRING,
    },
]

SCHEMAS: dict[str, Schema] = {
    "Change": obj(
        ["key", "op", "version", "updatedAt", "expiresAt"],
        key=STRING,
        op=enum(("put", "delete", "expire")),
        version={
            "type": "integer",
            "description": "The item's version as written (a delete or expiry: as it was).",
        },
        updatedAt=TIMESTAMP,
        expiresAt={"type": ["integer", "null"], "description": "Unix seconds, or null."},
        value={
            "description": (
                "A put's value, when its compact JSON is at most"
                f" {LIMITS.change_value_max_bytes} bytes (larger: GET the item)."
            )
        },
        cursor={
            "type": "string",
            "description": (
                "In a JSON page: the cursor right after this change, to resume from it"
                " (the last change's is the page's)."
            ),
        },
    ),
    "ChangePage": obj(
        ["changes", "cursor"],
        changes={"type": "array", "items": ref("Change")},
        cursor={
            "type": "string",
            "description": "Pass as `since` for what happens next (also when there are none).",
        },
    ),
}

STREAM: Schema = {
    "schema": {
        "type": "string",
        "description": (
            "With `Accept: text/event-stream` (on `kv-storage serve`): Server-Sent Events."
            " Each change is an event `change` whose `data` is a Change and whose `id` is the"
            " cursor right after it; `: heartbeat` comments with a fresh `id` come while"
            " nothing happens; the stream ends after a few minutes, to be resumed with"
            " `Last-Event-ID`. It counts one request when it opens and one for each further"
            " minute; when the quota runs out it ends with an event `error`."
        ),
    },
}

RESPONSES: dict[str, Schema] = {
    "400": error(
        "With `changes=true`: a cursor that is malformed or another namespace's"
        " (`invalid_cursor`), a `wait` outside 1 to"
        f" {LIMITS.changes_wait_max_seconds} (`invalid_wait`), a `limit` outside 1 to"
        f" {LIMITS.changes_page_max} (`invalid_limit`), or a listing's parameter"
        " (`invalid_changes`)."
    ),
    "406": error(
        "A stream asked of a server that cannot stream (`not_acceptable`, AWS Lambda):"
        " long-poll with `wait` instead."
    ),
    "410": error("`since` is older than the retention (`cursor_expired`): start again from `now`."),
}


def with_changes(operation: Schema) -> Schema:
    """The list operation, answering the feed too."""
    operation = deepcopy(operation)
    operation["summary"] = f"{operation['summary']}, or follow the change feed"
    operation["parameters"].extend(deepcopy(PARAMETERS))
    ok = operation["responses"]["200"]
    ok["description"] = f"{ok['description']} With `changes=true`: a ChangePage."
    listed = ok["content"][JSON]["schema"]
    answers = listed.get("oneOf", [listed])
    ok["content"][JSON]["schema"] = {"oneOf": [*answers, ref("ChangePage")]}
    ok["content"][EVENT_STREAM] = STREAM
    for status, response in RESPONSES.items():
        if status in operation["responses"]:
            merged = operation["responses"][status]
            merged["description"] = f"{merged['description']} {response['description']}"
        else:
            operation["responses"][status] = deepcopy(response)
    return operation


__all__ = ["PARAMETERS", "RESPONSES", "SCHEMAS", "with_changes"]
