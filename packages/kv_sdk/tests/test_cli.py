"""The ``kv`` command line: the installed script as a subprocess, and ``main()`` in-process."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from kv_sdk import KVClient
from kv_sdk.cli import main, transfer

KV = shutil.which("kv", path=os.path.dirname(sys.executable))


@pytest.fixture
def run(server, space):
    """Run the installed ``kv`` with the space's key in the environment."""
    assert KV, "the kv script is not installed next to this Python"

    def run_kv(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
        environment = {k: v for k, v in os.environ.items() if not k.startswith("KV_")}
        environment.update({"KV_API_KEY": space.secret, "KV_BASE_URL": server})
        environment.update(env or {})
        done = subprocess.run(
            [KV, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done

    return run_kv


@pytest.fixture
def cli_env(server, space, monkeypatch):
    """The space's key and the server in the environment of an in-process ``main()``."""
    monkeypatch.setenv("KV_API_KEY", space.secret)
    monkeypatch.setenv("KV_BASE_URL", server)


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_put_get_list_delete(run, space):
    put = run("put", space.name, "user:42", '{"name": "Ada"}')
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["created"] is True
    got = run("get", space.name, "user:42")
    assert (got.returncode, json.loads(got.stdout)) == (0, {"name": "Ada"})
    run("put", space.name, "user:7", "7")
    run("put", space.name, "other", "null")
    listed = run("list", space.name, "--prefix", "user:")
    assert listed.stdout.splitlines() == ["user:42", "user:7"]
    assert run("list", space.name, "--limit", "2").stdout.splitlines() == ["other", "user:42"]
    assert run("delete", space.name, "user:42").returncode == 0
    missing = run("get", space.name, "user:42")
    assert missing.returncode == 3
    assert "item_not_found" in missing.stderr
    assert run("delete", space.name, "user:42").returncode == 3


def test_values_from_a_file_and_standard_input(run, space, tmp_path):
    document = tmp_path / "value.json"
    document.write_text('{"from": "file", "list": [1, 2]}')
    assert run("put", space.name, "f", f"@{document}").returncode == 0
    assert run("put", space.name, "s", stdin='"piped"').returncode == 0
    assert run("put", space.name, "d", "-", stdin="[true]").returncode == 0
    assert json.loads(run("get", space.name, "f").stdout) == {"from": "file", "list": [1, 2]}
    assert json.loads(run("get", space.name, "s").stdout) == "piped"
    assert json.loads(run("get", space.name, "d").stdout) == [True]


def test_conditional_writes_exit_4_when_they_lose(run, space):
    assert run("put", space.name, "lock", "--if-absent", '"me"').returncode == 0
    lost = run("put", space.name, "lock", '"you"', "--if-absent")
    assert lost.returncode == 4
    assert "precondition_failed" in lost.stderr
    meta = json.loads(run("get", space.name, "lock", "--meta").stdout)
    assert (meta["key"], meta["value"], meta["version"]) == ("lock", "me", 1)
    assert run("put", space.name, "lock", '"next"', "--if-match", meta["etag"]).returncode == 0
    assert run("put", space.name, "lock", '"stale"', "--if-match", meta["etag"]).returncode == 4
    assert run("delete", space.name, "lock", "--if-match", meta["etag"]).returncode == 4
    assert json.loads(run("get", space.name, "lock").stdout) == "next"


def test_options_override_the_environment(run, server, space):
    done = run(
        "get",
        space.name,
        "k",
        "--api-key",
        space.secret,
        "--base-url",
        server,
        env={"KV_API_KEY": "kv_wrong", "KV_BASE_URL": "http://127.0.0.1:9"},
    )
    assert done.returncode == 3  # reached the server with the right key: not found
    before = run("--api-key", "kv_wrong", "get", space.name, "k")
    assert before.returncode == 1
    assert "invalid_api_key" in before.stderr


@pytest.mark.parametrize(
    ("args", "env", "code", "says"),
    [
        (["get", "NS", "k"], {"KV_API_KEY": ""}, 2, "KV_API_KEY"),
        (["put", "NS", "k", "not json"], {}, 2, "not JSON"),
        (["put", "NS", "k", "@/nonexistent/value.json"], {}, 2, "Cannot read"),
        (["get", "NS"], {}, 2, "required"),
        (["frobnicate"], {}, 2, "invalid choice"),
        (["list", "NS", "--limit", "0"], {}, 2, "at least 1"),
        (["get", "someone-elses", "k"], {}, 1, "wrong_namespace"),
        (["--retries", "0", "get", "NS", "k"], {"KV_BASE_URL": "http://127.0.0.1:9"}, 1, "reach"),
        (["get", "NS", "k"], {"KV_BASE_URL": "nowhere"}, 2, "http://"),
        (["import", "NS"], {}, 2, "line 2: not JSON"),
    ],
)
def test_mistakes_get_a_message_and_an_exit_code_not_a_traceback(run, space, args, env, code, says):
    args = [space.name if a == "NS" else a for a in args]
    done = run(*args, env=env, stdin='{"key": "a", "value": 1}\n{oops\n')
    assert done.returncode == code, done.stderr
    assert says in done.stderr
    assert done.stdout == ""


def test_bad_import_stores_nothing(run, space, kv):
    done = run("import", space.name, stdin='{"key": "a", "value": 1}\n{"value": 2}\n')
    assert done.returncode == 2
    assert "line 2" in done.stderr
    assert kv.list(space.name).keys == []


def test_export_then_import_into_another_namespace_is_identical(run, kv, space, new_space):
    values = {
        "a/b": {"nested": [1, 2, {"x": None}]},
        "with space": "text",
        "ünïcödé": 3.5,
        "50%": True,
        "#hash?q": None,
        "user:1": [],
    }
    values |= {f"bulk/{i:03d}": i for i in range(30)}
    for key, value in values.items():
        kv.put(space.name, key, value)
    exported = run("export", space.name)
    assert exported.returncode == 0, exported.stderr
    assert f"exported {len(values)} items" in exported.stderr
    lines = exported.stdout.splitlines()
    assert {json.loads(line)["key"]: json.loads(line)["value"] for line in lines} == values

    target = new_space()
    imported = run("import", target.name, stdin=exported.stdout, env={"KV_API_KEY": target.secret})
    assert imported.returncode == 0, imported.stderr
    assert f"imported {len(values)} items" in imported.stderr
    again = run("export", target.name, env={"KV_API_KEY": target.secret})
    assert again.stdout == exported.stdout
    with KVClient(target.secret, base_url=kv.base_url) as copy:
        assert {i.key: i.value for i in copy.iter_items(target.name)} == values


def test_import_again_converges_without_duplicates(run, space, kv, tmp_path):
    source = tmp_path / "items.jsonl"
    source.write_text("".join(json.dumps({"key": f"k{i}", "value": i}) + "\n" for i in range(5)))
    for _ in range(2):
        assert run("import", space.name, str(source)).returncode == 0
    assert {i.key: i.value for i in kv.iter_items(space.name)} == {f"k{i}": i for i in range(5)}


def test_an_interrupted_import_resumes_from_its_checkpoint(
    cli_env, space, kv, tmp_path, monkeypatch, capsys
):
    source = tmp_path / "items.jsonl"
    source.write_text("".join(json.dumps({"key": f"k{i}", "value": i}) + "\n" for i in range(8)))
    checkpoint = tmp_path / "import.checkpoint"
    monkeypatch.setattr(transfer, "BATCH_ITEMS", 3)
    real_put_many = KVClient.put_many
    batches = []

    def put_then_interrupt(self, namespace, items):
        if len(batches) == 1:
            raise KeyboardInterrupt
        batches.append(list(items))
        return real_put_many(self, namespace, items)

    monkeypatch.setattr(KVClient, "put_many", put_then_interrupt)
    code = main(["import", space.name, str(source), "--checkpoint", str(checkpoint)])
    assert code == 130
    assert "3 of 8 items are stored" in capsys.readouterr().err
    assert json.loads(checkpoint.read_text())["done"] == 3
    assert kv.list(space.name).keys == ["k0", "k1", "k2"]

    monkeypatch.setattr(KVClient, "put_many", real_put_many)
    code = main(["import", space.name, str(source), "--checkpoint", str(checkpoint)])
    assert code == 0
    assert "imported 5 items" in capsys.readouterr().err
    assert not checkpoint.exists()
    items = {i.key: i for i in kv.iter_items(space.name)}
    assert {k: i.value for k, i in items.items()} == {f"k{i}": i for i in range(8)}
    # The three stored before the interruption were not written again.
    assert {items[f"k{i}"].version for i in range(3)} == {1}


def test_put_with_expiry_and_metadata_then_list_details(run, space, kv):
    put = run("put", space.name, "s", '{"u": 1}', "--ttl", "600", "--metadata", '{"who": "ada"}')
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["expiresAt"] > time.time() + 590
    assert (
        run("put", space.name, "p", "1", "--expires-at", str(int(time.time()) + 60)).returncode == 0
    )
    meta = json.loads(run("get", space.name, "s", "--meta").stdout)
    assert meta["metadata"] == {"who": "ada"}
    listed = run("list", space.name, "--details")
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(d["key"], d["metadata"]) for d in lines] == [("p", None), ("s", {"who": "ada"})]
    assert all(d["expiresAt"] and d["version"] == 1 for d in lines)
    both = run("put", space.name, "x", "1", "--ttl", "5", "--expires-at", "9999999999")
    assert both.returncode == 2
    not_object = run("put", space.name, "x", "1", "--metadata", "[1]")
    assert not_object.returncode == 2


def test_incr_and_patch(run, space, kv):
    assert run("incr", space.name, "hits").stdout == "1\n"
    assert run("incr", space.name, "hits", "41").stdout == "42\n"
    assert run("incr", space.name, "hits", "-0.5").stdout == "41.5\n"
    assert run("incr", space.name, "hits", "x").returncode == 2
    kv.put(space.name, "name", "Ada")
    refused = run("incr", space.name, "name")
    assert refused.returncode == 1
    assert "not_a_number" in refused.stderr
    kv.put(space.name, "profile", {"name": "Ada", "theme": "dark"})
    patched = run("patch", space.name, "profile", '{"theme": null, "lang": "en"}')
    assert json.loads(patched.stdout) == {"name": "Ada", "lang": "en"}
    stale = run("patch", space.name, "profile", "--if-match", '"old"', stdin='{"a": 1}')
    assert stale.returncode == 4
    assert run("patch", space.name, "nobody", '{"a": 1}').returncode == 3


def test_export_carries_expiry_and_metadata_and_import_restores_them(run, kv, space, new_space):
    at = int(time.time()) + 3600
    kv.put(space.name, "a", 1, expires_at=at, metadata={"m": "a"})
    kv.put(space.name, "b", [2])
    exported = run("export", space.name)
    assert [json.loads(line) for line in exported.stdout.splitlines()] == [
        {"key": "a", "value": 1, "expiresAt": at, "metadata": {"m": "a"}},
        {"key": "b", "value": [2]},
    ]
    target = new_space()
    imported = run("import", target.name, stdin=exported.stdout, env={"KV_API_KEY": target.secret})
    assert imported.returncode == 0, imported.stderr
    with KVClient(target.secret, base_url=kv.base_url) as copy:
        item = copy.get(target.name, "a")
        assert (item.value, item.expires_at, item.metadata) == (1, at, {"m": "a"})
        assert copy.get(target.name, "b").expires_at is None


def test_old_exports_import_and_expired_or_repeated_lines_are_handled(run, kv, space):
    lines = [
        {"key": "old", "value": {"format": 1}},
        {"key": "gone", "value": 1, "expiresAt": int(time.time()) - 5},
        {"key": "twice", "value": "first"},
        {"key": "twice", "value": "last"},
    ]
    done = run("import", space.name, stdin="".join(json.dumps(line) + "\n" for line in lines))
    assert done.returncode == 0, done.stderr
    assert {i.key: i.value for i in kv.iter_items(space.name)} == {
        "old": {"format": 1},
        "twice": "last",
    }


def test_a_refused_item_is_named_by_its_line(run, space, kv):
    lines = [{"key": "a", "value": 1}, {"key": "b", "value": 2, "metadata": {"x": "y" * 2000}}]
    done = run("import", space.name, stdin="".join(json.dumps(line) + "\n" for line in lines))
    assert done.returncode == 1
    assert "line 2 (key 'b')" in done.stderr
    assert "0 of 2 items are stored" in done.stderr
    assert kv.list(space.name).keys == []


def test_export_and_import_help_describe_the_formats():
    help_text = {
        name: subprocess.run([KV, name, "--help"], capture_output=True, text=True).stdout
        for name in ("export", "import")
    }
    assert "expiresAt" in help_text["export"]
    assert "older exports" in " ".join(help_text["import"].split())


def test_a_checkpoint_of_another_input_is_refused(cli_env, space, tmp_path, capsys):
    checkpoint = tmp_path / "import.checkpoint"
    checkpoint.write_text(json.dumps({"input": "something else", "done": 2}))
    source = tmp_path / "items.jsonl"
    source.write_text(json.dumps({"key": "k", "value": 1}) + "\n")
    assert main(["import", space.name, str(source), "--checkpoint", str(checkpoint)]) == 2
    assert "another input" in capsys.readouterr().err


def test_progress_bar_only_on_a_terminal(cli_env, space, kv, monkeypatch):
    for i in range(3):
        kv.put(space.name, f"k{i}", i)
    for stream, shows_bar in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr(sys, "stderr", stream)
        monkeypatch.setattr(sys, "stdout", io.StringIO())
        assert main(["export", space.name]) == 0
        assert ("export " in stream.getvalue() and "\r" in stream.getvalue()) == shows_bar
        assert stream.getvalue().splitlines()[-1].endswith(f"exported 3 items from {space.name}")


def test_get_prints_indented_json_on_a_terminal(cli_env, space, kv, monkeypatch):
    kv.put(space.name, "k", {"a": 1})
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["get", space.name, "k"]) == 0
    assert terminal.getvalue() == '{\n  "a": 1\n}\n'


def test_module_entry_point_and_version():
    done = subprocess.run(
        [sys.executable, "-m", "kv_sdk.cli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.startswith("kv ")
    help_text = subprocess.run([KV, "--help"], capture_output=True, text=True).stdout
    assert "exit codes" in help_text


def test_count_rm_by_prefix_and_ranges(run, space, kv):
    kv.put_many(space.name, dict.fromkeys(["log/1", "log/2", "log/3", "logo", "z"], 1))
    assert run("count", space.name).stdout.strip() == "5"
    assert run("count", space.name, "--prefix", "log/").stdout.strip() == "3"
    listed = run("list", space.name, "--reverse", "--start", "log/2", "--end", "z")
    assert listed.stdout.splitlines() == ["logo", "log/3", "log/2"]
    unasked = run("rm", space.name, "--prefix", "log/", stdin="")
    assert unasked.returncode != 0
    assert "--yes" in unasked.stderr
    assert kv.count(space.name) == 5
    removed = run("rm", space.name, "--prefix", "log/", "--yes")
    assert (removed.returncode, removed.stdout.strip()) == (0, "3")
    assert run("list", space.name).stdout.splitlines() == ["logo", "z"]


def test_rm_asks_at_a_terminal(cli_env, space, kv, monkeypatch, capsys):
    kv.put_many(space.name, {"a/1": 1, "a/2": 2})
    for answer, left in (("n\n", 2), ("y\n", 0)):
        stdin = io.StringIO(answer)
        stdin.isatty = lambda: True  # type: ignore[method-assign]
        monkeypatch.setattr("sys.stdin", stdin)
        assert main(["rm", space.name, "--prefix", "a/"]) == 0
        assert kv.count(space.name) == left
    assert "[y/N]" in capsys.readouterr().err


def test_atomic_from_standard_input(run, space, kv):
    kv.put(space.name, "alice", 10)
    body = {
        "checks": [{"key": "alice", "version": 1}],
        "ops": [
            {"op": "increment", "key": "alice", "by": -3},
            {"op": "increment", "key": "bob", "by": 3},
        ],
    }
    applied = run("atomic", space.name, stdin=json.dumps(body))
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout) == [
        {"key": "alice", "version": 2},
        {"key": "bob", "version": 1},
    ]
    again = run("atomic", space.name, stdin=json.dumps(body))
    assert again.returncode == 4
    assert "check_failed" in again.stderr
    assert kv.get(space.name, "alice").value == 7


def watching(server, space, *args: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KV_")}
    environment.update({"KV_API_KEY": space.secret, "KV_BASE_URL": server})
    return subprocess.Popen(
        [KV, "watch", space.name, "--wait", "1", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        # Ctrl-C as at a terminal, even when the suite runs in the background (which
        # ignores SIGINT, and Python keeps a signal ignored that it inherits so).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_watch_prints_a_line_per_change_and_ctrl_c_gives_the_cursor(server, space, kv):
    kv.put(space.name, "user:1", {"name": "Ada"})
    kv.put(space.name, "order:1", 1)
    kv.delete(space.name, "user:1")
    process = watching(server, space, "--since", "oldest", "--prefix", "user:")
    lines = [json.loads(process.stdout.readline()) for _ in range(2)]
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    ops = [(line["op"], line["key"]) for line in lines]
    assert ops == [("put", "user:1"), ("delete", "user:1")]
    assert lines[0]["value"] == {"name": "Ada"}
    assert "value" not in lines[1]
    cursor = re.search(r"resume with --since (\S+)", err).group(1)
    assert cursor == lines[1]["cursor"]

    kv.put(space.name, "user:2", 2)
    resumed = watching(server, space, "--since", cursor)
    line = json.loads(resumed.stdout.readline())
    resumed.send_signal(signal.SIGINT)
    resumed.communicate(timeout=30)
    assert (line["key"], line["op"], line["value"]) == ("user:2", "put", 2)


def test_watch_refuses_a_bad_cursor_with_exit_1(run, space):
    done = run("watch", space.name, "--since", "garbage", "--wait", "1")
    assert done.returncode == 1
    assert "400" in done.stderr
