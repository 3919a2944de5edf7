"""A scenario (level, method) run on the inputs (network, schools, compounds): the data flow in one call.

``run_scenario(inputs, scenario)`` is pure: the same inputs and scenario give the same result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.inputs.demand import children_column
from geo.inputs.model import Inputs
from geo.inputs.schools import LEVELS, PRIMARY, schools_for_level
from geo.network.distances import SNAP_WARN_M, distance_matrix, snap, straight_matrix
from geo.zoning.allocation import Candidates, InfeasibleError, candidates, explain, solve_exact, solve_heuristic
from geo.zoning.assignment import METHODS, NETWORK, OPTIMAL, nearest_by_network, nearest_by_straight_line
from geo.zoning.catchments import absorb_fragments, edge_samples, outline_samples, polygons_from_sites
from geo.zoning.contiguity import contiguous_plan, island_targets, islands, repair
from geo.zoning.metrics import RADIUS_M
from geo.zoning.result import ZoningResult, build_result

# A school or compound farther than this from every street is outside the network's area.
OUTSIDE_M = 2000.0

Warning_ = tuple[str, dict]


FAST, EXACT = "fast", "exact"
SOLVERS = (FAST, EXACT)  # capacity-optimal zoning: the heuristic, or the exact MIP (HiGHS)
CONTIGUITY_ROUNDS = 8


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

    def __post_init__(self) -> None:
        if not (np.isfinite(self.radius_m) and self.radius_m >= 0):
            raise ValueError("radius_m must be a number of metres, 0 or more")
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        if self.solver not in SOLVERS:
            raise ValueError("solver must be 'fast' or 'exact'")

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
    # A plan's catchments are the unions of its compounds' tiles; the nearest-school methods draw instead
    # what they mean, every point's nearest school: along the streets (network) or as the crow flies.
    nearest: dict = {}
    if scenario.method == NETWORK:
        xy, lab = edge_samples(net, node_label, node_dist)
        oxy, olab = outline_samples(inputs.compounds_projected.to_numpy(), label)
        polys = polygons_from_sites(np.concatenate([xy, oxy]), np.concatenate([lab, olab]), len(schools),
                                    inputs.area)
        polys = absorb_fragments(polys, np.concatenate([school_xy, inputs.compound_xy]),
                                 np.concatenate([np.arange(len(schools)), label]))
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
    if net.straight_line:
        dist = straight_matrix(school_xy, inputs.compound_xy)
    else:
        dist = distance_matrix(net, s_node, s_off, u_node, u_off)
    current = np.argmin(np.where(np.isfinite(dist), dist, np.inf), axis=0)
    if start is not None:
        current = start_labels(inputs.compounds["compound_id"], schools["school_id"], start, current)
    seats = schools["seats"].to_numpy().astype(float) * (1.0 + scenario.tolerance)
    school_index = {sid: j for j, sid in enumerate(schools["school_id"])}
    unit_index = {cid: i for i, cid in enumerate(inputs.compounds["compound_id"])}
    locked = np.full(len(children), -1, np.int64)
    for cid, sid in scenario.locked:
        if cid in unit_index and sid in school_index:
            locked[unit_index[cid]] = school_index[sid]
    max_walk = scenario.max_walk_m if scenario.max_walk_m > 0 else np.inf
    # The starting plan's school is always a candidate (for stability), but never beyond the maximum walk.
    current_ok = np.where(dist[current, np.arange(len(current))] <= max_walk, current, -1)
    cands = candidates(dist, max_walk=max_walk, include=(current_ok, locked))
    names_u = inputs.compounds["name"].to_numpy()
    names_s = schools["name"].to_numpy()
    reasons = explain(cands, children, seats, locked, names_u, names_s)
    if reasons:
        raise InfeasibleError(reasons)
    stability = scenario.stability

    def solve(lock: np.ndarray, pairs: Candidates, exact: bool):
        kw = dict(current=current, locked=lock, stability=stability)
        if exact:
            return solve_exact(pairs, children, seats, time_limit=scenario.time_limit_s, should_stop=should_stop, **kw)
        try:
            return solve_heuristic(pairs, children, seats, **kw)
        except InfeasibleError:  # the fast repair got stuck: let the MIP find a plan
            return solve_exact(pairs, children, seats, time_limit=scenario.time_limit_s, should_stop=should_stop, **kw)

    try:
        alloc = solve(locked, cands, scenario.solver == EXACT)
    except InfeasibleError:
        raise InfeasibleError([("opt.infeasible", {})]) from None
    label = alloc.label
    graph = inputs.unit_graph
    islands_left = 0
    if scenario.contiguous:
        cost = np.where(np.isfinite(dist) & (dist <= max_walk), dist * (children + 1e-3), np.inf)
        if stability > 0:
            cost = cost + stability * (children + 1e-3) * (np.arange(len(seats))[:, None] != current[None, :])
        # Repair: join each island to its cheapest neighbouring catchment and re-solve the rest around it
        # (fast solver); keep the plan with the fewest islands.
        lock = locked.copy()
        best = (int(islands(graph, label, s_node, children).sum()), label)
        for _ in range(CONTIGUITY_ROUNDS):
            island = islands(graph, label, s_node, children) & (lock < 0)
            target = island_targets(graph, label, island, cost)
            if not (target >= 0).any():
                break
            trial = np.where(target >= 0, target, lock)
            try:
                label = solve(trial, candidates(dist, max_walk=max_walk, include=(current_ok, trial)), False).label
            except InfeasibleError:
                break
            lock = trial
            count = int(islands(graph, label, s_node, children).sum())
            if count < best[0]:
                best = (count, label)
            if count == 0:
                break
        label = best[1]
        label, islands_left = repair(graph, s_node, label, children, seats, cost, locked < 0)
        if islands_left:
            # Grow contiguous catchments instead, following this plan (else the nearest-school one): a little
            # more walking, no islands.
            grown = contiguous_plan(graph, s_node, cost, children, seats, np.where(locked >= 0, locked, -1),
                                    guides=(label, current))
            if grown is not None:
                count = int(islands(graph, grown, s_node, children).sum())
                if count < islands_left:
                    label, islands_left = grown, count
        if islands_left:
            warnings.append(("opt.not_contiguous", {"count": islands_left}))
    unit_dist = dist[label, np.arange(len(label))]
    objective = float(((unit_dist + stability * (label != current)) * (children + 1e-3)).sum())
    # The gap of the plan as shown (after any contiguity repair) to the solver's lower bound, which bounds the
    # contiguous problem too: the repair's cost is in the figure, not hidden.
    gap = max(0.0, (objective - alloc.bound) / objective) if objective > 0 else 0.0
    status = alloc.status
    if status == "optimal" and not np.array_equal(label, alloc.label):
        status = "contiguous"  # the optimum, changed to keep catchments whole: the gap says by how much
    plan = {"solver": status, "gap": gap, "seconds": alloc.seconds, "objective": objective, "_start": current}
    if scenario.contiguous:
        plan["islands"] = islands_left
    return label, unit_dist, plan


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
