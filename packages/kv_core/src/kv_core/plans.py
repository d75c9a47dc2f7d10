"""The plans, their quotas, and the arithmetic of a month's usage.

This is the single source of plans and prices: the API, the dashboard and the site
all read :data:`PLANS`. A month is a UTC calendar month named ``YYYY-MM``; usage rolls
over by that name, so no reset job is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from kv_core.errors import InvalidInput
from kv_core.limits import LIMITS
from kv_core.model import User

Status = Literal["ok", "warning", "exceeded"]

KB = 1000
MB = 1000 * KB
GB = 1000 * MB


@dataclass(frozen=True, slots=True)
class Plan:
    """A subscription plan. ``custom`` plans are agreed per account; the numbers are
    where such an account starts."""

    name: str
    title: str
    price_usd: int
    requests_per_month: int
    storage_bytes: int
    custom: bool = False


PLANS: dict[str, Plan] = {
    plan.name: plan
    for plan in (
        Plan("free", "Free", 0, 10_000, 100 * MB),
        Plan("starter", "Starter", 5, 100_000, 1 * GB),
        Plan("pro", "Pro", 15, 1_000_000, 10 * GB),
        Plan("scale", "Scale", 49, 10_000_000, 100 * GB),
        Plan("business", "Business", 149, 100_000_000, 1000 * GB, custom=True),
    )
}
DEFAULT_PLAN = "free"


def get_plan(name: str) -> Plan:
    """The plan called ``name``; raises :class:`InvalidInput` for an unknown one."""
    try:
        return PLANS[name]
    except KeyError:
        raise InvalidInput(f"There is no plan called '{name}'.", code="invalid_plan") from None


def account_plan(user: User) -> Plan:
    """The plan as it applies to ``user``: the account's own limits in place of the
    plan's where it has them (:attr:`User.requests_limit`, :attr:`User.storage_limit`).

    The one place that decides an account's limits: quotas, usage reports, the
    dashboard and the rate-limit headers all read the plan this returns.
    """
    plan = get_plan(user.plan)
    if user.requests_limit is None and user.storage_limit is None:
        return plan
    return replace(
        plan,
        requests_per_month=(
            plan.requests_per_month if user.requests_limit is None else user.requests_limit
        ),
        storage_bytes=plan.storage_bytes if user.storage_limit is None else user.storage_limit,
    )


def format_bytes(size: int) -> str:
    """Decimal units as the plans are sold: ``100 MB``, ``1 GB``, ``1.5 kB``."""
    for unit, factor in (("TB", 1000 * GB), ("GB", GB), ("MB", MB), ("kB", KB)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"


def format_count(count: int) -> str:
    """Request counts as the plans are sold: ``10K``, ``1M``."""
    for unit, factor in (("M", 1_000_000), ("K", 1_000)):
        if count >= factor and count % factor == 0:
            return f"{count // factor}{unit}"
    return f"{count:,}"


# --- quota decisions ---------------------------------------------------------------


def admits_request(used: int, limit: int) -> bool:
    """Whether one more request fits in a month where ``used`` were already admitted."""
    return used < limit


def admits_storage(used: int, delta: int, limit: int) -> bool:
    """Whether a write that changes stored bytes by ``delta`` fits.

    A write that does not grow storage is always admitted, so a user over the limit
    can still shrink or delete their data.
    """
    return delta <= 0 or used + delta <= limit


def usage_status(used: int, limit: int) -> Status:
    """``ok`` under 80 % of the limit, ``warning`` from 80 %, ``exceeded`` from 100 %."""
    if limit <= 0 or used >= limit:
        return "exceeded"
    if used >= LIMITS.warning_ratio * limit:
        return "warning"
    return "ok"


def worst_status(*statuses: Status) -> Status:
    order: tuple[Status, ...] = ("ok", "warning", "exceeded")
    return max(statuses, key=order.index, default="ok")


# --- months ------------------------------------------------------------------------


def month_of(moment: datetime) -> str:
    """The UTC month of ``moment`` as ``YYYY-MM``."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}"  # strftime costs more on every request


def month_start(month: str) -> datetime:
    """The first instant of a ``YYYY-MM`` month, in UTC."""
    return datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year - (mon == 1):04d}-{(mon - 2) % 12 + 1:02d}"


def month_window(month: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of a month in UTC."""
    return month_start(month), month_start(next_month(month))


def seconds_until_next_month(moment: datetime) -> int:
    """Whole seconds (at least 1) from ``moment`` until the next UTC month begins."""
    _, end = month_window(month_of(moment))
    return max(1, math.ceil((end - moment).total_seconds()))


def last_months(month: str, count: int) -> list[str]:
    """``count`` months ending with ``month``, oldest first."""
    months = [month]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months[::-1]
