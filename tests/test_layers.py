"""DEVELOPERS.md: sync/ owns reading sources and writing the store; dashboard/ reads, and changes data only by
calling sync or scoring.  So the store's code never reaches up into the pages: only the command line, which
puts the whole product together (`safeschool serve`, accounts, exports), may import dashboard."""

from __future__ import annotations

import ast
from pathlib import Path

SYNC = Path(__file__).resolve().parent.parent / "sync"


def _imported_packages(path: Path) -> set[str]:
    """Top-level packages a module imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_sync_modules_other_than_the_command_line_never_import_the_dashboard():
    offenders = sorted(path.relative_to(SYNC.parent).as_posix() for path in SYNC.rglob("*.py")
                       if not path.name.startswith("cli") and "dashboard" in _imported_packages(path))
    assert offenders == []


def test_the_layer_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "results.py"
    module.write_text("def publish():\n    from dashboard.downloads import publication_files\n", encoding="utf-8")
    assert "dashboard" in _imported_packages(module)
