"""Distances: multi-source Dijkstra with entry offsets against a networkx brute force, and hand-made graphs."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.network.distances import nearest_source, snap, source_matrix
from geo.network.graph import network_from_arrays
from geo.zoning.assignment import nearest_by_network, nearest_by_straight_line

TOL = 1e-5  # the library stores zero-length edges and zero offsets as 1e-6


def tol(net) -> float:
    """Zero-length edges count 1e-6 each: a shortest path over n nodes can gain up to n x 1e-6."""
    return TOL + 1e-6 * net.n_nodes


@st.composite
def graphs(draw, symmetric: bool):
    """Random points, random extra edges and a path through all nodes (connected when symmetric)."""
    n = draw(st.integers(2, 14))
    coord = st.floats(0, 1000, allow_nan=False, allow_infinity=False)
    x = np.array(draw(st.lists(coord, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(coord, min_size=n, max_size=n)))
    perm = draw(st.permutations(range(n)))
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    u = [perm[i] for i in range(n - 1)] + [a for a, _ in extra]
    v = [perm[i + 1] for i in range(n - 1)] + [b for _, b in extra]
    # Sometimes explicit lengths (longer than straight, like a winding street), else straight-line.
    if draw(st.booleans()):
        length = None
    else:
        length = np.array(draw(st.lists(st.floats(0, 2000, allow_nan=False), min_size=len(u), max_size=len(u))))
    k = draw(st.integers(1, min(n, 5)))
    nodes = np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)))
    offsets = np.array(draw(st.lists(st.floats(0, 500, allow_nan=False), min_size=k, max_size=k)))
    net = network_from_arrays(x, y, np.array(u), np.array(v), length, symmetric=symmetric)
    return net, nodes, offsets


def brute_to_source(net, nodes, offsets) -> np.ndarray:
    """``k x n``: distance from every node *to* each source along edge direction, plus the offset."""
    G = nx.DiGraph()
    G.add_nodes_from(range(net.n_nodes))
    for a, b, w in zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist()):
        if a == b:
            continue
        if not G.has_edge(a, b) or G[a][b]["weight"] > w:
            G.add_edge(a, b, weight=w)
    R = G.reverse(copy=True)
    out = np.full((len(nodes), net.n_nodes), np.inf)
    for s, (node, off) in enumerate(zip(nodes.tolist(), offsets.tolist())):
        for t, d in nx.single_source_dijkstra_path_length(R, node, weight="weight").items():
            out[s, t] = d + off
    return out


def check_nearest(net, nodes, offsets):
    dist, src = nearest_source(net, nodes, offsets)
    brute = brute_to_source(net, nodes, offsets)
    best = brute.min(axis=0)
    reach = np.isfinite(best)
    assert dist.shape == (net.n_nodes,) and src.shape == (net.n_nodes,)
    np.testing.assert_array_equal(np.isfinite(dist), reach)
    np.testing.assert_allclose(dist[reach], best[reach], rtol=1e-9, atol=tol(net))
    assert (src[~reach] == -1).all()
    assert ((src[reach] >= 0) & (src[reach] < len(nodes))).all()
    # The reported source attains the minimum.
    attained = brute[src[reach], np.flatnonzero(reach)]
    np.testing.assert_allclose(attained, best[reach], rtol=1e-9, atol=tol(net))


@settings(max_examples=30, deadline=None)
@given(graphs(symmetric=True))
def test_nearest_source_matches_brute_force_undirected(case):
    check_nearest(*case)


@settings(max_examples=30, deadline=None)
@given(graphs(symmetric=False))
def test_nearest_source_matches_brute_force_directed(case):
    """One-way streets: the distance is the walk *to* the source, along edge direction."""
    check_nearest(*case)


@settings(max_examples=30, deadline=None)
@given(graphs(symmetric=True), st.data())
def test_source_matrix_matches_brute_force(case, data):
    net, nodes, offsets = case
    brute = brute_to_source(net, nodes, offsets)
    np.testing.assert_allclose(source_matrix(net, nodes, offsets), brute, rtol=1e-9, atol=tol(net))
    np.testing.assert_allclose(source_matrix(net, nodes), brute - offsets[:, None], rtol=1e-9, atol=tol(net))
    targets = np.array(data.draw(st.lists(st.integers(0, net.n_nodes - 1), min_size=1, max_size=6)))
    np.testing.assert_allclose(source_matrix(net, nodes, offsets, targets=targets), brute[:, targets],
                               rtol=1e-9, atol=tol(net))


@settings(max_examples=30, deadline=None)
@given(graphs(symmetric=False))
def test_source_matrix_directed_matches_brute_force(case):
    net, nodes, offsets = case
    d = source_matrix(net, nodes, offsets)
    brute = brute_to_source(net, nodes, offsets)
    np.testing.assert_array_equal(np.isfinite(d), np.isfinite(brute))
    ok = np.isfinite(brute)
    np.testing.assert_allclose(d[ok], brute[ok], rtol=1e-9, atol=tol(net))


@settings(max_examples=30, deadline=None)
@given(graphs(symmetric=True))
def test_nearest_source_is_the_row_minimum_of_source_matrix(case):
    net, nodes, offsets = case
    dist, src = nearest_source(net, nodes, offsets)
    m = source_matrix(net, nodes, offsets)
    np.testing.assert_allclose(dist, m.min(axis=0), rtol=1e-9, atol=tol(net))
    np.testing.assert_allclose(m[src, np.arange(net.n_nodes)], m.min(axis=0), rtol=1e-9, atol=tol(net))


# --- hand-computed ------------------------------------------------------------------------------------

def line_graph():
    """Nodes 0..5 on a line at x = 0, 100, ..., 500 m; edges between neighbours."""
    x = np.arange(6) * 100.0
    return network_from_arrays(x, np.zeros(6), np.arange(5), np.arange(1, 6))


def test_line_graph_two_schools():
    net = line_graph()
    # School A at node 0 (entry offset 10 m), school B at node 5 (offset 0).
    dist, src = nearest_source(net, np.array([0, 5]), np.array([10.0, 0.0]))
    # Node 2: A = 200 + 10 = 210, B = 300. Node 3: A = 310, B = 200.
    np.testing.assert_allclose(dist, [10, 110, 210, 200, 100, 0], atol=TOL)
    assert src.tolist() == [0, 0, 0, 1, 1, 1]
    m = source_matrix(net, np.array([0, 5]), np.array([10.0, 0.0]))
    np.testing.assert_allclose(m, [[10, 110, 210, 310, 410, 510], [500, 400, 300, 200, 100, 0]], atol=TOL)


def test_line_graph_offset_moves_the_boundary():
    net = line_graph()
    # A big entry offset at school A (250 m) pushes node 1 (A: 350, B: 400) ... and node 2 (A: 450, B: 300) to B.
    dist, src = nearest_source(net, np.array([0, 5]), np.array([250.0, 0.0]))
    assert src.tolist() == [0, 0, 1, 1, 1, 1]
    np.testing.assert_allclose(dist, [250, 350, 300, 200, 100, 0], atol=TOL)


def test_one_way_street_is_followed_towards_the_school():
    # 0 -> 1 -> 2 one-way (100 m each), and a long two-way detour 2 <-> 3 <-> 0 (300 m each).
    x, y = np.array([0.0, 100, 200, 100]), np.array([0.0, 0, 0, 200])
    u = np.array([0, 1, 2, 3, 3, 0])
    v = np.array([1, 2, 3, 2, 0, 3])
    w = np.array([100.0, 100, 300, 300, 300, 300])
    net = network_from_arrays(x, y, u, v, w, symmetric=False)
    # School at node 2: node 0 walks 0->1->2 (200 m), node 3 takes 3->2 (300 m).
    dist, src = nearest_source(net, np.array([2]), np.zeros(1))
    np.testing.assert_allclose(dist, [200, 100, 0, 300], atol=TOL)
    assert src.tolist() == [0, 0, 0, 0]
    # School at node 0: node 2 cannot go back against the one-way street: 2 -> 3 -> 0 = 600 m.
    dist, _ = nearest_source(net, np.array([0]), np.zeros(1))
    np.testing.assert_allclose(dist, [0, 700, 600, 300], atol=TOL)


def test_no_sources_and_unreachable_nodes():
    net = network_from_arrays([0.0, 1, 2], [0.0, 0, 0], [0], [1])  # node 2 is isolated
    dist, src = nearest_source(net, np.array([], np.int64))
    assert np.isinf(dist).all() and (src == -1).all()
    dist, src = nearest_source(net, np.array([0]))
    assert math.isinf(dist[2]) and src[2] == -1
    assert src[:2].tolist() == [0, 0]


def test_snap_and_assignment_on_the_line():
    net = line_graph()
    idx, d = snap(net, np.array([[130.0, 40.0], [480.0, -3.0]]))
    assert idx.tolist() == [1, 5]
    np.testing.assert_allclose(d, [50.0, np.hypot(20, 3)])
    # Two schools snapped to nodes 0 and 5; compounds at nodes 2 and 3 with a 20 m walk to the street.
    node_label, _, unit_label, unit_dist = nearest_by_network(
        net, np.array([0, 5]), np.zeros(2), np.array([2, 3]), np.array([20.0, 20.0]))
    assert node_label.tolist() == [0, 0, 0, 1, 1, 1]
    assert unit_label.tolist() == [0, 1]
    np.testing.assert_allclose(unit_dist, [220, 220], atol=TOL)


def test_straight_line_and_network_disagree_across_a_river():
    """A river with one bridge: the school across the water is closer as the crow flies, not on foot."""
    # South bank: nodes 0 (x=0) ... 3 (x=900) along y=0; north bank: 4 (x=0) ... 7 (x=900) along y=200.
    # The only bridge joins 3 and 7. School A at node 0 (south), school B at node 4 (north).
    x = np.array([0.0, 300, 600, 900, 0, 300, 600, 900])
    y = np.array([0.0, 0, 0, 0, 200, 200, 200, 200])
    u = np.array([0, 1, 2, 4, 5, 6, 3])
    v = np.array([1, 2, 3, 5, 6, 7, 7])
    net = network_from_arrays(x, y, u, v)
    # A compound 10 m from node 5 on the north bank: school B, 10 + 300 + 10 m on foot.
    unit_xy = np.array([[300.0, 190.0]])
    unit_node, unit_off = snap(net, unit_xy)
    school_xy = np.array([[0.0, -10.0], [0.0, 210.0]])
    s_node, s_off = snap(net, school_xy)
    _, _, by_net, d_net = nearest_by_network(net, s_node, s_off, unit_node, unit_off)
    _, _, by_line, d_line = nearest_by_straight_line(net, school_xy, s_node, s_off, unit_xy, unit_node, unit_off)
    assert by_net.tolist() == [1] and by_line.tolist() == [1]
    np.testing.assert_allclose(d_net, [10 + 300 + 10], atol=TOL)
    np.testing.assert_allclose(d_line, d_net, atol=TOL)
    # A compound on the south bank, by the water, is nearer school B as the crow flies, yet on foot it
    # reaches school A along its own bank.
    unit_xy = np.array([[150.0, 110.0]])  # to A's point (0, -10): 192 m; to B's (0, 210): 180 m
    unit_node = np.array([1])  # its gate opens onto the south bank street
    unit_off = np.array([110.0])
    _, _, by_net, d_net = nearest_by_network(net, s_node, s_off, unit_node, unit_off)
    _, _, by_line, d_line = nearest_by_straight_line(net, school_xy, s_node, s_off, unit_xy, unit_node, unit_off)
    assert by_line.tolist() == [1]  # straight line: school B
    assert by_net.tolist() == [0]  # walk: school A, 110 + 300 + 10 = 420 m
    np.testing.assert_allclose(d_net, [420.0], atol=TOL)
    # ... and the straight-line zoning reports the real walk to B: 110 + 600 + 200 (bridge) + 900 + 10.
    np.testing.assert_allclose(d_line, [1820.0], atol=TOL)


@pytest.mark.parametrize("k", [1, 3])
def test_sources_sharing_a_node_go_to_the_first_listed(k):
    net = line_graph()
    nodes = np.array([2] * k + [5])
    dist, src = nearest_source(net, nodes, np.zeros(nodes.size))
    assert src.tolist() == [0, 0, 0, 0, k, k]  # never source 1 or 2, which share node 2 with source 0
    np.testing.assert_allclose(dist, [200, 100, 0, 100, 100, 0], atol=TOL)


def test_sources_sharing_a_node_go_to_the_nearer_entrance():
    net = line_graph()
    dist, src = nearest_source(net, np.array([2, 2]), np.array([30.0, 10.0]))
    assert src.tolist() == [1] * 6
    np.testing.assert_allclose(dist, [210, 110, 10, 110, 210, 310], atol=TOL)
