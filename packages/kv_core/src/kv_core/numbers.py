"""Number values and the arithmetic of increments, the same on every engine.

JSON numbers are added as decimals of their shortest text, so ``0.1 + 0.2`` is ``0.3``
on SQLite as it is in DynamoDB's ``ADD``; a sum stays an ``int`` when both terms are.
A counter must stay within what DynamoDB can hold exactly (38 significant digits,
magnitudes from 1E-130 to below 1E126).
"""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, Rounded
from typing import Any

from kv_core.errors import Conflict

SIGNIFICANT_DIGITS = 38
_EXACT = Context(prec=SIGNIFICANT_DIGITS, traps=[Inexact, Rounded])
_LARGEST = Decimal("1E126")  # DynamoDB's numbers are below this and, unless 0,
_SMALLEST = Decimal("1E-130")  # at least this in magnitude


def is_number(value: Any) -> bool:
    """Whether a JSON value is a number (``true`` and ``false`` are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_decimal(number: int | float) -> Decimal:
    return Decimal(number) if isinstance(number, int) else Decimal(repr(number))


def add(stored: int | float, by: int | float) -> int | float:
    """``stored + by`` as an increment computes it; ``Conflict``
    (``number_out_of_range``) when the sum has more than 38 significant digits or
    leaves DynamoDB's range."""
    try:
        total = _EXACT.add(as_decimal(stored), as_decimal(by))
    except (Inexact, Rounded):
        raise out_of_range() from None
    if abs(total) >= _LARGEST or (total and abs(total) < _SMALLEST):
        raise out_of_range()
    if isinstance(stored, int) and isinstance(by, int):
        return int(total)
    result = float(total)
    if result != result or result in (float("inf"), float("-inf")):
        raise out_of_range()
    return result


def out_of_range() -> Conflict:
    return Conflict(
        f"The sum would have more than {SIGNIFICANT_DIGITS} significant digits.",
        code="number_out_of_range",
    )
