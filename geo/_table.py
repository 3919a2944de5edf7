"""Shared checks for the input tables (schools, compounds): column aliases, numbers, ids, geometry."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError


def find_column(df: pd.DataFrame, aliases: tuple[str, ...]) -> str | None:
    """The first column whose name matches one of ``aliases`` (case-insensitive, trimmed)."""
    names = {str(c).strip().lower(): c for c in df.columns}
    for a in aliases:
        if a.lower() in names:
            return names[a.lower()]
    return None


def require_column(df: pd.DataFrame, aliases: tuple[str, ...], file: str) -> str:
    col = find_column(df, aliases)
    if col is None:
        raise InputError("err.missing_column", file=file, field=aliases[0], aliases=", ".join(aliases))
    return col


def whole_numbers(values: pd.Series, file: str, field: str, *, positive: bool = False,
                  allow_missing: bool = False) -> pd.Series:
    """``values`` as integers; the first bad row raises an :class:`InputError` naming it."""
    num = pd.to_numeric(values, errors="coerce")
    bad = ~np.isfinite(num.to_numpy(dtype=float)) if not allow_missing else (
        values.notna().to_numpy() & ~np.isfinite(num.to_numpy(dtype=float)))
    low = 1 if positive else 0
    bad |= np.nan_to_num(num.to_numpy(dtype=float), nan=low) < low
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("err.bad_value", file=file, row=i + 1, field=field, value=values.iloc[i],
                         hint="@hint.positive_int" if positive else "@hint.nonneg_int")
    return num.round().astype("Int64" if allow_missing else np.int64)


def unique_ids(ids: pd.Series, file: str) -> pd.Series:
    ids = ids.astype(str).str.strip()
    dup = ids.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError("err.duplicate_id", file=file, row=i + 1, value=ids.iloc[i])
    return ids


def point_geometry(gdf: gpd.GeoDataFrame, file: str) -> gpd.GeoSeries:
    """A point per row: points as they are, polygons by a point inside them."""
    geom = gdf.geometry
    bad = geom.isna() | geom.is_empty
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("err.bad_value", file=file, row=i + 1, field="geometry", value="(empty)",
                         hint="@hint.geometry")
    return geom.where(geom.geom_type == "Point", geom.representative_point())


def check_lonlat(gdf: gpd.GeoDataFrame, file: str) -> None:
    """Raise if any coordinate is outside WGS-84 lon/lat ranges (e.g. projected metres labelled 4326)."""
    b = gdf.geometry.bounds
    present = ~(gdf.geometry.isna() | gdf.geometry.is_empty)
    finite = np.isfinite(b.to_numpy(dtype=float)).all(axis=1)
    bad = (b.minx < -180) | (b.maxx > 180) | (b.miny < -90) | (b.maxy > 90) | (present & ~finite)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("err.bad_value", file=file, row=i + 1, field="geometry",
                         value=f"{b.minx.iloc[i]:.6g}, {b.miny.iloc[i]:.6g}",
                         hint="@hint.lonlat")
