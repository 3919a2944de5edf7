"""Per-school figures: children, seats, utilisation and child-weighted walking distances.

The service radii are those of GB 50180-2018 (urban residential planning): 500 m for primary schools,
1,000 m for junior secondary schools. They are Chinese defaults: a scenario may set its own
(``Scenario.radius_m``; ``xuequ zones --radius``), and results say which was used (``summary["radius_default"]``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

RADIUS_M = {"primary": 500.0, "junior": 1000.0}
TABLE_COLUMNS = ("school_id", "name", "seats", "children", "compounds", "utilisation", "over_capacity", "mean_m",
                 "median_m", "p90_m", "within_radius")


def weighted_quantiles(group: np.ndarray, value: np.ndarray, weight: np.ndarray, n_groups: int,
                       q: float) -> np.ndarray:
    """The ``q`` quantile of ``value`` weighted by ``weight`` within each group (inverted CDF).

    Vectorised: one sort, one cumulative sum, one search.

    Parameters
    ----------
    group
        Each value's group, ``0..n_groups-1``.
    value, weight
        The values and their weights.
    n_groups
        How many groups.
    q
        The quantile, 0 to 1.

    Returns
    -------
    quantiles
        One per group; NaN for groups with no weight.
    """
    group, value, weight = np.asarray(group), np.asarray(value, float), np.asarray(weight, float)
    order = np.lexsort((value, group))
    g, v, w = group[order], value[order], weight[order]
    cum = np.cumsum(w)
    total = np.bincount(g, weights=w, minlength=n_groups)
    before = np.concatenate([[0.0], np.cumsum(total)[:-1]])
    target = before + q * total
    tol = 1e-9 * np.maximum(total, 1)
    # At least a little above ``before``: q = 0 must skip the previous group and zero-weight values.
    idx = np.searchsorted(cum, np.maximum(target - tol, before + tol), side="left")
    idx = np.clip(idx, 0, max(v.size - 1, 0))
    out = v[idx] if v.size else np.full(n_groups, np.nan)
    return np.where(total > 0, out, np.nan)


def school_table(label: np.ndarray, dist: np.ndarray, children: np.ndarray, school_id: np.ndarray,
                 name: np.ndarray, seats: np.ndarray, radius: float) -> pd.DataFrame:
    """The school table for one zoning: a row per school, in school order.

    Parameters
    ----------
    label, dist, children
        Per compound: its school (index, -1: unassigned), its walk in metres and its children.
    school_id, name, seats
        Per school.
    radius
        The service radius in metres (:data:`RADIUS_M`).

    Returns
    -------
    table
        The columns of :data:`TABLE_COLUMNS`.
    """
    k = len(school_id)
    ok = label >= 0
    g, d, w = label[ok], dist[ok], np.asarray(children, float)[ok]
    kids = np.bincount(g, weights=w, minlength=k)
    n_units = np.bincount(g, minlength=k)
    mean = np.bincount(g, weights=w * d, minlength=k) / np.where(kids > 0, kids, np.nan)
    within = np.bincount(g, weights=w * (d <= radius), minlength=k) / np.where(kids > 0, kids, np.nan)
    seats = np.asarray(seats, float)
    return pd.DataFrame({
        "school_id": school_id,
        "name": name,
        "seats": seats.astype(np.int64),
        "children": kids.astype(np.int64),
        "compounds": n_units.astype(np.int64),
        "utilisation": kids / np.where(seats > 0, seats, np.nan),
        "over_capacity": np.maximum(kids - seats, 0).astype(np.int64),
        "mean_m": mean,
        "median_m": weighted_quantiles(g, d, w, k, 0.5),
        "p90_m": weighted_quantiles(g, d, w, k, 0.9),
        "within_radius": within,
    })


def summary(label: np.ndarray, dist: np.ndarray, children: np.ndarray, radius: float) -> dict[str, float]:
    """District-wide figures: children, child-weighted mean walk and share within the radius.

    Parameters
    ----------
    label, dist, children
        Per compound: its school (index, -1: unassigned, left out), its walk in metres and its children.
    radius
        The service radius in metres.

    Returns
    -------
    summary
        ``children``, ``mean_m`` and ``within_radius`` (NaN when there are no children).
    """
    ok = label >= 0
    w = np.asarray(children, float)[ok]
    d = dist[ok]
    total = float(w.sum())
    return {
        "children": total,
        "mean_m": float((w * d).sum() / total) if total else float("nan"),
        "within_radius": float((w * (d <= radius)).sum() / total) if total else float("nan"),
    }


def polsby_popper(polygons: npt.ArrayLike) -> np.ndarray:
    """Compactness of each polygon: 4 pi area / perimeter^2 (1 for a circle, near 0 for a sliver).

    Parameters
    ----------
    polygons
        Shapely geometries.

    Returns
    -------
    compactness
        One per polygon; NaN for empty ones.
    """
    area = shapely.area(polygons)
    perimeter = shapely.length(polygons)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(perimeter > 0, 4 * np.pi * area / perimeter**2, np.nan)
