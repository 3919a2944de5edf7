"""A scenario (level, method) run on the inputs (network, schools, compounds): the data flow in one call.

``run_scenario(inputs, scenario)`` is pure: the same inputs and scenario give the same result.
"""

from __future__ import annotations

import dataclasses
import warnings as pywarnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geo.errors import InputError
from geo.inputs.demand import children_column
from geo.inputs.model import Inputs
from geo.inputs.schools import LEVELS, PRIMARY, schools_for_level
from geo.network.distances import SNAP_WARN_M, candidate_matrix, snap, straight_matrix
from geo.zoning.allocation import (
    K_NEAREST,
    Allocation,
    Candidates,
    InfeasibleError,
    candidates,
    explain,
    shortfall,
    solve_exact,
    solve_heuristic,
    uses_candidates,
)
from geo.zoning.assignment import METHODS, NETWORK, OPTIMAL, nearest_by_network, nearest_by_straight_line
from geo.zoning.catchments import polygons_from_sites, street_catchments
from geo.zoning.contiguity import (
    UnitGraph,
    contiguous_plan,
    improve,
    island_targets,
    islands,
    join_islands,
    relieve,
    repair,
)
from geo.zoning.exact_contiguous import MAX_UNITS, holds_contiguity, solve_contiguous_exact
from geo.zoning.metrics import RADIUS_M
from geo.zoning.result import ZoningResult, build_result

# A school or compound farther than this from every street is outside the network's area.
OUTSIDE_M = 2000.0

Warning_ = tuple[str, dict]


FAST, EXACT = "fast", "exact"
SOLVERS = (FAST, EXACT)  # capacity-optimal zoning: the heuristic, or the exact MIP (HiGHS)
CONTIGUITY_ROUNDS = 8
MIN_FILL = 0.6  # every open school at least 60% full by default (Scenario.min_fill)
# When a minimum fill leaves islands, it is tried again at these shares of itself (0: off), until none are left.
FILL_FALLBACK = (2 / 3, 1 / 3, 1 / 6, 0.0)
# The fast solver's plan for a stability weight is the best of its plans at these weights (monotone, see
# plan_optimal).
STABILITY_LADDER = (0.0, 150.0, 400.0, 1000.0, 2500.0)


@dataclass(frozen=True)
class Scenario:
    """What to compute: the school level, the zoning method and, for capacity-optimal zoning, its settings.

    Attributes
    ----------
    level
        "primary" or "junior".
    method
        "network" (nearest school by walk), "straight" (nearest as the crow flies) or "optimal"
        (capacity-optimal).
    solver
        "fast" or "exact" (optimal zoning).
    tolerance
        Seats may be filled to ``(1 + tolerance)`` (0.05 = 105%).
    max_walk_m
        The longest walk allowed (0 = no limit).
    stability
        Metres of walk a moved child is worth (a penalty for moving a compound away from its nearest-school
        zone, the starting plan).
    contiguous
        Repair islands.
    locked
        ``(compound_id, school_id)`` pairs that stay as they are.
    time_limit_s
        Seconds an exact solve may take.
    radius_m
        The service radius of the figures "share within the radius" (metres); 0 = the level's GB 50180-2018
        default (:data:`geo.zoning.metrics.RADIUS_M`: 500 m primary, 1,000 m junior), a Chinese standard.
    min_fill
        Every school gets at least this share of its seats (0.6 = 60%), so no open school is left without a
        zone; 0 turns it off. It is off by itself (with the warning ``opt.min_fill_off``) when the children
        are fewer than that share of all seats. Schools left without a zone are reported (the warning
        ``opt.empty_schools`` and ``summary["empty_schools"]``). A soft minimum: where no plan can meet it
        the plan comes as close as it can.
    groups
        Groups of compound ids kept together (each group goes to one school).
    group_column
        A column of the compounds table (e.g. 社区): compounds with the same non-blank value are kept together.
    boundary_band_m
        Only compounds within this many metres of their starting zone's boundary may move (an annual
        adjustment); the others keep their starting school. 0 = no limit. The boundary between two zones runs
        midway between their neighbouring compounds (:func:`near_boundary`).

    Raises
    ------
    ValueError
        If the level, method or solver is unknown, or the radius is negative or not a number.
    """

    level: str = PRIMARY
    method: str = NETWORK
    solver: str = FAST
    tolerance: float = 0.0
    max_walk_m: float = 0.0
    stability: float = 0.0
    contiguous: bool = True
    locked: tuple[tuple[str, str], ...] = ()
    time_limit_s: float = 10.0
    radius_m: float = 0.0
    min_fill: float = MIN_FILL
    groups: tuple[tuple[str, ...], ...] = ()
    group_column: str = ""
    boundary_band_m: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.radius_m) and self.radius_m >= 0):
            raise ValueError("radius_m must be a number of metres, 0 or more")
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        if self.solver not in SOLVERS:
            raise ValueError("solver must be 'fast' or 'exact'")
        if not (np.isfinite(self.min_fill) and 0 <= self.min_fill <= 1):
            raise ValueError("min_fill must be a share of seats, 0 to 1")
        if not (np.isfinite(self.boundary_band_m) and self.boundary_band_m >= 0):
            raise ValueError("boundary_band_m must be a number of metres, 0 or more")

    @property
    def radius(self) -> float:
        """The service radius in metres: :attr:`radius_m`, else the level's GB 50180 default."""
        return float(self.radius_m) if self.radius_m > 0 else RADIUS_M[self.level]


def _row_name(df: pd.DataFrame, i: int) -> str:
    return str(df["name"].iloc[i]) or str(df.iloc[i, 0])


