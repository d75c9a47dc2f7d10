"""The public surface: ``__all__`` is exactly what the package offers, all documented."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import kv_sdk
import kv_sdk.aio
import kv_sdk.cli


def public_names(module) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", module.__name__).startswith("kv_sdk")
    }


def test_all_lists_exactly_the_public_names():
    assert len(kv_sdk.__all__) == len(set(kv_sdk.__all__))
    # Asking for each name first also imports the async clients, offered lazily.
    for name in kv_sdk.__all__:
        assert hasattr(kv_sdk, name), name
    assert set(kv_sdk.__all__) - {"__version__"} == public_names(kv_sdk)
    assert kv_sdk.cli.__all__ == ["main"]
    assert kv_sdk.aio.__all__ == ["AsyncAccountClient", "AsyncChangeFeed", "AsyncKVClient"]
    assert kv_sdk.AsyncKVClient is kv_sdk.aio.AsyncKVClient


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_importing_the_sdk_does_not_import_httpx():
    done = run_python(
        "import sys, kv_sdk, kv_sdk.cli; "
        "print('httpx' in sys.modules); kv_sdk.AsyncKVClient; print('httpx' in sys.modules)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


def test_the_async_clients_without_httpx_say_which_extra_to_install():
    done = run_python(
        "import sys; sys.modules['httpx'] = None; import kv_sdk; "
        "kv_sdk.KVClient('kv_x'); kv_sdk.AsyncKVClient"
    )
    assert done.returncode == 1
    assert "ImportError: kv_sdk.AsyncKVClient needs httpx: pip install 'kv-sdk[async]'" in (
        done.stderr
    )


def test_an_unknown_name_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="NoSuchClient"):
        _ = kv_sdk.NoSuchClient


def public_callables():
    for name in kv_sdk.__all__:
        value = getattr(kv_sdk, name)
        if not callable(value):
            continue
        yield name, value
        if inspect.isclass(value):
            for member, attribute in vars(value).items():
                if member.startswith("_"):
                    continue
                if callable(attribute) or isinstance(attribute, (property, classmethod)):
                    yield f"{name}.{member}", attribute
    yield "cli.main", kv_sdk.cli.main


def test_every_public_callable_has_a_docstring():
    undocumented = [name for name, value in public_callables() if not inspect.getdoc(value)]
    assert undocumented == []


def test_every_public_callable_is_fully_annotated():
    missing = []
    for name, value in public_callables():
        function = value.fget if isinstance(value, property) else value
        function = getattr(function, "__func__", function)
        if inspect.isclass(function) or not inspect.isfunction(function):
            continue
        signature = inspect.signature(function)
        if signature.return_annotation is inspect.Signature.empty:
            missing.append(f"{name} -> ?")
        missing += [
            f"{name}({p})"
            for p in signature.parameters.values()
            if p.name not in {"self", "cls"} and p.annotation is inspect.Parameter.empty
        ]
    assert missing == []


def test_the_package_is_typed():
    assert Path(inspect.getfile(kv_sdk)).with_name("py.typed").exists()
