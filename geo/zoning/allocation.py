"""Capacity-aware optimal zoning: every child a seat, the least walking, as few families moved as needed.

The model (a generalised assignment problem): compounds ``i`` are indivisible and each goes to exactly
one school ``j`` of its level; ``x_ij`` is 1 when it does. Minimise

    sum_ij  children_i * (walk_ij + stability * [j != current_i]) * x_ij

subject to ``sum_j x_ij = 1`` for every compound, ``sum_i children_i x_ij <= seats_j * (1 + tolerance)`` for
every school, ``x_ij = 0`` where ``walk_ij`` exceeds the maximum walk, and locked compounds fixed.

Only *candidate* pairs enter the model (the nearest schools of each compound, those within the maximum
walk, its current and its locked school), so large districts stay small. Two solvers share the model:
:func:`solve_exact` (a MIP solved by HiGHS, with a time limit and the optimality gap reported) and
:func:`solve_heuristic` (the LP relaxation as a min-cost flow, :mod:`geo.zoning.flow`, rounded, then repaired
and improved by greedy moves; its gap is measured against the LP bound). Both take arrays; :mod:`geo.zoning.scenario` adapts the tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from geo.errors import XuequError

K_NEAREST = 8
MAX_MOVES = 500
ROUNDING_ATTEMPTS = 4  # relaxations solved by the fast solver, each with the seats its rounding overfilled cut
_TINY = 1e-3  # compounds with no children still prefer nearer schools


@dataclass(frozen=True, eq=False)
class Candidates:
    """The (compound, school) pairs allowed in the model, with the walk of each pair in metres.

    Attributes
    ----------
    unit, school
        Compound and school index of each pair (sorted by compound, then school).
    dist
        The walk of each pair in metres.
    n_units, n_schools
        How many compounds and schools the indices refer to.
    """

    unit: np.ndarray
    school: np.ndarray
    dist: np.ndarray
    n_units: int
    n_schools: int


@dataclass(frozen=True, eq=False)
class Allocation:
    """A solved zoning: the school of each compound and how good the answer is known to be.

    Attributes
    ----------
    label
        Each compound's school (index).
    objective
        The plan's cost (child-weighted metres, plus the stability penalty).
    bound
        A lower bound on the objective (the MIP's dual bound, or the LP relaxation for the heuristic).
    status
        "optimal", "time_limit" (best found, gap open), "interrupted" (stopped by the planner) or "heuristic".
    seconds
        Time taken.
    """

    label: np.ndarray
    objective: float
    bound: float
    status: str
    seconds: float

    @property
    def gap(self) -> float:
        """``(objective - bound) / objective``: how far from optimal the plan can be, at most."""
        return max(0.0, (self.objective - self.bound) / self.objective) if self.objective > 0 else 0.0


class InfeasibleError(XuequError):
    """No plan meets the constraints.

    Parameters
    ----------
    reasons
        Why, as ``(translation key, params)`` pairs (the first is the error's key); may be empty.
    """

    def __init__(self, reasons: list[tuple[str, dict]]) -> None:
        self.reasons = reasons
        key, params = reasons[0] if reasons else ("opt.infeasible", {})
        super().__init__(key, **params)

    def message(self, lang: str = "zh") -> str:
        """Every reason in ``lang``, one per line.

        Parameters
        ----------
        lang
            "zh" or "en".

        Returns
        -------
        text
        """
        from geo.render.i18n import t  # lazy, as in XuequError.message

        return "\n".join(t(k, lang, **p) for k, p in self.reasons)


class Cancelled(XuequError):
    """The planner stopped a solve before any plan was found (parameters as :class:`XuequError`'s)."""


def stop_callback(should_stop: Callable[[], bool]) -> Callable[[Any], None]:
    """A HiGHS interrupt callback that asks ``should_stop`` whether to stop; when ``should_stop`` has a ``gap``
    attribute, the solver's current relative gap is written there first (so a page can show it as it runs).

    Parameters
    ----------
    should_stop
        Returns True to stop the solve (the best plan so far is kept).

    Returns
    -------
    callback
        For ``Highs.cbMipInterrupt`` / ``cbSimplexInterrupt``.
    """
    def ask(event: Any) -> None:
        gap = float(getattr(event.data_out, "mip_gap", float("nan")))
        if hasattr(should_stop, "gap") and np.isfinite(gap):
            setattr(should_stop, "gap", gap)  # noqa: B010  (an attribute of the caller's function)
        if should_stop():
            event.interrupt()

    return ask


def candidates(dist: np.ndarray, *, k_nearest: int = K_NEAREST, max_walk: float = np.inf,
               include: tuple[np.ndarray, ...] = ()) -> Candidates:
    """Candidate pairs from a ``schools x compounds`` walking-distance matrix.

    Parameters
    ----------
    dist
        Walks in metres (``inf`` where out of reach).
    k_nearest
        Each compound gets its ``k_nearest`` schools in reach.
    max_walk
        Where finite, each compound gets all schools within it instead, and no school beyond it (except
        those in ``include``).
    include
        Arrays of a school index per compound (-1 for none; e.g. the current and the locked school) added
        whatever their distance, where in reach.

    Returns
    -------
    candidates
    """
    k, m = dist.shape
    d = np.where(np.isfinite(dist), dist, np.inf)
    keep = np.zeros((k, m), bool)
    kk = min(k_nearest, k)
    if kk:
        nearest = np.argpartition(d, kk - 1, axis=0)[:kk] if kk < k else np.broadcast_to(np.arange(k)[:, None], (k, m))
        keep[nearest, np.arange(m)] = True
    keep &= d <= max_walk
    if np.isfinite(max_walk):
        keep |= d <= max_walk
    for extra in include:
        extra = np.asarray(extra)
        ok = extra >= 0
        keep[extra[ok], np.flatnonzero(ok)] = True
    keep &= np.isfinite(d)
    school, unit = np.nonzero(keep)
    order = np.lexsort((school, unit))
    school, unit = school[order], unit[order]
    return Candidates(unit, school, d[school, unit], m, k)


def uses_candidates(c: Candidates, label: np.ndarray) -> bool:
    """Whether every compound's school in ``label`` is one of its candidate pairs (a plan of the model, which
    the model's bounds bound).

    Parameters
    ----------
    c
        The candidate pairs.
    label
        Each compound's school (index).

    Returns
    -------
    bool
    """
    label = np.asarray(label, np.int64)
    if label.size != c.n_units or (label < 0).any():
        return False
    key = c.unit.astype(np.int64) * c.n_schools + c.school
    want = np.arange(c.n_units, dtype=np.int64) * c.n_schools + label
    at = np.minimum(np.searchsorted(key, want), max(key.size - 1, 0))
    return bool(key.size and (key[at] == want).all())


def pair_cost(c: Candidates, demand: np.ndarray, current: np.ndarray | None, stability: float) -> np.ndarray:
    """The model's cost of each candidate pair: the compound's children times its walk, plus ``stability``
    metres per child where the school is not its current one.

    Parameters
    ----------
    c
        The candidate pairs.
    demand
        Children per compound.
    current
        Each compound's school in the starting plan (index), or None.
    stability
        Metres of walk a moved child is worth.

    Returns
    -------
    cost
        One cost per pair.
    """
    w = np.asarray(demand, float)[c.unit] + _TINY
    cost = w * c.dist
    if current is not None and stability > 0:
        cost = cost + stability * w * (np.asarray(current)[c.unit] != c.school)
    return cost


def explain(c: Candidates, demand: np.ndarray, capacity: np.ndarray, locked: np.ndarray | None,
            unit_names: np.ndarray, school_names: np.ndarray) -> list[tuple[str, dict]]:
    """Why no plan can exist, naming compounds and schools (empty when no simple reason is found).

    Checks, in order: compounds with no school in reach; locked compounds that overfill their school; a
    group of compounds whose reachable schools have fewer seats than they have children.

    Parameters
    ----------
    c
        The candidate pairs.
    demand, capacity
        Children per compound, seats per school.
    locked
        Each compound's locked school (index, -1: none), or None.
    unit_names, school_names
        Names used in the reasons.

    Returns
    -------
    reasons
        ``(translation key, params)`` pairs, as :class:`InfeasibleError` takes them.
    """
    demand = np.asarray(demand, float)
    reasons: list[tuple[str, dict]] = []
    reached = np.bincount(c.unit, minlength=c.n_units) > 0
    for i in np.flatnonzero(~reached)[:10]:
        reasons.append(("opt.no_school_in_reach", {"name": str(unit_names[i])}))
    if locked is not None:
        lk = np.asarray(locked)
        ok = lk >= 0
        load = np.bincount(lk[ok], weights=demand[ok], minlength=c.n_schools)
        for j in np.flatnonzero(load > capacity + 1e-9):
            names = [str(n) for n in unit_names[ok & (lk == j)][:5]]
            reasons.append(("opt.locked_over", {"school": str(school_names[j]), "children": int(load[j]),
                                                "seats": int(capacity[j]), "compounds": "、".join(names)}))
    # Where seats run short: a maximum flow from compounds to schools that cannot carry every child.
    # The compounds still reachable from the source in the residual graph (a minimum cut) can only
    # reach schools whose seats are fewer than their children (Hall's condition fails there).
    short = None if reasons else shortage(c, demand, capacity, locked)
    if short is not None:
        units, schools, need, have = short
        big = units[np.argsort(-demand[units])][:5]
        reasons.append(("opt.short_of_seats", {"children": int(need), "seats": int(have),
                                               "schools": "、".join(str(s) for s in school_names[schools][:8]) or "-",
                                               "compounds": "、".join(str(unit_names[i]) for i in big)}))
    return reasons


def shortage(c: Candidates, demand: np.ndarray, capacity: np.ndarray, locked: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray, int, int] | None:
    """A group of compounds whose reachable schools have fewer seats than they have children.

    Found by ``scipy.sparse.csgraph.maximum_flow`` and its minimum cut.

    Parameters
    ----------
    c
        The candidate pairs.
    demand, capacity
        Children per compound, seats per school.
    locked
        Each compound's locked school (index, -1: none): a locked compound reaches only that one.

    Returns
    -------
    shortage
        ``(compounds, schools, children, seats)``: the group's compound and school indices and their
        totals; None when every child can get a seat (compounds treated as divisible).
    """
    m, k = c.n_units, c.n_schools
    demand = np.round(np.asarray(demand, float)).astype(np.int64)
    seats = np.floor(np.asarray(capacity, float) + 1e-9).astype(np.int64)
    unit, school = c.unit, c.school
    if locked is not None:
        lk = np.asarray(locked)[unit]
        keep = (lk < 0) | (lk == school)
        unit, school = unit[keep], school[keep]
    src, sink = 0, m + k + 1
    big = int(demand.sum()) + 1
    rows = np.concatenate([np.zeros(m, np.int64), 1 + unit, 1 + m + np.arange(k)])
    cols = np.concatenate([1 + np.arange(m), 1 + m + school, np.full(k, sink)])
    cap = np.concatenate([demand, np.full(unit.size, big), seats]).astype(np.int32)
    n = m + k + 2
    graph = sp.csr_matrix((cap, (rows, cols)), shape=(n, n))
    flow = maximum_flow(graph, src, sink)
    if flow.flow_value >= demand.sum():
        return None
    residual = (graph - flow.flow).tocsr()
    residual.data = (residual.data > 0).astype(np.int8)
    residual.eliminate_zeros()
    reach = breadth_first_order(residual, src, directed=True, return_predecessors=False)
    side = np.zeros(n, bool)
    side[reach] = True
    units = np.flatnonzero(side[1:1 + m])
    schools = np.flatnonzero(side[1 + m:1 + m + k])
    return units, schools, int(demand[units].sum()), int(seats[schools].sum())


def _model(c: Candidates, demand: np.ndarray, capacity: np.ndarray, cost: np.ndarray,
           locked: np.ndarray | None, integer: bool, fill: np.ndarray | None = None,
           short_cost: float = 0.0) -> highspy.Highs:
    """The assignment model; with ``fill`` (children per school, a minimum), one more row per school,
    ``sum_i children_i x_ij + short_j >= fill_j``, whose shortfall column ``short_j`` costs ``short_cost`` per child
    (a soft minimum: the model stays feasible, and a plan that meets every minimum costs nothing more)."""
    if fill is not None and np.asarray(fill, float).max(initial=0.0) > 0:
        return _fill_model(c, demand, capacity, cost, locked, integer, np.asarray(fill, float), short_cost)
    p, m, k = c.unit.size, c.n_units, c.n_schools
    demand = np.asarray(demand, float)
    lower = np.zeros(p)
    upper = np.ones(p)
    if locked is not None:
        lk = np.asarray(locked)[c.unit]
        fixed = lk >= 0
        upper[fixed & (c.school != lk)] = 0.0
        lower[fixed & (c.school == lk)] = 1.0
    # Column p has a 1 in its compound's row and the compound's children in its school's row.
    rows = np.column_stack([c.unit, m + c.school]).ravel()
    vals = np.column_stack([np.ones(p), demand[c.unit]]).ravel()
    lp = highspy.HighsLp()
    lp.num_col_ = p
    lp.num_row_ = m + k
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.concatenate([np.ones(m), np.full(k, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(m), np.asarray(capacity, float)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * p + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = rows.astype(np.int32)
    lp.a_matrix_.value_ = vals
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * p
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    return h


def _fill_model(c: Candidates, demand: np.ndarray, capacity: np.ndarray, cost: np.ndarray,
                locked: np.ndarray | None, integer: bool, fill: np.ndarray, short_cost: float) -> highspy.Highs:
    """:func:`_model` with the minimum-fill rows and their shortfall columns (the last ``k`` columns)."""
    p, m, k = c.unit.size, c.n_units, c.n_schools
    demand = np.asarray(demand, float)
    lower, upper = np.zeros(p + k), np.r_[np.ones(p), np.full(k, highspy.kHighsInf)]
    if locked is not None:
        lk = np.asarray(locked)[c.unit]
        fixed = lk >= 0
        upper[:p][fixed & (c.school != lk)] = 0.0
        lower[:p][fixed & (c.school == lk)] = 1.0
    w = demand[c.unit]
    rows = np.column_stack([c.unit, m + c.school, m + k + c.school]).ravel()
    vals = np.column_stack([np.ones(p), w, w]).ravel()
    lp = highspy.HighsLp()
    lp.num_col_ = p + k
    lp.num_row_ = m + 2 * k
    lp.col_cost_ = np.r_[cost, np.full(k, float(short_cost))]
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.concatenate([np.ones(m), np.full(k, -highspy.kHighsInf), fill])
    lp.row_upper_ = np.concatenate([np.ones(m), np.asarray(capacity, float), np.full(k, highspy.kHighsInf)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.r_[np.arange(0, 3 * p + 1, 3), 3 * p + 1 + np.arange(k)].astype(np.int32)
    lp.a_matrix_.index_ = np.r_[rows, m + k + np.arange(k)].astype(np.int32)
    lp.a_matrix_.value_ = np.r_[vals, np.ones(k)]
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * p + [highspy.HighsVarType.kContinuous] * k
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    return h


def shortfall(label: np.ndarray, demand: np.ndarray, fill: np.ndarray | None) -> float:
    """Children missing from the schools' minimum fill (0 when ``fill`` is None or every school meets it).

    Parameters
    ----------
    label
        Each compound's school (index).
    demand
        Children per compound.
    fill
        Each school's minimum, in children.

    Returns
    -------
    children
    """
    if fill is None:
        return 0.0
    fill = np.asarray(fill, float)
    load = np.bincount(np.asarray(label), weights=np.asarray(demand, float), minlength=fill.size)
    return float(np.maximum(fill - load, 0).sum())


def _labels_from(c: Candidates, x: np.ndarray) -> np.ndarray:
    """Each compound's school with the largest share of it (rounding the relaxation)."""
    order = np.lexsort((-x, c.unit))
    first = np.ones(order.size, bool)
    first[1:] = c.unit[order][1:] != c.unit[order][:-1]
    label = np.full(c.n_units, -1, np.int64)
    label[c.unit[order][first]] = c.school[order][first]
    return label


def _objective(c: Candidates, cost: np.ndarray, label: np.ndarray) -> float:
    return float(cost[c.school == label[c.unit]].sum())


def solve_exact(c: Candidates, demand: np.ndarray, capacity: np.ndarray, *, current: np.ndarray | None = None,
                locked: np.ndarray | None = None, stability: float = 0.0, time_limit: float = 10.0,
                mip_gap: float = 1e-3, should_stop: Callable[[], bool] | None = None,
                fill: np.ndarray | None = None, short_cost: float = 0.0,
                start: np.ndarray | None = None) -> Allocation:
    """The optimal plan (or the best found within ``time_limit`` seconds), by HiGHS's MIP solver.

    Parameters
    ----------
    c
        The candidate pairs.
    demand, capacity
        Children per compound, seats per school.
    current
        Each compound's school in the starting plan (index), for ``stability``.
    locked
        Each compound's locked school (index, -1: none).
    stability
        Metres of walk a moved child is worth.
    time_limit
        Seconds.
    mip_gap
        Relative optimality gap at which HiGHS stops.
    should_stop
        A function HiGHS asks now and then during the solve; when it answers True the solve stops and the
        best plan found so far is returned (status "interrupted").
    fill
        Each school's minimum fill in children (a soft minimum: each child short costs ``short_cost``;
        see :func:`_model`), or None.
    short_cost
        Cost per child short of a school's minimum fill.
    start
        A plan to start from (a school index per compound); default: the fast plan
        (:func:`solve_heuristic`). HiGHS keeps the better of it and what it finds.

    Returns
    -------
    allocation
        Its objective includes ``short_cost`` per child short of ``fill``.

    Raises
    ------
    InfeasibleError
        When no plan exists.
    Cancelled
        When ``should_stop`` stopped the solve before any plan was found.
    """
    t0 = time.perf_counter()
    cost = pair_cost(c, demand, current, stability)
    h = _model(c, demand, capacity, cost, locked, integer=True, fill=fill, short_cost=short_cost)
    with_fill = h.getNumCol() > c.unit.size
    try:  # start from the fast plan: HiGHS then only has to prove (or improve) it
        if start is None:
            start = solve_heuristic(c, demand, capacity, current=current, locked=locked, stability=stability).label
        x0 = (c.school == np.asarray(start)[c.unit]).astype(float)
        if with_fill:
            load = np.bincount(c.school, weights=x0 * np.asarray(demand, float)[c.unit],
                               minlength=c.n_schools)
            x0 = np.r_[x0, np.maximum(np.asarray(fill, float) - load, 0)]
        sol = highspy.HighsSolution()
        sol.col_value = x0
        sol.value_valid = True
        h.setSolution(sol)
    except InfeasibleError:
        pass
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if should_stop is not None:
        ask = stop_callback(should_stop)
        h.cbMipInterrupt.subscribe(ask)
        h.cbSimplexInterrupt.subscribe(ask)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    interrupted = status == highspy.HighsModelStatus.kInterrupt
    if interrupted and info.primal_solution_status != 2:
        raise Cancelled("opt.cancelled")
    if status == highspy.HighsModelStatus.kInfeasible or info.primal_solution_status != 2:
        raise InfeasibleError([("opt.infeasible", {})])
    x = np.asarray(h.getSolution().col_value)[:c.unit.size]
    label = _labels_from(c, x)
    obj = _objective(c, cost, label) + (short_cost * shortfall(label, demand, fill) if with_fill else 0.0)
    done = "optimal" if status == highspy.HighsModelStatus.kOptimal else "interrupted" if interrupted else "time_limit"
    return Allocation(label, obj, min(float(info.mip_dual_bound), obj), done, time.perf_counter() - t0)


def _overflow_gain(d, slack_from, slack_to):
    """How much a move of ``d`` children lowers the total overflow (negative slack) of two schools."""
    return np.minimum(d, np.maximum(-slack_from, 0)) - np.maximum(d - np.maximum(slack_to, 0), 0)


def _resolve(c: Candidates, demand: np.ndarray, capacity: np.ndarray, cost: np.ndarray, label: np.ndarray,
             free: np.ndarray, locked: np.ndarray | None, time_limit: float = 5.0) -> np.ndarray:
    """Re-place the ``free`` compounds by a small MIP, the others staying where they are.

    Returns the labels unchanged when the seats left over cannot take the free compounds.
    """
    if not free.any():
        return label
    seats_left = capacity - np.bincount(label[~free], weights=demand[~free], minlength=c.n_schools)
    keep = free[c.unit]
    units = np.flatnonzero(free)
    index = np.full(c.n_units, -1)
    index[units] = np.arange(units.size)
    sub = Candidates(index[c.unit[keep]], c.school[keep], c.dist[keep], units.size, c.n_schools)
    h = _model(sub, demand[units], np.maximum(seats_left, 0), cost[keep],
               None if locked is None else np.asarray(locked)[units], integer=True)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-3)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return label
    out = label.copy()
    out[units] = _labels_from(sub, np.asarray(h.getSolution().col_value))
    return out


def solve_heuristic(c: Candidates, demand: np.ndarray, capacity: np.ndarray, *, current: np.ndarray | None = None,
                    locked: np.ndarray | None = None, stability: float = 0.0, rounds: int = 200) -> Allocation:
    """A fast plan: the LP relaxation (a min-cost flow, :func:`geo.zoning.flow.transport`); compounds it splits
    between schools placed by a small MIP (else rounded to their largest share); greedy repair of overfull
    schools (ejection chains) and greedy improving moves; a last small MIP over the neighbourhood of any school still overfull. Its gap is
    measured against the LP bound.

    Parameters
    ----------
    c
        The candidate pairs.
    demand, capacity
        Children per compound, seats per school.
    current
        Each compound's school in the starting plan (index), for ``stability``.
    locked
        Each compound's locked school (index, -1: none).
    stability
        Metres of walk a moved child is worth.
    rounds
        At most this many rounds of greedy moves.

    Returns
    -------
    allocation
        Status "heuristic".

    Raises
    ------
    InfeasibleError
        When even the relaxation has no solution, or the repair cannot empty an overfull school.
    """
    from geo.zoning.flow import transport  # a lazy import: flow names this module's types

    t0 = time.perf_counter()
    demand = np.asarray(demand, float)
    capacity = np.asarray(capacity, float)
    cost = pair_cost(c, demand, current, stability)
    # The LP relaxation is a transportation problem: a min-cost flow in whole children (geo.zoning.flow).
    # Its optimum bounds the plan's cost (each child's weight, children + _TINY, is at least its children).
    unit_cost = cost / (demand[c.unit] + _TINY)
    relaxed = transport(c, demand, capacity, unit_cost, locked)
    if not relaxed.feasible:
        raise InfeasibleError([("opt.infeasible", {})])
    bound = relaxed.bound
    seats_lp = capacity.copy()
    for attempt in range(ROUNDING_ATTEMPTS):
        x = relaxed.share
        label = _labels_from(c, x)
        # The flow splits few compounds between schools (those on the cycles of the optimum): place them by a
        # tiny MIP, else they go to their largest share.
        split = np.zeros(c.n_units, bool)
        split[c.unit[(x > 1e-6) & (x < 1 - 1e-6)]] = True
        label = _resolve(c, demand, capacity, cost, label, split, locked)
        over = np.bincount(label, weights=demand, minlength=c.n_schools) - capacity
        if (over <= 1e-9).all() or attempt == ROUNDING_ATTEMPTS - 1:
            break
        # Rounding overfilled some schools, whose neighbours the relaxation filled to the last seat (so no
        # single move can relieve them): solve it again with those schools' seats cut by twice their overflow
        # (once converged in fewer solves than once, at a smaller gap, on bench.run's large case).
        seats_lp = seats_lp - 2 * np.maximum(over, 0)
        again = transport(c, demand, seats_lp, unit_cost, locked)
        if not again.feasible:
            break
        relaxed = again
    movable = np.ones(c.n_units, bool) if locked is None else np.asarray(locked) < 0
    own_cost = np.zeros(c.n_units)
    for _ in range(rounds):
        slack = capacity - np.bincount(label, weights=demand, minlength=c.n_schools)
        mine = c.school == label[c.unit]
        own_cost[c.unit[mine]] = cost[mine]
        delta = cost - own_cost[c.unit]
        free = ~mine & movable[c.unit]
        repairing = bool((slack < -1e-9).any())
        if repairing:
            # Moves out of overfull schools that lower the total overflow, even into a school they then
            # overfill a little (which passes the overflow on towards spare seats: an ejection chain).
            gain = _overflow_gain(demand[c.unit], slack[label[c.unit]], slack[c.school])
            pick = free & (gain > 1e-9)
            rank = np.lexsort((delta, -gain))
        else:
            pick = free & (slack[c.school] >= demand[c.unit] - 1e-9) & (delta < -1e-9)
            rank = np.argsort(delta / (demand[c.unit] + _TINY), kind="stable")
        cand = rank[pick[rank]][:MAX_MOVES]
        if cand.size == 0:
            break
        moved = np.zeros(c.n_units, bool)
        for p in cand:  # at most MAX_MOVES per round; each re-checks what it needs against current slack
            u, j = c.unit[p], c.school[p]
            if moved[u]:
                continue
            if repairing:
                if _overflow_gain(demand[u], slack[label[u]], slack[j]) <= 1e-9:
                    continue
            elif slack[j] < demand[u] - 1e-9:
                continue
            slack[label[u]] += demand[u]
            slack[j] -= demand[u]
            label[u] = j
            moved[u] = True
        if not moved.any():
            break
    load = np.bincount(label, weights=demand, minlength=c.n_schools)
    if (load > capacity + 1e-9).any():
        # Still overfull: re-solve the neighbourhood (every compound of an overfull school or of a school
        # one of those compounds could go to) by a MIP, the rest of the district fixed.
        over = load > capacity + 1e-9
        near = np.zeros(c.n_schools, bool)
        near[c.school[over[label[c.unit]]]] = True
        label = _resolve(c, demand, capacity, cost, label, (over | near)[label] & movable, locked, time_limit=10.0)
        load = np.bincount(label, weights=demand, minlength=c.n_schools)
    if (load > capacity + 1e-9).any():
        raise InfeasibleError([("opt.repair_failed", {"schools": int((load > capacity + 1e-9).sum())})])
    return Allocation(label, _objective(c, cost, label), bound, "heuristic", time.perf_counter() - t0)