def run_scenario(inputs: Inputs, scenario: Scenario, *,
                 should_stop: Callable[[], bool] | None = None,
                 start: Mapping[str, str] | None = None) -> ZoningResult:
    """Zone the compounds of ``inputs`` for ``scenario`` and build catchments and figures.

    Parameters
    ----------
    inputs
        The network, schools and compounds.
    scenario
        The level, method and settings.
    should_stop
        Asked during an exact solve; True stops it with the best plan found so far (see
        :func:`geo.zoning.allocation.solve_exact`).
    start
        The starting plan, compound id -> school id (e.g. today's official zones,
        :func:`geo.official.plan.official_plan`): capacity-optimal zoning starts from it and its stability
        counts moves away from it, and every method's moved-children figures count against it. Compounds it
        leaves out (or gives a school not of this level) start at their nearest school. Default: nearest school.

    Returns
    -------
    result

    Raises
    ------
    InputError
        When no school admits the level, a school or compound lies off the street network, a compound
        has no school in reach, or the method is nearest-by-network on inputs without streets
        (``err.no_network_method``).
    InfeasibleError
        When no capacity-optimal plan meets the settings.
    Cancelled
        When ``should_stop`` stopped the solve before any plan was found.
    """
    net = inputs.network
    level = scenario.level
    straight = net.straight_line  # no streets: every distance is a straight line (geo.inputs.load.load_inputs)
    if straight and scenario.method == NETWORK:
        raise InputError("err.no_network_method", method="@method.network", straight="@method.straight",
                         optimal="@method.optimal")
    # Keep each school's row in the user's file: messages must name that row, not its place among the level's.
    schools = schools_for_level(inputs.schools.assign(_file_row=np.arange(1, len(inputs.schools) + 1)), level)
    school_rows = schools.pop("_file_row").to_numpy()
    if len(schools) == 0:
        raise InputError("err.no_schools_level", level=f"@level.{level}")
    warnings: list[Warning_] = list(inputs.warnings)

    school_xy = shapely.get_coordinates(schools.geometry.to_crs(net.crs).to_numpy())
    s_node, s_off = snap(net, school_xy)
    u_node, u_off = inputs.compound_snap
    _check_snaps(schools, s_off, inputs.sources.get("schools", "schools"), "school", warnings, school_rows)
    _check_snaps(inputs.compounds, u_off, inputs.sources.get("compounds", "compounds"), "compound", warnings)
    _, first = np.unique(s_node, return_index=True)
    for i in sorted(set(range(len(s_node))) - set(first)):
        j = int(np.flatnonzero(s_node == s_node[i])[0])
        warnings.append(("warn.shared_node", {"a": _row_name(schools, j), "b": _row_name(schools, i)}))

    children = inputs.compounds[children_column(level)].to_numpy()
    plan: dict = {}
    if scenario.method == OPTIMAL:
        label, dist, plan = _optimal(inputs, schools, scenario, school_xy, s_node, s_off, children, warnings,
                                     should_stop, start)
    elif scenario.method == NETWORK:
        node_label, node_dist, label, dist = nearest_by_network(net, s_node, s_off, u_node, u_off)
    elif straight:
        d = straight_matrix(school_xy, inputs.compound_xy)
        label = np.argmin(d, axis=0)  # the first of equal nearest schools, as the walk's nearest
        dist = d[label, np.arange(len(label))]
    else:
        label, dist = nearest_by_straight_line(net, school_xy, s_node, s_off, inputs.compound_xy, u_node,
                                               u_off)[2:]
    if (label < 0).any():
        i = int(np.flatnonzero(label < 0)[0])
        raise InputError("err.unreachable", name=_row_name(inputs.compounds, i), level=f"@level.{level}")

    if scenario.method == OPTIMAL:
        baseline = plan.pop("_start")
    elif scenario.method == NETWORK or straight:
        baseline = label
    else:
        baseline = nearest_by_network(net, s_node, s_off, u_node, u_off)[2]
    if start is not None and scenario.method != OPTIMAL:
        baseline = start_labels(inputs.compounds["compound_id"], schools["school_id"], start, baseline)
    # A plan's catchments are the unions of its compounds' cells (geo.zoning.result); the nearest-school methods
    # draw instead what they mean, every point's nearest school: along the streets (network) or as the crow flies.
    nearest: dict = {}
    if scenario.method == NETWORK:
        polys = street_catchments(net, node_label, node_dist, inputs.compounds_projected.to_numpy(), label,
                                  inputs.compound_xy, school_xy, inputs.area)
        nearest = dict(polygons=polys, node_label=node_label, node_dist=node_dist)
    elif scenario.method != OPTIMAL:
        nearest = dict(polygons=polygons_from_sites(school_xy, np.arange(len(schools)), len(schools), inputs.area))
    return build_result(inputs, scenario, schools, label, dist, s_node=s_node, children=children,
                        baseline=schools["school_id"].astype(str).to_numpy()[baseline], warnings=warnings,
                        extra_summary=plan, **nearest)


def start_labels(compound_ids: Iterable[object], school_ids: Iterable[object], start: Mapping[str, str],
                 default: np.ndarray) -> np.ndarray:
    """Each compound's school index in a starting plan given as compound id -> school id.

    Parameters
    ----------
    compound_ids, school_ids : iterable
        The compounds' and the level's schools' ids, in order.
    start : mapping of str to str
        The starting plan.
    default : ndarray of int
        The school of a compound the plan leaves out, or sends to a school not among ``school_ids``.

    Returns
    -------
    ndarray of int
    """
    index = {str(s): j for j, s in enumerate(school_ids)}
    got = np.array([index.get(str(start.get(str(c), "")), -1) for c in compound_ids], np.int64)
    return np.where(got >= 0, got, np.asarray(default, np.int64))


