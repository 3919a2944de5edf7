"""Stable school colours: a school keeps its colour on every map of a data set, and neighbours differ.

The colours come from a fixed palette and are chosen by colouring the schools' adjacency graph (Delaunay
neighbours and the eight nearest schools, among all schools and among the schools of each level: catchments drawn
on the streets reach farther than Voronoi cells), greedily in the order of the sorted school ids. They depend on the data set only, never on the plan: opening, closing or moving a
school, or reassigning compounds, recolours nothing. A school that is not in the data set (opened in a plan) gets a
colour that avoids its neighbours, and the others keep theirs.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial import Delaunay, QhullError, cKDTree

# The most distinct colours first (a greedy colouring uses the first ones; about ten on the demo and on central
# Chengdu); no greys, which mean "not covered" on the maps.
CATCHMENT_PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
                     "#9c755f", "#bcbd22", "#a0cbe8", "#8cd17d", "#ffbe7d", "#d4a6c8", "#17becf", "#d37295",
                     "#499894", "#86bcb6")
_LEVEL_SETS = ({"primary", "nine_year"}, {"junior", "nine_year"})
NEAREST = 8  # besides Delaunay neighbours, each school's nearest schools (catchments on streets reach farther)


def _pairs(xy: np.ndarray) -> set[tuple[int, int]]:
    """The Delaunay edges of ``xy`` as (i, j) pairs with i < j; a point Qhull leaves out (a duplicate) gets the
    edges of the vertex nearest to it, and that vertex too. Fewer than four points, or all on a line: each point
    next to the following one along the line (and all pairs when there are three or fewer)."""
    n = len(xy)
    if n < 2:
        return set()
    if n <= 3:
        return {(i, j) for i in range(n) for j in range(i + 1, n)}
    try:
        tri = Delaunay(xy)
    except (QhullError, ValueError):  # collinear (or all equal): a chain along the line
        centred = xy - xy.mean(axis=0)
        axis = np.linalg.svd(centred, full_matrices=False)[2][0] if np.any(centred) else np.array([1.0, 0.0])
        order = np.argsort(centred @ axis, kind="stable")
        return {(min(a, b), max(a, b)) for a, b in zip(order[:-1].tolist(), order[1:].tolist())}
    s = tri.simplices
    e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    e.sort(axis=1)
    out = {(int(a), int(b)) for a, b in np.unique(e, axis=0)}
    if len(tri.coplanar):
        for p, _, v in tri.coplanar.tolist():
            out |= {(min(p, q), max(p, q)) for q in (
                [v] + [b if a == v else a for a, b in out if v in (a, b)]) if q != p}
    return out


def _nearest(xy: np.ndarray, k: int) -> set[tuple[int, int]]:
    """Each point with its ``k`` nearest others, as (i, j) pairs with i < j."""
    n = len(xy)
    if n < 2 or k < 1:
        return set()
    _, idx = cKDTree(xy).query(xy, k=min(k + 1, n))
    return {(min(i, int(j)), max(i, int(j))) for i, row in enumerate(np.atleast_2d(idx)) for j in row if j != i}


def _adjacency(xy: np.ndarray, levels: Sequence[str] | None) -> list[set[int]]:
    """Each point's neighbours: Delaunay and nearest neighbours of all points and, with ``levels``, of the
    points of each school level."""
    n = len(xy)
    edges = _pairs(xy) | _nearest(xy, NEAREST)
    if levels is not None:
        lv = np.asarray([str(v) for v in levels])
        for group in _LEVEL_SETS:
            idx = np.flatnonzero(np.isin(lv, list(group)))
            sub = xy[idx]
            edges |= {(int(idx[a]), int(idx[b])) for a, b in _pairs(sub) | _nearest(sub, NEAREST)}
    nb: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        nb[a].add(b)
        nb[b].add(a)
    return nb


def _pick(taken: Iterable[int], k: int) -> int:
    """The first palette index no neighbour has; if every one is taken, the one fewest neighbours have."""
    counts = np.bincount(np.fromiter(taken, np.int64), minlength=k)[:k]
    free = np.flatnonzero(counts == 0)
    return int(free[0]) if len(free) else int(np.argmin(counts))


@lru_cache(maxsize=32)
def _base_colouring(ids: tuple[str, ...], xy: bytes, levels: tuple[str, ...] | None, k: int) -> tuple[int, ...]:
    pts = np.frombuffer(xy, np.float64).reshape(-1, 2)
    nb = _adjacency(pts, levels)
    colour = np.full(len(ids), -1, np.int64)
    for i in sorted(range(len(ids)), key=lambda i: (ids[i], i)):
        colour[i] = _pick((int(colour[j]) for j in nb[i] if colour[j] >= 0), k)
    return tuple(int(c) for c in colour)


def school_colours(ids: Sequence[object], xy: npt.ArrayLike, levels: Sequence[str] | None = None, *,
                   extra_ids: Sequence[object] = (), extra_xy: npt.ArrayLike | None = None,
                   extra_levels: Sequence[str] | None = None,
                   palette: Sequence[str] = CATCHMENT_PALETTE) -> dict[str, str]:
    """Each school's colour: a function of the data set's schools only, neighbouring schools in different colours.

    The schools of the data set (``ids``) are coloured greedily in the order of their sorted ids, each taking the
    first palette colour none of its already coloured neighbours has (neighbours: Delaunay edges and the
    ``NEAREST`` nearest schools, among all schools and, with ``levels``, among the schools of each level). Schools opened later (``extra_ids``, not in ``ids``) are
    coloured after them, in the order of their sorted ids, each avoiding its neighbours among all of them; the
    data set's schools keep their colours.

    Parameters
    ----------
    ids
        The data set's school ids (compared as text).
    xy
        Their positions, ``(n, 2)``, in metres or in degrees scaled by the cosine of the latitude (see
        :func:`plan_colours`).
    levels
        Their levels (``primary``, ``junior``, ``nine_year``), optional.
    extra_ids, extra_xy, extra_levels
        Schools not in the data set (opened in a plan); ids already in ``ids`` are ignored.
    palette
        The colours; when a school's neighbours take all of them, it gets the one fewest of them have.

    Returns
    -------
    colours
        School id (as text) -> hex colour.
    """
    k = len(palette)
    all_ids = [str(s) for s in ids]
    pts = np.asarray(xy, np.float64).reshape(-1, 2)
    if len(pts) != len(all_ids):
        raise ValueError(f"{len(all_ids)} school ids but {len(pts)} positions")
    ex_xy = np.asarray(extra_xy if extra_xy is not None else np.empty((0, 2)), np.float64).reshape(-1, 2)
    # A school without a position (an official list's school not found on the map) has no neighbours: its colour
    # is a function of its id alone.
    out = {s: palette[zlib.crc32(s.encode()) % k] for s, p in
           zip(all_ids + [str(e) for e in extra_ids], np.concatenate([pts, ex_xy])) if not np.all(np.isfinite(p))}
    here = [i for i, s in enumerate(all_ids) if s not in out]
    sid = tuple(all_ids[i] for i in here)
    pts = np.ascontiguousarray(pts[here])
    lv = None if levels is None else tuple(str(levels[i]) for i in here)
    base = _base_colouring(sid, pts.tobytes(), lv, k)
    out |= {s: palette[c] for s, c in zip(sid, base)}
    known = set(out)
    ex_lv = [str(v) for v in extra_levels] if extra_levels is not None else None
    keep = [i for i, s in enumerate(extra_ids) if str(s) not in known]
    if not keep:
        return out
    new = [str(extra_ids[i]) for i in keep]
    all_xy = np.concatenate([pts, ex_xy[keep]])
    all_lv = None if lv is None or ex_lv is None else list(lv) + [ex_lv[i] for i in keep]
    nb = _adjacency(all_xy, all_lv)
    colour = list(base) + [-1] * len(new)
    for j in sorted(range(len(new)), key=lambda j: (new[j], j)):
        i = len(sid) + j
        colour[i] = _pick((colour[q] for q in nb[i] if colour[q] >= 0), k)
        out.setdefault(new[j], palette[colour[i]])
    return out


def _local_xy(points: gpd.GeoSeries, lat0: float) -> np.ndarray:
    """Longitude scaled by the cosine of ``lat0``, and latitude: near enough to metres' proportions for a
    district (NaN where a school has no position)."""
    pts = (points.to_crs("EPSG:4326") if points.crs is not None else points).to_numpy()
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    return np.column_stack([np.asarray(x, np.float64) * np.cos(np.deg2rad(lat0)), np.asarray(y, np.float64)])


def plan_colours(schools: gpd.GeoDataFrame, base: gpd.GeoDataFrame | None = None,
                 palette: Sequence[str] = CATCHMENT_PALETTE) -> dict[str, str]:
    """The colours of a plan's schools, stable across plans of one data set (:func:`school_colours`).

    Parameters
    ----------
    schools
        The plan's schools (``school_id``, point geometry, optionally ``level``; any CRS), e.g.
        ``ZoningResult.schools``.
    base
        The data set's schools (``Inputs.schools``): their positions fix the colours, so a school keeps its
        colour when others open, close or move. None: ``schools`` themselves are the base.
    palette
        The colours.

    Returns
    -------
    colours
        School id (as text) -> hex colour, for every school of ``schools`` (and of ``base``).
    """
    ref = base if base is not None else schools
    lat = _local_xy(ref.geometry, 0.0)[:, 1]
    lat0 = float(np.nanmean(lat)) if np.isfinite(lat).any() else 0.0
    levels = ref["level"].astype(str).tolist() if "level" in ref else None
    extra_levels = schools["level"].astype(str).tolist() if "level" in schools and levels is not None else None
    return school_colours(ref["school_id"].astype(str).tolist(), _local_xy(ref.geometry, lat0), levels,
                          extra_ids=schools["school_id"].astype(str).tolist(),
                          extra_xy=_local_xy(schools.geometry, lat0), extra_levels=extra_levels,
                          palette=palette)


def colours_of(ids: Iterable[object], colours: Mapping[str, str], default: str = "#999999") -> list[str]:
    """The colour of each id in ``ids`` (``default`` for one that has none)."""
    return [colours.get(str(s), default) for s in ids]
