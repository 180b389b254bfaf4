"""The analysis layer is pure: it imports only the standard library, Ibis, networkx
and kam.errors, kam.model and kam.analysis."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import kam.analysis

ANALYSIS = Path(kam.analysis.__file__).parent
ALLOWED_ROOTS = {"ibis", "networkx"}
ALLOWED_KAM = ("kam.errors", "kam.model", "kam.analysis")
MODULES = sorted(ANALYSIS.rglob("*.py"))


def allowed(name: str) -> bool:
    root = name.split(".")[0]
    if root == "kam":
        return any(name == a or name.startswith(a + ".") for a in ALLOWED_KAM)
    return root in ALLOWED_ROOTS or root in sys.stdlib_module_names


def imported_names(path: Path) -> list[str]:
    package = ".".join(path.relative_to(ANALYSIS.parent.parent).with_suffix("").parts)
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # A relative import resolves against the module's own package.
                base = package.split(".")[: -node.level]
                names.append(".".join([*base, node.module or ""]).rstrip("."))
            else:
                names.append(str(node.module))
    return names


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("decimal", True),
        ("ibis.expr.types", True),
        ("kam.model", True),
        ("kam.analysis.periods", True),
        ("kam.store", False),
        ("kam.workbook.read", False),
        ("sqlalchemy", False),
        ("pandas", False),
    ],
)
def test_the_check_itself_refuses_other_layers_and_libraries(
    name: str, ok: bool
) -> None:
    assert allowed(name) is ok


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_analysis_module_imports_only_pure_modules(path: Path) -> None:
    bad = [name for name in imported_names(path) if not allowed(name)]
    assert bad == [], f"{path.name} imports {bad}"
