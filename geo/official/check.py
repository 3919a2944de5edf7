"""Loose street matches checked in space: a loose name match is used only where it lies near the school.

A list names the streets around a school: a street matched only loosely (a section, a street type, a homophone, a
fuzzy spelling) that lies kilometres from the school's other streets is another street of a similar name
(光华大道一段 read as 成华大道一段, 5 km away). :func:`check_loose` measures, for every loose match, the straight
distance from its network edges to the school's exactly matched streets and to the school itself, and accepts it
only within ``max_m`` (:data:`LOOSE_MAX_M` by default); the planner's own choices (accept or reject, per school
and street) come before the rule.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geo.network.graph import Network
from geo.official.names import LOOSE, MATCHED

REJECTED = "rejected"  # a loose match refused: too far from its school's streets, or by the planner
# A street listed for a school lies in or beside its catchment: the catchment of a Chengdu primary school is
# 0.5-2 km across, so its listed streets meet or come within a few hundred metres of each other and of the school.
# The wrong loose matches of the 2025 lists lay 1.5-8 km away; 500 m leaves a block's margin over the right ones.
LOOSE_MAX_M = 500.0
# An exact name is trusted more than a loose one: its far parts are left out only beyond three times the loose
# distance (1.5 km: a whole catchment away). The lists' exact names found only there were other streets (和平街, 5.9 km).
EXACT_FACTOR = 3.0
AUTO, PLANNER = "auto", "planner"
PART_COLUMNS = ["school", "street", "names", "parts", "kept", "dropped_m", "distance_m", "choice"]
LOOSE_COLUMNS = ["school", "street", "names", "reason", "score", "streets_m", "school_m", "distance_m",
                 "checked", "accepted", "by", "choice", "source", "line"]


def edge_lines(network: Network, edges: np.ndarray):
    """The edges as one (multi)line geometry in the network's CRS (straight between their end nodes).

    Parameters
    ----------
    network : Network
        The street network.
    edges : ndarray of int
        Edge indices.

    Returns
    -------
    shapely geometry
        A MultiLineString (empty when ``edges`` is).
    """
    edges = np.asarray(edges, np.int64)
    xy = network.xy
    coords = np.stack([xy[network.edge_u[edges]], xy[network.edge_v[edges]]], axis=1)
    return shapely.multilinestrings(shapely.linestrings(coords)) if edges.size else shapely.MultiLineString()


def check_loose(network: Network, entries: pd.DataFrame, edges_of, school_xy: Mapping[str, np.ndarray],
                max_m: float = LOOSE_MAX_M, choices: Mapping[tuple[str, str], bool] | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accept or reject each loose street match by where it lies.

    Parameters
    ----------
    network : Network
        The street network.
    entries : DataFrame
        Matched entries (:func:`geo.official.match.match_entries`): ``school``, ``street``, ``status``,
        ``names``, ``score``, ``source``, ``line`` (and ``reason`` when the matcher gives one).
    edges_of : callable
        A tuple of network street names -> their edges (:meth:`geo.official.edges.StreetEdges.edges`).
    school_xy : mapping of str to ndarray
        Each listed school's point (network CRS), for the schools that have one.
    max_m : float
        The farthest a loose match may lie from both the school's exactly matched streets and the school.
    choices : mapping of (school, street) to bool, optional
        The planner's decisions: True accepts, False rejects, whatever the distance (``street`` as the list
        writes it).

    Returns
    -------
    entries : DataFrame
        The entries, with ``status`` :data:`REJECTED` for the loose matches refused.
    loose : DataFrame
        One row per school and loose street (:data:`LOOSE_COLUMNS`): the network names, the matcher's reason and
        score, ``streets_m`` / ``school_m`` (the distance to the school's exactly matched streets / to the
        school; NaN where there is none), ``distance_m`` (the smaller), ``checked`` (False: neither exists, so the
        match is not used unless the planner accepts it), ``accepted``, ``by`` (``auto``, or ``planner`` where a
        choice overrules the rule: a choice that agrees with it stays ``auto``, so a new distance applies) and an
        empty ``choice`` column for the planner to fill in the CSV (accept / reject, :func:`read_choices`).
    """
    choices = dict(choices or {})
    loose = entries["status"] == LOOSE if len(entries) else pd.Series(dtype=bool)
    if not loose.any():
        return entries, pd.DataFrame(columns=LOOSE_COLUMNS)
    exact = entries[entries["status"] == MATCHED]
    anchors = {}
    for school, group in exact.groupby("school", sort=False):
        names = tuple(dict.fromkeys(n for t in group["names"] for n in t))
        anchors[school] = edge_lines(network, edges_of(names))
    rows = []
    first = entries[loose].drop_duplicates(["school", "street"])
    for e in first.itertuples(index=False):
        geom = edge_lines(network, edges_of(tuple(e.names)))
        anchor = anchors.get(e.school)
        streets_m = float(shapely.distance(geom, anchor)) if anchor is not None and not geom.is_empty else np.nan
        xy = school_xy.get(e.school)
        school_m = float(shapely.distance(geom, shapely.Point(xy))) if xy is not None and not geom.is_empty else np.nan
        d = np.nanmin([streets_m, school_m]) if np.isfinite([streets_m, school_m]).any() else np.nan
        key = (str(e.school), str(e.street))
        auto = bool(np.isfinite(d) and d <= max_m)  # nothing to check against (NaN): not used unless accepted
        if key in choices and bool(choices[key]) != auto:
            ok, by = bool(choices[key]), PLANNER
        else:
            ok, by = auto, AUTO
        rows.append({"school": e.school, "street": e.street, "names": "、".join(e.names),
                     "reason": getattr(e, "reason", "") or "", "score": float(e.score), "streets_m": streets_m,
                     "school_m": school_m, "distance_m": d, "checked": bool(np.isfinite(d)), "accepted": ok,
                     "by": by, "choice": "", "source": e.source, "line": int(e.line)})
    table = pd.DataFrame(rows, columns=LOOSE_COLUMNS)
    refused = set(zip(table.loc[~table["accepted"], "school"], table.loc[~table["accepted"], "street"], strict=True))
    if refused:
        hit = loose & pd.Series([(s, t) in refused for s, t in zip(entries["school"], entries["street"], strict=True)],
                                index=entries.index)
        entries = entries.assign(status=entries["status"].where(~hit, REJECTED))
    return entries, table


