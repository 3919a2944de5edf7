"""The exact contiguous model for small districts: the assignment MIP with connectivity cuts added lazily.

Every school's catchment holds the compound its school stands in (its *host*) and is connected on the compound
neighbour graph (:mod:`geo.zoning.contiguity`). Connectivity is enforced by cuts added as they are needed, as
Validi, Buchanan & Lykhovyd (2022) do for districts: solve the MIP, find a piece ``C`` of a catchment ``j`` that
does not hold its host, add for each compound ``i`` of ``C``

    x_ij <= sum_{v in N(C)} x_vj

(``N(C)``: the compounds next to ``C`` but outside it — a path from ``i`` to the host leaves ``C`` through one
of them, which must then be in ``j`` too), and re-solve from the best plan so far, until no catchment is in
pieces or time runs out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geo.zoning.allocation import (
    Candidates,
    InfeasibleError,
    _labels_from,
    _model,
    pair_cost,
    shortfall,
    stop_callback,
    uses_candidates,
)

MAX_UNITS = 500  # above this the cut loop is not tried (the scenario keeps the repaired plans)


@dataclass(frozen=True, eq=False)
class ContiguousSolution:
    """The exact contiguous model's answer.

    Attributes
    ----------
    label : ndarray of int or None
        Each compound's school; None when no contiguous plan was found in time (then only ``bound`` says
        something, and ``objective`` is inf).
    objective, bound : float
        The plan's cost and a lower bound on the contiguous optimum (the best MIP dual bound).
    proven : bool
        True when the last MIP was solved to optimality and no catchment is in pieces: the plan is the
        contiguous optimum (within the MIP gap).
    rounds, cuts : int
        MIP solves and cuts added.
    seconds : float
        Time taken.
    hosts : ndarray of int
        The host compound each school was held to (-1: none, that school was not held to contiguity): ``bound``
        bounds only the plans in which each held school keeps its host and is in one piece
        (:func:`holds_contiguity`).
    """

    label: np.ndarray | None
    objective: float
    bound: float
    proven: bool
    rounds: int
    cuts: int
    seconds: float
    hosts: np.ndarray


def pieces(adj: sp.csr_matrix, label: np.ndarray, hosts: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """The pieces of catchments that do not hold their school's host compound, as ``(school, compounds)``.

    Parameters
    ----------
    adj : csr_matrix
        The compound neighbour graph.
    label : ndarray of int
        Each compound's school.
    hosts : ndarray of int
        Each school's host compound (-1: none; such a school's pieces are not reported).

    Returns
    -------
    list of (int, ndarray)
    """
    coo = adj.tocoo()
    same = label[coo.row] == label[coo.col]
    m = label.size
    g = sp.csr_matrix((np.ones(int(same.sum())), (coo.row[same], coo.col[same])), shape=(m, m))
    _, comp = connected_components(g, directed=False)
    out = []
    for j, h in enumerate(hosts):
        if h < 0 or label[h] != j:
            continue
        members = np.flatnonzero(label == j)
        for cc in np.unique(comp[members]):
            if cc != comp[h]:
                out.append((j, members[comp[members] == cc]))
    return out


def holds_contiguity(adj: sp.csr_matrix, label: np.ndarray, hosts: np.ndarray) -> bool:
    """Whether a plan is one the contiguous model allows: each school with a host (``hosts >= 0``) keeps its host
    compound and its catchment is in one piece.

    Parameters
    ----------
    adj : csr_matrix
        The compound neighbour graph.
    label : ndarray of int
        Each compound's school.
    hosts : ndarray of int
        Each school's host compound (-1: none), as :attr:`ContiguousSolution.hosts`.

    Returns
    -------
    bool
    """
    label = np.asarray(label)
    hosts = np.asarray(hosts)
    held = np.flatnonzero(hosts >= 0)
    if (label[hosts[held]] != held).any():
        return False
    return not pieces(adj, label, hosts)


def solve_contiguous_exact(c: Candidates, demand: np.ndarray, capacity: np.ndarray, adj: sp.csr_matrix,
                           hosts: np.ndarray, *, current: np.ndarray | None = None, locked: np.ndarray | None = None,
                           stability: float = 0.0, fill: np.ndarray | None = None, short_cost: float = 0.0,
                           start: np.ndarray | None = None, time_limit: float = 30.0, mip_gap: float = 1e-3,
                           should_stop: Callable[[], bool] | None = None) -> ContiguousSolution | None:
    """The best plan whose catchments each hold their host compound and are connected (module docstring).

    Parameters
    ----------
    c : Candidates
        The candidate pairs.
    demand, capacity : ndarray
        Children per compound, seats per school.
    adj : csr_matrix
        The compound neighbour graph.
    hosts : ndarray of int
        Each school's host compound (-1: none; that school is not held to contiguity).
    current, locked, stability, fill, short_cost
        As for :func:`geo.zoning.allocation.solve_exact`.
    start : ndarray of int, optional
        A contiguous plan to start from (e.g. the fast one).
    time_limit : float
        Seconds for the whole loop.
    mip_gap : float
        Relative gap at which each MIP stops.
    should_stop : callable, optional
        True stops the loop (the best contiguous plan so far is returned).

    Returns
    -------
    ContiguousSolution or None
        None when no plan was found and no bound proven in time; with ``label`` None when a bound was proven but
        no plan found.
    """
    t0 = time.perf_counter()
    demand = np.asarray(demand, float)
    k = c.n_schools
    cost = pair_cost(c, demand, current, stability)
    h = _model(c, demand, capacity, cost, locked, integer=True, fill=fill, short_cost=short_cost)
    p = c.unit.size
    n_col = h.getNumCol()
    key = c.unit.astype(np.int64) * k + c.school
    hosts = np.asarray(hosts, np.int64).copy()
    shared = np.bincount(hosts[hosts >= 0], minlength=c.n_units) > 1
    for j, u in enumerate(hosts):  # a school's own compound is in its catchment (unless shared or locked away)
        if u < 0 or shared[u] or (locked is not None and locked[u] >= 0 and locked[u] != j):
            hosts[j] = -1
            continue
        at = int(np.searchsorted(key, u * k + j))
        if at >= p or key[at] != u * k + j:
            hosts[j] = -1
            continue
        h.changeColBounds(at, 1.0, 1.0)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if should_stop is not None:
        h.cbMipInterrupt.subscribe(stop_callback(should_stop))

    def col_values(label: np.ndarray) -> np.ndarray:
        x = (c.school == label[c.unit]).astype(float)
        if n_col > p:
            load = np.bincount(c.school, weights=x * demand[c.unit], minlength=k)
            x = np.r_[x, np.maximum(np.asarray(fill, float) - load, 0)]
        return x

    def objective(label: np.ndarray) -> float:
        obj = float(cost[c.school == label[c.unit]].sum())
        return obj + (short_cost * shortfall(label, demand, fill) if n_col > p else 0.0)

    best: np.ndarray | None = None
    if start is not None and uses_candidates(c, start) and holds_contiguity(adj, np.asarray(start), hosts):
        # a plan the model allows
        best = np.asarray(start).copy()
    rounds = cuts = 0
    bound = -np.inf
    proven = False
    while True:
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0.05:
            break
        if best is not None:
            sol = highspy.HighsSolution()
            sol.col_value = col_values(best)
            sol.value_valid = True
            h.setSolution(sol)
        h.setOptionValue("time_limit", float(left))
        h.run()
        rounds += 1
        status = h.getModelStatus()
        info = h.getInfo()
        if status == highspy.HighsModelStatus.kInfeasible:
            if best is None:
                raise InfeasibleError([("opt.infeasible", {})])
            break
        if info.primal_solution_status != 2:
            break
        bound = max(bound, float(info.mip_dual_bound))
        label = _labels_from(c, np.asarray(h.getSolution().col_value)[:p])
        bad = pieces(adj, label, hosts)
        if not bad:
            if best is None or objective(label) <= objective(best):
                best = label
            proven = status == highspy.HighsModelStatus.kOptimal
            break
        if status != highspy.HighsModelStatus.kOptimal and status != highspy.HighsModelStatus.kTimeLimit:
            break
        for j, piece in bad:  # the separating cuts
            inside = np.zeros(c.n_units, bool)
            inside[piece] = True
            ring = np.unique(adj[piece].indices)
            ring = ring[~inside[ring]]
            ring_cols = np.searchsorted(key, ring * k + j)
            ok = (ring_cols < p) & (key[np.minimum(ring_cols, p - 1)] == ring * k + j)
            ring_cols = ring_cols[ok]
            for i in piece:
                at = int(np.searchsorted(key, i * k + j))
                if at >= p or key[at] != i * k + j:
                    continue
                idx = np.r_[at, ring_cols].astype(np.int32)
                val = np.r_[1.0, -np.ones(ring_cols.size)]
                h.addRow(-highspy.kHighsInf, 0.0, idx.size, idx, val)
                cuts += 1
        if status == highspy.HighsModelStatus.kTimeLimit:
            break
    if best is None:  # no contiguous plan in time; the bound still holds for every contiguous plan
        return None if not np.isfinite(bound) else ContiguousSolution(
            None, float("inf"), bound, False, rounds, cuts, time.perf_counter() - t0, hosts)
    obj = objective(best)
    return ContiguousSolution(best, obj, min(bound, obj), proven, rounds, cuts, time.perf_counter() - t0, hosts)
