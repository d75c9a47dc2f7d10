"""The geometry of the six-month requests chart, drawn as inline SVG by a template."""

from __future__ import annotations

from dataclasses import dataclass

from kv_core.plans import month_start

WIDTH = 600
HEIGHT = 220
TOP = 24
BOTTOM = 32
GAP = 16


@dataclass(frozen=True, slots=True)
class Bar:
    month: str
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)


def requests_chart(history: dict[str, int]) -> Chart:
    """Bars scaled to the busiest month, oldest month first, labelled ``Nov 26``."""
    months = list(history)
    peak = max(history.values(), default=0) or 1
    plot = HEIGHT - TOP - BOTTOM
    slot = WIDTH / max(1, len(months))
    bars = []
    for index, month in enumerate(months):
        value = history[month]
        height = plot * value / peak
        bars.append(
            Bar(
                month=month,
                label=month_start(month).strftime("%b %y"),
                value=value,
                x=round(index * slot + GAP / 2, 1),
                y=round(TOP + plot - height, 1),
                width=round(slot - GAP, 1),
                height=round(height, 1),
            )
        )
    return Chart(WIDTH, HEIGHT, TOP + plot, bars)
