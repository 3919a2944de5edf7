"""Data without a street network, and tables from elsewhere (issue 12, item 5).

Schools and compounds (or census blocks) alone give straight-line and capacity-optimal zoning on straight-line
distances with every figure; user ids are kept as written; English level words are read; the GB 50180 radius and
the default seats are Chinese defaults, settable and said to be so.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import InputError
from geo.inputs import load_inputs
from geo.inputs.mapping import mappings_from_text
from geo.inputs.schools import classify_level, parse_level
from geo.network.distances import distance_matrix, nearest_source, source_matrix, straight_matrix
from geo.network.graph import Network, network_from_arrays, network_from_points
from geo.plans.editor import Editor
from geo.zoning.result import radius_phrase
from geo.zoning.scenario import Scenario, run_scenario

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def tables():
    """The demo's schools and compounds tables, without its OSM file."""
    return DEMO / "schools.csv", DEMO / "compounds.geojson"


@pytest.fixture(scope="module")
def inputs(tables):
    return load_inputs(None, *tables)


def utm_distances(inputs, result) -> np.ndarray:
    """Each compound's straight line to its school, measured here independently of the zoning code."""
    crs = inputs.compounds.geometry.estimate_utm_crs()
    c = inputs.compounds.geometry.to_crs(crs).representative_point()
    s = result.schools.set_index("school_id").geometry.to_crs(crs)
    at = s.loc[result.assignments["school_id"]].to_numpy()
    return shapely.distance(c.to_numpy(), at)


def assert_partition(inputs, result) -> None:
    polys = result.catchments.geometry.to_numpy()
    total = shapely.area(polys).sum()
    union = shapely.union_all(polys)
    assert union.area == pytest.approx(total, rel=1e-6)  # no overlaps
    assert union.area == pytest.approx(inputs.area.area, rel=1e-6)  # no gaps
    # every compound lies in its own school's catchment
    a = result.assignments
    where = dict(zip(result.catchments["school_id"], polys))
    pts = shapely.point_on_surface(a.geometry.to_numpy())
    inside = [where[s].buffer(1.0).contains(p) for s, p in zip(a["school_id"], pts)]
    assert all(inside)


def test_tables_alone_make_a_straight_line_network(inputs):
    net = inputs.network
    assert net.straight_line and net.n_nodes == len(inputs.schools) + 300 and net.n_edges > 0
    assert ("warn.straight_line", {}) in inputs.warnings
    assert net.crs == inputs.compounds.geometry.estimate_utm_crs().to_string()
    assert (inputs.compound_snap[1] < 1e-6).all()  # every compound stands on its own node


def test_straight_zoning_without_a_network(inputs):
    r = run_scenario(inputs, Scenario("primary", "straight"))
    a = r.assignments
    assert len(a) == 300 and a["compound_id"].is_unique and (a["school_id"] != "").all()
    np.testing.assert_allclose(a["distance_m"], utm_distances(inputs, r), rtol=1e-6, atol=0.01)
    np.testing.assert_allclose(a["distance_m"], a["straight_m"], atol=1e-6)
    # each compound goes to its nearest school as the crow flies
    s_xy = shapely.get_coordinates(r.schools.geometry.to_numpy())
    nearest = np.argmin(straight_matrix(s_xy, inputs.compound_xy), axis=0)
    assert (r.schools["school_id"].to_numpy()[nearest] == a["school_id"].to_numpy()).all()
    for col in ("mean_m", "within_radius", "utilisation"):
        assert np.isfinite(r.table[col]).all(), col
    assert r.table["children"].sum() == a["children"].sum() == r.summary["children"]
    assert 0 < r.summary["within_radius"] < 1 and r.summary["straight_line"]
    assert ("warn.straight_line", {}) in r.warnings
    assert_partition(inputs, r)


