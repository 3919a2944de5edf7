"""``xuequ zonetext read / write`` and ``xuequ zones --coords``: on the demo district (a plan written as a
zone list reads back), and on central Chengdu with the Jinjiang list when the real data is present."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import CHENGDU_OSM, SHARED_DATA, require_shared
from corpus import CASES, materialise
from typer.testing import CliRunner

from app.cli import cli
from geo.inputs.coords import wgs84_to_gcj02
from geo.official.parse import MAX_ZONE_TEXT_BYTES, parse_zone_text

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
DEMO_ARGS = ["--network", str(DEMO / "district.osm"), "--schools", str(DEMO / "schools.csv"),
             "--demand", str(DEMO / "compounds.geojson")]
JINJIANG = SHARED_DATA / "chengdu-zones-2025" / "2025_锦江区_小学划片.md"
runner = CliRunner()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The demo's nearest-school plan written as a zone list in each format."""
    out = tmp_path_factory.mktemp("zonetext")
    files = {}
    for fmt, ext in (("text", "txt"), ("markdown", "md"), ("csv", "csv")):
        path = out / f"zones.{ext}"
        res = runner.invoke(cli, ["zonetext", "write", *DEMO_ARGS, "--level", "primary", "--method", "network",
                                  "--format", fmt, "--out", str(path), "--lang", "en"])
        assert res.exit_code == 0, res.output
        files[fmt] = path
    return files


def test_write_gives_each_format_in_the_bureaus_style(written):
    text = written["text"].read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 20 and all("：" in ln for ln in lines)  # one school per line: 学校：街道、街道
    assert "口至" in text  # streets split between schools are written as stretches between junctions
    md = written["markdown"].read_text(encoding="utf-8")
    assert md.startswith("# 划片范围") and md.count("\n## ") == 20
    table = pd.read_csv(written["csv"])
    assert list(table.columns) == ["学校名称", "划片范围"] and len(table) == 20
    for fmt, path in written.items():
        z = parse_zone_text(path.read_text(encoding="utf-8"), fmt="csv" if fmt == "csv" else None)
        assert z.issues.empty, (fmt, z.issues.head())
        assert z.entries["school"].nunique() == 20


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv"])
def test_read_back_the_written_plan(written, tmp_path, fmt):
    res = runner.invoke(cli, ["zonetext", "read", *DEMO_ARGS, "--zones", str(written[fmt]), "--out", str(tmp_path),
                              "--lang", "en"])
    assert res.exit_code == 0, res.output
    streets = pd.read_csv(tmp_path / "street-matches.csv", encoding="utf-8-sig")
    assert (streets["status"] == "matched").all() and len(streets) > 100
    schools = pd.read_csv(tmp_path / "school-matches.csv", encoding="utf-8-sig")
    assert schools["linked"].all() and len(schools) == 20
    catch = gpd.read_file(tmp_path / "official-catchments.geojson")
    assign = gpd.read_file(tmp_path / "official-assignments.geojson")
    assert len(catch) == 20 and len(assign) == 300
    assert "crs" not in json.loads((tmp_path / "official-catchments.geojson").read_text(encoding="utf-8"))
    comp = pd.read_csv(tmp_path / "comparison.csv", encoding="utf-8-sig")
    assert len(comp) == 300 and comp["listed"].all()
    # Read back, the nearest-school plan sends few compounds farther than their nearest school: only those
    # next to a zone border, where the list can cut a street only at a named junction.
    assert comp["farther"].sum() < 0.15 * len(comp)
    assert (comp.loc[comp["farther"], "extra_m"] > 0).all()
    assert "300 of 300 compounds compared" in res.output


