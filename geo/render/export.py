"""What a zoning is exported as: RFC 7946 GeoJSON (WGS-84) and the school table as CSV.

Functions return text or bytes; writing them to disk is :mod:`geo.inputs.files`' job.

Every CSV or XLSX cell the project writes goes through :func:`safe_cell`, the one formula neutraliser:
:func:`table_csv` and :func:`school_table_xlsx` (school tables, reports), :func:`csv_text` (rows written
with the csv module, e.g. a zone list as CSV) and :func:`safe_frame` (a table written by pandas, e.g. the
demo's files). A text cell a spreadsheet program would run as a formula (starting with ``= + - @``, a tab or
a carriage return) gets a leading ``'``; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:  # only for annotations: this module stays importable from geo.inputs.demo
    from geo.zoning.result import ZoningResult

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_T = TypeVar("_T")


def to_geojson(gdf: gpd.GeoDataFrame, precision: int = 7) -> str:
    """A GeoDataFrame as RFC 7946 GeoJSON: WGS-84 lon/lat, no ``crs`` member, exterior rings
    counter-clockwise, coordinates rounded to ``precision`` decimals (7 is about 1 cm).

    Parameters
    ----------
    gdf
        Any CRS; its other columns become the properties (NaN and inf as null, floats to 3 decimals).
    precision
        Decimals of the coordinates.

    Returns
    -------
    text
        A FeatureCollection.
    """
    g = gdf.to_crs("EPSG:4326")
    geoms = shapely.orient_polygons(g.geometry.to_numpy(), exterior_cw=False)
    geoms = shapely.transform(geoms, lambda c: np.round(c, precision))
    props = g.drop(columns=g.geometry.name)
    # Geometries written by GEOS in one call (shortest round-trip numbers, as json writes them), properties column
    # by column: a city's 50,000 compounds in well under a second.
    shapes = shapely.to_geojson(geoms)
    names = [str(c) for c in props.columns]
    columns = [[_jsonable(v) for v in props[c].tolist()] for c in props.columns]
    rows = zip(*columns) if columns else ([] for _ in range(len(props)))
    features = [f'{{"type": "Feature", "properties": {json.dumps(dict(zip(names, row)), ensure_ascii=False)}, '
                f'"geometry": {shape if shape is not None else "null"}}}' for row, shape in zip(rows, shapes)]
    return '{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}"


def _jsonable(v: object) -> object:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else round(float(v), 3)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if v is pd.NA or v is None:
        return None
    return v


def catchments_geojson(result: ZoningResult) -> str:
    """One feature per school: ``school_id``, ``school_name``, ``children``, ``seats``, ``utilisation``.

    Parameters
    ----------
    result
        The zoning.

    Returns
    -------
    text
        GeoJSON (:func:`to_geojson`).
    """
    cols = ["school_id", "school_name", "children", "seats", "utilisation", "geometry"]
    return to_geojson(result.catchments[cols])


def assignments_geojson(result: ZoningResult) -> str:
    """One feature per compound with its school and walking distance (metres).

    Parameters
    ----------
    result
        The zoning.

    Returns
    -------
    text
        GeoJSON (:func:`to_geojson`).
    """
    cols = ["compound_id", "name", "children", "school_id", "school_name", "distance_m", "straight_m", "snap_m",
            "geometry"]
    return to_geojson(result.assignments[cols])


def safe_cell(value: _T) -> _T | str:
    """A text cell that spreadsheet programs will not run as a formula: one starting with ``= + - @``, a tab
    or a carriage return gets a leading ``'``. Anything that is not text (numbers, None) is returned as it is.

    The one formula neutraliser: every CSV and XLSX writer of the project uses it.

    Parameters
    ----------
    value
        A cell.

    Returns
    -------
    cell
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` as a plain DataFrame, without its geometry column."""
    if isinstance(table, gpd.GeoDataFrame):
        table = table.drop(columns=table.geometry.name)
    return pd.DataFrame(table).copy()


def _is_text(col: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype)


def _csv_text(value: object) -> object:
    """A formula-safe CSV cell whose line breaks are all ``\\n``: the csv writer quotes those, whereas a bare
    carriage return would go out unquoted and start a new row in Excel (which may then be a formula)."""
    value = safe_cell(value)
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def safe_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A plain copy of ``table`` (no geometry) to write as CSV with pandas: every text cell and column name
    through :func:`safe_cell` (line breaks as ``\\n``); numeric columns untouched.

    Parameters
    ----------
    table
        A DataFrame or GeoDataFrame.

    Returns
    -------
    table
        A new DataFrame.
    """
    t = _plain(table)
    t.columns = [_csv_text(str(c)) for c in t.columns]
    for c in t.columns:
        if _is_text(t[c]):
            t[c] = t[c].astype(object).map(_csv_text)
    return t


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows (the header first) as CSV text with ``\\n`` line ends, every cell through :func:`safe_cell`.

    Parameters
    ----------
    rows
        Cells per row.

    Returns
    -------
    text
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for row in rows:
        w.writerow([_csv_text(v) for v in row])
    return buf.getvalue()


def table_csv(table: pd.DataFrame) -> bytes:
    """The school table as CSV in UTF-8 with a BOM (so Excel shows Chinese names), formula-safe: a text
    cell starting with = + - @, a tab or a carriage return gets a leading ``'``.

    Parameters
    ----------
    table
        A DataFrame or GeoDataFrame (the geometry is left out).

    Returns
    -------
    data
        The file's bytes.
    """
    return safe_frame(table).to_csv(index=False, float_format=_number, lineterminator="\n").encode("utf-8-sig")


def _number(v: float) -> str:
    """A float as a table shows it: four significant digits, whole numbers from 1,000 up (33510 m, never
    3.351e+04)."""
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def school_table_xlsx(df: pd.DataFrame, sheet: str = "schools") -> bytes:
    """The school table as an Excel workbook, formula-safe: every text cell is written as a string (never a
    formula), and one starting with = + - @, a tab or a carriage return gets a leading ``'``.

    Parameters
    ----------
    df
        A DataFrame or GeoDataFrame (the geometry is left out).
    sheet
        The sheet's name.

    Returns
    -------
    data
        The file's bytes.
    """
    from openpyxl import Workbook  # lazy: only this export needs openpyxl

    t = _plain(df)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([_xlsx_text(str(c)) for c in t.columns])
    for row in t.itertuples(index=False, name=None):
        ws.append([_xlsx_value(v) for v in row])
    for cells in ws.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a string, even where it starts with '='
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_text(s: str) -> str:
    # Characters XML 1.0 cannot hold (openpyxl refuses them) are dropped.
    s = "".join(ch for ch in s if ch >= " " or ch in "\t\n\r")
    return safe_cell(s)


def _xlsx_value(v: object) -> object:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    return _xlsx_text(str(v))


def safe_filename(text: str, default: str = "plan") -> str:
    """A file-name stem from user text (a scenario name): letters, digits and CJK kept, the rest '_'.

    Parameters
    ----------
    text
        The user's text.
    default
        The stem when nothing is left.

    Returns
    -------
    stem
        At most 60 characters.
    """
    stem = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", str(text), flags=re.UNICODE).strip("._-")[:60]
    return stem or default


def unit_csv(result: ZoningResult) -> bytes:
    """Compound id -> school id, the exchange format of redistricting tools (reads back as a scenario).

    Parameters
    ----------
    result
        The zoning.

    Returns
    -------
    data
        CSV bytes (:func:`table_csv`).
    """
    df = result.assignments[["compound_id", "school_id"]].astype(str)
    return table_csv(df)


def geopackage(result: ZoningResult) -> bytes:
    """A GeoPackage with every layer of a zoning (catchments, compounds, schools, the school table), in
    the plan's projected CRS, as QGIS opens it.

    Parameters
    ----------
    result
        The zoning.

    Returns
    -------
    data
        The file's bytes.
    """
    import pyogrio  # lazy: only this export writes a file with GDAL

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.gpkg"
        cols = [c for c in ("compound_id", "name", "children", "school_id", "school_name", "distance_m", "locked")
                if c in result.assignments]
        layers = {
            "catchments": result.catchments,
            "compounds": result.assignments[cols + ["geometry"]],
            "schools": result.schools.merge(result.table.drop(columns=["name"]), on="school_id", how="left"),
        }
        for name, gdf in layers.items():
            g = gdf.copy()
            for c in g.columns:
                if c != g.geometry.name and g[c].dtype == object:
                    g[c] = g[c].astype(str)
            pyogrio.write_dataframe(g, path, layer=name, driver="GPKG")
        pyogrio.write_dataframe(pd.DataFrame(result.table), path, layer="school_table", driver="GPKG")
        return path.read_bytes()
