"""How far a plan keeps an official list: the length-weighted share of each school's listed streets that lie in that
school's catchment under the plan (:func:`listed_agreement`).

Any plan can be measured (nearest school, capacity-optimal, edited, or the list's own zones, which should score
close to 1): a listed street is in the plan's catchment of its school when the midpoint of each of its network
edges lies inside that catchment polygon. Schools of the list without a location have no catchment in any other
plan and are reported, not scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.network.graph import Network
from geo.zoning.result import ZoningResult

AGREEMENT_COLUMNS = ["school_id", "school", "listed_m", "inside_m", "share", "compared"]


def listed_agreement(network: Network, edge_school: np.ndarray, zone_ids: tuple[str, ...] | list[str],
                     zone_names: tuple[str, ...] | list[str], result: ZoningResult) -> pd.DataFrame:
    """Each listed school's share of listed street length inside its catchment under a plan.

    Parameters
    ----------
    network : Network
        The street network the list was read against.
    edge_school : ndarray of int
        Each edge's zone (-1: not listed), as :attr:`geo.official.edges.EdgeAssignment.edge_school`.
    zone_ids, zone_names : sequence of str
        Each zone's school id and name (:attr:`geo.official.plan.OfficialReport.zone_ids` and
        ``edges.schools``).
    result : ZoningResult
        The plan to measure (its ``catchments``, in the network's CRS).

    Returns
    -------
    DataFrame
        One row per zone (:data:`AGREEMENT_COLUMNS`): listed length and the length inside the catchment in metres
        (each street once, whatever the directions of its edges), ``share`` (NaN where not compared) and
        ``compared`` (False when the plan has no catchment for that school); then a last row ``school_id`` ""
        and ``school`` "*" with the totals over the compared schools.
    """
    edge_school = np.asarray(edge_school, np.int64)
    k = len(zone_ids)
    listed = np.flatnonzero(edge_school >= 0)
    half = 2.0 if network.mode == "walk" else 1.0
    length = network.edge_length[listed] / half
    zone = edge_school[listed]
    mid = (network.xy[network.edge_u[listed]] + network.xy[network.edge_v[listed]]) / 2
    cat = result.catchments
    poly_of = {str(s): g for s, g in zip(cat["school_id"], cat.geometry, strict=True)}
    inside = np.zeros(listed.size, bool)
    compared = np.array([str(z) in poly_of and not poly_of[str(z)].is_empty for z in zone_ids], bool)
    points = shapely.points(mid)
    for z in np.flatnonzero(compared):
        hit = zone == z
        if hit.any():
            poly = poly_of[str(zone_ids[z])]
            shapely.prepare(poly)
            inside[hit] = shapely.covers(poly, points[hit])
    listed_m = np.bincount(zone, weights=length, minlength=k)
    inside_m = np.bincount(zone, weights=length * inside, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(compared & (listed_m > 0), inside_m / listed_m, np.nan)
    out = pd.DataFrame({"school_id": [str(z) for z in zone_ids], "school": [str(n) for n in zone_names],
                        "listed_m": listed_m.round(1), "inside_m": inside_m.round(1), "share": share,
                        "compared": compared}, columns=AGREEMENT_COLUMNS)
    use = compared & (listed_m > 0)
    total_l, total_i = float(listed_m[use].sum()), float(inside_m[use].sum())
    total = pd.DataFrame([{"school_id": "", "school": "*", "listed_m": round(total_l, 1), "inside_m": round(total_i, 1),
                           "share": total_i / total_l if total_l > 0 else np.nan, "compared": bool(use.any())}])
    return pd.concat([out, total], ignore_index=True)
