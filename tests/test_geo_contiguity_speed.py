"""Contiguity moves with incremental connectivity: the articulation-point look-ups agree with connected
components after any sequence of moves, and relieve says why when it stops short."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from geo.zoning.contiguity import (
    ReliefStopped,
    UnitGraph,
    _Connectivity,
    _cut_vertices,
    improve,
    islands,
    relieve,
)


def grid(side: int, drop: np.ndarray | None = None) -> sp.csr_matrix:
    """A ``side x side`` grid of compounds (4-neighbours), some links dropped."""
    m = side * side
    r, c = np.divmod(np.arange(m), side)
    pairs = np.array([(i, i + 1) for i in range(m) if c[i] < side - 1] +
                     [(i, i + side) for i in range(m) if r[i] < side - 1])
    if drop is not None:
        pairs = pairs[~drop[:len(pairs)]]
    a, b = pairs.T
    return sp.csr_matrix((np.ones(2 * a.size), (np.r_[a, b], np.r_[b, a])), shape=(m, m))


def rest_connected(adj: sp.csr_matrix, label: np.ndarray, i: int) -> bool:
    members = np.flatnonzero(label == label[i])
    rest = members[members != i]
    return rest.size <= 1 or connected_components(adj[rest][:, rest], directed=False)[0] == 1


def test_cut_vertices_of_a_path_and_a_cycle():
    # 0-1-2-3 path: 1 and 2 are cut vertices; 4-5-6 triangle: none; two components.
    ptr = [0, 1, 3, 5, 6, 8, 10, 12]
    nbr = [1, 0, 2, 1, 3, 2, 5, 6, 4, 6, 4, 5]
    cut, comp = _cut_vertices(ptr, nbr)
    assert cut.tolist() == [False, True, True, False, False, False, False]
    assert comp.tolist() == [0, 0, 0, 0, 1, 1, 1]


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 8), st.integers(2, 5), st.integers(0, 10_000))
def test_can_leave_matches_connected_components_through_moves(side, k, seed):
    rng = np.random.default_rng(seed)
    m = side * side
    adj = grid(side, rng.random(2 * m) < 0.15)
    label = rng.integers(0, k, m)
    conn = _Connectivity(adj, label)
    for _ in range(40):
        i = int(rng.integers(m))
        assert conn.can_leave(i) == rest_connected(adj, label, i)
        saved = conn.checkpoint()
        moves = [(int(j), int(label[j])) for j in rng.integers(0, m, 3)]
        for j, _s in moves:
            conn.move(j, int(rng.integers(k)))
        if rng.random() < 0.5:  # take the moves back: the look-ups must describe the old labels again
            conn.undo(moves, saved)
        for j in rng.integers(0, m, 5):
            assert conn.can_leave(int(j)) == rest_connected(adj, label, int(j))


def line_case():
    """Six compounds in a row, school 0 standing in compound 0 and school 1 in compound 5."""
    adj = sp.csr_matrix((np.ones(10), (np.r_[0:5, 1:6], np.r_[1:6, 0:5])), shape=(6, 6))
    graph = UnitGraph(adj, np.arange(6), np.zeros(6))
    cost = np.abs(np.arange(6)[None, :] - np.array([[0], [5]])) * 100.0
    return graph, np.array([0, 5]), cost


def test_relieve_passes_overflow_along_the_row():
    graph, hosts, cost = line_case()
    label = np.array([0, 0, 0, 0, 0, 1])
    demand = np.full(6, 10.0)
    out = relieve(graph, label, hosts, cost, demand, np.array([30.0, 30.0]), np.ones(6, bool))
    assert out is not None and out.tolist() == [0, 0, 0, 1, 1, 1]
    assert not islands(graph, out, hosts, demand).any()


def test_relieve_reports_why_it_stopped():
    graph, hosts, cost = line_case()
    label = np.array([0, 0, 0, 0, 0, 1])
    demand = np.full(6, 10.0)
    # No seats anywhere for the overflow: stuck, with 20 children over school 0's seats.
    report: list[dict] = []
    assert relieve(graph, label, hosts, cost, demand, np.array([30.0, 10.0]), np.ones(6, bool), report=report) is None
    assert report == [{"reason": "stuck", "rounds": 400, "children_over": 20.0, "schools_over": 1}]
    # Two chains needed, one allowed: the rounds ran out.
    report = []
    assert relieve(graph, label, hosts, cost, demand, np.array([30.0, 30.0]), np.ones(6, bool), rounds=1,
                   report=report) is None
    assert report == [{"reason": "rounds", "rounds": 1, "children_over": 10.0, "schools_over": 1}]
    # Without a report list it warns (it never gives up silently).
    with pytest.warns(ReliefStopped, match=r"\(its 1 rounds ran out\) with 10 children over the seats of 1 schools"):
        relieve(graph, label, hosts, cost, demand, np.array([30.0, 30.0]), np.ones(6, bool), rounds=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a relief that succeeds says nothing
        assert relieve(graph, label, hosts, cost, demand, np.array([30.0, 30.0]), np.ones(6, bool)) is not None


@settings(max_examples=40, deadline=None)
@given(st.integers(4, 8), st.integers(2, 4), st.integers(0, 10_000))
def test_improve_keeps_catchments_whole_and_lowers_cost(side, k, seed):
    from geo.zoning.contiguity import grow

    rng = np.random.default_rng(seed)
    m = side * side
    adj = grid(side)
    graph = UnitGraph(adj, np.arange(m), np.zeros(m))
    r, c = np.divmod(np.arange(m), side)
    hosts = rng.choice(m, k, replace=False)
    demand = rng.integers(1, 40, m).astype(float)
    cost = (np.abs(r[None, :] - r[hosts][:, None]) + np.abs(c[None, :] - c[hosts][:, None])) * 100.0 * demand
    seats = np.full(k, demand.sum() / k * 1.3)
    # A contiguous start: grown from the schools on a scrambled cost, so there is something to improve.
    start = grow(graph, hosts, cost * rng.uniform(0.2, 3.0, cost.shape), demand, seats, report=[])
    if start is None:
        return
    out = improve(graph, start, hosts, cost, demand, seats, np.ones(m, bool))
    at = np.arange(m)
    assert cost[out, at].sum() <= cost[start, at].sum() + 1e-9
    assert (np.bincount(out, weights=demand, minlength=k) <= seats + 1e-9).all()
    assert not islands(graph, out, hosts, demand).any()