def _optimal(inputs: Inputs, schools: gpd.GeoDataFrame, scenario: Scenario, school_xy: np.ndarray,
             s_node: np.ndarray, s_off: np.ndarray, children: np.ndarray, warnings: list[Warning_], should_stop=None,
             start: Mapping[str, str] | None = None):
    """Capacity-optimal zoning (geo.zoning.allocation) with the starting plan = ``start`` where it says, else the
    nearest-school zones; on walks, or on straight lines when the inputs have no streets."""
    net = inputs.network
    u_node, u_off = inputs.compound_snap
    school_index = {sid: j for j, sid in enumerate(schools["school_id"])}
    unit_index = {cid: i for i, cid in enumerate(inputs.compounds["compound_id"])}
    locked = np.full(len(children), -1, np.int64)
    for cid, sid in scenario.locked:
        if cid in unit_index and sid in school_index:
            locked[unit_index[cid]] = school_index[sid]
    started = None if start is None else start_labels(inputs.compounds["compound_id"], schools["school_id"], start,
                                                      np.full(len(children), -1, np.int64))
    if net.straight_line:
        dist = straight_matrix(school_xy, inputs.compound_xy)
    else:  # each school searched as far as the compounds it may serve (its rows are inf beyond)
        dist = candidate_matrix(net, s_node, s_off, u_node, u_off, k_nearest=K_NEAREST,
                                max_walk=scenario.max_walk_m if scenario.max_walk_m > 0 else np.inf,
                                required=(locked,) if started is None else (locked, started))
    current = np.argmin(np.where(np.isfinite(dist), dist, np.inf), axis=0)
    if started is not None:
        current = np.where(started >= 0, started, current)
    raw_seats = schools["seats"].to_numpy().astype(float)
    seats = raw_seats * (1.0 + scenario.tolerance)
    if scenario.boundary_band_m > 0:  # an annual adjustment: compounds deep inside their zone keep it
        near = near_boundary(inputs.compound_xy, current, scenario.boundary_band_m)
        locked = np.where((locked < 0) & ~near, current, locked)
    fill = min_fill_children(raw_seats, children, scenario.min_fill, warnings)
    group = compound_groups(inputs.compounds, scenario)
    names_u = inputs.compounds["name"].to_numpy()
    names_s = schools["name"].to_numpy()
    if group is not None:
        g_dist, g_children, g_current, g_locked, graph, g_names = _contract(
            group, dist, children, current, locked, inputs.unit_graph, names_u)
    else:
        g_dist, g_children, g_current, g_locked, graph, g_names = (dist, children, current, locked,
                                                                    inputs.unit_graph, names_u)
    def solve(want: np.ndarray | None) -> OptimalPlan:
        return plan_optimal(g_dist, g_children, seats, g_current, g_locked, graph, s_node,
                            solver=scenario.solver, stability=scenario.stability, contiguous=scenario.contiguous,
                            max_walk=scenario.max_walk_m, fill=want, time_limit=scenario.time_limit_s,
                            should_stop=should_stop, names=(g_names, names_s))

    out = solve(fill)
    if out.islands and fill is not None:
        # Whole catchments come first: schools that stand close together may not all reach the minimum fill
        # with contiguous zones. Lower it step by step and say so (Chengdu: four schools in one block).
        for share in FILL_FALLBACK:
            lower = fill * share if share > 0 else None
            trial = solve(lower)
            if trial.islands < out.islands:
                out, used = trial, share
                if trial.islands == 0:
                    params = {"fill": scenario.min_fill * used, "wanted": scenario.min_fill}
                    below = np.maximum(lower - np.bincount(trial.label, weights=g_children, minlength=lower.size),
                                       0) if lower is not None else np.zeros(0)
                    if (below > 0.5).any():  # the lowered fill is not met everywhere either: say by how much
                        warnings.append(("opt.fill_lowered_short", params | {
                            "schools": int((below > 0.5).sum()), "children": int(round(below.sum()))}))
                    else:
                        warnings.append(("opt.fill_lowered", params))
                    break
    label = out.label if group is None else out.label[group]
    stability = scenario.stability
    unit_dist = dist[label, np.arange(len(label))]
    objective = float(((unit_dist + stability * (label != current)) * (children + 1e-3)).sum())
    # The gap of the plan as shown (after any repair) to a lower bound proven for its own cost (plan_optimal's
    # proven_bound: a solver's bound only where the plan is one of its model's, e.g. meets its minimum fill);
    # NaN ("not proven") when there is none, never 0. With groups the bound is the grouped model's, so the gap
    # is taken in its terms.
    gap = out.gap
    bound = objective * (1.0 - gap) if np.isfinite(gap) else float("nan")
    empty = np.flatnonzero(np.bincount(label, minlength=len(schools)) == 0)
    islands_left = out.islands
    if islands_left:
        warnings.append(("opt.not_contiguous", {"count": islands_left}))
    if empty.size:
        warnings.append(("opt.empty_schools", {"count": int(empty.size),
                                               "schools": "、".join(str(s) for s in names_s[empty][:8])}))
    status = out.status
    if status in ("optimal", "contiguous") and (islands_left or empty.size):
        status = "islands" if islands_left else "empty_schools"  # never called optimal (issue 13)
    plan = {"solver": status, "gap": gap, "bound": bound, "bound_kind": out.bound_kind, "seconds": out.seconds,
            "objective": objective, "_start": current,
            "empty_schools": int(empty.size), "short_of_fill": shortfall(label, children, fill),
            "fill_penalty_m": out.short_m}
    if scenario.contiguous:
        plan["islands"] = islands_left
    for kind in ("fill", "contiguous"):  # what a plan meeting the (lowered) fill, and whole, walks at least
        plan[f"bound_{kind}"] = out.model_bounds.get(kind, float("nan"))
    if scenario.solver == EXACT:  # the fast plan's gap to what the exact solve proved (issue 13's measured quality)
        f_obj, f_bound, plan["fast_bound_kind"] = out.fast
        plan["fast_objective"] = f_obj
        plan["fast_gap"] = (max(0.0, (f_obj - f_bound) / f_obj) if f_obj > 0 else 0.0) if np.isfinite(f_bound) \
            else float("nan")
    return label, unit_dist, plan


def min_fill_children(seats: np.ndarray, children: np.ndarray, min_fill: float,
                      warnings: list[Warning_] | None = None) -> np.ndarray | None:
    """Each school's minimum fill in children (``min_fill`` of its seats), or None when it is off.

    It is off when ``min_fill`` is 0, and when the children are too few to fill every school that far (then
    ``warnings`` gets ``opt.min_fill_off``: schools may be left without a zone, and are reported).

    Parameters
    ----------
    seats : ndarray
        Seats per school (without the tolerance).
    children : ndarray
        Children per compound.
    min_fill : float
        A share of seats, 0 to 1.
    warnings : list, optional
        Where the warning goes.

    Returns
    -------
    ndarray or None
    """
    if min_fill <= 0 or len(seats) == 0:
        return None
    need = np.asarray(seats, float) * min_fill
    if need.sum() > float(np.sum(children)):
        if warnings is not None:
            warnings.append(("opt.min_fill_off", {"fill": float(min_fill), "children": int(np.sum(children)),
                                                  "seats": int(np.sum(seats))}))
        return None
    return need


