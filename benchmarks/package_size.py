"""The Lambda zip as ``serverless package`` made it: its size, and what weighs most.

There is no budget; the figure is printed so that a change that doubles it is seen.
boto3 and botocore are left out of the zip (the runtime has them), see serverless.yml.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

from benchmarks.report import Figure

ZIP = Path(".serverless") / "kv-storage.zip"


def measure() -> list[Figure]:
    if not ZIP.exists():
        raise FileNotFoundError(f"{ZIP} is missing: nox -s bench packages the deployment first")
    with zipfile.ZipFile(ZIP) as archive:
        weights: Counter[str] = Counter()
        for entry in archive.infolist():
            weights[entry.filename.split("/")[0]] += entry.compress_size
    heaviest = ", ".join(f"{name} {size / 1e6:.1f}" for name, size in weights.most_common(3))
    return [
        Figure(
            "Lambda zip size",
            ZIP.stat().st_size / 1e6,
            None,
            unit=" MB",
            detail=f"heaviest (MB compressed): {heaviest}",
        )
    ]
