"""Invariants of a whole zoning on generated districts: every compound in exactly one catchment, children
conserved, catchments a partition of the study area, valid polygons, and the same answer twice."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.inputs import load_inputs
from geo.inputs.demand import children_column
from geo.inputs.demo import write_demo
from geo.inputs.schools import schools_for_level
from geo.zoning.scenario import Scenario, run_scenario

SEEDS = [1, 7, 2024, 99991]
LEVELS = ("primary", "junior")
METHODS = ("network", "straight")


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def district(request, tmp_path_factory):
    out = write_demo(tmp_path_factory.mktemp(f"demo-{request.param}"), seed=request.param)
    inputs = load_inputs(out / "district.osm", out / "schools.csv", out / "compounds.geojson")
    return inputs, {(lv, m): run_scenario(inputs, Scenario(lv, m)) for lv in LEVELS for m in METHODS}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("method", METHODS)
def test_zoning_invariants(district, level, method):
    inputs, results = district
    res = results[(level, method)]
    schools = schools_for_level(inputs.schools, level)
    k = len(schools)
    polys = res.catchments.geometry.to_numpy()
    area = inputs.area

    # One row per school, in the same order in every output.
    assert res.catchments["school_id"].tolist() == schools["school_id"].tolist()
    assert res.table["school_id"].tolist() == schools["school_id"].tolist()
    assert len(res.assignments) == len(inputs.compounds)
    assert res.assignments["school_id"].notna().all()
    assert set(res.assignments["school_id"]) <= set(schools["school_id"])

    # Valid polygons that partition the study area: no gaps, no overlaps.
    assert shapely.is_valid(polys).all()
    assert all(p.geom_type in ("Polygon", "MultiPolygon") for p in polys if not p.is_empty)
    areas = shapely.area(polys)
    assert abs(areas.sum() - area.area) <= 1e-6 * area.area
    union = shapely.union_all(polys)
    assert abs(union.area - areas.sum()) <= 1e-6 * area.area
    assert shapely.difference(area, union).area <= 1e-6 * area.area

    # Every compound's representative point lies in its own school's catchment and in no other.
    pts = shapely.points(inputs.compound_xy)
    index = {sid: i for i, sid in enumerate(schools["school_id"])}
    own = np.array([index[s] for s in res.assignments["school_id"]])
    inside = np.array([shapely.contains(polys[j], pts) for j in range(k)])  # k x compounds
    assert inside[own, np.arange(len(pts))].all(), "a compound lies outside its own catchment"
    assert (inside.sum(axis=0) == 1).all(), "a compound lies in more than one catchment"

    # Children are conserved, seats are the level's seats.
    col = children_column(level)
    assert res.table["children"].sum() == inputs.compounds[col].sum()
    assert res.table["compounds"].sum() == len(inputs.compounds)
    assert res.table["seats"].tolist() == schools["seats"].tolist()
    per_school = res.assignments.groupby("school_id")["children"].sum().reindex(schools["school_id"], fill_value=0)
    assert per_school.tolist() == res.table["children"].tolist()
    assert res.summary["children"] == inputs.compounds[col].sum()

    # A walk is never shorter than the straight line (up to the projection's scale error).
    d = res.assignments
    assert (d["straight_m"] > 0).all()
    assert (d["distance_m"] >= d["straight_m"] * (1 - 1e-3)).all()


@pytest.mark.parametrize("level", LEVELS)
def test_network_zoning_picks_the_nearest_school_on_foot(district, level):
    """No compound could walk to another school of the level more quickly than to its own."""
    from geo.network.distances import snap, source_matrix

    inputs, results = district
    res = results[(level, "network")]
    schools = schools_for_level(inputs.schools, level)
    net = inputs.network
    s_node, s_off = snap(net, np.asarray(shapely.get_coordinates(schools.geometry.to_crs(net.crs).to_numpy())))
    u_node, u_off = inputs.compound_snap
    d = source_matrix(net, s_node, s_off, targets=u_node) + u_off  # schools x compounds
    np.testing.assert_allclose(res.assignments["distance_m"], d.min(axis=0), rtol=1e-9, atol=1e-3)
    straight = results[(level, "straight")]
    assert (straight.assignments["distance_m"].to_numpy() >= d.min(axis=0) - 1e-3).all()
    assert res.summary["mean_m"] <= straight.summary["mean_m"] + 1e-9


def test_run_scenario_is_deterministic(district):
    inputs, results = district
    again = run_scenario(inputs, Scenario("primary", "network"))
    first = results[("primary", "network")]
    assert again.assignments["school_id"].tolist() == first.assignments["school_id"].tolist()
    assert shapely.equals(again.catchments.geometry.to_numpy(), first.catchments.geometry.to_numpy()).all()
