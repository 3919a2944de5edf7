"""The suggested school-district alliances (:func:`suggest_alliances`): a regionalisation solved exactly as a
MIP by HiGHS, and :func:`brute_force`, which tries every partition of a handful of schools to check it.

Every alliance has a *hub* school; ``x[i, h] = 1`` puts school ``i`` in the alliance of hub ``h`` (``x[h, h] = 1``
opens hub ``h``). Minimise ``sum w_i d(i, h) x[i, h]`` (member-to-hub walks, weighted by ``w``, default 1:
compact alliances whose schools lie near one another), subject to: every school in one alliance; members only
of open hubs; ``min_size <= size <= max_size``; the mixture; no two members farther apart than
``max_distance_m``; optionally exactly ``n_alliances`` alliances; and contiguity by a single-commodity flow per
hub (Shirabe 2005): the hub sends one unit to every member along neighbour links whose both ends are members,
so a member with no path of members to its hub cannot receive its unit. The optimum is therefore the least
``sum over alliances of min over hubs`` among all contiguous, mixing partitions (checked against brute force
in the tests).

What a valid alliance is (:class:`~geo.equity.alliances.AllianceRules`) and which schools neighbour are defined in
:mod:`geo.equity.alliances`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from geo.equity.alliances import AllianceRules, alliance_issues, symmetric_adjacency
from geo.errors import InputError


@dataclass(frozen=True, eq=False)
class Suggestion:
    """A solved suggestion.

    Attributes
    ----------
    labels
        Alliance index per school (0..).
    hubs
        The hub school of each alliance.
    objective
        The MIP's objective (weighted metres).
    status
        "optimal" or "time_limit".
    gap
        The relative optimality gap.
    seconds
        Time taken.
    """

    labels: np.ndarray
    hubs: np.ndarray
    objective: float
    status: str
    gap: float
    seconds: float


def suggest_alliances(adjacency: sp.spmatrix, strong: npt.ArrayLike, dist: npt.ArrayLike,
                      rules: AllianceRules = AllianceRules(), *, weights: npt.ArrayLike | None = None,
                      time_limit: float = 30.0, mip_gap: float = 1e-6) -> Suggestion:
    """The best contiguous, mixing alliances of the schools (module docstring), by HiGHS's MIP solver.

    Parameters
    ----------
    adjacency
        Schools x schools neighbour links.
    strong
        A mask per school.
    dist
        Schools x schools walks in metres: the objective and the distance limit.
    rules
        What a valid alliance is.
    weights
        Per school, on its walk to its hub (default 1).
    time_limit
        Seconds.
    mip_gap
        Relative optimality gap at which HiGHS stops.

    Returns
    -------
    suggestion

    Raises
    ------
    InputError
        ``alliance.infeasible`` when no partition meets the rules (or none is found in time).
    """
    t0 = time.perf_counter()
    strong = np.asarray(strong, bool)
    k = strong.size
    d = np.asarray(dist, float)
    d = np.maximum(d, d.T)
    w = np.ones(k) if weights is None else np.asarray(weights, float)
    adj = sp.triu(symmetric_adjacency(adjacency), k=1).tocoo()
    arcs = np.concatenate([np.column_stack([adj.row, adj.col]), np.column_stack([adj.col, adj.row])])
    n_arcs = len(arcs)
    nx = k * k                       # x[i, h] at i * k + h
    nf = n_arcs * k                  # f[a, h] at nx + a * k + h
    big = max(rules.max_size - 1, 1)
    far = ~(np.isfinite(d) & (d <= rules.max_distance_m))
    np.fill_diagonal(far, False)

    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0

    def add(c, v, lower, upper):
        nonlocal r
        rows.append(np.full(len(c), r))
        cols.append(np.asarray(c))
        vals.append(np.asarray(v, float))
        lo.append(lower)
        hi.append(upper)
        r += 1

    inf = highspy.kHighsInf
    X = np.arange(nx).reshape(k, k)
    for s in range(k):                               # every school in one alliance
        add(X[s], np.ones(k), 1, 1)
    for h in range(k):
        others = np.delete(np.arange(k), h)
        for i in others:                             # members only of open hubs
            add([X[i, h], X[h, h]], [1, -1], -inf, 0)
        add(np.append(X[:, h], X[h, h]), np.append(np.ones(k), -rules.min_size), 0, inf)  # the hub counts itself
        add(np.append(X[:, h], X[h, h]), np.append(np.ones(k), -rules.max_size), -inf, 0)
        s_idx, wk_idx = X[strong, h], X[~strong, h]
        add(np.append(s_idx, X[h, h]), np.append(np.ones(s_idx.size), -rules.min_strong), 0, inf)
        add(np.append(wk_idx, X[h, h]), np.append(np.ones(wk_idx.size), -rules.min_weak), 0, inf)
        if rules.min_strong_share > 0:
            add(X[:, h], np.where(strong, 1 - rules.min_strong_share, -rules.min_strong_share), 0, inf)
        for i, j in zip(*np.nonzero(np.triu(far, 1))):  # no two members too far apart
            add([X[i, h], X[j, h]], [1, 1], -inf, 1)
        # contiguity: members other than the hub receive one unit of hub h's flow, over member-member links
        for i in others:
            into = np.flatnonzero(arcs[:, 1] == i)
            out = np.flatnonzero(arcs[:, 0] == i)
            add(np.concatenate([nx + into * k + h, nx + out * k + h, [X[i, h]]]),
                np.concatenate([np.ones(into.size), -np.ones(out.size), [-1]]), 0, 0)
        for a, (i, j) in enumerate(arcs):
            add([nx + a * k + h, X[i, h]], [1, -big], -inf, 0)
            add([nx + a * k + h, X[j, h]], [1, -big], -inf, 0)
    if rules.n_alliances is not None:
        add(np.diag(X), np.ones(k), rules.n_alliances, rules.n_alliances)

    n_col = nx + nf
    cost = np.zeros(n_col)
    cost[:nx] = (w[:, None] * np.where(np.isfinite(d), d, 0.0)).ravel()
    upper = np.concatenate([np.ones(nx), np.full(nf, float(big))])
    upper[:nx][far.ravel()] = 0.0                    # no member beyond the limit from its hub
    A = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, n_col))
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = r
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n_col)
    lp.col_upper_ = upper
    lp.row_lower_ = np.array(lo, float)
    lp.row_upper_ = np.array(hi, float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * nx + [highspy.HighsVarType.kContinuous] * nf
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("time_limit", float(time_limit))
    solver.setOptionValue("mip_rel_gap", float(mip_gap))
    solver.passModel(lp)
    solver.run()
    status = solver.getModelStatus()
    info = solver.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible or info.primal_solution_status != 2:
        raise InputError("alliance.infeasible", schools=k, strong=int(strong.sum()), min_size=rules.min_size,
                         max_size=rules.max_size)
    x = np.asarray(solver.getSolution().col_value)[:nx].reshape(k, k)
    hub_of = np.argmax(x, axis=1)
    hubs, labels = np.unique(hub_of, return_inverse=True)
    objective = float((w * np.where(np.isfinite(d), d, 0.0)[np.arange(k), hub_of]).sum())
    bound = float(info.mip_dual_bound)
    gap = max(0.0, (objective - bound) / objective) if objective > 0 else 0.0
    done = "optimal" if status == highspy.HighsModelStatus.kOptimal else "time_limit"
    return Suggestion(labels.astype(np.int64), hubs.astype(np.int64), objective, done, gap,
                      time.perf_counter() - t0)


def partition_cost(labels: npt.ArrayLike, dist: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> float:
    """The suggestion's objective for any alliances: per alliance, the least weighted walk of its members to
    one of them (its best hub), summed.

    Parameters
    ----------
    labels
        Alliance index per school.
    dist
        Schools x schools walks in metres.
    weights
        Per school (default 1).

    Returns
    -------
    cost
    """
    labels = np.asarray(labels)
    d = np.asarray(dist, float)
    d = np.maximum(d, d.T)
    w = np.ones(labels.size) if weights is None else np.asarray(weights, float)
    total = 0.0
    for g in np.unique(labels):
        m = np.flatnonzero(labels == g)
        total += float((w[m][:, None] * d[np.ix_(m, m)]).sum(axis=0).min())
    return total


def brute_force(adjacency: sp.spmatrix, strong: Sequence[bool] | np.ndarray, dist: npt.ArrayLike,
                rules: AllianceRules = AllianceRules(), weights: npt.ArrayLike | None = None
                ) -> tuple[float, np.ndarray | None]:
    """The best alliances by trying every partition (for checking the MIP on a handful of schools).

    Parameters
    ----------
    adjacency, strong, dist, rules, weights
        As :func:`suggest_alliances` takes them.

    Returns
    -------
    cost, labels
        The least :func:`partition_cost` and its alliances; ``(inf, None)`` when no partition is valid.
    """
    k = len(strong)
    best: tuple[float, np.ndarray | None] = (np.inf, None)
    for labels in _partitions(k):
        lab = np.asarray(labels)
        n = lab.max() + 1
        if rules.n_alliances is not None and n != rules.n_alliances:
            continue
        if alliance_issues(lab, adjacency, strong, dist, rules, check_size=True):
            continue
        cost = partition_cost(lab, dist, weights)
        if cost < best[0] - 1e-9:
            best = (cost, lab)
    return best


def _partitions(k: int) -> Iterator[list[int]]:
    """Every set partition of k items as restricted growth strings."""
    def grow(prefix: list[int], top: int) -> Iterator[list[int]]:
        if len(prefix) == k:
            yield list(prefix)
            return
        for g in range(top + 2):
            yield from grow(prefix + [g], max(top, g))
    if k == 0:
        yield []
        return
    yield from grow([0], 0)
