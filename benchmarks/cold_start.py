"""Cold start: importing the Lambda handler and building its app, against importing
flask, pynamodb.models and serverless_wsgi alone, each in a fresh interpreter.

Both run in ``KV_BENCH_LAMBDA_PYTHON`` when it is set: an environment holding what the
Lambda zip holds (nox builds it from requirements-lambda.txt for Lambda's Python), so
that nothing a test tool installed, such as cryptography for moto, is imported here
and not on Lambda."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from benchmarks.report import Figure

ROUNDS = 9
BASELINE = "import flask, pynamodb.models, serverless_wsgi"
HANDLER = "import kv_api.lambda_handlers as handlers; handlers._app('api')"
PYTHON = os.environ.get("KV_BENCH_LAMBDA_PYTHON") or sys.executable
TIMED = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"


def _seconds(code: str) -> float:
    env = {
        **os.environ,
        "KV_STORE": "dynamodb",
        "KV_TABLE": "kv-bench",
        "KV_JWT_SECRET": "c" * 48,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }
    out = subprocess.run(
        [PYTHON, "-c", TIMED.format(code=code)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure() -> list[Figure]:
    baseline, handler = [], []
    for _ in range(ROUNDS):
        baseline.append(_seconds(BASELINE))
        handler.append(_seconds(HANDLER))
    base, ours = statistics.median(baseline), statistics.median(handler)
    where = "Lambda-like env" if os.environ.get("KV_BENCH_LAMBDA_PYTHON") else "bench env"
    return [
        Figure(
            "Lambda handler import + app / flask+pynamodb+serverless_wsgi import",
            ours / base,
            1.3,
            detail=f"{ours * 1000:.0f} ms vs {base * 1000:.0f} ms ({where})",
        )
    ]
