"""The API's JSON answers, written by orjson.

Every answer of the API is made by ``app.json.response`` (the fast path's too), and the
standard library's encoder was a good part of a ``GET``'s own work. orjson writes the
same JSON (compact, UTF-8 instead of ``\\u`` escapes), several times faster. What it
cannot write (an integer beyond 64 bits, which Python's parser accepts in a value) goes
to the standard encoder, as do indented answers in debug mode.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response

# Dates and dataclasses are written as Flask writes them (through ``default``).
OPTIONS = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_APPEND_NEWLINE
)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's provider, with ``response`` written by orjson."""

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        options = OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        try:
            body = orjson.dumps(obj, default=self.default, option=options)
        except TypeError:  # orjson.JSONEncodeError: too large an integer, or the like
            return super().response(*args, **kwargs)
        make = cast(Any, self._app.response_class)
        return cast(Response, make(body, mimetype=self.mimetype))
