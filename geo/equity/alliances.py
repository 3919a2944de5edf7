"""School-district alliances (学区): contiguous groups of schools that mix strong and weak schools.

**Which schools neighbour.** Two schools are neighbours when their catchments share a border
(:func:`adjacency_from_catchments`: a shared boundary of at least ``min_shared_m`` metres; or, on the street
network, :func:`adjacency_from_units`: some compound of one catchment neighbours some compound of the other in
:mod:`geo.zoning.contiguity`'s unit graph), or when their walking distance is within a radius
(:func:`adjacency_from_distance`). An alliance is *contiguous* when its schools are connected by neighbour
links among themselves.

**Strength.** Every school has a strength (by default county-level-or-above backbone teachers per 100 students,
see :func:`geo.equity.lottery.school_strength`); *strong* schools are those above the median, or at or above a
threshold, or the top ``k`` (:func:`geo.equity.lottery.strong_schools`). An alliance *mixes* when it holds at least
``min_strong`` strong and ``min_weak`` weak schools (and, optionally, a minimum share of strong ones).

**The suggestion** (:func:`suggest_alliances`) is a regionalisation solved exactly as a MIP by HiGHS. Every
alliance has a *hub* school; ``x[i, h] = 1`` puts school ``i`` in the alliance of hub ``h`` (``x[h, h] = 1``
opens hub ``h``). Minimise ``sum w_i d(i, h) x[i, h]`` (member-to-hub walks, weighted by ``w``, default 1:
compact alliances whose schools lie near one another), subject to: every school in one alliance; members only
of open hubs; ``min_size <= size <= max_size``; the mixture; no two members farther apart than
``max_distance_m``; optionally exactly ``n_alliances`` alliances; and contiguity by a single-commodity flow per
hub (Shirabe 2005): the hub sends one unit to every member along neighbour links whose both ends are members,
so a member with no path of members to its hub cannot receive its unit. The optimum is therefore the least
``sum over alliances of min over hubs`` among all contiguous, mixing partitions (checked against brute force
in the tests).

User-drawn alliances (a mapping school id -> alliance id) are checked by :func:`alliance_issues` /
:func:`validate_alliances` for contiguity, mixture and distance, with messages naming the schools.
:func:`alliance_zones` turns alliances into multi-school zones (the union of the member schools' catchments)
for :mod:`geo.equity.lottery`.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geo.equity.lottery import DEFAULT_MEASURE, Zones, known_strength, make_zones, strong_schools
from geo.errors import InputError
from geo.network.distances import snap, source_matrix
from geo.network.graph import Network

if TYPE_CHECKING:  # annotations only: equity reads a zoning, it does not need zoning loaded to be imported
    from geo.inputs.model import Inputs
    from geo.zoning.result import ZoningResult


@dataclass(frozen=True)
class AllianceRules:
    """What a valid alliance is.

    Attributes
    ----------
    min_size, max_size
        Schools per alliance.
    n_alliances
        How many alliances (None: as the optimum has it).
    max_distance_m
        The longest walk between two member schools (inf: none).
    min_strong, min_weak
        The fewest strong and weak schools per alliance.
    min_strong_share
        The least share of strong schools among the members.
    """

    min_size: int = 3
    max_size: int = 6
    n_alliances: int | None = None
    max_distance_m: float = np.inf
    min_strong: int = 1
    min_weak: int = 1
    min_strong_share: float = 0.0


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


# --- which schools neighbour ------------------------------------------------------------------------------------

def _symmetric(adj: sp.spmatrix) -> sp.csr_matrix:
    adj = sp.csr_matrix(adj)
    adj = ((adj + adj.T) > 0).astype(np.int8)
    adj.setdiag(0)
    adj.eliminate_zeros()
    return adj.tocsr()


def adjacency_from_catchments(polygons: npt.ArrayLike, min_shared_m: float = 1.0) -> sp.csr_matrix:
    """Schools whose catchment polygons share at least ``min_shared_m`` of border.

    Parameters
    ----------
    polygons
        One per school, in school order (projected, metres; an array or a GeoSeries).
    min_shared_m
        Metres.

    Returns
    -------
    adjacency
        Schools x schools, symmetric.
    """
    polys = np.asarray(getattr(polygons, "values", polygons), dtype=object)
    rings = shapely.boundary(polys)
    shared = shapely.length(shapely.intersection(rings[:, None], rings[None, :]))
    touching = shapely.intersects(polys[:, None], polys[None, :])
    return _symmetric(sp.csr_matrix(touching & (np.nan_to_num(shared) >= min_shared_m)))


def adjacency_from_units(label: npt.ArrayLike, unit_adjacency: sp.spmatrix, n_schools: int) -> sp.csr_matrix:
    """Schools whose catchments meet on the street network: a compound of one neighbours a compound of the
    other.

    Parameters
    ----------
    label
        Each compound's school (index, -1: none).
    unit_adjacency
        Compounds x compounds, e.g. ``Inputs.unit_graph.adjacency``.
    n_schools
        How many schools.

    Returns
    -------
    adjacency
        Schools x schools, symmetric.
    """
    label = np.asarray(label, np.int64)
    ok = label >= 0
    member = sp.csr_matrix((np.ones(int(ok.sum())), (np.flatnonzero(ok), label[ok])),
                           shape=(label.size, n_schools))
    return _symmetric(member.T @ sp.csr_matrix(unit_adjacency) @ member)


def adjacency_from_distance(dist: npt.ArrayLike, radius_m: float) -> sp.csr_matrix:
    """Schools within ``radius_m`` of each other.

    Parameters
    ----------
    dist
        Schools x schools walks in metres.
    radius_m
        Metres.

    Returns
    -------
    adjacency
        Schools x schools, symmetric.
    """
    d = np.asarray(dist, float)
    return _symmetric(sp.csr_matrix(np.isfinite(d) & (d <= radius_m)))


def school_distances(network: Network, schools_xy: np.ndarray) -> np.ndarray:
    """Walking distance between every two schools, the longer of the two directions.

    Parameters
    ----------
    network
        The street network.
    schools_xy
        School positions in the network's projected CRS, ``k x 2``.

    Returns
    -------
    dist
        Schools x schools in metres, symmetric, 0 on the diagonal.
    """
    node, off = snap(network, schools_xy)
    d = source_matrix(network, node, off, targets=node) + off[None, :]
    d = np.maximum(d, d.T)
    np.fill_diagonal(d, 0.0)
    return d


# --- checking alliances ---------------------------------------------------------------------------------------------

def _names(n: int, names: Iterable[object] | None) -> list[str]:
    return [str(x) for x in names] if names is not None else [f"#{i + 1}" for i in range(n)]


def alliance_issues(labels: npt.ArrayLike, adjacency: sp.spmatrix, strong: npt.ArrayLike,
                    dist: npt.ArrayLike | None = None, rules: AllianceRules = AllianceRules(), *,
                    school_names: Iterable[object] | None = None, alliance_names: Sequence[object] | None = None,
                    check_size: bool = False) -> list[tuple[str, dict]]:
    """Everything wrong with alliances ``labels`` (an alliance index per school), as (translation key, params):

    ``alliance.not_contiguous`` (the alliance's separate groups of schools), ``alliance.no_strong`` /
    ``alliance.no_weak`` (fewer than the rules' minimum), ``alliance.strong_share``, ``alliance.too_far`` (the
    farthest pair beyond ``max_distance_m``) and, with ``check_size``, ``alliance.size``.

    Parameters
    ----------
    labels
        Alliance index per school.
    adjacency
        Schools x schools neighbour links.
    strong
        A mask per school.
    dist
        Schools x schools walks in metres (for ``max_distance_m``).
    rules
        What a valid alliance is.
    school_names
        Per school, for the messages (default ``#1``, ``#2``, ...).
    alliance_names
        Per alliance index (default 1, 2, ...).
    check_size
        Check the alliances' sizes too.

    Returns
    -------
    issues
        Empty when every alliance is valid.
    """
    labels = np.asarray(labels, np.int64)
    strong = np.asarray(strong, bool)
    k = labels.size
    names = _names(k, school_names)
    groups = sorted(set(labels.tolist()))
    a_names = ({g: str(alliance_names[g]) for g in groups} if alliance_names is not None
               else {g: str(g + 1) for g in groups})
    adj = sp.csr_matrix(adjacency)
    d = None if dist is None else np.asarray(dist, float)
    issues: list[tuple[str, dict]] = []
    for g in groups:
        members = np.flatnonzero(labels == g)
        who = "、".join(names[i] for i in members)
        n_comp, comp = connected_components(adj[members][:, members], directed=False)
        if n_comp > 1:
            parts = " | ".join("、".join(names[i] for i in members[comp == c]) for c in range(n_comp))
            issues.append(("alliance.not_contiguous", {"alliance": a_names[g], "parts": parts}))
        n_strong = int(strong[members].sum())
        if n_strong < rules.min_strong:
            issues.append(("alliance.no_strong", {"alliance": a_names[g], "schools": who, "need": rules.min_strong}))
        if members.size - n_strong < rules.min_weak:
            issues.append(("alliance.no_weak", {"alliance": a_names[g], "schools": who, "need": rules.min_weak}))
        if n_strong < rules.min_strong_share * members.size - 1e-9:
            issues.append(("alliance.strong_share", {"alliance": a_names[g], "share": n_strong / members.size,
                                                     "need": rules.min_strong_share}))
        if d is not None and members.size > 1:
            sub = d[np.ix_(members, members)]
            i, j = np.unravel_index(int(np.argmax(sub)), sub.shape)
            if sub[i, j] > rules.max_distance_m:
                issues.append(("alliance.too_far", {"alliance": a_names[g], "a": names[members[i]],
                                                    "b": names[members[j]], "dist": float(sub[i, j]),
                                                    "limit": float(rules.max_distance_m)}))
        if check_size and not rules.min_size <= members.size <= rules.max_size:
            issues.append(("alliance.size", {"alliance": a_names[g], "size": int(members.size),
                                             "min": rules.min_size, "max": rules.max_size}))
    return issues


def alliance_labels(mapping: Mapping[Any, Any], school_ids: Iterable[object]) -> tuple[np.ndarray, tuple[str, ...]]:
    """A user's mapping school id -> alliance id as an alliance index per school and the alliance names.

    Parameters
    ----------
    mapping
        School id -> alliance id (ids compared as text).
    school_ids
        The schools, in order.

    Returns
    -------
    labels, names
        Alliance index per school, and the alliance ids in order of first appearance.

    Raises
    ------
    InputError
        ``alliance.unknown_school`` (an id not among the schools) or ``alliance.unassigned_school``.
    """
    ids = [str(s) for s in school_ids]
    known = set(ids)
    given = {str(s).strip(): a for s, a in dict(mapping).items()}
    unknown = [s for s in given if s not in known]
    if unknown:
        raise InputError("alliance.unknown_school", school=unknown[0])
    missing = [s for s in ids if s not in given or pd.isna(given[s]) or str(given[s]).strip() == ""]
    if missing:
        raise InputError("alliance.unassigned_school", school=missing[0], count=len(missing))
    names = tuple(dict.fromkeys(str(given[s]).strip() for s in ids))
    index = {n: i for i, n in enumerate(names)}
    return np.array([index[str(given[s]).strip()] for s in ids], np.int64), names


def validate_alliances(mapping: Mapping[Any, Any], school_ids: Iterable[object], adjacency: sp.spmatrix,
                       strong: npt.ArrayLike, dist: npt.ArrayLike | None = None,
                       rules: AllianceRules = AllianceRules(), *, school_names: Iterable[object] | None = None
                       ) -> tuple[np.ndarray, tuple[str, ...]]:
    """Check a user's alliances (school id -> alliance id).

    Parameters
    ----------
    mapping
        School id -> alliance id.
    school_ids
        The schools, in order.
    adjacency, strong, dist, rules
        As :func:`alliance_issues` takes them (sizes are not checked).
    school_names
        Per school, for the messages (default: the ids).

    Returns
    -------
    labels, names
        As :func:`alliance_labels`.

    Raises
    ------
    InputError
        For the first problem (keys as in :func:`alliance_labels` and :func:`alliance_issues`).
    """
    labels, names = alliance_labels(mapping, school_ids)
    issues = alliance_issues(labels, adjacency, strong, dist, rules,
                             school_names=school_names if school_names is not None else school_ids,
                             alliance_names=names)
    if issues:
        key, params = issues[0]
        raise InputError(key, **params)
    return labels, names


# --- the suggestion --------------------------------------------------------------------------------------------------

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
    adj = sp.triu(_symmetric(adjacency), k=1).tocoo()
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


# --- figures and zones -------------------------------------------------------------------------------------------

def alliance_table(labels: npt.ArrayLike, alliance_names: Sequence[object], school_ids: Sequence[object] | np.ndarray,
                   school_names: Sequence[object] | np.ndarray, seats: npt.ArrayLike, strength: npt.ArrayLike,
                   strong: npt.ArrayLike, dist: npt.ArrayLike | None = None,
                   children: npt.ArrayLike | None = None) -> pd.DataFrame:
    """One row per alliance: ``alliance``, ``schools`` (names), ``school_ids``, ``n_schools``, ``seats``,
    ``children`` (from a zoning's school table, when given), ``strong``, ``weak``, ``strong_share``,
    ``mean_strength``, ``max_distance_m`` (the farthest two members) and, with ``children``, ``utilisation``.

    Parameters
    ----------
    labels
        Alliance index per school.
    alliance_names
        Per alliance index.
    school_ids, school_names, seats, strength, strong
        Per school.
    dist
        Schools x schools walks in metres.
    children
        Per school.

    Returns
    -------
    table
        Alliances with no school are left out.
    """
    labels = np.asarray(labels, np.int64)
    rows = []
    d = None if dist is None else np.asarray(dist, float)
    strength = np.asarray(strength, float)
    strong = np.asarray(strong, bool)
    for g, name in enumerate(alliance_names):
        m = np.flatnonzero(labels == g)
        if m.size == 0:
            continue
        rows.append({
            "alliance": name,
            "schools": "、".join(str(school_names[int(i)]) for i in m),
            "school_ids": ",".join(str(school_ids[int(i)]) for i in m),
            "n_schools": int(m.size),
            "seats": int(np.asarray(seats)[m].sum()),
            "children": int(np.asarray(children)[m].sum()) if children is not None else np.nan,
            "strong": int(strong[m].sum()),
            "weak": int((~strong[m]).sum()),
            "strong_share": float(strong[m].mean()),
            "mean_strength": float(np.nanmean(strength[m])) if np.isfinite(strength[m]).any() else np.nan,
            "max_distance_m": float(d[np.ix_(m, m)].max()) if d is not None else np.nan,
        })
    out = pd.DataFrame(rows)
    if len(out) and children is not None:
        out["utilisation"] = out["children"] / out["seats"].where(out["seats"] > 0)
    return out


def alliance_zones(labels: npt.ArrayLike, compound_school: npt.ArrayLike, unit_adjacency: sp.spmatrix | None = None,
                   alliance_names: Iterable[object] | None = None) -> Zones:
    """Multi-school zones from alliances: each alliance's zone is the union of its schools' catchments, so a
    compound's zone is the alliance of the school it is zoned to.

    Parameters
    ----------
    labels
        Alliance index per school.
    compound_school
        School index per compound.
    unit_adjacency
        Compounds x compounds: zones neighbour when their compounds do (default: no zones neighbour).
    alliance_names
        The zones' names (default 1, 2, ...).

    Returns
    -------
    zones

    Raises
    ------
    ValueError
        If a compound has no school.
    """
    labels = np.asarray(labels, np.int64)
    cs = np.asarray(compound_school, np.int64)
    if (cs < 0).any():
        raise ValueError("every compound needs a school")
    n = int(labels.max()) + 1 if labels.size else 0
    names = tuple(alliance_names) if alliance_names is not None else tuple(str(i + 1) for i in range(n))
    return _zones(labels[cs], labels, n, unit_adjacency, names)


def _zones(zone_of_compound: np.ndarray, zone_of_school: np.ndarray, n: int, unit_adjacency: sp.spmatrix | None,
           names: Iterable[Hashable]) -> Zones:
    z = make_zones(zone_of_compound, zone_of_school, names=list(range(n)), unit_adjacency=unit_adjacency)
    return Zones(z.zone_of_compound, z.zone_of_school, z.adjacency, tuple(str(x) for x in names))


# --- one call for a zoning ---------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class AlliancePlan:
    """Alliances for a zoning, and what they were computed from.

    Attributes
    ----------
    labels
        Alliance index per school (in ``result.schools`` order).
    names
        Per alliance.
    table
        The figures (:func:`alliance_table`).
    zones
        The multi-school zones for :mod:`geo.equity.lottery`.
    strength, strong, adjacency, dist
        Those of the :class:`AllianceContext`.
    suggestion
        The solve, when the alliances were suggested (None: the user's).
    """

    labels: np.ndarray
    names: tuple[str, ...]
    table: pd.DataFrame
    zones: Zones
    strength: np.ndarray
    strong: np.ndarray
    adjacency: sp.csr_matrix
    dist: np.ndarray
    suggestion: Suggestion | None


def plan_alliances(inputs: Inputs, result: ZoningResult, rules: AllianceRules = AllianceRules(), *,
                   measure: str = DEFAULT_MEASURE, threshold: float | None = None, top_k: int | None = None,
                   mapping: Mapping[Any, Any] | None = None,
                   neighbours: str = "catchments", radius_m: float = 1500.0, time_limit: float = 30.0
                   ) -> AlliancePlan:
    """Suggest (or, with ``mapping``, check the user's) alliances for a zoning
    (:class:`geo.zoning.result.ZoningResult`) of ``inputs`` (:class:`geo.inputs.model.Inputs`).

    Parameters
    ----------
    inputs
        The network, schools and compounds.
    result
        A zoning of them.
    rules
        What a valid alliance is.
    measure, threshold, top_k
        Which schools are strong (:func:`geo.equity.lottery.school_strength`,
        :func:`geo.equity.lottery.strong_schools`).
    mapping
        The user's alliances (school id -> alliance id), to check instead of suggesting.
    neighbours
        "catchments" (shared border), "network" (catchments meeting on the street network) or "distance"
        (within ``radius_m`` walk).
    radius_m
        Metres.
    time_limit
        Seconds for the suggestion's solve.

    Returns
    -------
    plan

    Raises
    ------
    InputError
        When no alliances meet the rules, or (with ``mapping``) for the first problem of the user's.
    ValueError
        If ``neighbours`` is unknown.
    """
    ctx = alliance_context(inputs, result, measure=measure, threshold=threshold, top_k=top_k, neighbours=neighbours,
                           radius_m=radius_m)
    if mapping is None:
        return suggest_plan(inputs, result, ctx, rules, time_limit=time_limit)
    labels, names = validate_alliances(mapping, ctx.ids, ctx.adjacency, ctx.strong, ctx.dist, rules,
                                       school_names=ctx.names)
    return context_plan(inputs, result, ctx, labels, names)


__all__ = [
    "AlliancePlan", "AllianceRules", "Suggestion", "adjacency_from_catchments", "adjacency_from_distance",
    "adjacency_from_units", "alliance_issues", "alliance_labels", "alliance_table", "alliance_zones",
    "brute_force", "partition_cost", "plan_alliances", "school_distances", "suggest_alliances",
    "validate_alliances",
]


# --- the app's steps, one at a time ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class AllianceContext:
    """What alliances of a zoning are judged on (the first half of :func:`plan_alliances`): school ids and
    names (in ``result.schools`` order), strength (NaN: unknown, e.g. a school opened in the editing view),
    strong flags, the schools x schools walks, the neighbour links, and each compound's school index.

    Attributes
    ----------
    ids, names, strength, strong
        Per school.
    dist
        Schools x schools walks in metres.
    adjacency
        Schools x schools neighbour links.
    label
        Each compound's school index.
    """

    ids: np.ndarray
    names: np.ndarray
    strength: np.ndarray
    strong: np.ndarray
    dist: np.ndarray
    adjacency: sp.csr_matrix
    label: np.ndarray


def alliance_context(inputs: Inputs, result: ZoningResult, *, measure: str = DEFAULT_MEASURE,
                     threshold: float | None = None,
                     top_k: int | None = None, neighbours: str = "catchments", radius_m: float = 1500.0
                     ) -> AllianceContext:
    """Strength, walks and neighbours of the schools of ``result``, as :func:`plan_alliances` computes them
    (schools without any figures get NaN strength, never strong, instead of an error).

    Parameters
    ----------
    inputs, result, measure, threshold, top_k, neighbours, radius_m
        As :func:`plan_alliances` takes them.

    Returns
    -------
    context

    Raises
    ------
    InputError
        If a strength column the measure needs is bad.
    ValueError
        If ``neighbours`` is unknown.
    """
    schools = result.schools
    ids = schools["school_id"].astype(str).to_numpy()
    names = schools["name"].astype(str).to_numpy()
    strength = known_strength(schools, result.scenario.level, measure)
    strong = strong_schools(strength, threshold=threshold, top_k=top_k)
    dist = school_distances(inputs.network, shapely.get_coordinates(schools.geometry.to_numpy()))
    index = {sid: j for j, sid in enumerate(ids)}
    label = np.array([index[s] for s in result.assignments["school_id"].astype(str)], np.int64)
    if neighbours == "catchments":
        order = {sid: j for j, sid in enumerate(result.catchments["school_id"].astype(str))}
        adj = adjacency_from_catchments(result.catchments.geometry.to_numpy()[[order[s] for s in ids]])
    elif neighbours == "network":
        adj = adjacency_from_units(label, inputs.unit_graph.adjacency, len(ids))
    elif neighbours == "distance":
        adj = adjacency_from_distance(dist, radius_m)
    else:
        raise ValueError("neighbours must be 'catchments', 'network' or 'distance'")
    return AllianceContext(ids, names, strength, strong, dist, adj, label)


def context_plan(inputs: Inputs, result: ZoningResult, ctx: AllianceContext, labels: npt.ArrayLike,
                 names: Sequence[str], suggestion: Suggestion | None = None) -> AlliancePlan:
    """The :class:`AlliancePlan` of alliances ``labels`` (index per school) named ``names``.

    Parameters
    ----------
    inputs, result
        The zoning.
    ctx
        Its :func:`alliance_context`.
    labels
        Alliance index per school.
    names
        Per alliance.
    suggestion
        The solve the alliances come from, if any.

    Returns
    -------
    plan
    """
    labels = np.asarray(labels, np.int64)
    children = result.table.set_index(result.table["school_id"].astype(str))["children"].reindex(ctx.ids)
    table = alliance_table(labels, names, ctx.ids, ctx.names, result.schools["seats"].to_numpy(), ctx.strength,
                           ctx.strong, ctx.dist, children.fillna(0).to_numpy())
    zones = _zones(labels[ctx.label], labels, len(names), inputs.unit_graph.adjacency, names)
    return AlliancePlan(labels, tuple(names), table, zones, ctx.strength, ctx.strong, ctx.adjacency, ctx.dist,
                        suggestion)


def suggest_plan(inputs: Inputs, result: ZoningResult, ctx: AllianceContext, rules: AllianceRules = AllianceRules(),
                 *, time_limit: float = 30.0) -> AlliancePlan:
    """:func:`suggest_alliances` on ``ctx`` as a plan (alliances named 1, 2, ...; same as :func:`plan_alliances`).

    Parameters
    ----------
    inputs, result
        The zoning.
    ctx
        Its :func:`alliance_context`.
    rules
        What a valid alliance is.
    time_limit
        Seconds.

    Returns
    -------
    plan

    Raises
    ------
    InputError
        ``alliance.infeasible`` when no partition meets the rules.
    """
    s = suggest_alliances(ctx.adjacency, ctx.strong, ctx.dist, rules, time_limit=time_limit)
    return context_plan(inputs, result, ctx, s.labels, tuple(str(i + 1) for i in range(int(s.labels.max()) + 1)), s)


def check_alliances(inputs: Inputs, result: ZoningResult, ctx: AllianceContext, mapping: Mapping[Any, Any],
                    rules: AllianceRules = AllianceRules()) -> tuple[AlliancePlan | None, list[tuple[str, dict]]]:
    """A user's alliances (school id -> alliance id) with EVERY issue listed, never raised.

    Parameters
    ----------
    inputs, result
        The zoning.
    ctx
        Its :func:`alliance_context`.
    mapping
        School id -> alliance id.
    rules
        What a valid alliance is.

    Returns
    -------
    plan, issues
        The plan (None only when a school is unknown or unassigned, the one issue then) and the issues of
        :func:`alliance_issues` (sizes included), naming the schools.
    """
    try:
        labels, names = alliance_labels(mapping, ctx.ids)
    except InputError as err:
        return None, [(err.key, err.params)]
    # Alliances in name order (numbers by value), so the same names keep the same colours and rows.
    order = sorted(range(len(names)), key=lambda g: (0, int(names[g]), "") if names[g].isdecimal()
                   else (1, 0, names[g]))
    rank = np.empty(len(names), np.int64)
    rank[order] = np.arange(len(names))
    labels, names = rank[labels], tuple(names[g] for g in order)
    issues = alliance_issues(labels, ctx.adjacency, ctx.strong, ctx.dist, rules, school_names=ctx.names,
                             alliance_names=names, check_size=True)
    return context_plan(inputs, result, ctx, labels, names), issues
