"""What the SDK reads of an HTTP answer, whichever library (requests or httpx) got it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Answer(Protocol):
    """The part of a response both ``requests.Response`` and ``httpx.Response`` offer:
    enough to read a result or an error from it."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers, looked up without regard to case."""
        ...

    def json(self) -> Any:
        """The body parsed as JSON; ``ValueError`` if it is not JSON."""
        ...
