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
                  allow_missing: bool = False, maximum: int | None = None, too_large: str = "") -> pd.Series:
    """``values`` as integers; the first bad row raises an :class:`InputError` naming it.

    With ``maximum``, a value above it is refused too (``too_large`` is the message's key, given
    ``limit``): a count no real school or compound has is a typo or a misplaced column, and would
    otherwise overflow the integer totals (a 1e19 turns negative).
    """
    num = pd.to_numeric(values, errors="coerce")
    f = num.to_numpy(dtype=float)
    bad = ~np.isfinite(f) if not allow_missing else (values.notna().to_numpy() & ~np.isfinite(f))
    low = 1 if positive else 0
    bad |= np.nan_to_num(f, nan=low) < low
    if maximum is not None:
        over = np.nan_to_num(f, nan=0.0, posinf=np.inf) > maximum
        first_over = int(np.flatnonzero(over)[0]) if over.any() else len(f)
        first_bad = int(np.flatnonzero(bad)[0]) if bad.any() else len(f)
        if first_over < first_bad:
            raise InputError(too_large, file=file, row=first_over + 1, field=field,
                             value=_shown(values.iloc[first_over]), limit=maximum)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("err.bad_value", file=file, row=i + 1, field=field, value=_shown(values.iloc[i]),
                         hint="@hint.positive_int" if positive else "@hint.nonneg_int")
    out = pd.Series(np.round(np.nan_to_num(f, nan=0.0)).astype(np.int64), index=values.index)
    if allow_missing:
        return out.astype("Int64").mask(~np.isfinite(f))
    return out


def _shown(value: object) -> str:
    """A cell as the message shows it: text as written, numbers without a float's ``.0``."""
    if isinstance(value, float) and np.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def id_text(ids: pd.Series) -> pd.Series:
    """Ids as the text written: strings trimmed, whole numbers without ``.0`` (a numeric column read with
    blanks is float, an XLSX number 1 is not "1.0"); blank ids are NaN."""
    def one(v: object) -> object:
        if isinstance(v, (float, np.floating)):
            return str(int(v)) if np.isfinite(v) and float(v).is_integer() else (str(v) if np.isfinite(v) else np.nan)
        if v is None or v is pd.NA:
            return np.nan
        text = str(v).strip()
        return text if text else np.nan

    return pd.Series([one(v) for v in ids.to_numpy(dtype=object)], index=ids.index, dtype=object)


def unique_ids(ids: pd.Series, file: str, field: str = "id") -> pd.Series:
    """Ids as the text written (see :func:`id_text`); a blank id or one used twice raises, naming the row."""
    ids = id_text(ids)
    blank = ids.isna().to_numpy()
    if blank.any():
        i = int(np.flatnonzero(blank)[0])
        raise InputError("err.blank_id", file=file, row=i + 1, field=field)
    ids = ids.astype(str)
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
