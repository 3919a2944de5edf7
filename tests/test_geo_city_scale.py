"""The city-scale pieces of capacity-optimal zoning: distances searched only as far as they can matter, islands
mended locally, a minimum fill lowered rather than islands kept, and catchment polygons from ordered Voronoi
cells (issue 13)."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import shapely

from geo.network.distances import candidate_matrix, distance_matrix, snap
from geo.zoning.allocation import candidates
from geo.zoning.catchments import polygons_from_sites
from geo.zoning.contiguity import UnitGraph, islands, join_islands
from geo.zoning.scenario import Scenario, run_scenario


def _demo_matrices(demo_inputs):
    net = demo_inputs.network
    schools = demo_inputs.schools[demo_inputs.schools["level"] == "primary"]
    s_node, s_off = snap(net, schools.to_crs(net.crs).geometry.get_coordinates().to_numpy())
    u_node, u_off = demo_inputs.compound_snap
    return net, s_node, s_off, u_node, u_off


def test_candidate_matrix_agrees_with_the_full_matrix_where_it_measures(demo_inputs):
    net, s_node, s_off, u_node, u_off = _demo_matrices(demo_inputs)
    full = distance_matrix(net, s_node, s_off, u_node, u_off)
    part = candidate_matrix(net, s_node, s_off, u_node, u_off, k_nearest=3)
    seen = np.isfinite(part)
    assert not seen.all()  # it does search less than everything on the demo
    np.testing.assert_allclose(part[seen], full[seen])
    # Every compound keeps its nearest school and the same k nearest candidates as with every walk measured.
    assert (np.argmin(np.where(seen, part, np.inf), axis=0) == np.argmin(full, axis=0)).all()
    a, b = candidates(full, k_nearest=3), candidates(part, k_nearest=3)
    assert set(zip(a.unit.tolist(), a.school.tolist())) == set(zip(b.unit.tolist(), b.school.tolist()))


def test_candidate_matrix_measures_required_pairs_and_a_walk_limit(demo_inputs):
    net, s_node, s_off, u_node, u_off = _demo_matrices(demo_inputs)
    full = distance_matrix(net, s_node, s_off, u_node, u_off)
    part = candidate_matrix(net, s_node, s_off, u_node, u_off, k_nearest=1)
    far = np.argmax(full, axis=0)  # each compound's farthest school: out of a 1-nearest radius for most
    assert (~np.isfinite(part[far, np.arange(far.size)])).any()
    locked = np.full(far.size, -1)
    locked[:5] = far[:5]
    got = candidate_matrix(net, s_node, s_off, u_node, u_off, k_nearest=1, required=(locked,))
    np.testing.assert_allclose(got[far[:5], np.arange(5)], full[far[:5], np.arange(5)])
    capped = candidate_matrix(net, s_node, s_off, u_node, u_off, max_walk=1500.0)
    inside = full <= 1500.0 - s_off[:, None] - u_off[None, :]  # the limit applies to the network part
    np.testing.assert_allclose(capped[inside], full[inside])
    # Every compound keeps its nearest school's walk, even beyond the limit (it is where it starts from).
    tight = candidate_matrix(net, s_node, s_off, u_node, u_off, max_walk=100.0)
    near = np.argmin(full, axis=0)
    assert (full.min(axis=0) > 100.0).any()
    np.testing.assert_allclose(tight[near, np.arange(near.size)], full.min(axis=0))


def _path_graph(n: int) -> UnitGraph:
    """Compounds 0 - 1 - ... - n-1 in a row, each on its own street node."""
    a = np.arange(n - 1)
    adj = sp.csr_matrix((np.ones(2 * a.size), (np.r_[a, a + 1], np.r_[a + 1, a])), shape=(n, n))
    return UnitGraph(adj, np.arange(n), np.zeros(n))


def test_join_islands_hand_checked():
    graph = _path_graph(5)
    hosts = np.array([0, 4])  # school A stands in compound 0, school B in compound 4
    label = np.array([0, 1, 0, 1, 1])  # compound 1 is B's island, compound 2 is A's
    demand = np.ones(5)
    cost = np.array([[0.0, 1, 2, 3, 4], [4.0, 3, 2, 1, 0]])
    movable = np.ones(5, bool)
    assert islands(graph, label, hosts, demand).tolist() == [False, True, True, False, False]
    # Room for both: each island joins its cheapest neighbour that is not an island.
    out = join_islands(graph, hosts, label, demand, np.array([2.0, 3.0]), cost, movable)
    assert out.tolist() == [0, 0, 1, 1, 1]
    # A has one seat: the overflow its new compound brings is passed on to B, and A stays whole.
    out = join_islands(graph, hosts, label, demand, np.array([1.0, 4.0]), cost, movable)
    assert out.tolist() == [0, 1, 1, 1, 1]
    # No seats anywhere for the overflow: None, not a plan over capacity.
    assert join_islands(graph, hosts, label, demand, np.array([1.0, 3.0]), cost, movable) is None


def test_chengdu_default_optimal_plan_is_whole_and_says_when_the_fill_was_lowered(chengdu_inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_scenario(chengdu_inputs, Scenario("primary", "optimal"))
    s = result.summary
    assert s["islands"] == 0
    assert s["empty_schools"] == 0
    assert s["over_capacity"] == 0
    keys = [w[0] for w in result.warnings]
    assert "opt.not_contiguous" not in keys
    # Four primary schools stand in one block of central Chengdu: 60% each cannot be met with whole zones.
    lowered = [p for k, p in result.warnings if k in ("opt.fill_lowered", "opt.fill_lowered_short")]
    assert lowered and 0 < lowered[0]["fill"] < lowered[0]["wanted"] == 0.6
    # ... and when even the lowered fill is not met everywhere, the warning says by how many schools and children.
    t = result.table
    below = np.maximum(t["seats"].to_numpy() * lowered[0]["fill"] - t["children"].to_numpy(), 0)
    if (below > 0.5).any():
        (short,) = [p for k, p in result.warnings if k == "opt.fill_lowered_short"]
        assert short["schools"] == int((below > 0.5).sum()) and abs(short["children"] - below.sum()) <= 1


def test_voronoi_polygons_first_listed_site_decides_and_partition():
    area = shapely.box(0, 0, 100, 100)
    xy = np.array([[25.0, 50.0], [75.0, 50.0], [25.0, 50.0], [75.0, 50.0004]])  # a duplicate, a near-duplicate
    polys = polygons_from_sites(xy, np.array([0, 1, 2, 2]), 3, area)
    assert shapely.area(polys).round(6).tolist() == [5000.0, 5000.0, 0.0]
    assert shapely.equals(shapely.union_all(polys), area)


def test_the_exact_solver_reports_its_current_gap_as_it_runs(demo_inputs):
    seen: list[float] = []

    def should_stop() -> bool:
        seen.append(should_stop.gap)  # type: ignore[attr-defined]
        return False

    should_stop.gap = float("nan")  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_scenario(demo_inputs, Scenario("primary", "optimal", solver="exact", time_limit_s=4.0),
                     should_stop=should_stop)
    gaps = [g for g in seen if g == g]
    assert gaps and all(g >= 0.0 for g in gaps)


def test_a_lowered_fill_is_said_at_the_top_of_the_page():
    from geo.render.i18n import t
    from geo.render.notes import summarise

    phrases = summarise([("opt.fill_lowered", {"fill": 0.4, "wanted": 0.6}), ("opt.not_contiguous", {"count": 2})])
    assert [k for k, _ in phrases] == ["warn.summary.fill_lowered", "warn.summary.not_contiguous"]
    assert t(phrases[0][0], "en", **phrases[0][1]) == "minimum fill lowered to 40% (to keep zones whole)"
    assert t(phrases[1][0], "en", **phrases[1][1]) == "2 compounds are islands"


def test_nearest_catchments_use_fewer_sites_deep_inside_and_keep_their_streets():
    """Deep inside a catchment one street node per square is enough: fewer Voronoi sites, the same partition,
    (almost) every street node still inside its own school's catchment."""
    import geo.zoning.catchments as ca
    from bench.run import city_inputs

    inputs = city_inputs(2_000, 20, 150)
    kept: list[float] = []
    real = ca._needed_sites

    def spy(network, xy, *a):
        out = real(network, xy, *a)
        kept.append(out.mean())
        return out

    ca._needed_sites = spy
    try:
        result = run_scenario(inputs, Scenario("primary", "network"))
        ca._needed_sites = lambda network, xy, *a: np.ones(len(xy), bool)
        every = run_scenario(inputs, Scenario("primary", "network"))
    finally:
        ca._needed_sites = real
    assert kept and kept[0] < 0.6  # two fifths of the sites or more are not needed
    polys, full = result.catchments.geometry.to_numpy(), every.catchments.geometry.to_numpy()
    areas = shapely.area(polys)
    # The same area covered (the grid's unreachable corners are in no catchment either way), no overlaps, and
    # nearly the same catchments.
    assert abs(areas.sum() - shapely.area(full).sum()) <= 1e-6 * areas.sum()
    assert abs(shapely.union_all(polys).area - areas.sum()) <= 1e-6 * areas.sum()
    # Only the lines between streets move (no street node, sample or compound is there to decide them).
    assert shapely.area(shapely.symmetric_difference(polys, full)).sum() <= 5e-3 * areas.sum()
    lab = result.node_label
    ok = lab >= 0
    nodes = shapely.points(inputs.network.xy[ok])
    inside = shapely.contains(polys[lab[ok]], nodes).mean()
    inside_full = shapely.contains(full[lab[ok]], nodes).mean()
    assert inside >= inside_full - 2e-3 and inside >= 0.99  # street nodes still in their own school's catchment
    # So are the points every 10 m along the streets (the nodes left out stay nearest to a site of their school).
    xy, lab = ca.edge_samples(inputs.network, result.node_label, result.node_dist, spacing=10.0)
    ok = lab >= 0
    along = shapely.contains(polys[lab[ok]], shapely.points(xy[ok])).mean()
    along_full = shapely.contains(full[lab[ok]], shapely.points(xy[ok])).mean()
    assert along >= along_full - 1e-3 and along >= 0.99