def near_boundary(xy: np.ndarray, label: np.ndarray, band_m: float) -> np.ndarray:
    """Which compounds lie within ``band_m`` metres of their zone's boundary.

    The boundary between two zones runs midway between their neighbouring compounds, so a compound is within
    ``band_m`` of it when a compound of another zone lies within ``2 * band_m``.

    Parameters
    ----------
    xy : ndarray
        Compound points (projected, metres), ``m x 2``.
    label : ndarray of int
        Each compound's zone.
    band_m : float
        Metres.

    Returns
    -------
    ndarray of bool
    """
    from scipy.spatial import cKDTree

    label = np.asarray(label)
    near = np.zeros(label.size, bool)
    if label.size == 0:
        return near
    tree = cKDTree(xy)
    for i, found in enumerate(tree.query_ball_point(xy, r=2.0 * band_m)):
        near[i] = bool((label[found] != label[i]).any())
    return near


def groups_from_file(path: str | Path, column: str, *, coords: str = "wgs84",
                     mapping: dict | None = None) -> tuple[tuple[str, ...], ...]:
    """Groups of compound ids from a column of the compounds file (e.g. 社区), for :attr:`Scenario.groups`.

    Parameters
    ----------
    path : str or Path
        The compounds file, as given to :func:`geo.inputs.load.load_inputs`.
    column : str
        The column; compounds with the same non-blank value form a group.
    coords, mapping
        As for :func:`geo.inputs.tables.read_table`.

    Returns
    -------
    tuple of tuple of str

    Raises
    ------
    InputError
        When the column is not in the file (``err.group_column``), or as the compounds file's checks.
    """
    from geo.inputs.demand import normalise_compounds
    from geo.inputs.tables import read_table

    table = read_table(path, coords=coords, mapping=mapping)
    if column not in table.columns:
        raise InputError("err.group_column", column=column,
                         columns="、".join(str(c) for c in table.columns if c != "geometry"))
    ids = normalise_compounds(table, Path(path).name)["compound_id"].astype(str).to_numpy()
    values = table[column]
    given = values.notna().to_numpy() & (values.astype(str).str.strip() != "").to_numpy()
    out: dict[str, list[str]] = {}
    for cid, v in zip(ids[given], values[given].astype(str).str.strip()):
        out.setdefault(v, []).append(str(cid))
    return tuple(tuple(members) for members in out.values() if len(members) > 1)


def compound_groups(compounds: pd.DataFrame, scenario: Scenario) -> np.ndarray | None:
    """Each compound's group index (compounds kept together: ``scenario.group_column``'s values, where not
    blank, and ``scenario.groups``), or None when no group has two compounds.

    Raises
    ------
    InputError
        When the group column is not in the compounds table (``err.group_column``).
    """
    m = len(compounds)
    ids = compounds["compound_id"].astype(str).to_numpy()
    key = np.array([f"#{i}" for i in range(m)], dtype=object)
    if scenario.group_column:
        if scenario.group_column not in compounds.columns:
            raise InputError("err.group_column", column=scenario.group_column,
                             columns="、".join(str(c) for c in compounds.columns if c != "geometry"))
        col = compounds[scenario.group_column]
        given = col.notna().to_numpy() & (col.astype(str).str.strip() != "").to_numpy()
        key[given] = ["c:" + str(v).strip() for v in col[given]]
    index = {cid: i for i, cid in enumerate(ids)}
    for n, members in enumerate(scenario.groups):
        for cid in members:
            if str(cid) in index:
                key[index[str(cid)]] = f"g:{n}"
    _, group = np.unique(key.astype(str), return_inverse=True)
    if group.size == 0 or group.max() + 1 == m:
        return None
    # Keep groups in the order of their first compound (deterministic, and singletons keep their order).
    first = np.full(int(group.max()) + 1, m)
    np.minimum.at(first, group, np.arange(m))
    rank = np.empty_like(first)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[group]


def _contract(group: np.ndarray, dist: np.ndarray, children: np.ndarray, current: np.ndarray, locked: np.ndarray,
              graph: UnitGraph, names: np.ndarray):
    """The problem with each group of compounds as one unit: children summed, walks child-weighted, the
    starting school the one most of its children start at, locked where a member is, neighbours merged."""
    g = int(group.max()) + 1
    m = group.size
    w = np.asarray(children, float) + 1e-3
    member = sp.csr_matrix((w, (np.arange(m), group)), shape=(m, g))
    finite = np.isfinite(dist)
    g_dist = (np.where(finite, dist, 0.0) @ member) / np.bincount(group, weights=w, minlength=g)
    blocked = (~finite).astype(float) @ sp.csr_matrix((np.ones(m), (np.arange(m), group)), shape=(m, g))
    g_dist = np.where(np.asarray(blocked) > 0, np.inf, g_dist)
    g_children = np.bincount(group, weights=np.asarray(children, float), minlength=g)
    k = dist.shape[0]
    votes = np.zeros((g, k))
    np.add.at(votes, (group, current), w)
    g_current = votes.argmax(axis=1)
    g_locked = np.full(g, -1, np.int64)
    has = locked >= 0
    g_locked[group[has][::-1]] = locked[has][::-1]  # the first locked member's school
    one = sp.csr_matrix((np.ones(m), (np.arange(m), group)), shape=(m, g))
    adj = (one.T @ graph.adjacency @ one).tocsr()
    adj.setdiag(0)
    adj.eliminate_zeros()
    adj = (adj > 0).astype(np.int8).tocsr()
    owner = graph.unit_of_node
    g_graph = UnitGraph(adj, np.where(owner >= 0, group[np.maximum(owner, 0)], -1), graph.node_dist)
    g_names = np.empty(g, dtype=object)
    g_names[group[::-1]] = np.asarray(names, dtype=object)[::-1]
    return g_dist, g_children, g_current, g_locked, g_graph, g_names


