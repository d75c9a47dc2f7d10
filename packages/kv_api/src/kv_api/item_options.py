"""What a write says beside its body: its expiry (``?ttl=`` or ``?expiresAt=``) and its
metadata (the ``KV-Metadata`` header), read strictly.

Here the text becomes integers and JSON; the rules (ranges, one of the two, an object of
at most ``LIMITS.metadata_max_bytes``) are :mod:`kv_core.expiry`'s and
:mod:`kv_core.metadata`'s, so that every surface refuses the same things.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import Headers, MultiDict

from kv_api import strict_json
from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS

METADATA_HEADER = "KV-Metadata"
# Digits enough for any second of the next ten years and more, few enough to parse fast.
INTEGER = re.compile(r"-?[0-9]{1,19}")
# Room for compact metadata written with whitespace; its compact size is checked later.
METADATA_HEADER_MAX_BYTES = 4 * LIMITS.metadata_max_bytes
BOOLEANS = {"true": True, "false": False}


def _integer(args: MultiDict[str, str], name: str, code: str) -> int | None:
    values = args.getlist(name)
    if not values:
        return None
    if len(values) > 1 or not INTEGER.fullmatch(values[0]):
        raise InvalidInput(f"{name} is one whole number of seconds.", code=code)
    return int(values[0])


def expiry_args(args: MultiDict[str, str]) -> dict[str, int | None]:
    """``ttl`` and ``expires_at`` as the services take them, from the query."""
    if "ttl" in args and "expiresAt" in args:
        raise InvalidInput("Give ttl or expiresAt, not both.", code="ttl_and_expires_at")
    return {
        "ttl": _integer(args, "ttl", "invalid_ttl"),
        "expires_at": _integer(args, "expiresAt", "invalid_expires_at"),
    }


def metadata_header(headers: Headers) -> dict[str, Any] | None:
    """The ``KV-Metadata`` header's JSON object (``None``: no header), strictly: UTF-8,
    each key once, nested no deeper than any body; ``invalid_metadata`` otherwise."""
    raw = headers.get(METADATA_HEADER)
    if raw is None:
        return None
    data = raw.encode("latin-1")  # the header's bytes, as WSGI hands them on
    if len(data) > METADATA_HEADER_MAX_BYTES:
        raise InvalidInput(
            f"The {METADATA_HEADER} header is over {METADATA_HEADER_MAX_BYTES:,} bytes;"
            f" metadata is at most {LIMITS.metadata_max_bytes:,} bytes as compact JSON.",
            code="metadata_too_large",
        )
    try:
        metadata = strict_json.loads(data)
    except InvalidInput as error:
        if error.code == "too_deep":
            raise
        raise InvalidInput(
            f"The {METADATA_HEADER} header is not strict JSON: empty, not UTF-8, not"
            " JSON, or an object with a key twice.",
            code="invalid_metadata",
        ) from None
    if not isinstance(metadata, dict):
        raise InvalidInput(
            f"The {METADATA_HEADER} header is a JSON object.", code="invalid_metadata"
        )
    return metadata


def boolean_arg(args: MultiDict[str, str], name: str) -> bool:
    """A ``true``/``false`` query parameter (absent: false)."""
    values = args.getlist(name)
    if not values:
        return False
    if len(values) > 1 or values[0] not in BOOLEANS:
        raise InvalidInput(f"{name} is true or false.", code=f"invalid_{name}")
    return BOOLEANS[values[0]]
