"""The ``xuequ`` command: zones on the demo and on an OSM file alone, demo regeneration, bad input."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
from typer.testing import CliRunner

from app.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
runner = CliRunner()


def test_zones_writes_geojson_and_csv(tmp_path):
    res = runner.invoke(cli, ["zones", "--network", str(DEMO / "district.osm"), "--schools", str(DEMO / "schools.csv"),
                              "--demand", str(DEMO / "compounds.geojson"), "--level", "junior", "--method", "network",
                              "--out", str(tmp_path), "--lang", "en"])
    assert res.exit_code == 0, res.output
    catch = gpd.read_file(tmp_path / "catchments.geojson")
    assign = gpd.read_file(tmp_path / "assignments.geojson")
    assert len(catch) == 8 and {"school_id", "school_name"} <= set(catch.columns)
    assert len(assign) == 300 and assign["distance_m"].gt(0).all()
    assert set(assign["school_id"]) <= set(catch["school_id"])
    assert "crs" not in json.loads((tmp_path / "catchments.geojson").read_text())
    table = pd.read_csv(tmp_path / "schools.csv", encoding="utf-8-sig")
    assert table["children"].sum() == 10000


def test_zones_takes_schools_and_compounds_from_the_osm_file(tmp_path):
    res = runner.invoke(cli, ["zones", "--network", str(DEMO / "district.osm"), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assign = gpd.read_file(tmp_path / "assignments.geojson")
    assert len(assign) == 300  # the demo's compounds are in its OSM file too (landuse=residential)


def test_missing_file_exits_non_zero_with_the_file_named(tmp_path):
    res = runner.invoke(cli, ["zones", "--network", str(tmp_path / "nope.osm"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "nope.osm" in res.output
    assert not (tmp_path / "o").exists()  # nothing written


def test_bad_schools_row_is_named(tmp_path):
    bad = tmp_path / "schools.csv"
    df = pd.read_csv(DEMO / "schools.csv")
    df.loc[3, "level"] = "大学"
    df.to_csv(bad, index=False)
    res = runner.invoke(cli, ["zones", "--network", str(DEMO / "district.osm"), "--schools", str(bad),
                              "--demand", str(DEMO / "compounds.geojson"), "--out", str(tmp_path / "o"), "--lang", "en"])
    assert res.exit_code == 2
    assert "schools.csv" in res.output and "row 4" in res.output and "level" in res.output


def test_demo_command_regenerates_identical_files(tmp_path):
    res = runner.invoke(cli, ["demo", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for name in ("district.osm", "schools.csv", "compounds.geojson"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_optimal_zones_hold_capacity(tmp_path):
    res = runner.invoke(cli, ["zones", "--network", str(DEMO / "district.osm"), "--schools", str(DEMO / "schools.csv"),
                              "--demand", str(DEMO / "compounds.geojson"), "--method", "optimal", "--tolerance", "0.05",
                              "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "schools.csv", encoding="utf-8-sig")
    assert (table["children"] <= table["seats"] * 1.05).all() and table["children"].sum() == 20000


def test_infeasible_optimal_zoning_exits_2_with_names(tmp_path):
    res = runner.invoke(cli, ["zones", "--network", str(DEMO / "district.osm"), "--schools", str(DEMO / "schools.csv"),
                              "--demand", str(DEMO / "compounds.geojson"), "--method", "optimal", "--max-walk", "800",
                              "--out", str(tmp_path), "--lang", "en"])
    assert res.exit_code == 2
    assert "has no school within the maximum walk" in res.output


def test_the_choices_are_geo_s_own_constants():
    import enum
    import typing

    from app.cli import zonetext
    from geo.inputs.coords import SYSTEMS
    from geo.inputs.schools import LEVELS
    from geo.network.graph import MODES
    from geo.official.plan import STARTS
    from geo.official.write import WRITE_FORMATS
    from geo.render.i18n import LANGS
    from geo.zoning.assignment import METHODS
    from geo.zoning.scenario import SOLVERS

    expected = {"level": LEVELS, "method": METHODS, "solver": SOLVERS, "mode": MODES, "lang": LANGS,
                "coords": SYSTEMS, "format": WRITE_FORMATS, "start": STARTS}
    seen: dict[tuple[str, str], tuple] = {}
    for group in (cli, zonetext):
        for command in group.registered_commands:
            defaults = {p.name: p.default.default for p in inspect.signature(command.callback).parameters.values()
                        if p.name != "ctx"}
            for name, hint in typing.get_type_hints(command.callback).items():
                if isinstance(hint, type) and issubclass(hint, enum.Enum):
                    seen[(command.callback.__name__, name)] = tuple(m.value for m in hint)
                    assert defaults[name].value in expected[name]
    assert {name for _, name in seen} == set(expected) and len(seen) > 15
    assert {k: v for k, v in seen.items() if v != expected[k[1]]} == {}
    assert seen[("zones", "level")] == ("primary", "junior") and seen[("zonetext_write", "format")] == (
        "text", "markdown", "csv")
    # ... and the command refuses anything else, listing geo's values.
    res = runner.invoke(cli, ["zones", "--network", str(DEMO / "district.osm"), "--level", "nine_year"])
    assert res.exit_code == 2 and "primary" in res.output and "junior" in res.output
