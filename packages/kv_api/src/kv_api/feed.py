"""The change feed's answers: ``GET /v1/{namespace}?changes=true``.

As JSON, one page ``{changes, cursor}`` (each change also carries the cursor right
after it, so that a reader who stops half-way through a page resumes there), held up
to ``wait`` seconds when there is nothing yet (a long poll: each answer counts one
request). With ``Accept:
text/event-stream``, a stream of Server-Sent Events: each change is an event ``change``
whose ``id`` is the cursor right after it, a comment (``: heartbeat``) with a fresh
``id`` keeps an idle connection open and its cursor young, and the stream ends after
``CHANGES_STREAM_SECONDS`` so that clients reconnect (``Last-Event-ID`` resumes). A
stream counts one request when it opens and one for each further minute it stays
open; when the quota runs out it ends with an event ``error``.

Streams need a server that sends a response as it is made (``kv-storage serve``). The
app only streams when ``EVENT_STREAMS`` is set (serve sets it); elsewhere (AWS
Lambda, whose responses are buffered whole) a stream is refused with 406
``not_acceptable`` and clients long-poll instead.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

from flask import Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from kv_api.context import services
from kv_api.errors import NotAcceptable
from kv_core.errors import InvalidInput, QuotaExceeded
from kv_core.limits import LIMITS
from kv_core.services import Items, Principal
from kv_core.services.changes import FeedPosition
from kv_core.store import Change

EVENT_STREAM = "text/event-stream"
# Parameters of a listing that a feed does not take.
LIST_ONLY = ("start", "end", "reverse", "count", "details", "cursor")
DIGITS = re.compile(r"[0-9]+")
STREAM_SECONDS = 300
HEARTBEAT_SECONDS = 15.0
CHARGE_SECONDS = 60.0


def change_json(change: Change) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "key": change.key,
        "op": change.op,
        "version": change.version,
        "updatedAt": change.updated_at,
        "expiresAt": change.expires_at,
    }
    if change.has_value:
        fields["value"] = change.value
    return fields


def whole_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not DIGITS.fullmatch(raw):
        raise InvalidInput(f"{name} must be a whole number.", code=f"invalid_{name}")
    return int(raw)


def wants_stream() -> bool:
    """Whether the request prefers events to JSON (``*/*`` takes JSON)."""
    accepted = request.accept_mimetypes
    return accepted[EVENT_STREAM] > accepted["application/json"]


def changes_answer(principal: Principal) -> ResponseReturnValue:
    """The feed for ``principal``'s namespace, as JSON or as a stream."""
    given = sorted(name for name in LIST_ONLY if name in request.args)
    if given:
        raise InvalidInput(
            f"changes=true does not take {', '.join(given)} (they are a listing's).",
            code="invalid_changes",
        )
    items = services().items
    prefix = request.args.get("prefix", "")
    limit = whole_arg("limit")
    wait = whole_arg("wait")
    if wants_stream():
        return stream(items, principal, prefix, limit)
    page = items.follow(
        principal, since=request.args.get("since") or None, prefix=prefix, wait=wait, limit=limit
    )
    cursors = page.cursors(items.config.secret, principal.key.namespace_id)
    return jsonify(
        changes=[
            {**change_json(change), "cursor": cursor}
            for change, cursor in zip(page.changes, cursors, strict=True)
        ],
        cursor=page.cursor,
    )


def stream(items: Items, principal: Principal, prefix: str, limit: int | None) -> Response:
    if not current_app.config.get("EVENT_STREAMS"):
        raise NotAcceptable(
            "This server cannot stream events: ask without Accept: text/event-stream"
            " and hold the request with wait= instead.",
            code="not_acceptable",
        )
    if "wait" in request.args:
        raise InvalidInput("A stream waits by itself: it takes no wait.", code="invalid_wait")
    since = request.headers.get("Last-Event-ID") or request.args.get("since") or None
    size = LIMITS.changes_page_max if limit is None else limit
    if not 1 <= size <= LIMITS.changes_page_max:
        raise InvalidInput(
            f"limit is 1 to {LIMITS.changes_page_max} for changes.", code="invalid_limit"
        )
    position = items.open_feed(principal, since=since, prefix=prefix)
    items.admit(principal)
    seconds = float(current_app.config.get("CHANGES_STREAM_SECONDS", STREAM_SECONDS))
    return Response(
        events(items, principal, position, size, seconds),
        mimetype=EVENT_STREAM,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def events(
    items: Items, principal: Principal, position: FeedPosition, limit: int, seconds: float
) -> Iterator[str]:
    """The stream's text: changes as they come, heartbeats between, for ``seconds``."""
    started = time.monotonic()
    charged = started
    end = started + seconds
    yield f"retry: 1000\nid: {items.feed_cursor(position)}\n\n"
    while (now := time.monotonic()) < end:
        if now - charged >= CHARGE_SECONDS:
            try:
                items.admit(principal)
            except QuotaExceeded as error:
                body = json.dumps({"error": error.message, "code": error.code})
                yield f"event: error\ndata: {body}\n\n"
                return
            charged += CHARGE_SECONDS
        wait = min(HEARTBEAT_SECONDS, end - now, charged + CHARGE_SECONDS - now)
        page = items.read_feed(position, wait=max(wait, 0.0), limit=limit)
        if not page.changes:
            yield f": heartbeat\nid: {page.cursor}\n\n"
            continue
        for change, cursor in zip(
            page.changes, page.cursors(items.config.secret, position.namespace_id), strict=True
        ):
            data = json.dumps(change_json(change), ensure_ascii=False, separators=(",", ":"))
            yield f"id: {cursor}\nevent: change\ndata: {data}\n\n"
