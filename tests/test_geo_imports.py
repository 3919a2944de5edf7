"""Importing the library (every module in geo/) never pulls in streamlit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_importing_geo_does_not_import_streamlit():
    modules = sorted(f"geo.{p.stem}" for p in (ROOT / "geo").glob("*.py") if p.stem != "__init__")
    assert {"geo.io", "geo.scenario", "geo.network"} <= set(modules)
    code = ("import sys, importlib\n"
            f"for m in ['geo'] + {modules!r}:\n"
            "    importlib.import_module(m)\n"
            "bad = sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.'))\n"
            "assert not bad, bad\n"
            "print('ok', len(sys.modules))\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("ok")
