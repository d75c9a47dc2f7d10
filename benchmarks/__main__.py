"""Run every benchmark and print the figures against their budgets."""

from __future__ import annotations

import sys

from benchmarks import cold_start, dynamo_calls, http, listing, package_size, soak, transfer
from benchmarks.report import print_report


def main() -> int:
    figures = []
    for module in (dynamo_calls, listing, package_size, cold_start, http, soak, transfer):
        print(f"measuring {module.__name__} ...", flush=True)
        figures += module.measure()
    return 0 if print_report(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
