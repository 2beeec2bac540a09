"""The house has four floors: collectors <- analyzers <- alerts <- listener. Imports only point down."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = ["collectors", "analyzers", "alerts", "listener"]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("floor", FLOORS)
def test_imports_point_down(floor: str) -> None:
    above = set(FLOORS[FLOORS.index(floor) + 1:])
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & above)
        for path in (ROOT / floor).rglob("*.py")
        if imported_packages(path) & above
    }
    assert offenders == {}


def test_config_folder_holds_no_code() -> None:
    code = [p for p in (ROOT / "config").rglob("*.py") if p.name != "__init__.py"]
    init = (ROOT / "config" / "__init__.py").read_text(encoding="utf-8")
    assert code == []
    assert ast.parse(init).body and all(isinstance(n, ast.Expr) for n in ast.parse(init).body)
