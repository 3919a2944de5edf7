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
import shapely

from geo.network.graph import Network
from geo.official.names import LOOSE, MATCHED

REJECTED = "rejected"  # a loose match refused: too far from its school's streets, or by the planner
# A street listed for a school lies in or beside its catchment: the catchment of a Chengdu primary school is
# 0.5-2 km across, so its listed streets meet or come within a few hundred metres of each other and of the school.
# The wrong loose matches of the 2025 lists lay 1.5-8 km away; 500 m leaves a block's margin over the right ones.
LOOSE_MAX_M = 500.0
AUTO, PLANNER = "auto", "planner"
LOOSE_COLUMNS = ["school", "street", "names", "reason", "score", "streets_m", "school_m", "distance_m",
                 "accepted", "by", "source", "line"]


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
        school; NaN where there is none), ``distance_m`` (the smaller), ``accepted`` and ``by`` (``auto`` or
        ``planner``).
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
        if key in choices:
            ok, by = bool(choices[key]), PLANNER
        else:
            ok, by = bool(np.isfinite(d) and d <= max_m), AUTO
        rows.append({"school": e.school, "street": e.street, "names": "、".join(e.names),
                     "reason": getattr(e, "reason", "") or "", "score": float(e.score), "streets_m": streets_m,
                     "school_m": school_m, "distance_m": d, "accepted": ok, "by": by, "source": e.source,
                     "line": int(e.line)})
    table = pd.DataFrame(rows, columns=LOOSE_COLUMNS)
    refused = set(zip(table.loc[~table["accepted"], "school"], table.loc[~table["accepted"], "street"], strict=True))
    if refused:
        hit = loose & pd.Series([(s, t) in refused for s, t in zip(entries["school"], entries["street"], strict=True)],
                                index=entries.index)
        entries = entries.assign(status=entries["status"].where(~hit, REJECTED))
    return entries, table
