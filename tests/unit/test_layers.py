"""Imports point down: the engine and the PBX provisioning never import a face (the web
app, the CLI) or the process that wires them (serve.py), not even inside a function."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOWER = ("engine", "provisioning")
UPPER = ("webadmin", "cli", "cli_commands", "serve")


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_engine_and_provisioning_import_no_face():
    upward = sorted(f"{path.relative_to(ROOT)}: {name}"
                    for layer in LOWER for path in (ROOT / layer).rglob("*.py")
                    for name in imported(path) if name.split(".")[0] in UPPER)
    assert upward == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from webadmin import create_app\n")
    assert "webadmin" in imported(module)
