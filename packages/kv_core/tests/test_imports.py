"""kv_core is pure Python: outside its DynamoDB engine and its SES mail it imports only
the stdlib."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import kv_core

SOURCES = Path(kv_core.__file__).parent
DYNAMODB = SOURCES / "engines" / "dynamodb"
SES = SOURCES / "mail" / "ses.py"
EXTRAS = {"pynamodb", "boto3", "botocore"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_every_module_imports_only_the_standard_library():
    modules = sorted(SOURCES.rglob("*.py"))
    assert len(modules) > 10
    for module in modules:
        allowed = set(sys.stdlib_module_names) | {"kv_core"}
        if module.is_relative_to(DYNAMODB) or module == SES:
            allowed |= EXTRAS
        outside = imported_roots(module) - allowed
        assert not outside, f"{module.relative_to(SOURCES)} imports {sorted(outside)}"


def test_the_dynamodb_engine_is_the_only_one_with_extras():
    roots = set().union(*(imported_roots(m) for m in DYNAMODB.rglob("*.py")))
    assert roots >= {"pynamodb"}
