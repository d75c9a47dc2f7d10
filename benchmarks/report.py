"""Printing figures against their budgets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    budget: float | None  # None: reported, no budget
    better: str = "lower"  # "lower": value <= budget passes; "higher": value >= budget
    unit: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        if self.budget is None:
            return True
        return self.value <= self.budget if self.better == "lower" else self.value >= self.budget

    def line(self) -> str:
        if self.budget is None:
            verdict, budget = "     ", "-"
        else:
            verdict = " ok  " if self.ok else " OVER"
            budget = f"{'<=' if self.better == 'lower' else '>='} {self.budget:g}"
        value = f"{self.value:,.3f}".rstrip("0").rstrip(".") + self.unit
        return f"{verdict} {self.name:<58} {value:>14}  budget {budget:<8} {self.detail}"


def print_report(figures: list[Figure]) -> bool:
    print()
    print("KV Storage performance (ratios measured side by side in this run)")
    print("-" * 100)
    for figure in figures:
        print(figure.line())
    print("-" * 100)
    failed = [f.name for f in figures if not f.ok]
    print("every figure within budget" if not failed else f"over budget: {', '.join(failed)}")
    return not failed