@pytest.mark.parametrize("solver", ["fast", "exact"])
def test_optimal_zoning_on_straight_lines(inputs, solver):
    r = run_scenario(inputs, Scenario("primary", "optimal", solver=solver, tolerance=0.05, time_limit_s=30))
    a, tab = r.assignments, r.table
    assert len(a) == 300 and (a["school_id"] != "").all()
    assert (tab["children"] <= tab["seats"] * 1.05 + 1e-9).all()
    # the distances the solver and the figures used are the straight lines, not routes on the triangulation
    np.testing.assert_allclose(a["distance_m"], utm_distances(inputs, r), rtol=1e-6, atol=0.01)
    assert r.summary["islands"] == 0  # contiguity holds on the points' neighbours
    nearest = run_scenario(inputs, Scenario("primary", "straight"))
    assert r.summary["mean_m"] >= nearest.summary["mean_m"] - 1e-6  # capacity costs walking, never saves it
    served = tab[tab["children"] > 0]  # a school contiguity leaves empty has no walks to average
    assert len(served) >= len(tab) - 2 and np.isfinite(served[["mean_m", "within_radius"]].to_numpy()).all()
    assert_partition(inputs, r)


def test_walk_zoning_is_refused_without_a_network(inputs):
    with pytest.raises(InputError) as err:
        run_scenario(inputs, Scenario("primary", "network"))
    assert err.value.key == "err.no_network_method"
    assert "straight" in err.value.message("en").lower()


def test_no_network_needs_both_tables(tables):
    with pytest.raises(InputError) as err:
        load_inputs(None, tables[0])
    assert err.value.key == "err.no_network_tables" and "schools.csv" in err.value.message("en")


def test_editor_on_straight_lines_matches_the_scenario(inputs):
    r = run_scenario(inputs, Scenario("junior", "straight"))
    e = Editor(inputs, "junior").result(())
    assert e.assignments["school_id"].tolist() == r.assignments["school_id"].tolist()
    np.testing.assert_allclose(e.assignments["distance_m"], r.assignments["distance_m"], atol=1e-6)


def test_census_block_points_with_their_own_ids(tmp_path):
    """Compounds as points from a CSV with GEOID20-like ids (leading zeros) and an enrollment column."""
    c = gpd.read_file(DEMO / "compounds.geojson")
    pts = c.geometry.representative_point()
    geoid = [f"0600140010{i:02d}" if i < 100 else f"06001400{i:04d}" for i in range(len(c))]
    blocks = pd.DataFrame({"GEOID20": geoid, "lon": pts.x, "lat": pts.y, "enrollment": c["children_primary"],
                           "children_primary": 0})
    path = tmp_path / "blocks.csv"
    blocks.to_csv(path, index=False)
    inp = load_inputs(None, DEMO / "schools.csv", path, compounds_mapping={"children_primary": "enrollment"})
    assert inp.compounds["compound_id"].tolist() == geoid  # as written: text, leading zeros kept
    assert inp.compounds["children_primary"].sum() == c["children_primary"].sum()
    assert "children_primary_original" in inp.compounds or "children_primary_original" not in blocks
    r = run_scenario(inp, Scenario("primary", "optimal", tolerance=0.05))
    assert r.assignments["compound_id"].tolist() == geoid
    assert r.summary["children"] == c["children_primary"].sum()
    assert_partition(inp, r)


def test_ids_kept_as_written(tmp_path):
    c = gpd.read_file(DEMO / "compounds.geojson")
    c["BLOCKCE"] = [f"{i:04d}" for i in range(len(c))]
    c = c.drop(columns=["compound_id"])
    p = tmp_path / "blocks.geojson"
    p.write_text(c.to_json(drop_id=True), encoding="utf-8")
    # an id column of the user's: kept, with a mapping naming it
    inp = load_inputs(None, DEMO / "schools.csv", p, compounds_mapping={"compound_id": "BLOCKCE"})
    assert inp.compounds["compound_id"].tolist()[:3] == ["0000", "0001", "0002"]
    # a census code under its own name is known without a mapping
    gj = json.loads(c.drop(columns=["BLOCKCE"]).to_json(drop_id=True))
    for i, f in enumerate(gj["features"]):
        f["properties"]["GEOID20"] = f"060014001{i:03d}"
    p.write_text(json.dumps(gj), encoding="utf-8")
    inp = load_inputs(None, DEMO / "schools.csv", p)
    assert inp.compounds["compound_id"].iloc[0] == "060014001000"
    # ... before the running numbers a GeoJSON writer gives its features ("id": "0", "1"...)
    for i, f in enumerate(gj["features"]):
        f["id"] = str(i)
    p.write_text(json.dumps(gj), encoding="utf-8")
    assert load_inputs(None, DEMO / "schools.csv", p).compounds["compound_id"].iloc[1] == "060014001001"
    # only a table with no id column gets numbered ids
    p.write_text(c.drop(columns=["BLOCKCE"]).to_json(drop_id=True), encoding="utf-8")
    assert load_inputs(None, DEMO / "schools.csv", p).compounds["compound_id"].iloc[0] == "C1"


