"""Stable school colours: a school keeps its colour across edits and on both maps of a comparison, and
neighbouring catchments differ (geo.render.colours, used by every map)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import geo
from geo.plans.edits import ADD_SCHOOL, CLOSE_SCHOOL, MOVE_SCHOOL, REASSIGN, Edit
from geo.render.colours import CATCHMENT_PALETTE, school_colours
from geo.render.maps import official_map, zoning_layers
from geo.zoning.scenario import Scenario, run_scenario


def drawn_colours(result, base=None) -> dict[str, str]:
    """School id -> fill colour of its catchment, as the map draws it (the catchments layer's GeoJSON)."""
    layer = zoning_layers(result, base_schools=base)[0]
    (gj,) = [c for c in layer._children.values() if hasattr(c, "data")]
    return {f["properties"]["school_id"]: f["properties"]["colour"] for f in gj.data["features"]}


def touching_pairs(result) -> list[tuple[str, str]]:
    """Pairs of catchments sharing more than a metre of boundary."""
    c = result.catchments[~result.catchments.geometry.isna()]
    ids, g = c["school_id"].astype(str).tolist(), c.geometry.to_numpy()
    return [(ids[i], ids[j]) for i in range(len(ids)) for j in range(i + 1, len(ids))
            if shapely.intersection(shapely.boundary(g[i]), shapely.boundary(g[j])).length > 1.0]


def test_colouring_is_a_function_of_the_data_set_and_neighbours_differ():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 5000, (40, 2))
    ids = [f"S{i:02d}" for i in range(40)]
    first = school_colours(ids, xy)
    assert set(first) == set(ids) and set(first.values()) <= set(CATCHMENT_PALETTE)
    # the order the schools come in changes nothing: colours follow the sorted ids
    perm = rng.permutation(40)
    assert school_colours([ids[i] for i in perm], xy[perm]) == first
    # Delaunay neighbours differ
    tri = __import__("scipy.spatial", fromlist=["Delaunay"]).Delaunay(xy)
    for s in tri.simplices:
        a, b, c = (ids[i] for i in s)
        assert len({first[a], first[b], first[c]}) == 3
    # a school opened later: the others keep their colours, and it avoids its nearest schools
    new = school_colours(ids, xy, extra_ids=["NEW01", "S05"], extra_xy=[[2500, 2500], [0, 0]])
    assert {k: new[k] for k in ids} == first
    near = np.argsort(np.hypot(*(xy - [2500, 2500]).T))[:3]
    assert new["NEW01"] not in {first[ids[i]] for i in near}


@pytest.mark.parametrize("points", [[], [[0, 0]], [[0, 0], [1, 0]], [[0, 0], [1, 0], [2, 0], [3, 0], [4, 0]],
                                    [[0, 0], [0, 0], [1, 0], [0, 1], [1, 1]], [[np.nan, np.nan], [0, 0], [1, 1]]])
def test_degenerate_positions_still_get_colours(points):
    xy = np.asarray(points, float).reshape(-1, 2)
    ids = [f"S{i}" for i in range(len(xy))]
    colours = school_colours(ids, xy)
    assert set(colours) == set(ids)
    finite = [s for s, p in zip(ids, xy) if np.isfinite(p).all()]
    if len(finite) <= 3:  # few schools: all neighbours of each other
        assert len({colours[s] for s in finite}) == len(finite)
    if len(points) == 5:  # on a line, or with two at one place: the points next to each other differ
        assert colours["S0"] != colours["S1"] and colours["S1"] != colours["S2"]


@pytest.mark.parametrize("level", ["primary", "junior"])
@pytest.mark.parametrize("method", ["network", "straight", "optimal"])
def test_neighbouring_catchments_on_the_demo_differ(demo_inputs, level, method):
    result = run_scenario(demo_inputs, Scenario(level, method))
    colours = drawn_colours(result, demo_inputs.schools)
    pairs = touching_pairs(result)
    assert len(pairs) >= len(result.catchments) - 1  # the catchments do touch: the test can fail
    assert [(a, b) for a, b in pairs if colours[a] == colours[b]] == []


def test_a_school_keeps_its_colour_across_edits(demo_inputs):
    ed = geo.Editor(demo_inputs, "primary")
    base = ed.result(())
    before = drawn_colours(base, demo_inputs.schools)
    a = base.assignments
    moved = a[a["school_id"] != "P05"]["compound_id"].iloc[:5].tolist()
    edits = (Edit(REASSIGN, level="primary", pairs=tuple((c, "P05") for c in moved)),
             Edit(ADD_SCHOOL, school="NEW01", name="新城小学", school_level="primary", capacity=1080,
                  lon=104.25, lat=30.58),
             Edit(CLOSE_SCHOOL, school="P03"),
             Edit(MOVE_SCHOOL, school="P07", lon=104.26, lat=30.59))
    for n in range(1, len(edits) + 1):
        after = drawn_colours(ed.result(edits[:n]), demo_inputs.schools)
        assert {s: after[s] for s in after if s in before} == {s: before[s] for s in after if s in before}
    last = ed.result(edits)
    after = drawn_colours(last, demo_inputs.schools)
    assert "P03" not in after and "NEW01" in after
    # the new school's catchment differs from its neighbours', and no other school was recoloured
    for x, y in touching_pairs(last):
        if "NEW01" in (x, y):
            assert after[x] != after[y]


def test_the_official_map_colours_schools_as_the_zoning_map(demo_inputs):
    from geo.official.plan import official_plan
    from geo.official.write import plan_zone_text

    nearest = run_scenario(demo_inputs, Scenario("primary", "network"))
    zoning = drawn_colours(nearest, demo_inputs.schools)
    result, report = official_plan(demo_inputs, plan_zone_text(demo_inputs.network, nearest).text, "primary")
    m = official_map(result, demo_inputs.network, report.edges.edge_school, tiles=None,
                     base_schools=demo_inputs.schools)
    layer = next(c for c in m._children.values() if getattr(c, "layer_name", "") == "学区")
    (gj,) = [c for c in layer._children.values() if hasattr(c, "data")]
    by_name = {f["properties"]["school_name"]: f["properties"]["colour"] for f in gj.data["features"]}
    names = dict(zip(nearest.table["school_id"], nearest.table["name"]))
    assert len(by_name) >= 15
    assert all(by_name[names[s]] == zoning[s] for s in zoning if names[s] in by_name)
