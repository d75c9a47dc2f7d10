"""The dashboard's Python and ``kv`` examples, run as written against a live server, so
they cannot drift from the SDK."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

import pytest

from kv_sdk import KVClient

snippets = pytest.importorskip("kv_dashboard.snippets")


def example(server: str, namespace: str, key: str, which: str) -> str:
    (found,) = [s for s in snippets.examples(f"{server}/v1", namespace, key) if s.id == which]
    return str(found.code)


def test_the_python_example_runs(server, space):
    code = example(server, space.name, space.secret, "python")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<dashboard example>", "exec"), {})
    assert printed.getvalue().splitlines() == [
        "{'name': 'Ada', 'plan': 'pro'}",
        "['user:42']",
    ]


def test_the_command_line_example_runs(server, space):
    code = example(server, space.name, space.secret, "cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KV_")}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ['{"name": "Ada", "plan": "pro"}', "user:42"]
    with KVClient(space.secret, base_url=server) as kv:
        assert kv.get(space.name, "user:42").value == {"name": "Ada", "plan": "pro"}
