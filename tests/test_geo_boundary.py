"""A district boundary clips the study area of every view (issue 12): from a polygon file, or an administrative
boundary of the OSM file by name; an incomplete or unknown one is refused with a message that says what to do."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from conftest import CHENGDU_OSM, require_shared
from typer.testing import CliRunner

from app.cli import cli
from geo.errors import InputError
from geo.inputs.boundary import boundary_from_file, boundary_from_osm, clip_inputs
from geo.zoning.scenario import Scenario, run_scenario

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
WEST = [(104.2200, 30.5450), (104.2580, 30.5450), (104.2580, 30.6060), (104.2200, 30.6060)]


def _geojson(path: Path, ring, kind: str = "Polygon") -> Path:
    coords = [[list(p) for p in ring + ring[:1]]] if kind == "Polygon" else [list(p) for p in ring]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "west"}, "geometry": {"type": kind, "coordinates": coords}}]}),
        encoding="utf-8")
    return path


def test_a_polygon_file_clips_compounds_schools_and_catchments(demo_inputs, tmp_path):
    boundary = boundary_from_file(_geojson(tmp_path / "west.geojson", WEST))
    clipped = clip_inputs(demo_inputs, boundary, "west.geojson")
    inside = shapely.covers(boundary, demo_inputs.compounds.geometry.representative_point().to_numpy())
    assert 0 < len(clipped.compounds) == inside.sum() < len(demo_inputs.compounds)
    assert len(clipped.schools) < len(demo_inputs.schools)
    key, params = clipped.warnings[-1]
    assert key == "warn.boundary_left_out" and params["compounds"] == (~inside).sum()
    result = run_scenario(clipped, Scenario("primary", "network"))
    edge = clipped.boundary.buffer(1.0)
    outlines = shapely.union_all(clipped.compounds_projected.to_numpy())
    for poly in result.catchments.geometry:  # nothing beyond the district (but its compounds' own outlines)
        assert shapely.area(shapely.difference(poly, shapely.union(edge, outlines))) < 1.0


def test_a_file_without_a_polygon_is_refused_by_name(tmp_path):
    line = _geojson(tmp_path / "line.geojson", WEST, kind="LineString")
    with pytest.raises(InputError) as e:
        boundary_from_file(line)
    assert "line.geojson" in e.value.message("en") and "polygon" in e.value.message("en")


def test_a_boundary_with_nothing_inside_is_refused(demo_inputs):
    far = shapely.box(100.0, 20.0, 100.1, 20.1)
    with pytest.raises(InputError) as e:
        clip_inputs(demo_inputs, far, "far")
    assert "far" in e.value.message("en")


def _admin_osm(path: Path, closed: bool = True, second: bool = False) -> Path:
    ring = WEST + WEST[:1] if closed else WEST
    nodes = "".join(f'<node id="{i + 1}" lat="{y}" lon="{x}" version="1"/>' for i, (x, y) in enumerate(WEST))
    refs = "".join(f'<nd ref="{(i % len(WEST)) + 1}"/>' for i in range(len(ring)))
    east = [(x + 0.05, y) for x, y in WEST]
    more = "".join(f'<node id="{i + 11}" lat="{y}" lon="{x}" version="1"/>' for i, (x, y) in enumerate(east))
    more += '<way id="2" version="1">' + "".join(f'<nd ref="{(i % 4) + 11}"/>' for i in range(5)) + "</way>"
    more += ('<relation id="2" version="1"><member type="way" ref="2" role="outer"/><tag k="type" v="boundary"/>'
             '<tag k="boundary" v="administrative"/><tag k="name" v="东区 (East)"/></relation>')
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?><osm version=\"0.6\">" + nodes
        + f'<way id="1" version="1">{refs}</way>' + (more if second else "")
        + '<relation id="1" version="1"><member type="way" ref="1" role="outer"/>'
        + '<tag k="type" v="boundary"/><tag k="boundary" v="administrative"/><tag k="admin_level" v="6"/>'
        + '<tag k="name" v="西区 (West)"/></relation></osm>', encoding="utf-8")
    return path


def test_a_name_part_of_several_boundaries_is_refused_the_full_name_is_found(tmp_path):
    two = _admin_osm(tmp_path / "two.osm", second=True)
    with pytest.raises(InputError) as e:
        boundary_from_osm(two, "区")
    assert "西区 (West)" in e.value.message("en") and "东区 (East)" in e.value.message("en")
    west = boundary_from_osm(two, "西区")
    assert shapely.get_coordinates(west)[:, 0].max() < 104.26  # the west one only


def test_a_polygon_inside_a_geometry_collection_is_a_boundary(tmp_path):
    path = tmp_path / "gc.geojson"
    ring = [list(p) for p in WEST + WEST[:1]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
        "geometry": {"type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": ring[0]}, {"type": "Polygon", "coordinates": [ring]}]}}]}),
        encoding="utf-8")
    assert boundary_from_file(path).geom_type == "Polygon"


def test_an_administrative_boundary_of_the_osm_file_is_found_by_name(tmp_path):
    area = boundary_from_osm(_admin_osm(tmp_path / "admin.osm"), "西区")
    assert area.geom_type in ("Polygon", "MultiPolygon")
    assert shapely.equals_exact(shapely.normalize(shapely.box(104.22, 30.545, 104.258, 30.606)),
                                shapely.normalize(shapely.union_all(shapely.get_parts(area))), tolerance=1e-7)
    assert boundary_from_osm(tmp_path / "admin.osm", "west").equals(area)


def test_an_incomplete_or_unknown_osm_boundary_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(InputError) as e:
        boundary_from_osm(_admin_osm(tmp_path / "open.osm", closed=False), "西区")
    assert "incomplete" in e.value.message("en")
    chengdu = require_shared(CHENGDU_OSM)
    with pytest.raises(InputError) as e:
        boundary_from_osm(chengdu, "锦江区")  # the 2018 extract cuts every district at its edge
    assert "锦江区 (Jinjiang)" in e.value.message("zh") and "不完整" in e.value.message("zh")
    with pytest.raises(InputError) as e:
        boundary_from_osm(chengdu, "温江区")
    msg = e.value.message("zh")
    assert "温江区" in msg and "成华区 (Chenghua)" in msg and "金牛区 (Jinniu)" in msg


def test_the_command_clips_an_official_list_at_a_boundary(tmp_path):
    out = tmp_path / "out"
    west = _geojson(tmp_path / "west.geojson", WEST)
    from geo.inputs import load_inputs
    from geo.official import plan_zone_text

    inputs = load_inputs(DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson")
    zones = tmp_path / "zones.txt"
    zones.write_text(plan_zone_text(inputs.network, run_scenario(inputs, Scenario("primary", "network"))).text,
                     encoding="utf-8")
    args = ["zonetext", "read", "--network", str(DEMO / "district.osm"), "--schools", str(DEMO / "schools.csv"),
            "--demand", str(DEMO / "compounds.geojson"), "--zones", str(zones), "--out", str(out), "--lang", "en"]
    whole = CliRunner().invoke(cli, args)
    assert whole.exit_code == 0, whole.output
    n_whole = len(json.loads((out / "official-assignments.geojson").read_text(encoding="utf-8"))["features"])
    clipped = CliRunner().invoke(cli, args + ["--boundary", str(west)])
    assert clipped.exit_code == 0, clipped.output
    feats = json.loads((out / "official-assignments.geojson").read_text(encoding="utf-8"))["features"]
    assert 0 < len(feats) < n_whole
    lon = np.array([shapely.geometry.shape(f["geometry"]).representative_point().x for f in feats])
    assert (lon <= 104.2581).all()
    assert "outside the boundary" in clipped.output


def test_a_boundary_by_name_needs_the_osm_file(tmp_path):
    res = CliRunner().invoke(cli, ["zones", "--schools", str(DEMO / "schools.csv"), "--demand",
                                   str(DEMO / "compounds.geojson"), "--boundary-name", "锦江区", "--out",
                                   str(tmp_path), "--lang", "en"])
    assert res.exit_code == 2 and "give the OSM file too (command line: --network)" in res.output


def test_the_page_clips_every_view_at_a_boundary_file(tmp_path):
    """The sidebar's boundary (a polygon file under the data roots): the zoning view's table counts only the
    compounds inside, and the page says how many were left out; a boundary by name without an OSM file is refused
    in the page, not as a traceback."""
    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
    west = _geojson(tmp_path / "west.geojson", WEST)
    at = AppTest.from_file(app, default_timeout=180).run()
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="osm_path").input(str(DEMO / "district.osm"))
    at.sidebar.text_input(key="schools_path").input(str(DEMO / "schools.csv"))
    at.sidebar.text_input(key="compounds_path").input(str(DEMO / "compounds.geojson"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    whole = int(at.dataframe[0].value["compounds"].sum())
    at.sidebar.text_input(key="boundary_path").input(str(west)).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    clipped = int(at.dataframe[0].value["compounds"].sum())
    assert whole == 300 and 0 < clipped < whole
    assert any("区界“west.geojson”外的" in m.value for m in at.markdown)
    at.sidebar.text_input(key="boundary_path").input("").run()
    at.sidebar.text_input(key="osm_path").input("").run()
    at.sidebar.text_input(key="boundary_name").input("锦江区").run()
    assert not at.exception
    assert at.error and "OSM 文件" in at.error[0].value and "锦江区" in at.error[0].value
