"""Chinese web-map coordinates: GCJ-02 (AMap/Gaode, Tencent) and BD-09 (Baidu) to and from WGS-84.

The forward transforms are the published formulas (GCJ-02 on the Krasovsky 1940 ellipsoid; BD-09 a
further polar offset of GCJ-02). Neither has a closed-form inverse, so :func:`gcj02_to_wgs84` and
:func:`bd09_to_gcj02` invert them exactly by fixed-point iteration (to about 1e-9 degrees, well under a
millimetre). Like the reference implementations, GCJ-02 leaves points outside China's rough bounding
box unchanged.

No PyPI package for these transforms is both maintained and vectorised (the known ones are single-point,
unmaintained since 2018-2020), so they are implemented here on numpy arrays of any shape.

Also here: a check whether points given as WGS-84 sit off the street network by the typical GCJ-02
offset, and swapped longitude/latitude detection.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
SYSTEMS = (WGS84, GCJ02, BD09)

# Krasovsky 1940 ellipsoid, as used by GCJ-02.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_K = np.pi * 3000.0 / 180.0

# China's rough bounding box (where GCJ-02 applies), and a tighter one to recognise Chinese data.
_GCJ_BOX = (72.004, 0.8293, 137.8347, 55.8271)
CHINA_BOX = (73.0, 18.0, 135.5, 54.0)


def _offsets(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    smagic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * smagic) * np.pi)
    dlon = dlon * 180.0 / (_A / smagic * np.cos(rad) * np.pi)
    return dlon, dlat


def in_gcj_area(lon, lat) -> np.ndarray:
    """Where GCJ-02 shifts points (China's rough bounding box); elsewhere it is the identity.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees, of any (broadcastable) shape.

    Returns
    -------
    ndarray of bool
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    x0, y0, x1, y1 = _GCJ_BOX
    return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 to GCJ-02 by the published formula; points outside :func:`in_gcj_area` are unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitudes and latitudes in degrees, of any (broadcastable) shape.

    Returns
    -------
    lon, lat : ndarray
        In GCJ-02.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    dlon, dlat = _offsets(lon, lat)
    inside = in_gcj_area(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def _invert(forward, lon, lat, tol: float = 1e-10, max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(w) = (lon, lat)`` for ``w`` by the fixed-point step ``w -= forward(w) - target``."""
    tx, ty = np.asarray(lon, float), np.asarray(lat, float)
    wx, wy = tx.copy(), ty.copy()
    for _ in range(max_iter):
        fx, fy = forward(wx, wy)
        ex, ey = fx - tx, fy - ty
        wx, wy = wx - ex, wy - ey
        err = np.nanmax(np.abs(np.concatenate([np.ravel(ex), np.ravel(ey)])), initial=0.0)
        if not err > tol:  # also stops on all-NaN input
            break
    return wx, wy


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The exact inverse of :func:`wgs84_to_gcj02` (by fixed-point iteration, to about 1e-9 degrees).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitudes and latitudes in degrees, of any (broadcastable) shape.

    Returns
    -------
    lon, lat : ndarray
        In WGS-84.
    """
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to BD-09 (Baidu) by the published formula.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitudes and latitudes in degrees, of any (broadcastable) shape.

    Returns
    -------
    lon, lat : ndarray
        In BD-09.
    """
    x, y = np.asarray(lon, float), np.asarray(lat, float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_K)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_K)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The exact inverse of :func:`gcj02_to_bd09` (by fixed-point iteration).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitudes and latitudes in degrees, of any (broadcastable) shape.

    Returns
    -------
    lon, lat : ndarray
        In GCJ-02.
    """
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 to BD-09, through GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitudes and latitudes in degrees, of any (broadcastable) shape.

    Returns
    -------
    lon, lat : ndarray
        In BD-09.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 to WGS-84, through GCJ-02 (both steps exact inverses).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitudes and latitudes in degrees, of any (broadcastable) shape.

    Returns
    -------
    lon, lat : ndarray
        In WGS-84.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {GCJ02: gcj02_to_wgs84, BD09: bd09_to_wgs84}


def check_system(system: str) -> str:
    """A coordinate system's name, checked and normalised.

    Parameters
    ----------
    system : str
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``, or an alias (``"GCJ-02"``, ``"amap"``, ``"gaode"``,
        ``"tencent"``, ``"baidu"``...), in any case.

    Returns
    -------
    str
        One of :data:`SYSTEMS`.

    Raises
    ------
    ValueError
        For another name.
    """
    s = str(system).strip().lower().replace("-", "").replace("_", "")
    aliases = {"wgs84": WGS84, "gcj02": GCJ02, "gcj": GCJ02, "amap": GCJ02, "gaode": GCJ02, "tencent": GCJ02,
               "bd09": BD09, "baidu": BD09}
    if s not in aliases:
        raise ValueError(f"coords must be one of {SYSTEMS}")
    return aliases[s]


def to_wgs84(lon, lat, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes in a coordinate system, as WGS-84.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees.
    system : str
        Their system (see :func:`check_system`).

    Returns
    -------
    lon, lat : ndarray
        In WGS-84.

    Raises
    ------
    ValueError
        For an unknown ``system``.
    """
    system = check_system(system)
    if system == WGS84:
        return np.asarray(lon, float), np.asarray(lat, float)
    return _TO_WGS84[system](lon, lat)


def geometries_to_wgs84(geoms, system: str) -> np.ndarray:
    """Shapely geometries with every vertex converted to WGS-84.

    Parameters
    ----------
    geoms : array_like of shapely geometries
        Geometries in longitude/latitude degrees.
    system : str
        Their system (see :func:`check_system`).

    Returns
    -------
    ndarray of shapely geometries
        The input itself when ``system`` is WGS-84.

    Raises
    ------
    ValueError
        For an unknown ``system``.
    """
    system = check_system(system)
    geoms = np.asarray(geoms, dtype=object)
    if system == WGS84:
        return geoms

    def fn(c: np.ndarray) -> np.ndarray:
        x, y = to_wgs84(c[:, 0], c[:, 1], system)
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


# --- swapped longitude / latitude ------------------------------------------------------------------------

def in_china(lon, lat) -> np.ndarray:
    """Which points lie in mainland China's bounding box (:data:`CHINA_BOX`), to recognise Chinese data.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees, of any (broadcastable) shape.

    Returns
    -------
    ndarray of bool
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    x0, y0, x1, y1 = CHINA_BOX
    return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def swap_verdict(lon, lat) -> tuple[str, int | None]:
    """Whether longitude and latitude look swapped.

    A row looks swapped when it is in China, or a valid position at all, only when swapped. Rows with
    missing coordinates are ignored.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees, of any (broadcastable) shape.

    Returns
    -------
    verdict : str
        ``"ok"`` (no row looks swapped), ``"swap"`` (every row does) or ``"ambiguous"`` (some do, some not).
    row : int or None
        The first row concerned (the first swapped-looking one when ambiguous); ``None`` when ``"ok"``.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return "ok", None
    x, y = lon[ok], lat[ok]
    rows = np.flatnonzero(ok)
    valid = (np.abs(x) <= 180) & (np.abs(y) <= 90)
    valid_sw = (np.abs(y) <= 180) & (np.abs(x) <= 90)
    china, china_sw = in_china(x, y), in_china(y, x)
    # Looks swapped: in China only when swapped, or a valid point only when swapped.
    swapped = (china_sw & ~china) | (valid_sw & ~valid)
    if not swapped.any():
        return "ok", None
    if swapped.all():
        return "swap", int(rows[0])
    return "ambiguous", int(rows[np.flatnonzero(swapped)[0]])


def swap_geometries(geoms) -> np.ndarray:
    """Shapely geometries with x and y of every vertex swapped.

    Parameters
    ----------
    geoms : array_like of shapely geometries

    Returns
    -------
    ndarray of shapely geometries
    """
    return shapely.transform(np.asarray(geoms, dtype=object), lambda c: c[:, ::-1])


# --- GCJ-02 offset against the street network -----------------------------------------------------------

GCJ_WARN_MIN_GAIN_M = 40.0
GCJ_WARN_RATIO = 0.5
GCJ_CONTROL_RATIO = 0.75


def _street_distance(network, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Distance (m) of each point (in the network's projected CRS) to the nearest street segment."""
    seg = np.stack([network.xy[network.edge_u], network.xy[network.edge_v]], axis=1)
    tree = shapely.STRtree(shapely.linestrings(seg))
    _, dist = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
    return np.asarray(dist, float)


def gcj_offset_check(lon, lat, network) -> dict | None:
    """Points loaded as WGS-84 that sit off the streets by the GCJ-02 offset.

    Compares the median distance to the nearest street of the points as given and as converted from
    GCJ-02. Converting must bring them markedly closer (by at least 40 m and by half), and closer than the
    same shift turned by 45, 90, ... 315 degrees does (a regular street grid brings points near streets for
    many shifts: only the GCJ-02 direction being special says the data are GCJ-02). Points outside the
    GCJ-02 area are ignored.

    Parameters
    ----------
    lon, lat : array_like
        The points as loaded (taken as WGS-84).
    network : Network
        The streets (positions in ``network.xy``, projected to ``network.crs``).

    Returns
    -------
    dict or None
        ``{"given_m": ..., "converted_m": ...}`` (median metres to the nearest street) when the points look
        like GCJ-02; ``None`` otherwise, or with fewer than 3 points in the area.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    keep = np.isfinite(lon) & np.isfinite(lat) & in_gcj_area(lon, lat)
    if keep.sum() < 3 or network.n_edges == 0:
        return None
    lon, lat = lon[keep], lat[keep]
    tr = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    cx, cy = tr.transform(*gcj02_to_wgs84(lon, lat))
    given = float(np.median(_street_distance(network, x, y)))
    converted = float(np.median(_street_distance(network, cx, cy)))
    if given - converted < GCJ_WARN_MIN_GAIN_M or converted > GCJ_WARN_RATIO * given:
        return None
    dx, dy = cx - x, cy - y
    for k in range(1, 8):
        a = k * np.pi / 4
        rx, ry = dx * np.cos(a) - dy * np.sin(a), dx * np.sin(a) + dy * np.cos(a)
        other = float(np.median(_street_distance(network, x + rx, y + ry)))
        if converted > GCJ_CONTROL_RATIO * other:
            return None
    return {"given_m": given, "converted_m": converted}
