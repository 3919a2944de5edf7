"""The project's shape: geo/ is a library that never imports streamlit (checked two ways)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_bans_streamlit_in_geo():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    res = subprocess.run([ruff, "check", "--select", "TID251", "geo", "app"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_ruff_would_catch_a_streamlit_import(tmp_path):
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    bad = tmp_path / "module.py"
    bad.write_text("import streamlit\n")
    res = subprocess.run([ruff, "check", "--config", str(ROOT / "pyproject.toml"), "--select", "TID251", str(bad)],
                         cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode != 0 and "streamlit" in res.stdout


def _private_geo_uses(path: Path) -> list[str]:
    """Private geo names a module reaches: ``from geo.x import _y``, ``geo.x._m`` modules, ``alias._y`` attributes."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    private = lambda name: any(p.startswith("_") and not p.startswith("__") for p in name.split("."))  # noqa: E731
    bound, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "geo":
            for a in node.names:
                bound.add(a.asname or a.name)
                if private(node.module) or private(a.name):
                    found.append(f"{path.name}:{node.lineno} from {node.module} import {a.name}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "geo":
                    bound.add(a.asname or a.name.split(".")[0])
                    if private(a.name):
                        found.append(f"{path.name}:{node.lineno} import {a.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                and private(node.attr)):
            found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_app_imports_only_public_geo_names(tmp_path):
    found = [u for p in sorted((ROOT / "app").rglob("*.py")) for u in _private_geo_uses(p)]
    assert found == [], found
    bad = tmp_path / "page.py"
    bad.write_text("from geo.zoning.scenario import _row_name\nfrom geo.inputs import tables as tb\n"
                   "import geo.network._x\ntb._sniff(1)\n", encoding="utf-8")
    assert len(_private_geo_uses(bad)) == 3
