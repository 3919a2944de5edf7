"""School-district alliances for a zoning: their figures (:func:`alliance_table`), the multi-school zones they
make for :mod:`geo.equity.lottery` (:func:`alliance_zones`: each the union of its schools' catchments), and
:func:`plan_alliances`, which suggests (:mod:`geo.equity.alliance_mip`) or checks (:mod:`geo.equity.alliances`)
the alliances of a :class:`~geo.zoning.result.ZoningResult` in one call; the same in steps a page can cache
(:func:`alliance_context`, then :func:`suggest_plan` or :func:`check_alliances`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely

from geo.equity.alliance_mip import Suggestion, suggest_alliances
from geo.equity.alliances import (
    AllianceRules,
    adjacency_from_catchments,
    adjacency_from_distance,
    adjacency_from_units,
    alliance_issues,
    alliance_labels,
    school_distances,
    validate_alliances,
)
from geo.equity.lottery import Zones, make_zones
from geo.equity.strength import DEFAULT_MEASURE, known_strength, strong_schools
from geo.errors import InputError

if TYPE_CHECKING:  # annotations only: equity reads a zoning, it does not need zoning loaded to be imported
    from geo.inputs.model import Inputs
    from geo.zoning.result import ZoningResult


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
        Which schools are strong (:func:`geo.equity.strength.school_strength`,
        :func:`geo.equity.strength.strong_schools`).
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
    """:func:`~geo.equity.alliance_mip.suggest_alliances` on ``ctx`` as a plan (alliances named 1, 2, ...; same
    as :func:`plan_alliances`).

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
        :func:`~geo.equity.alliances.alliance_issues` (sizes included), naming the schools.
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