def _clusters(network: Network, edges: np.ndarray, gap_m: float) -> list[np.ndarray]:
    """A street's edges in parts: edges that share a node, or lie within ``gap_m`` of each other, are one part (a
    street interrupted by a square is one street; two streets of one name across the city are two)."""
    if edges.size == 0:
        return []
    u, v = network.edge_u[edges], network.edge_v[edges]
    nodes, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    k = edges.size
    g = sp.coo_matrix((np.ones(k), (inv[:k], inv[k:])), shape=(nodes.size, nodes.size))
    n, comp = connected_components(g, directed=False)
    part = comp[inv[:k]]
    if n > 1:  # join parts closer than the gap (single linkage over their lines)
        lines = [edge_lines(network, edges[part == p]) for p in range(n)]
        tree = shapely.STRtree(lines)
        a, b = tree.query(lines, predicate="dwithin", distance=gap_m)
        m, join = connected_components(sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n)), directed=False)
        part = join[part]
        n = m
    return [edges[part == p] for p in range(n)]


def keep_near_parts(network: Network, entries: pd.DataFrame, edges_of, school_xy: Mapping[str, np.ndarray],
                    max_m: float = LOOSE_MAX_M, choices: Mapping[tuple[str, str], bool] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep of each listed street only what lies near the school: a name can stand for streets kilometres apart.

    The network may use a listed name in several places (two 和平街 in one city), or only in a place far from the
    school (the list's 和平街 is not in the file, another one is, 2.5 km away). A matched street falls in parts (edges
    that touch or lie within ``max_m`` of each other); only the parts within ``max_m`` of the school's other listed
    streets or of the school are used (for an exact name, which is trusted more: within :data:`EXACT_FACTOR` times
    that, since only a street far beyond the zone is another one), and an exact match none of whose parts is near is
    rejected as a loose one is — but only beside a core of the school's exact streets that are near each other or the
    school (two exact streets far apart with nothing else: which is wrong cannot be told, both are kept). The
    planner's ``choices`` (True) keep a street whole.
    A school with neither other streets nor a location keeps everything (nothing to check against).

    Parameters
    ----------
    network : Network
        The street network.
    entries : DataFrame
        Matched entries after :func:`check_loose` (entries with status ``matched`` or ``loose`` are checked).
    edges_of : callable
        Network street names -> their edges.
    school_xy : mapping of str to ndarray
        Each listed school's point (network CRS).
    max_m : float
        The distance of :func:`check_loose`.

    Returns
    -------
    entries : DataFrame
        With ``edges``: the edges an entry may use (a tuple), or None for all of its street's; exact matches with
        no part near have status :data:`REJECTED`.
    parts : DataFrame
        One row per school and street cut down or rejected (:data:`PART_COLUMNS`): how many parts, how many kept (0:
        rejected), the length left out and the distance of the nearest part left out.
    """
    entries = entries.assign(edges=None)
    used = entries["status"].isin([MATCHED, LOOSE]).to_numpy() if len(entries) else np.zeros(0, bool)
    if not used.any():
        return entries, pd.DataFrame(columns=PART_COLUMNS)
    half = 2.0 if network.mode == "walk" else 1.0
    parts_of: dict[tuple, list[np.ndarray]] = {}
    for names in dict.fromkeys(tuple(n) for n in entries.loc[used, "names"]):
        parts_of[names] = _clusters(network, edges_of(names), max_m)
    rows, keep, refuse = [], {}, set()
    for school, group in entries[used].groupby("school", sort=False):
        own = list(dict.fromkeys(tuple(n) for n in group["names"]))
        exact = {tuple(n) for n, st in zip(group["names"], group["status"], strict=True) if st == MATCHED}
        lines = np.array([edge_lines(network, edges_of(n)) for n in own], dtype=object)
        xy = school_xy.get(school)
        point = shapely.Point(xy) if xy is not None else None
        dist = {}
        for i, names in enumerate(own):
            parts = parts_of[names]
            if not parts:
                continue
            geoms = np.array([edge_lines(network, p) for p in parts], dtype=object)
            others = np.delete(lines, i)
            d = np.full(len(parts), np.inf)
            if others.size:
                d = shapely.distance(geoms[:, None], others[None, :]).min(axis=1)
            if point is not None:
                d = np.minimum(d, shapely.distance(geoms, point))
            dist[names] = d <= (EXACT_FACTOR * max_m if names in exact else max_m), d
        # An exact street none of whose parts is near is another street only beside a coherent core: exact streets
        # near each other or the school. Two exact streets far apart with nothing else cannot tell which is wrong.
        core = any(near.any() for n, (near, _) in dist.items() if n in exact)
        for names, (near, d) in dist.items():
            parts = parts_of[names]
            written = group.loc[group["names"].map(tuple) == names, "street"].iloc[0]
            if not np.isfinite(d).any() or near.all() or (not near.any() and (names not in exact or not core)):
                continue  # nothing to check against, all near, a loose match (check_loose), or no core
            if (choices or {}).get((str(school), str(written))) is True:
                continue  # the planner keeps it
            dropped = np.concatenate([parts[p] for p in np.flatnonzero(~near)])
            rows.append({"school": school, "street": written, "names": "、".join(names), "parts": len(parts),
                         "kept": int(near.sum()), "dropped_m": float(network.edge_length[dropped].sum() / half),
                         "distance_m": float(d[~near].min()), "choice": ""})
            if near.any():
                keep[(school, names)] = tuple(int(e) for p in np.flatnonzero(near) for e in parts[p])
            else:
                refuse.add((school, names))
    if keep:
        entries["edges"] = [keep.get((s, tuple(n))) if u else None
                            for s, n, u in zip(entries["school"], entries["names"], used, strict=True)]
    if refuse:
        hit = [u and (s, tuple(n)) in refuse for s, n, u in zip(entries["school"], entries["names"], used, strict=True)]
        entries["status"] = entries["status"].where(~np.asarray(hit), REJECTED)
    return entries, pd.DataFrame(rows, columns=PART_COLUMNS)
