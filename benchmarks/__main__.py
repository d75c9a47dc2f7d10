"""Run every benchmark (or those named: ``python -m benchmarks http listing``) and print
the figures against their budgets."""

from __future__ import annotations

import sys

from benchmarks import (
    cold_start,
    dynamo_calls,
    held,
    http,
    listing,
    package_size,
    soak,
    transfer,
)
from benchmarks.report import print_report

MODULES = {
    module.__name__.rsplit(".", 1)[-1]: module
    for module in (dynamo_calls, listing, package_size, cold_start, http, held, soak, transfer)
}


def main(names: list[str]) -> int:
    unknown = set(names) - set(MODULES)
    if unknown:
        raise SystemExit(f"no benchmark named {', '.join(sorted(unknown))}; one of {list(MODULES)}")
    figures = []
    for name, module in MODULES.items():
        if names and name not in names:
            continue
        print(f"measuring {module.__name__} ...", flush=True)
        figures += module.measure()
    return 0 if print_report(figures) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