def test_read_reports_unparsed_lines_and_unmatched_streets(tmp_path):
    zones = tmp_path / "list.txt"
    zones.write_text("南河街\n芳潼小学：南河街、不存在路、某某小区\n", encoding="utf-8")
    res = runner.invoke(cli, ["zonetext", "read", *DEMO_ARGS, "--zones", str(zones), "--out", str(tmp_path / "o"),
                              "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "list.txt line 1" in res.output and "list.txt line 2" in res.output
    issues = pd.read_csv(tmp_path / "o" / "issues.csv", encoding="utf-8-sig")
    assert set(issues["reason"]) == {"no_school", "not_street"}
    streets = pd.read_csv(tmp_path / "o" / "street-matches.csv", encoding="utf-8-sig").set_index("street")
    assert streets.loc["南河街", "status"] == "matched" and streets.loc["不存在路", "status"] == "unmatched"


def test_read_with_nothing_on_the_network_writes_the_report_and_exits_1(tmp_path):
    zones = tmp_path / "other.md"
    zones.write_text("## 1. 某小学\n\n不存在路、也没有街\n", encoding="utf-8")
    res = runner.invoke(cli, ["zonetext", "read", *DEMO_ARGS, "--zones", str(zones), "--out", str(tmp_path / "o"),
                              "--lang", "en"])
    assert res.exit_code == 1
    assert (tmp_path / "o" / "street-matches.csv").is_file()
    assert not (tmp_path / "o" / "official-catchments.geojson").exists()
    assert "None of the listed streets" in res.output


def test_read_missing_zone_file_exits_2_naming_it(tmp_path):
    res = runner.invoke(cli, ["zonetext", "read", *DEMO_ARGS, "--zones", str(tmp_path / "nope.md"),
                              "--out", str(tmp_path / "o"), "--lang", "en"])
    assert res.exit_code == 2 and "nope.md" in res.output
    assert not (tmp_path / "o").exists()


ZONE_LISTS = [c for c in CASES if c.loader == "zonelist"]


@pytest.mark.parametrize("case", ZONE_LISTS, ids=[c.id for c in ZONE_LISTS])
def test_corpus_zone_lists_through_the_cli(case, tmp_path):
    """Every zone list of the hostile-input corpus through ``xuequ zonetext read``: refused (exit 2) with a
    message naming the file, its row, or its size and the limit, before the network is read; or read, the
    demo's streets decoded and each unread piece reported with its reason."""
    from geo.render.i18n import t

    path = materialise(case, tmp_path)
    out = tmp_path / "o"
    res = runner.invoke(cli, ["zonetext", "read", *DEMO_ARGS, "--zones", str(path), "--out", str(out),
                              "--lang", "en"])
    assert "Traceback" not in res.output
    if case.expect == "error":
        assert res.exit_code == 2 and case.file in res.output, res.output
        assert not out.exists()
        if case.row is not None:
            assert f"row {case.row}" in res.output, res.output
        if case.key == "err.zone_too_large":
            assert f"(5.00 MB) is over the {MAX_ZONE_TEXT_BYTES // 2**20} MB limit" in res.output, res.output
        return
    assert res.exit_code == 0, res.output
    streets = pd.read_csv(out / "street-matches.csv", encoding="utf-8-sig").set_index("street")
    assert streets.loc[["南河街", "安熙街"], "status"].eq("matched").all()
    issues = pd.read_csv(out / "issues.csv", encoding="utf-8-sig")
    if case.expect == "ok-with-warning":
        code = case.key.removeprefix("zone.reason.")
        assert code in set(issues["reason"]) and t(case.key, "en") in res.output
        assert issues["text"].str.len().max() <= 201  # a 40 KB piece is quoted by its beginning
    else:
        assert issues.empty, issues


def test_zones_coords_option_reads_gcj02_tables(tmp_path):
    schools = pd.read_csv(DEMO / "schools.csv")
    schools["lon"], schools["lat"] = wgs84_to_gcj02(schools["lon"].to_numpy(), schools["lat"].to_numpy())
    path = tmp_path / "schools_gcj02.csv"
    schools.to_csv(path, index=False)
    compounds = gpd.read_file(DEMO / "compounds.geojson")  # --coords is for both tables
    compounds.geometry = shapely.transform(compounds.geometry.to_numpy(), lambda c: np.column_stack(
        wgs84_to_gcj02(c[:, 0], c[:, 1])))
    c_path = tmp_path / "compounds_gcj02.geojson"
    compounds.to_file(c_path, driver="GeoJSON")
    args = ["zones", "--network", str(DEMO / "district.osm"), "--schools", str(path), "--demand", str(c_path),
            "--lang", "en"]
    as_wgs = runner.invoke(cli, [*args, "--out", str(tmp_path / "w")])
    assert as_wgs.exit_code == 0, as_wgs.output
    res = runner.invoke(cli, [*args, "--coords", "gcj02", "--out", str(tmp_path / "g")])
    assert res.exit_code == 0, res.output
    ref = runner.invoke(cli, ["zones", *DEMO_ARGS, "--out", str(tmp_path / "r")])
    assert ref.exit_code == 0
    got = pd.read_csv(tmp_path / "g" / "schools.csv", encoding="utf-8-sig")
    want = pd.read_csv(tmp_path / "r" / "schools.csv", encoding="utf-8-sig")
    shifted = pd.read_csv(tmp_path / "w" / "schools.csv", encoding="utf-8-sig")
    assert got["children"].tolist() == want["children"].tolist()  # converted back: the same zones
    assert shifted["children"].tolist() != want["children"].tolist()  # read as WGS-84: schools ~500 m off


def test_zones_rejects_an_unknown_coordinate_system(tmp_path):
    res = runner.invoke(cli, ["zones", *DEMO_ARGS, "--coords", "utm", "--out", str(tmp_path)])
    assert res.exit_code != 0 and not (tmp_path / "catchments.geojson").exists()


def test_jinjiang_list_on_chengdu(tmp_path):
    res = runner.invoke(cli, ["zonetext", "read", "--network", str(require_shared(CHENGDU_OSM)),
                              "--zones", str(require_shared(JINJIANG)), "--out", str(tmp_path), "--lang", "en"])
    assert res.exit_code == 0, res.output
    streets = pd.read_csv(tmp_path / "street-matches.csv", encoding="utf-8-sig")
    counts = streets["status"].value_counts()
    assert counts["matched"] >= 100 and counts["loose"] >= 10
    unmatched = streets[streets["status"] == "unmatched"]
    assert unmatched["candidates"].notna().all()  # nearest candidates are reported
    catch = gpd.read_file(tmp_path / "official-catchments.geojson")
    assert len(catch) >= 15
    assert "line" in res.output  # unparsed pieces are named by file and line
    out = tmp_path / "written.csv"
    res = runner.invoke(cli, ["zonetext", "write", "--network", str(CHENGDU_OSM), "--format", "csv",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) >= 15


# --- the library calls behind the command and the page ----------------------------------------------------

def test_official_plan_on_the_demo(demo_inputs):
    """The nearest plan written and read back as an official plan: every compound in one zone, children
    conserved, polygons without overlaps, the map with the listed streets and names escaped."""
    from geo.official.plan import official_plan
    from geo.official.write import plan_zone_text
    from geo.render.maps import official_map
    from geo.zoning.scenario import Scenario, run_scenario

    nearest = run_scenario(demo_inputs, Scenario("primary", "network"))
    text = plan_zone_text(demo_inputs.network, nearest).text
    result, report = official_plan(demo_inputs, text + "<b>坏</b>小学：南河街\n", "primary")
    assert result.summary["method"] == "official" and len(result.catchments) == 21
    assert result.table["children"].sum() == 20000 and result.assignments["school_id"].ne("").all()
    bad = report.schools.set_index("name").loc["<b>坏</b>小学"]
    assert not bad["linked"] and bad["school_id"] == ""
    assert report.edges.conflicts["street"].eq("南河街").any()  # listed for two schools: reported
    polys = [p for p in result.catchments.geometry if not p.is_empty]
    assert sum(p.area for p in polys) == pytest.approx(shapely.union_all(polys).area, rel=1e-6)
    html = official_map(result, demo_inputs.network, report.edges.edge_school, tiles=None,
                        farther=result.assignments["farther"].to_numpy()).get_root().render()
    html = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)
    assert "<b>坏</b>" not in html and "&lt;b&gt;坏" in html and "MultiLineString" in html
