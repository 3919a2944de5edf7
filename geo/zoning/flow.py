"""The LP relaxation of capacity-optimal zoning, solved as a transportation problem by min-cost flow.

Relaxed (compounds divisible), the assignment of :mod:`geo.zoning.allocation` is a transportation problem:
each compound ships its children to schools over its candidate pairs, each school takes at most its seats,
and a child costs its walk (plus the stability penalty where the school is not its current one). Counted in
whole children, it is a min-cost flow: compound -> school arcs (a child's cost in centimetres), school ->
sink arcs (its seats), supplies the children. OR-Tools' ``SimpleMinCostFlow`` (cost scaling, integral)
solves it in well under a second for 20,000 compounds, where a general LP solver takes tens of seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from ortools.graph.python import min_cost_flow

if TYPE_CHECKING:  # allocation imports this module
    from geo.zoning.allocation import Candidates

COST_SCALE = 100.0  # a child's cost in centimetres: integral costs for the flow solver


@dataclass(frozen=True, eq=False)
class Transport:
    """A solved relaxation.

    Attributes
    ----------
    flow
        Children sent over each candidate pair (integral).
    share
        The share of its compound's children each pair takes (0..1; a compound without children has 1 on its
        cheapest allowed pair).
    objective
        The relaxation's cost at this solution, ``sum(flow * unit_cost)`` (child-metres).
    bound
        A lower bound on the relaxation's optimum in the same unit: the integral optimum less the rounding of
        the costs to centimetres (half a centimetre per child).
    feasible
        False when the seats cannot take every child (then ``flow`` and ``share`` are zeros).
    """

    flow: np.ndarray
    share: np.ndarray
    objective: float
    bound: float
    feasible: bool


def transport(c: Candidates, demand: np.ndarray, capacity: np.ndarray, unit_cost: np.ndarray,
              locked: np.ndarray | None = None, fill: np.ndarray | None = None,
              short_cost: float = 0.0) -> Transport:
    """The cheapest divisible assignment of every child to a seat over the candidate pairs (min-cost flow).

    Parameters
    ----------
    c
        The candidate pairs (:func:`geo.zoning.allocation.candidates`).
    demand
        Children per compound (rounded to whole children).
    capacity
        Seats per school (rounded down to whole seats).
    unit_cost
        The cost of one child over each pair (metres: the walk, plus any stability penalty); finite.
    locked
        Each compound's locked school (index, -1: none): a locked compound uses only that pair.
    fill
        Each school's minimum in children (soft), or None: each child short of it costs ``short_cost``.
    short_cost
        Cost per child short of a school's ``fill``.

    Returns
    -------
    transport
        With ``objective`` and ``bound`` in child-metres (``short_cost`` per child short of ``fill``
        included). ``feasible`` is False when the seats (after locks) cannot take every child.

    Examples
    --------
    >>> import numpy as np
    >>> from geo.zoning.allocation import candidates
    >>> dist = np.array([[100.0, 900.0], [500.0, 200.0]])  # 2 schools x 2 compounds
    >>> c = candidates(dist)
    >>> t = transport(c, np.array([30, 30]), np.array([40, 40]), c.dist)
    >>> t.flow.tolist(), t.objective
    ([30, 0, 0, 30], 9000.0)
    """
    m, k = c.n_units, c.n_schools
    d = np.round(np.asarray(demand, float)).astype(np.int64)
    seats = np.floor(np.asarray(capacity, float) + 1e-9).astype(np.int64)
    unit_cost = np.asarray(unit_cost, float)
    allowed = np.ones(c.unit.size, bool)
    if locked is not None:
        lk = np.asarray(locked)[c.unit]
        allowed = (lk < 0) | (lk == c.school)
    ship = allowed & (d[c.unit] > 0)
    arcs = np.flatnonzero(ship)
    sink = m + k
    f = min_cost_flow.SimpleMinCostFlow()
    tails = np.r_[c.unit[arcs], m + np.arange(k)].astype(np.int32)
    heads = np.r_[m + c.school[arcs], np.full(k, sink)].astype(np.int32)
    caps = np.r_[d[c.unit[arcs]], seats]
    costs = np.r_[np.round(unit_cost[arcs] * COST_SCALE), np.zeros(k)].astype(np.int64)
    want = None
    if fill is not None:
        # A school's first ``fill`` seats earn ``short_cost`` per child (a negative cost): the same optimum as
        # paying it per child short, less a constant added back below.
        want = np.minimum(np.floor(np.asarray(fill, float) + 1e-9).astype(np.int64), seats)
        ok = want > 0
        caps[arcs.size:] = seats - want
        tails = np.r_[tails, m + np.flatnonzero(ok)].astype(np.int32)
        heads = np.r_[heads, np.full(int(ok.sum()), sink)].astype(np.int32)
        caps = np.r_[caps, want[ok]]
        costs = np.r_[costs, np.full(int(ok.sum()), -round(short_cost * COST_SCALE))].astype(np.int64)
    f.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    total = int(d.sum())
    f.set_nodes_supplies(np.r_[np.arange(m), sink].astype(np.int32), np.r_[d, -total].astype(np.int64))
    status = f.solve()
    flow = np.zeros(c.unit.size, np.int64)
    share = np.zeros(c.unit.size)
    if status != f.OPTIMAL:
        return Transport(flow, share, float("nan"), float("nan"), False)
    flow[arcs] = f.flows(np.arange(arcs.size, dtype=np.int32))
    share[arcs] = flow[arcs] / d[c.unit[arcs]]
    # Compounds without children take their cheapest allowed pair.
    idle = allowed & (d[c.unit] == 0)
    if idle.any():
        p = np.flatnonzero(idle)
        order = p[np.lexsort((unit_cost[p], c.unit[p]))]
        first = np.ones(order.size, bool)
        first[1:] = c.unit[order][1:] != c.unit[order][:-1]
        share[order[first]] = 1.0
    objective = float((flow * unit_cost).sum())
    # Each child's cost was rounded by at most half a centimetre (and its fill reward by as much again).
    bound = float(f.optimal_cost()) / COST_SCALE - (0.5 if want is None else 1.0) / COST_SCALE * total
    if want is not None:
        short = float(short_cost) * float(want.sum())
        load = np.bincount(c.school, weights=flow, minlength=k)
        objective += float(short_cost) * float(np.maximum(want - load, 0).sum())
        bound += short
    return Transport(flow, share, objective, min(bound, objective), True)