@dataclass(frozen=True, eq=False)
class OptimalPlan:
    """What :func:`plan_optimal` found: the plan, the best lower bound known, and how it was reached.

    Attributes
    ----------
    label : ndarray of int
        Each compound's school.
    bound : float
        A lower bound on ``objective`` proven for this plan (:func:`proven_bound`): no plan it competes with
        costs less. NaN when none is proven (then its gap is "not proven", never 0).
    status : str
        "optimal", "contiguous", "time_limit", "interrupted" or "heuristic".
    seconds : float
        The solver's time.
    islands : int
        Island compounds left.
    short_m : float
        What a plan's score charges per child short of a school's minimum fill (metres of walk).
    objective : float
        The plan's cost: child-weighted walks plus the stability penalty (no charge for children short of the
        minimum fill), as the summary's ``objective``.
    bound_kind : str
        Which bound ``bound`` is: "free" (the relaxation without the minimum fill), "fill" (a MIP with it) or
        "contiguous" (the exact contiguous model); "" when none is proven.
    fast : tuple
        With the exact solver: the fast plan it started from, as ``(objective, bound, bound_kind)`` with every
        bound the exact solve proved that holds for that plan (its measured gap to the contiguous optimum); else
        ``(nan, nan, "")``.
    model_bounds : dict of str to float
        The best bound of each kind found ("free", "fill", "contiguous"), whether or not it holds for this plan: a
        "fill" bound is a lower bound on the cost of every plan that meets the minimum fill, a "contiguous" one on
        every such plan with whole catchments (what meeting the fill would cost at least).
    """

    label: np.ndarray
    bound: float
    status: str
    seconds: float
    islands: int
    short_m: float
    objective: float = float("nan")
    bound_kind: str = ""
    fast: tuple[float, float, str] = (float("nan"), float("nan"), "")
    model_bounds: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def gap(self) -> float:
        """``(objective - bound) / objective``: how much worse than the best plan this one can be, at most; NaN
        when no bound is proven."""
        if not np.isfinite(self.bound):
            return float("nan")
        return max(0.0, (self.objective - self.bound) / self.objective) if self.objective > 0 else 0.0


