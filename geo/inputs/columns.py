"""Shared checks for the input tables (schools, compounds): column aliases, numbers, ids, geometry."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError

# The column names recognised for a point's longitude and latitude (the first is the loaders' own).
LON_ALIASES = ("lon", "lng", "longitude", "经度", "x")
LAT_ALIASES = ("lat", "latitude", "纬度", "y")


def find_column(df: pd.DataFrame, aliases: tuple[str, ...]) -> str | None:
    """The first column whose name matches one of ``aliases`` (case-insensitive, trimmed).

    Parameters
    ----------
    df : DataFrame
        The table.
    aliases : tuple of str
        The names the column may have, in order of preference.

    Returns
    -------
    str or None
        The column's name as in ``df``, or ``None``.
    """
    names = {str(c).strip().lower(): c for c in df.columns}
    for a in aliases:
        if a.lower() in names:
            return names[a.lower()]
    return None


def require_column(df: pd.DataFrame, aliases: tuple[str, ...], file: str) -> str:
    """:func:`find_column`, for a column the table must have.

    Parameters
    ----------
    df : DataFrame
        The table.
    aliases : tuple of str
        The names the column may have; the first names the field in the message.
    file : str
        The file name, for the message.

    Returns
    -------
    str
        The column's name as in ``df``.

    Raises
    ------
    InputError
        ``err.missing_column``, listing the names looked for.
    """
    col = find_column(df, aliases)
    if col is None:
        raise InputError("err.missing_column", file=file, field=aliases[0], aliases=", ".join(aliases))
    return col


def whole_numbers(values: pd.Series, file: str, field: str, *, positive: bool = False,
                  allow_missing: bool = False, maximum: int | None = None, too_large: str = "") -> pd.Series:
    """A column of counts as integers, checked row by row.

    With ``maximum``, a value above it is refused too: a count no real school or compound has is a typo or
    a misplaced column, and would otherwise overflow the integer totals (a 1e19 turns negative).

    Parameters
    ----------
    values : Series
        The column as read (numbers or text).
    file, field : str
        The file and the column, for messages.
    positive : bool
        Refuse 0 as well as negative values.
    allow_missing : bool
        Keep blanks as ``<NA>`` (the result is then ``Int64``); otherwise a blank is a bad value.
    maximum : int, optional
        The largest value allowed.
    too_large : str
        The message's key for a value over ``maximum`` (given ``limit``).

    Returns
    -------
    Series
        ``int64`` (``Int64`` with ``allow_missing``), rounded, with the index of ``values``.

    Raises
    ------
    InputError
        For the first row that is not a whole number in range (``err.bad_value``), or over ``maximum``
        (``too_large``), whichever comes first.
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
    """Ids as the text written: strings trimmed, whole numbers without ``.0``.

    A numeric column read with blanks is float, and an XLSX number 1 is not "1.0".

    Parameters
    ----------
    ids : Series
        The id column as read.

    Returns
    -------
    Series
        Object dtype: text, NaN for blank ids.
    """
    def one(v: object) -> object:
        if isinstance(v, (float, np.floating)):
            return str(int(v)) if np.isfinite(v) and float(v).is_integer() else (str(v) if np.isfinite(v) else np.nan)
        if v is None or v is pd.NA:
            return np.nan
        text = str(v).strip()
        return text if text else np.nan

    return pd.Series([one(v) for v in ids.to_numpy(dtype=object)], index=ids.index, dtype=object)


def unique_ids(ids: pd.Series, file: str, field: str = "id") -> pd.Series:
    """Ids as the text written (see :func:`id_text`), each given once.

    Parameters
    ----------
    ids : Series
        The id column as read.
    file : str
        The file name, for messages.
    field : str
        The column, for messages.

    Returns
    -------
    Series
        The ids as ``str``.

    Raises
    ------
    InputError
        ``err.blank_id`` or ``err.duplicate_id``, naming the first such row.
    """
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
    """A point per row: points as they are, other geometries by a point inside them.

    Parameters
    ----------
    gdf : GeoDataFrame
        The table.
    file : str
        The file name, for messages.

    Returns
    -------
    GeoSeries
        In the CRS of ``gdf``.

    Raises
    ------
    InputError
        ``err.bad_value`` naming the first row with no geometry.
    """
    geom = gdf.geometry
    bad = geom.isna() | geom.is_empty
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("err.bad_value", file=file, row=i + 1, field="geometry", value="(empty)",
                         hint="@hint.geometry")
    return geom.where(geom.geom_type == "Point", geom.representative_point())


def check_lonlat(gdf: gpd.GeoDataFrame, file: str) -> None:
    """Check that every coordinate is a WGS-84 longitude/latitude (not projected metres labelled 4326).

    Parameters
    ----------
    gdf : GeoDataFrame
        The table.
    file : str
        The file name, for messages.

    Raises
    ------
    InputError
        ``err.bad_value`` naming the first row outside the ranges or with a coordinate that is not a number.
    """
    b = gdf.geometry.bounds
    present = ~(gdf.geometry.isna() | gdf.geometry.is_empty)
    finite = np.isfinite(b.to_numpy(dtype=float)).all(axis=1)
    bad = (b.minx < -180) | (b.maxx > 180) | (b.miny < -90) | (b.maxy > 90) | (present & ~finite)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("err.bad_value", file=file, row=i + 1, field="geometry",
                         value=f"{b.minx.iloc[i]:.6g}, {b.miny.iloc[i]:.6g}",
                         hint="@hint.lonlat")
