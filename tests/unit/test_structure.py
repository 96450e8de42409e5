"""The shape the code keeps so each rule has an obvious home (README "Where each rule lives"): no module of
the service (domain/, workflows/, activities/, api/, db/, delivery/, operations/) over 400 lines, no method in workflows/ over 30, and a workflow class that only
dispatches to the pure stages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ("domain", "workflows", "activities", "api", "db", "delivery", "operations")
MODULES = sorted(p for package in SERVICE for p in ROOT.glob(f"{package}/**/*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_400_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 400


@pytest.mark.parametrize("path", sorted(ROOT.glob("workflows/*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_workflow_method_over_30_lines(path: Path) -> None:
    tree = ast.parse(path.read_text())
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 30
    ]
    assert not long


def test_the_domain_imports_nothing_of_temporal_the_database_or_the_api() -> None:
    for path in ROOT.glob("domain/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                )
                for name in names:
                    assert not name.startswith(("temporalio", "sqlalchemy", "api", "db", "activities")), (
                        f"{path.relative_to(ROOT)} imports {name}"
                    )