def plan_optimal(dist: np.ndarray, children: np.ndarray, seats: np.ndarray, current: np.ndarray,
                 locked: np.ndarray, graph: UnitGraph, s_node: np.ndarray, *, solver: str = FAST,
                 stability: float = 0.0, contiguous: bool = True, max_walk: float = 0.0,
                 fill: np.ndarray | None = None, time_limit: float = 10.0, should_stop=None,
                 names: tuple[np.ndarray, np.ndarray] | None = None) -> OptimalPlan:
    """Capacity-optimal zoning on arrays: allocation, contiguity, minimum fill.

    The exact solver (with contiguity on) also runs the fast one and keeps the better contiguous plan by the
    same objective, so it is never worse than fast. With a stability weight the plan grown from the starting
    zones (overflow passed along neighbouring catchments, then improving moves) competes too.

    Parameters
    ----------
    dist : ndarray
        Walks, schools x compounds (inf: out of reach).
    children : ndarray
        Children per compound.
    seats : ndarray
        Seats per school, tolerance included.
    current : ndarray of int
        Each compound's school in the starting plan.
    locked : ndarray of int
        Each compound's locked school (-1: none).
    graph : UnitGraph
        The compounds' neighbour graph.
    s_node : ndarray of int
        Each school's street node.
    solver : str
        "fast" or "exact".
    stability : float
        Metres of walk a moved child is worth.
    contiguous : bool
        Keep catchments whole.
    max_walk : float
        Metres (0: none).
    fill : ndarray, optional
        Each school's minimum fill in children.
    time_limit : float
        Seconds an exact solve may take.
    should_stop : callable, optional
        Asked during an exact solve.
    names : (ndarray, ndarray), optional
        Compound and school names for the reasons of an infeasible plan.

    Returns
    -------
    OptimalPlan

    Raises
    ------
    InfeasibleError
        When no plan meets the settings.
    """
    children = np.asarray(children, float)
    k, m = dist.shape
    max_w = max_walk if max_walk > 0 else np.inf
    # The starting plan's school is always a candidate (for stability), but never beyond the maximum walk.
    current_ok = np.where(dist[current, np.arange(m)] <= max_w, current, -1)
    cands = candidates(dist, max_walk=max_w, include=(current_ok, locked))
    if fill is not None:
        cands = _with_fill_pairs(cands, dist, children, fill, max_w)
    if names is not None:
        reasons = explain(cands, children, seats, locked, names[0], names[1])
        if reasons:
            raise InfeasibleError(reasons)
    finite = np.isfinite(dist) & (dist <= max_w)
    # A child short of a school's minimum fill costs twice the longest walk (plus, in the MIP, twice the stability
    # weight, so that filling a school beats keeping a compound where it was).
    short_m = float(2.0 * np.max(dist[finite], initial=1000.0)) if fill is not None else 0.0
    short_cost = short_m + 2.0 * stability if fill is not None else 0.0
    walk_cost = np.where(finite, dist * (children + 1e-3), np.inf)
    moved_cost = (children + 1e-3) * (np.arange(k)[:, None] != current[None, :])
    movable = locked < 0

    lazy = solver == EXACT and contiguous and m <= MAX_UNITS  # small: contiguity inside the model too
    mip_time = time_limit / 2 if lazy else time_limit

    def allocate(lock: np.ndarray, pairs: Candidates, exact: bool, w: float) -> Allocation:
        kw: dict[str, Any] = dict(current=current, locked=lock, stability=w)
        if exact:
            return solve_exact(pairs, children, seats, time_limit=mip_time, should_stop=should_stop, fill=fill,
                               short_cost=short_cost, **kw)
        try:
            return solve_heuristic(pairs, children, seats, **kw)
        except InfeasibleError:  # the fast repair got stuck: let the MIP find a plan
            return solve_exact(pairs, children, seats, time_limit=time_limit, should_stop=should_stop, fill=fill,
                               short_cost=short_cost, **kw)

    def figures(label: np.ndarray, left: int) -> tuple[int, float, float]:
        """(islands and empty schools, walk plus ``short_m`` per child short of the minimum fill, moved): a
        plan's score at a weight w is ``(first, second + w * moved)``, compared in that order."""
        at = np.arange(m)
        walk = float(walk_cost[label, at].sum()) + short_m * shortfall(label, children, fill)
        moved = float(((label != current) * (children + 1e-3)).sum())
        empty = int((np.bincount(label, minlength=k) == 0).sum()) if fill is not None else 0
        return left + empty, walk, moved

    def score(fig: tuple[int, float, float], w: float) -> tuple[int, float, float]:
        return fig[0], fig[1] + w * fig[2], fig[2]

    def finish(label: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, int]:
        if fill is not None:
            label = fill_repair(graph, s_node, label, children, seats, fill, cost, movable, contiguous)
        return label, int(islands(graph, label, s_node, children).sum()) if contiguous else 0

    def pipeline(exact: bool, w: float) -> tuple[np.ndarray, int, Allocation]:
        """One weight's plan: allocation, contiguity repair, minimum fill; with a weight, the plan grown from
        the starting zones competes."""
        cost = walk_cost + w * moved_cost if w > 0 else walk_cost
        try:
            alloc = allocate(locked, cands, exact, w)
        except InfeasibleError:
            raise InfeasibleError([("opt.infeasible", {})]) from None
        if not contiguous:
            return (*finish(alloc.label, cost), alloc)
        label, left = _make_contiguous(graph, s_node, alloc.label, dist, children, seats, cost, locked, current,
                                       current_ok, max_w, lambda lk, pairs: allocate(lk, pairs, False, w).label)
        label, left = finish(label, cost)
        if w > 0:
            # From the starting zones: overflow passed along neighbouring catchments, then improving moves.
            grown = _from_start(graph, s_node, current, locked, cost, children, seats)
            if grown is not None:
                g_label, g_left = finish(grown, cost)
                if score(figures(g_label, g_left), w) < score(figures(label, left), w):
                    label, left = g_label, g_left
        return label, left, alloc

    # Each lower bound found, with what a plan must be for it to bound the plan's cost (proven_bound):
    # "free" (any plan of the model), "fill" (meets the minimum fill) or "contiguous" (and is contiguous).
    bounds: list[tuple[float, str]] = []
    with_fill = "free" if fill is None else "fill"
    if stability > 0:
        # Monotone by construction: the plan is the best, at this weight, of the fast plans found at a fixed
        # ladder of weights (those moving no more children than the weight-0 plan). Over one fixed set of plans
        # a larger weight can never pick a plan that moves more children (compare the two choices' scores at
        # both weights).
        ladder = [pipeline(False, v) for v in STABILITY_LADDER]
        figs = [figures(lab, left) for lab, left, _ in ladder]
        pick = min((i for i in range(len(ladder)) if figs[i][2] <= figs[0][2]), key=lambda i: score(figs[i], stability))
        label, left = ladder[pick][0], ladder[pick][1]
        # (the bound at this weight: the relaxation without the fill, which proven_bound solves)
        status, seconds = "heuristic", sum(a.seconds for _, _, a in ladder)
    else:
        label, left, alloc = pipeline(False, 0.0)
        status, seconds = alloc.status, alloc.seconds
        # The fast solver's bound is its relaxation without the fill; its MIP fallback's has the fill in it.
        bounds.append((alloc.bound, "free" if alloc.status == "heuristic" else with_fill))
    hosts = None
    fast_label = label
    if solver == EXACT:
        # The exact plan, unless the repairs after the MIP made it worse than the fast one (issue 13).
        e_label, e_left, e_alloc = pipeline(True, stability)
        bounds.append((e_alloc.bound, with_fill))
        seconds += e_alloc.seconds
        if score(figures(e_label, e_left), stability) <= score(figures(label, left), stability):
            label, left, status = e_label, e_left, e_alloc.status
            if status == "optimal" and not np.array_equal(label, e_alloc.label):
                status = "contiguous"  # the optimum, changed to keep catchments whole: the gap says by how much
    if lazy:
        # Small districts: contiguity inside the model (lazy cuts), from the best plan so far, in the time left.
        solved = solve_contiguous_exact(cands, children, seats, graph.adjacency, graph.unit_of_node[s_node],
                                        current=current, locked=locked, stability=stability, fill=fill,
                                        short_cost=short_cost, start=label, time_limit=time_limit - mip_time,
                                        should_stop=should_stop)
        if solved is not None:
            bounds.append((solved.bound, "contiguous"))
            hosts = solved.hosts
            seconds += solved.seconds
        if solved is not None and solved.label is not None:
            e_label, e_left = finish(solved.label, walk_cost + stability * moved_cost)
            if score(figures(e_label, e_left), stability) < score(figures(label, left), stability) or (
                    solved.proven and np.array_equal(e_label, label)):
                label, left = e_label, e_left
                status = "optimal" if solved.proven and np.array_equal(e_label, solved.label) else "time_limit"
        if should_stop is not None and should_stop() and status != "optimal":
            status = "interrupted"  # stopped by the planner: the page keeps it apart, as a plan not finished

    def proven(plan: np.ndarray) -> tuple[float, float, str]:
        cost = float((walk_cost[plan, np.arange(m)] + stability * moved_cost[plan, np.arange(m)]).sum())
        return cost, *proven_bound(plan, cost, bounds, cands, dist, children, seats, current, locked, stability,
                                   fill=fill, adjacency=graph.adjacency, hosts=hosts)

    objective, bound, kind = proven(label)
    fast = proven(fast_label) if solver == EXACT else (float("nan"), float("nan"), "")
    best: dict[str, float] = {}
    for b, needs in bounds:
        if np.isfinite(b):
            best[needs] = max(b, best.get(needs, -np.inf))
    return OptimalPlan(label, bound, status, seconds, left, short_m, objective, kind, fast, best)


