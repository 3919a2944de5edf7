"""Importing the library (every module in geo/) never pulls in streamlit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_importing_geo_does_not_import_streamlit():
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                     for p in (ROOT / "geo").rglob("*.py"))
    assert {"geo.inputs.load", "geo.zoning.scenario", "geo.network.graph", "geo.zoning"} <= set(modules)
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


def _private_osmnx_uses(path: Path) -> list[str]:
    """Private osmnx names a module reaches: ``from osmnx._x import``, ``import osmnx._x``, ``ox._x``."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
               for a in n.names if a.name == "osmnx"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("osmnx._"):
            found.append(f"from {node.module} import")
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.startswith("osmnx._")]
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
              and node.attr.startswith("_")):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_geo_uses_one_private_osmnx_name_only_its_empty_result_error(tmp_path):
    uses = {p.relative_to(ROOT).as_posix(): _private_osmnx_uses(p) for p in sorted((ROOT / "geo").rglob("*.py"))}
    assert {p: u for p, u in uses.items() if u} == {"geo/inputs/osm.py": ["ox._errors"]}
    # ... and it is what osmnx raises when a file holds nothing asked for (io turns it into "none found").
    import osmnx as ox
    import pytest

    from geo.inputs import osm

    path = tmp_path / "road.osm"
    path.write_text("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"
                    '  <node id="1" lat="30.60" lon="104.10" version="1"/>\n'
                    '  <node id="2" lat="30.61" lon="104.11" version="1"/>\n'
                    '  <way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>\n'
                    "</osm>\n", encoding="utf-8")
    assert issubclass(osm.InsufficientResponseError, ValueError)
    with pytest.raises(osm.InsufficientResponseError):
        ox.features_from_xml(path, tags={"amenity": "school"})
    assert osm.read_osm_features(path, {"amenity": "school"}).empty


def test_reading_inputs_does_not_load_the_solvers():
    """Loading files (geo.inputs.load, and so the whole geo.inputs package) imports neither zoning (HiGHS, the
    scenario) nor the demo district nor rendering: inputs sit at the bottom of the data flow."""
    code = ("import sys\n"
            "import geo.inputs.load\n"
            "bad = sorted(m for m in sys.modules if m == 'highspy' or m.startswith(('highspy.', 'geo.zoning',\n"
            "             'geo.plans', 'geo.official', 'geo.equity', 'geo.render', 'streamlit'))\n"
            "             or m == 'geo.inputs.demo')\n"
            "assert not bad, bad\n"
            "assert 'geo.inputs.model' in sys.modules and 'geo.inputs.tables' in sys.modules\n"
            "print('ok')\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("ok")