@pytest.mark.parametrize("name, level", [
    ("Lincoln Elementary School", "primary"), ("St Mary's Primary School", "primary"), ("Oak Primary", "primary"),
    ("Jefferson Middle School", "junior"), ("Roosevelt Junior High School", "junior"),
    ("Hillside Intermediate School", "junior"), ("Central High School", None), ("Middle Creek High School", None),
    ("Washington K-8 School", "nine_year"), ("锦江小学", "primary"), ("成都七中", None),
])
def test_english_level_words_in_names(name, level):
    assert classify_level(name) == level


@pytest.mark.parametrize("cell, level", [
    ("Elementary", "primary"), ("elementary school", "primary"), ("Primary School", "primary"),
    ("Middle", "junior"), ("Middle School", "junior"), ("junior_high", "junior"), ("Junior High", "junior"),
    ("K-8", "nine_year"), ("High", None), ("High School", None), ("初中", "junior"),
])
def test_english_level_words_in_a_level_column(cell, level):
    assert parse_level(cell) == level


def english_schools(tmp_path, capacity: bool = True) -> Path:
    s = pd.read_csv(DEMO / "schools.csv")
    words = {"primary": ("Elementary School", "Elementary"), "junior": ("Middle School", "Middle"),
             "nine_year": ("K-8 School", "K-8")}
    s["name"] = [f"School {i} {words[lv][0]}" for i, lv in enumerate(s["level"])]
    s["grade_band"] = [words[lv][1] for lv in s["level"]]
    s = s.drop(columns=["level"] + ([] if capacity else ["capacity", "capacity_primary", "capacity_junior"]))
    path = tmp_path / "schools_en.csv"
    s.to_csv(path, index=False)
    return path


def test_english_school_table(tmp_path):
    path = english_schools(tmp_path)
    inp = load_inputs(None, path, DEMO / "compounds.geojson", schools_mapping={"level": "grade_band"})
    demo = pd.read_csv(DEMO / "schools.csv")
    assert inp.schools["level"].tolist() == demo["level"].tolist()
    assert inp.schools["school_id"].tolist() == demo["id"].tolist()


def test_radius_is_a_setting_and_says_so(inputs):
    default = run_scenario(inputs, Scenario("primary", "straight"))
    wide = run_scenario(inputs, Scenario("primary", "straight", radius_m=1200))
    assert default.summary["radius_m"] == 500 and default.summary["radius_default"]
    assert wide.summary["radius_m"] == 1200 and not wide.summary["radius_default"]
    d, w = default.assignments, wide.assignments
    share = lambda a, r: float((a["children"] * (a["distance_m"] <= r)).sum() / a["children"].sum())  # noqa: E731
    assert default.summary["within_radius"] == pytest.approx(share(d, 500))
    assert wide.summary["within_radius"] == pytest.approx(share(w, 1200)) and share(w, 1200) > share(d, 500)
    from geo.render.i18n import t
    assert "GB 50180" in t("app.summary_radius", "en", radius=radius_phrase(default.summary))
    assert "1,200 m (as set)" in t("app.summary_radius", "en", radius=radius_phrase(wide.summary))
    with pytest.raises(ValueError):
        Scenario("primary", "straight", radius_m=-1)


