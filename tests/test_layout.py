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