def proven_bound(label: np.ndarray, objective: float, bounds: list[tuple[float, str]], cands: Candidates,
                 dist: np.ndarray, children: np.ndarray, seats: np.ndarray, current: np.ndarray, locked: np.ndarray,
                 stability: float, *, fill: np.ndarray | None = None, adjacency: sp.csr_matrix | None = None,
                 hosts: np.ndarray | None = None) -> tuple[float, str]:
    """The best lower bound on a plan's ``objective`` (walks plus stability, no fill charge) that is proven for it.

    A solver's bound bounds only the plans of its model: those over its candidate pairs, within the seats and
    the locks, meeting its minimum fill when it has one (its bound counts each child short at a price) and, for
    the contiguous model, keeping each school's host compound in one piece with it. So each bound in ``bounds``
    counts only when the plan is one of those; the relaxation without the minimum fill (a min-cost flow over the
    candidate pairs and the plan's own) always bounds it, and is solved when no bound of that kind counts.

    Parameters
    ----------
    label : ndarray of int
        The plan: each compound's school.
    objective : float
        Its cost, ``sum((walk + stability * moved) * (children + 0.001))``.
    bounds : list of (float, str)
        Bounds found and what each needs of a plan: "free" (nothing), "fill" (meets ``fill``) or "contiguous"
        (meets ``fill``, and :func:`geo.zoning.exact_contiguous.holds_contiguity` with ``hosts``).
    cands : Candidates
        The models' candidate pairs.
    dist : ndarray
        Walks, schools x compounds.
    children, seats : ndarray
        Children per compound; seats per school (tolerance included).
    current, locked : ndarray of int
        Each compound's starting school; its locked school (-1: none).
    stability : float
        Metres of walk a moved child is worth.
    fill : ndarray, optional
        Each school's minimum fill in children, in the models that had one.
    adjacency : csr_matrix, optional
        The compound neighbour graph (for a "contiguous" bound).
    hosts : ndarray of int, optional
        The host compounds the contiguous model held (:attr:`ContiguousSolution.hosts`).

    Returns
    -------
    bound : float
        At most ``objective``; NaN when none is proven (a plan over the seats or against a lock is no plan of
        any model).
    kind : str
        What the bound needed of the plan, as in ``bounds`` ("" when none).
    """
    from geo.zoning.flow import transport  # as in solve_heuristic

    label = np.asarray(label, np.int64)
    m = label.size
    children = np.asarray(children, float)
    load = np.bincount(label, weights=children, minlength=len(seats))
    if (load > np.asarray(seats, float) + 1e-6).any() or ((locked >= 0) & (label != locked)).any():
        return float("nan"), ""
    in_model = uses_candidates(cands, label)
    meets = shortfall(label, children, fill) <= 1e-9
    ok = []
    for b, needs in bounds:
        if not (np.isfinite(b) and in_model):
            continue
        if needs == "fill" and not meets:
            continue
        if needs == "contiguous" and not (meets and adjacency is not None and hosts is not None
                                          and holds_contiguity(adjacency, label, hosts)):
            continue
        ok.append((b, needs))
    if not any(needs == "free" for _, needs in ok):
        # The relaxation without the fill, over the candidate pairs and the plan's own: it bounds every plan
        # that fits the seats and the locks (whole children: each child's weight, children + 0.001, is more).
        k = len(seats)
        key = np.union1d(cands.unit.astype(np.int64) * k + cands.school, np.arange(m, dtype=np.int64) * k + label)
        unit, school = np.divmod(key, k)
        pairs = Candidates(unit, school, dist[school, unit], m, k)
        unit_cost = pairs.dist + stability * (np.asarray(current)[pairs.unit] != pairs.school)
        relaxed = transport(pairs, children, seats, unit_cost, locked)
        if relaxed.feasible and np.isfinite(relaxed.bound):
            ok.append((relaxed.bound, "free"))
    if not ok:
        return float("nan"), ""
    bound, kind = max(ok, key=lambda bk: bk[0])
    if bound > objective + 1e-6 * max(1.0, abs(objective)):
        return float("nan"), ""  # not a bound on this plan after all (it cannot happen for a plan of the model)
    return min(bound, objective), kind


def _from_start(graph: UnitGraph, s_node: np.ndarray, current: np.ndarray, locked: np.ndarray, cost: np.ndarray,
                children: np.ndarray, seats: np.ndarray) -> np.ndarray | None:
    label = np.where(locked >= 0, locked, current)
    movable = locked < 0
    with pywarnings.catch_warnings():  # a speculative candidate: relief that stops here is no news
        pywarnings.simplefilter("ignore", UserWarning)
        relieved = relieve(graph, label, s_node, cost, children, seats, movable)
    if relieved is None:
        return None
    if islands(graph, relieved, s_node, children).any():  # the starting zones' own islands
        relieved, left = repair(graph, s_node, relieved, children, seats, cost, movable)
    return improve(graph, relieved, s_node, cost, children, seats, movable)


def _make_contiguous(graph: UnitGraph, s_node: np.ndarray, label: np.ndarray, dist: np.ndarray,
                     children: np.ndarray, seats: np.ndarray, cost: np.ndarray, locked: np.ndarray,
                     current: np.ndarray, current_ok: np.ndarray, max_w: float, resolve) -> tuple[np.ndarray, int]:
    """Repair islands: join each to its cheapest neighbouring catchment and re-solve the rest around it (fast
    solver); keep the plan with the fewest islands; then grow contiguous catchments if islands are left."""
    lock = locked.copy()
    best = (int(islands(graph, label, s_node, children).sum()), label)
    for _ in range(CONTIGUITY_ROUNDS):
        island = islands(graph, label, s_node, children) & (lock < 0)
        target = island_targets(graph, label, island, cost)
        if not (target >= 0).any():
            break
        trial = np.where(target >= 0, target, lock)
        try:
            label = resolve(trial, candidates(dist, max_walk=max_w, include=(current_ok, trial)))
        except InfeasibleError:
            break
        lock = trial
        count = int(islands(graph, label, s_node, children).sum())
        if count >= best[0]:  # a round that joins no island more: the next re-solve would not either, mostly
            break
        best = (count, label)
        if count == 0:
            break
    label = best[1]
    label, left = repair(graph, s_node, label, children, seats, cost, locked < 0)
    if left:
        # Mend locally first: the islands join their neighbours and the overflow moves along (the rest stays).
        joined = join_islands(graph, s_node, label, children, seats, cost, locked < 0)
        if joined is not None:
            joined = improve(graph, joined, s_node, cost, children, seats, locked < 0)
            count = int(islands(graph, joined, s_node, children).sum())
            if count < left:
                label, left = joined, count
    if left:
        # Grow contiguous catchments instead, following this plan (else the starting one): a little more
        # walking, no islands.
        grown = contiguous_plan(graph, s_node, cost, children, seats, np.where(locked >= 0, locked, -1),
                                guides=(label, current))
        if grown is not None:
            count = int(islands(graph, grown, s_node, children).sum())
            if count < left:
                label, left = grown, count
    return label, left