def test_default_seats_are_chinese_and_settable(tmp_path):
    path = english_schools(tmp_path, capacity=False)
    mapping = {"level": "grade_band"}
    cn = load_inputs(None, path, DEMO / "compounds.geojson", schools_mapping=mapping)
    assert set(cn.schools.loc[cn.schools["level"] == "primary", "capacity"]) == {1620}
    assert any(k == "warn.default_seats_cn" for k, _ in cn.warnings)
    own = load_inputs(None, path, DEMO / "compounds.geojson", schools_mapping=mapping, default_seats=900)
    assert set(own.schools["capacity"]) == {900} and own.schools["capacity_estimated"].all()
    assert not any(k == "warn.default_seats_cn" for k, _ in own.warnings)
    rows = [p for k, p in own.warnings if k == "warn.capacity_estimated_rows"]
    assert rows and rows[0]["primary"] == 900 and rows[0]["nine_year"] == 900
    levels = load_inputs(None, path, DEMO / "compounds.geojson", schools_mapping=mapping,
                         default_seats={"primary": 500})
    assert set(levels.schools.loc[levels.schools["level"] == "junior", "capacity"]) == {1500}
    with pytest.raises(InputError) as err:
        load_inputs(None, path, DEMO / "compounds.geojson", schools_mapping=mapping, default_seats=0)
    assert err.value.key == "err.bad_default_seats"


def test_straight_network_distances_are_straight_lines():
    """Every distance function on a straight-line network measures straight lines, never routes along its edges;
    the nearest source with offsets is exact beyond the k-d tree's few candidates."""
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 5000, (400, 2))
    net = network_from_points(xy[:, 0], xy[:, 1], "EPSG:32648")
    assert net.straight_line and net.n_nodes == 400
    src = rng.choice(400, 30, replace=False)
    off = rng.uniform(0, 3000, 30)  # large offsets: the nearest node is often not the cheapest
    brute = straight_matrix(net.xy[src], net.xy) + off[:, None]
    dist, which = nearest_source(net, src, off)
    np.testing.assert_allclose(dist, brute.min(axis=0))
    assert (which == brute.argmin(axis=0)).all()
    np.testing.assert_allclose(source_matrix(net, src, off), brute)
    units = rng.choice(400, 50, replace=False)
    np.testing.assert_allclose(distance_matrix(net, src, off, units, np.zeros(50)), brute[:, units])
    far, _ = nearest_source(net, src, off, limit=1000.0)
    assert np.isinf(far[brute.min(axis=0) > 1000]).all()


def test_straight_network_on_a_line_and_on_one_point():
    line = network_from_points([0, 100, 200, 300], [0, 0, 0, 0], "EPSG:32648")
    assert line.n_edges == 6  # each point joins the next, both ways
    one = network_from_points([5, 5], [7, 7], "EPSG:32648")
    assert one.n_nodes == 1 and one.n_edges == 0
    assert Network.from_arrays(line.to_arrays()).straight_line  # the flag survives a round trip
    assert "straight_line" not in network_from_arrays([0, 1], [0, 0], [0], [1]).to_arrays()  # streets' arrays as before


def test_mappings_from_text():
    s, c = mappings_from_text(["children_primary=enrollment", "level=grade", "compounds.name=NAMELSAD20"],
                              ["name=school_name"], ["compound_id=GEOID20"])
    assert s == {"level": "grade", "name": "school_name"}
    assert c == {"children_primary": "enrollment", "name": "NAMELSAD20", "compound_id": "GEOID20"}
    for bad, key in (("children_primary", "err.map_form"), ("kids=enrollment", "err.map_field"),
                     ("name=NAME", "err.map_ambiguous"), ("=x", "err.map_form")):
        with pytest.raises(InputError) as err:
            mappings_from_text([bad])
        assert err.value.key == key, bad
    with pytest.raises(InputError) as err:
        mappings_from_text([], ["children_primary=enrollment"])  # not a schools field
    assert err.value.key == "err.map_field" and "children_primary" in err.value.message("en")


def test_a_mapping_naming_a_missing_column_lists_the_columns(tmp_path):
    with pytest.raises(InputError) as err:
        load_inputs(None, DEMO / "schools.csv", DEMO / "compounds.geojson",
                    compounds_mapping={"children_primary": "enrollment"})
    msg = err.value.message("en")
    assert "enrollment" in msg and "compounds.geojson" in msg and "children_junior" in msg
