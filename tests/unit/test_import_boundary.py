"""Only app/services/globus/ may import globus_sdk; nothing in app/ may import the emulator."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
GLOBUS_PACKAGE = APP / "services" / "globus"


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    roots.add(arg.value.split(".")[0])
    return roots


def test_globus_sdk_is_imported_only_inside_app_services_globus():
    offenders = [
        str(path.relative_to(APP.parent))
        for path in sorted(APP.rglob("*.py"))
        if GLOBUS_PACKAGE not in path.parents and "globus_sdk" in _imported_roots(path)
    ]
    assert offenders == [], f"globus_sdk imported outside app/services/globus/: {offenders}"


def test_the_portal_never_imports_the_emulator():
    offenders = [str(p.relative_to(APP.parent)) for p in sorted(APP.rglob("*.py")) if "emulator" in _imported_roots(p)]
    assert offenders == []


def test_the_boundary_check_sees_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import globus_sdk.scopes\nfrom emulator.app import create_app\n")
    assert {"globus_sdk", "emulator"} <= _imported_roots(sample)
