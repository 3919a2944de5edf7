"""School-district alliances (学区): contiguous groups of schools that mix strong and weak schools.

**Which schools neighbour.** Two schools are neighbours when their catchments share a border
(:func:`adjacency_from_catchments`: a shared boundary of at least ``min_shared_m`` metres; or, on the street
network, :func:`adjacency_from_units`: some compound of one catchment neighbours some compound of the other in
:mod:`geo.zoning.contiguity`'s unit graph), or when their walking distance is within a radius
(:func:`adjacency_from_distance`). An alliance is *contiguous* when its schools are connected by neighbour
links among themselves.

**Strength.** Every school has a strength (by default county-level-or-above backbone teachers per 100 students,
see :func:`geo.equity.strength.school_strength`); *strong* schools are those above the median, or at or above a
threshold, or the top ``k`` (:func:`geo.equity.strength.strong_schools`). An alliance *mixes* when it holds at least
``min_strong`` strong and ``min_weak`` weak schools (and, optionally, a minimum share of strong ones).

User-drawn alliances (a mapping school id -> alliance id) are checked by :func:`alliance_issues` /
:func:`validate_alliances` for contiguity, mixture and distance, with messages naming the schools.

The best alliances under the rules are suggested by the MIP of :mod:`geo.equity.alliance_mip`;
:mod:`geo.equity.alliance_plan` puts it together for a zoning (figures, the multi-school zones for
:mod:`geo.equity.lottery`, the app's steps).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geo.errors import InputError
from geo.network.distances import snap, source_matrix
from geo.network.graph import Network


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


# --- which schools neighbour ------------------------------------------------------------------------------------

def symmetric_adjacency(adj: sp.spmatrix) -> sp.csr_matrix:
    """Neighbour links made symmetric, without self-links.

    Parameters
    ----------
    adj
        Schools x schools (non-zero: a link, in either direction).

    Returns
    -------
    adjacency
        Symmetric 0/1 (``int8``), with an empty diagonal.
    """
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
    return symmetric_adjacency(sp.csr_matrix(touching & (np.nan_to_num(shared) >= min_shared_m)))


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
    return symmetric_adjacency(member.T @ sp.csr_matrix(unit_adjacency) @ member)


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
    return symmetric_adjacency(sp.csr_matrix(np.isfinite(d) & (d <= radius_m)))


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