def _with_fill_pairs(c: Candidates, dist: np.ndarray, children: np.ndarray, fill: np.ndarray,
                     max_w: float) -> Candidates:
    """``c`` plus, for each school with a minimum fill, its nearest compounds holding twice that many children
    (so that a school nobody has among its nearest can still be filled)."""
    k, m = dist.shape
    rows = np.flatnonzero(fill > 0)
    if rows.size == 0:
        return c
    d = np.where(np.isfinite(dist[rows]) & (dist[rows] <= max_w), dist[rows], np.inf)
    order = np.argsort(d, axis=1, kind="stable")
    reach = np.isfinite(np.take_along_axis(d, order, axis=1))
    cum = np.cumsum(np.where(reach, np.asarray(children, float)[order], 0.0), axis=1)
    n = (cum < 2.0 * np.asarray(fill, float)[rows, None]).sum(axis=1) + 1  # nearest holding twice the minimum
    r, at = np.nonzero((np.arange(m)[None, :] < n[:, None]) & reach)
    school = np.r_[c.school, rows[r]]
    unit = np.r_[c.unit, order[r, at]]
    key = np.unique(unit.astype(np.int64) * k + school)
    unit, school = np.divmod(key, k)
    return Candidates(unit, school, dist[school, unit], c.n_units, c.n_schools)


def fill_repair(graph: UnitGraph, s_node: np.ndarray, label: np.ndarray, children: np.ndarray, seats: np.ndarray,
                fill: np.ndarray, cost: np.ndarray, movable: np.ndarray, contiguous: bool = True,
                rounds: int = 10_000) -> np.ndarray:
    """Bring schools under their minimum fill up to it: the cheapest neighbouring compound moves in, one at a
    time, from a school that stays at or above its own minimum (and, with ``contiguous``, whole).

    Parameters
    ----------
    graph : UnitGraph
        The compounds' neighbour graph.
    s_node : ndarray of int
        Each school's street node.
    label : ndarray of int
        Each compound's school.
    children, seats, fill : ndarray
        Children per compound; seats and minimum fill per school.
    cost : ndarray
        Schools x compounds (inf: not allowed).
    movable : ndarray of bool
        Which compounds may move.
    contiguous : bool
        Moves must keep the giving catchment connected.
    rounds : int
        At most this many moves.

    Returns
    -------
    label : ndarray of int
    """
    label = np.array(label, copy=True)
    k = len(seats)
    adj = graph.adjacency
    host = graph.unit_of_node[np.asarray(s_node)]
    is_host = np.zeros(label.size, bool)
    is_host[host[(host >= 0) & (label[np.maximum(host, 0)] == np.arange(k))]] = True
    load = np.bincount(label, weights=children, minlength=k)
    stuck = np.zeros(k, bool)
    for _ in range(rounds):
        under = np.flatnonzero((load < fill - 1e-9) & ~stuck)
        if under.size == 0:
            break
        j = int(under[np.argmax((fill - load)[under])])
        members = label == j
        if members.any():
            nb = np.unique(adj[np.flatnonzero(members)].indices)
            options = nb[label[nb] != j]
        else:  # an empty school starts from the compound it stands in, else one of its nearest compounds
            nearest = np.argsort(cost[j], kind="stable")[:16]
            options = np.r_[host[j], nearest[nearest != host[j]]] if host[j] >= 0 else nearest
        options = options[movable[options] & ~is_host[options] & np.isfinite(cost[j, options])]
        s = label[options]
        ok = (load[s] - children[options] >= fill[s] - 1e-9) & (load[j] + children[options] <= seats[j] + 1e-9)
        options = options[ok]
        if members.any():  # the cheapest first; an empty school tries its own compound, then the nearest
            options = options[np.argsort(cost[j, options] - cost[label[options], options], kind="stable")]
        chosen = -1
        for i in options:
            src = label[i]
            if contiguous:
                rest = np.flatnonzero(label == src)
                rest = rest[rest != i]
                if rest.size > 1 and connected_components(adj[rest][:, rest], directed=False)[0] > 1:
                    continue
            chosen = int(i)
            break
        if chosen < 0:
            stuck[j] = True
            continue
        src = label[chosen]
        load[src] -= children[chosen]
        load[j] += children[chosen]
        label[chosen] = j
    return label


def _check_snaps(df: pd.DataFrame, snap_m: np.ndarray, file: str, kind: str, warnings: list[Warning_],
                 rows: np.ndarray | None = None) -> None:
    far = np.flatnonzero(snap_m > OUTSIDE_M)
    if far.size:
        i = int(far[0])
        raise InputError("err.outside_network", kind=f"@kind.{kind}", name=_row_name(df, i), file=file,
                         row=int(rows[i]) if rows is not None else i + 1,
                         dist=float(snap_m[i]))
    for j in np.flatnonzero(snap_m > SNAP_WARN_M):
        warnings.append(("warn.snap_far", {"kind": f"@kind.{kind}", "name": _row_name(df, int(j)),
                                           "dist": float(snap_m[j]), "limit": SNAP_WARN_M}))
