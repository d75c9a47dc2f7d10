"""What a listing walks: keys under a prefix, optionally within ``start <= key < end``
and in reverse key order, and the binding of its cursors.

Keys order by their UTF-8 bytes, as the engines order them, so ``start`` after ``end``
is judged the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS
from kv_core.services.cursors import Binding


def utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True, slots=True)
class KeyRange:
    """Keys starting with ``prefix``, at or after ``start``, before ``end`` (either
    bound open when ``None``), walked backwards when ``reverse``."""

    prefix: str = ""
    start: str | None = None
    end: str | None = None
    reverse: bool = False

    @property
    def binding(self) -> Binding:
        """What this listing's cursors are bound to: the prefix alone for a plain
        listing (so that its cursors stay those of the earlier rounds)."""
        if self.start is None and self.end is None and not self.reverse:
            return [self.prefix]
        return [self.prefix, self.start, self.end, self.reverse]


def check_bound(name: str, bound: str | None) -> str | None:
    """A range bound: absent or empty is open; else at most a key's length."""
    if not bound:
        return None
    if len(utf8(bound)) > LIMITS.key_max_bytes:
        raise InvalidInput(
            f"{name} is at most {LIMITS.key_max_bytes} bytes.", code=f"invalid_{name}"
        )
    return bound


def key_range(
    prefix: str = "", start: str | None = None, end: str | None = None, reverse: bool = False
) -> KeyRange:
    """A checked range; ``InvalidInput`` (``invalid_range``) when ``start`` is after
    ``end``."""
    start = check_bound("start", start)
    end = check_bound("end", end)
    if start is not None and end is not None and utf8(start) > utf8(end):
        raise InvalidInput(
            f"start ('{start}') is after end ('{end}'): a range is start <= key < end.",
            code="invalid_range",
        )
    return KeyRange(prefix, start, end, reverse)
