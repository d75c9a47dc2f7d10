"""The public surface: ``__all__`` is exactly what the package offers, all documented."""

from __future__ import annotations

import inspect
from pathlib import Path

import kv_sdk
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
    assert set(kv_sdk.__all__) - {"__version__"} == public_names(kv_sdk)
    for name in kv_sdk.__all__:
        assert hasattr(kv_sdk, name), name
    assert kv_sdk.cli.__all__ == ["main"]


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
