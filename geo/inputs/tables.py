"""User tables in: CSV (any separator, UTF-8/GBK/GB18030/UTF-16), XLSX, GeoJSON, GeoPackage, KML and Shapefiles
(zipped or plain), read into a GeoDataFrame in WGS-84: sizes checked, geometries repaired, coordinate systems
placed, swapped longitudes and latitudes found. Warnings are returned, never printed.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.inputs import coords as _coords
from geo.inputs import demand as _demand
from geo.inputs import schools as _schools
from geo.inputs.columns import LAT_ALIASES, LON_ALIASES, id_text, require_column
from geo.inputs.mapping import apply_mapping
from geo.inputs.text import decode_text

TABLE_SUFFIXES = (".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".zip", ".kml", ".shp")
# The largest file a user may give, in bytes: the app's upload limit (.streamlit/config.toml, maxUploadSize
# = 200, in MiB). Larger files are refused by their size before they are read.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# The most an archive (zipped Shapefile, XLSX) may unpack to: more is a zip bomb, or far too much data.
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024

# Columns read as the text written, never as numbers (a CSV's 001 stays "001", an XLSX's 1 is "1", not
# "1.0"): the ids of schools, compounds and education groups, under any of their names.
ID_COLUMNS = tuple(dict.fromkeys(_schools.ID_ALIASES + _demand.ID_ALIASES + ("group_id",)))


# --- user tables ---------------------------------------------------------------------------------------

def _too_large(label: str, size: int, limit: int) -> InputError:
    return InputError("err.too_large", file=label, size_mb=size / 2**20, limit_mb=limit / 2**20)


def check_upload_size(name: str, size: int) -> None:
    """Refuse a file larger than :data:`MAX_UPLOAD_BYTES` by its size, before its bytes are read.

    Parameters
    ----------
    name : str
        The file name, for the message.
    size : int
        Its size in bytes.

    Raises
    ------
    InputError
        ``err.too_large`` naming the file, its size and the limit.
    """
    if size > MAX_UPLOAD_BYTES:
        raise _too_large(name, size, MAX_UPLOAD_BYTES)


def _table_bytes(path: str | Path, name: str | None, data: bytes | None) -> tuple[str, bytes]:
    """The file's label and bytes, refusing unsupported types, missing, oversized and empty files first."""
    label = name or Path(path).name
    lower = label.lower()
    if not any(lower.endswith(s) for s in TABLE_SUFFIXES):
        raise InputError("err.format", file=label, formats=" / ".join(TABLE_SUFFIXES))
    if data is None:
        p = Path(path)
        if not p.is_file():
            raise InputError("err.file_missing", file=str(path))
        check_upload_size(label, p.stat().st_size)  # refused by its size, before a byte is read
        data = p.read_bytes()
    else:
        check_upload_size(label, len(data))
    if not data.strip():
        raise InputError("err.empty", file=label, kind="@kind.rows")
    return label, data




def _text_columns(mapping: dict | None = None) -> frozenset[str]:
    """The (trimmed, lower-cased) column names read as text: the id columns, and those a mapping chose
    for an id field."""
    chosen = [c for f, c in (mapping or {}).items() if str(f).endswith("_id") and c]
    return frozenset(str(c).strip().lower() for c in ID_COLUMNS + tuple(chosen))


# The separators a table may use: comma, semicolon (Excel in many locales), tab ("Unicode text"), pipe.
CSV_SEPARATORS = ",;\t|"
_SNIFF_LINES = 100  # the lines the separator is guessed from (the sniffer's cost grows with the sample)


def _sniff_sep(text: str) -> str:
    """The separator of a CSV text, among :data:`CSV_SEPARATORS`, by the standard library's sniffer on the
    first lines: quote-aware, so ``id;"名称,全称";level`` is semicolon-separated. When the sniffer finds none
    (one column, or rows that disagree), the first line decides: a comma if it has one, else the separator
    it holds most of."""
    lines = text.lstrip("\ufeff").splitlines()[:_SNIFF_LINES]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=CSV_SEPARATORS).delimiter
    except csv.Error:
        first = lines[0] if lines else ""
        return "," if "," in first or not any(c in first for c in "\t;|") else max("\t;|", key=first.count)


def _parse_csv(text: str, label: str, text_columns: frozenset[str] = frozenset()) -> pd.DataFrame:
    if not text.strip():
        raise InputError("err.empty", file=label, kind="@kind.rows")
    sep = _sniff_sep(text)
    try:
        header = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True, nrows=0).columns
        as_text = {c: str for c in header if str(c).strip().lower() in text_columns}
        return pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True, dtype=as_text or None)
    except pd.errors.EmptyDataError as exc:
        raise InputError("err.empty", file=label, kind="@kind.rows") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError("err.file_unreadable", file=label, reason=str(exc).strip()[:200],
                         formats=" / ".join(TABLE_SUFFIXES)) from exc


def _check_zip(data: bytes, label: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError("err.file_unreadable", file=label, reason="not a valid zip archive",
                         formats=" / ".join(TABLE_SUFFIXES)) from exc
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNZIPPED_BYTES:  # a zip bomb, or simply too much
        raise _too_large(label, unpacked, MAX_UNZIPPED_BYTES)
    return zf


def _uncached_formulas(data: bytes, sheet: str, zf: zipfile.ZipFile) -> list[str]:
    """The cells of ``sheet`` that hold a formula with no saved value (as scripts write them: openpyxl
    reads them as empty with ``data_only=True``). Workbooks with no formula at all are not read twice."""
    from openpyxl import load_workbook  # kept lazy: only workbooks with formulas need it (a 0.4 s import)

    sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    if not any(re.search(rb"<(?:\w{1,10}:)?f[ >/]", zf.read(n)) for n in sheets):
        return []
    formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)[sheet]
    values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)[sheet]
    cells = []
    for row_f, row_v in zip(formulas.iter_rows(), values.iter_rows()):
        for cf, cv in zip(row_f, row_v):
            if cf.data_type == "f" and cv.value is None:
                cells.append(cf.coordinate)
    return cells


def _read_xlsx(data: bytes, label: str, warns: list) -> pd.DataFrame:
    zf = _check_zip(data, label)
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise InputError("err.file_unreadable", file=label, reason=f"{type(exc).__name__}: {str(exc)[:200]}",
                         formats=" / ".join(TABLE_SUFFIXES)) from exc
    filled = [(n, df.dropna(how="all")) for n, df in sheets.items()]
    filled = [(n, df) for n, df in filled if len(df.columns) and (len(df) or not str(df.columns[0]).startswith("Unnamed"))]
    if not filled:
        raise InputError("err.empty", file=label, kind="@kind.rows")
    if len(filled) > 1:
        warns.append(("warn.first_layer", {"file": label, "count": len(filled), "layer": filled[0][0]}))
    try:
        cells = _uncached_formulas(data, filled[0][0], zf)
    except Exception:  # noqa: BLE001 - pandas read it; a second reading that fails changes nothing
        cells = []
    if cells:
        shown = ", ".join(cells[:12]) + (f" … ({len(cells)})" if len(cells) > 12 else "")
        raise InputError("err.xlsx_formulas", file=label, cells=shown)
    df = filled[0][1].reset_index(drop=True)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _read_frame(label: str, data: bytes, warns: list, text_columns: frozenset[str] | None = None
                ) -> pd.DataFrame | None:
    """The raw table of a CSV or XLSX file (``None`` for vector formats); ``text_columns`` (default: the
    id columns, :func:`_text_columns`) are kept as the text written."""
    text_columns = _text_columns() if text_columns is None else text_columns
    lower = label.lower()
    if lower.endswith(".csv"):
        df = _parse_csv(decode_text(data, label, warns), label, text_columns)
        df.columns = [str(c).strip() for c in df.columns]
    elif lower.endswith(".xlsx"):
        df = _read_xlsx(data, label, warns)
    else:
        return None
    for c in df.columns:
        if str(c).strip().lower() in text_columns and isinstance(df[c], pd.Series):
            df[c] = id_text(df[c])
    return df


def _points_from_frame(df: pd.DataFrame, label: str, warns: list) -> gpd.GeoDataFrame:
    lon = require_column(df, LON_ALIASES, label)
    lat = require_column(df, LAT_ALIASES, label)
    x = pd.to_numeric(df[lon], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(df[lat], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("err.bad_value", file=label, row=i + 1, field=f"{lon}/{lat}",
                         value=f"{df[lon].iloc[i]}, {df[lat].iloc[i]}", hint="@hint.lonlat")
    verdict, row = _coords.swap_verdict(x, y)
    if verdict == "ambiguous":
        assert row is not None  # an ambiguous verdict names its row
        raise InputError("err.lonlat_swapped", file=label, row=row + 1, field=f"{lon}/{lat}",
                         value=f"{df[lon].iloc[row]}, {df[lat].iloc[row]}")
    if verdict == "swap":
        x, y = y, x
        warns.append(("warn.lonlat_swapped", {"file": label, "lon": lon, "lat": lat}))
    return gpd.GeoDataFrame(df.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")


def _shapefile_encoding(files: Mapping[str, Callable[[], bytes]], shp: str) -> str | None:
    """The encoding of a Shapefile's attributes when it has no .cpg: UTF-8 or GB18030, read from the .dbf
    records (GDAL would otherwise read GBK names as latin-1). ``files`` maps lower-cased member names (or
    sibling paths) to a function returning their bytes."""
    stem = shp[:-4].lower()
    if f"{stem}.cpg" in files or f"{stem}.dbf" not in files:
        return None
    raw = files[f"{stem}.dbf"]()
    body = raw[int.from_bytes(raw[8:10], "little"):] if len(raw) > 10 else b""
    if body.isascii():
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            body.decode(enc)
            return enc.upper()
        except UnicodeDecodeError:
            continue
    return None


def _read_vector(label: str, data: bytes, warns: list, disk: Path | None = None) -> gpd.GeoDataFrame:
    """GeoJSON, GeoPackage, KML or a zipped/plain Shapefile, through a temporary file and pyogrio (GDAL).

    A plain ``.shp`` on disk (``disk``) is read where it is, so that its .dbf, .shx and .prj are found.
    """
    import pyogrio  # kept lazy: only vector files need GDAL (a 0.1 s import)

    lower = label.lower()
    encoding = None
    with tempfile.TemporaryDirectory() as tmp:
        suffix = next(s for s in TABLE_SUFFIXES if lower.endswith(s))
        src = Path(tmp) / f"upload{suffix}"
        src.write_bytes(data)
        target = str(src)
        if disk is not None and suffix == ".shp":
            target = str(disk)
            siblings = {str(q).lower(): q.read_bytes for q in disk.parent.iterdir() if q.is_file()}
            encoding = _shapefile_encoding(siblings, str(disk))
        if suffix == ".zip":
            zf = _check_zip(data, label)
            members = sorted(n for n in zf.namelist() if n.lower().endswith(".shp") and "__macosx" not in n.lower())
            if not members:
                raise InputError("err.zip_no_shp", file=label,
                                 contents=", ".join(zf.namelist()[:8]) or "-")
            if len(members) > 1:
                warns.append(("warn.first_layer", {"file": label, "count": len(members), "layer": members[0]}))
            encoding = _shapefile_encoding({n.lower(): partial(zf.read, n) for n in zf.namelist()}, members[0])
            target = f"/vsizip/{src}/{members[0]}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                layers = pyogrio.list_layers(target)
                if len(layers) == 0:
                    raise InputError("err.empty", file=label, kind="@kind.rows")
                if len(layers) > 1:
                    warns.append(("warn.first_layer", {"file": label, "count": len(layers), "layer": str(layers[0][0])}))
                gdf = pyogrio.read_dataframe(target, layer=0, encoding=encoding)
        except InputError:
            raise
        except Exception as exc:
            raise InputError("err.file_unreadable", file=label, reason=f"{type(exc).__name__}: {str(exc)[:200]}",
                             formats=" / ".join(TABLE_SUFFIXES)) from exc
    gdf.columns = [c if c == gdf.geometry.name else str(c).strip() for c in gdf.columns]
    return gdf


def _row_value(geom) -> str:
    if geom is None or geom.is_empty:
        return "(empty)"
    x0, y0 = geom.bounds[:2]
    return f"{x0:.6g}, {y0:.6g}"


def _place_in_wgs84(gdf: gpd.GeoDataFrame, label: str, warns: list) -> gpd.GeoDataFrame:
    """A vector table's geometry in WGS-84: a missing CRS is taken as WGS-84 only when every coordinate is
    a longitude/latitude; projected coordinates labelled WGS-84 are an error naming the row."""
    geom = gdf.geometry
    present = ~(geom.isna() | geom.is_empty).to_numpy()
    b = geom.bounds.to_numpy(dtype=float)
    crs = gdf.crs
    if crs is not None and not crs.is_geographic:
        out = gdf.to_crs("EPSG:4326")
        return out
    # Geographic or unknown: check for swapped and projected coordinates.
    if present.any():
        cx = np.where(present, (b[:, 0] + b[:, 2]) / 2, np.nan)
        cy = np.where(present, (b[:, 1] + b[:, 3]) / 2, np.nan)
        verdict, row = _coords.swap_verdict(cx, cy)
        if verdict == "ambiguous":
            assert row is not None  # an ambiguous verdict names its row
            raise InputError("err.lonlat_swapped", file=label, row=row + 1, field="geometry",
                             value=_row_value(geom.iloc[row]))
        if verdict == "swap":
            gdf = gdf.set_geometry(_coords.swap_geometries(geom.to_numpy()), crs=crs)
            geom = gdf.geometry
            b = geom.bounds.to_numpy(dtype=float)
            warns.append(("warn.lonlat_swapped", {"file": label, "lon": "x", "lat": "y"}))
    out_of_range = present & ((np.abs(b[:, [0, 2]]) > 180).any(axis=1) | (np.abs(b[:, [1, 3]]) > 90).any(axis=1))
    if out_of_range.any():
        i = int(np.flatnonzero(out_of_range)[0])
        key = "err.no_crs" if crs is None else "err.projected_as_wgs84"
        raise InputError(key, file=label, row=i + 1, value=_row_value(geom.iloc[i]))
    if crs is None:
        warns.append(("warn.crs_assumed", {"file": label}))
        return gdf.set_crs("EPSG:4326")
    return gdf.to_crs("EPSG:4326")


def _drop_z(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The geometries in 2D: heights are never used, and a NaN one (GPS exports write them) would make
    the reprojected position NaN too."""
    geoms = gdf.geometry.to_numpy()
    if not shapely.has_z(geoms).any():
        return gdf
    return gdf.set_geometry(gpd.GeoSeries(shapely.force_2d(geoms), index=gdf.index, crs=gdf.crs))


def _check_finite(gdf: gpd.GeoDataFrame, label: str) -> None:
    """Every coordinate a number: NaN or infinite ones (non-standard JSON allows them) name their row."""
    geoms = gdf.geometry.to_numpy()
    bad = [i for i, g in enumerate(geoms)
           if g is not None and not g.is_empty and not np.isfinite(shapely.get_coordinates(g)).all()]
    if bad:
        raise InputError("err.bad_value", file=label, row=bad[0] + 1, field="geometry", value="NaN",
                         hint="@hint.lonlat")


_POLYGONAL = ("Polygon", "MultiPolygon")


def _repair_geometries(gdf: gpd.GeoDataFrame, label: str, warns: list) -> gpd.GeoDataFrame:
    """Invalid geometries mended by ``shapely.make_valid`` (a warning names the rows); a polygon that
    does not stay a polygon with area is rejected, naming its row."""
    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    invalid = present & (~shapely.is_valid(geoms) | (polygonal & (shapely.area(geoms) <= 1e-12)))
    if not invalid.any():
        return gdf
    fixed = geoms.copy()
    rows = []
    for i in np.flatnonzero(invalid):
        g = geoms[i]
        reason = shapely.is_valid_reason(g) if not shapely.is_valid(g) else "no area"
        m = shapely.make_valid(g)
        if g.geom_type in _POLYGONAL:
            parts = [p for p in getattr(m, "geoms", [m]) if p.geom_type in _POLYGONAL]
            m = shapely.union_all(parts) if parts else shapely.Polygon()
            if m.is_empty or m.area <= 1e-12:
                raise InputError("err.geometry_invalid", file=label, row=int(i) + 1, reason=reason)
        elif m.is_empty:
            raise InputError("err.geometry_invalid", file=label, row=int(i) + 1, reason=reason)
        fixed[i] = m
        rows.append(int(i) + 1)
    shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
    warns.append(("warn.geometry_repaired", {"file": label, "count": len(rows), "rows": shown}))
    return gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs))


def read_table_checked(path: str | Path, *, name: str | None = None, data: bytes | None = None,
                       coords: str = "wgs84", mapping: dict | None = None
                       ) -> tuple[gpd.GeoDataFrame, list[tuple[str, dict]]]:
    """:func:`read_table` with its warnings.

    Parameters
    ----------
    path, name, data, coords, mapping
        As for :func:`read_table`.

    Returns
    -------
    table : GeoDataFrame
        In WGS-84.
    warnings : list of (key, params)
        Translation keys and their parameters.

    Raises
    ------
    InputError
        As for :func:`read_table`.
    """
    system = _coords.check_system(coords)
    from_disk = data is None
    label, data = _table_bytes(path, name, data)
    warns: list[tuple[str, dict]] = []
    df = _read_frame(label, data, warns, _text_columns(mapping))
    if df is not None:
        if mapping:
            df = apply_mapping(df, mapping, label)
        gdf = _points_from_frame(df, label, warns)
    else:
        gdf = _read_vector(label, data, warns, disk=Path(path) if from_disk else None)
        if mapping:
            gdf = apply_mapping(gdf, mapping, label)
        gdf = _drop_z(gdf)
        _check_finite(gdf, label)
        gdf = _repair_geometries(gdf, label, warns)
        gdf = _place_in_wgs84(gdf, label, warns)
    if system != _coords.WGS84 and len(gdf):
        gdf = gdf.set_geometry(gpd.GeoSeries(_coords.geometries_to_wgs84(gdf.geometry.to_numpy(), system),
                                             index=gdf.index, crs="EPSG:4326"))
    return gdf, warns


def read_plain_table(path: str | Path, *, name: str | None = None, data: bytes | None = None) -> pd.DataFrame:
    """A CSV or XLSX table with no coordinates (school statistics, education groups, unit-to-school plans).

    The same checks as :func:`read_table`: size, encoding (UTF-8, GBK, GB18030, UTF-16), empty files. Every
    cell is kept as read; id columns stay text.

    Parameters
    ----------
    path : str or Path
        The file (only its name is used when ``data`` is given).
    name : str, optional
        The file name, for messages and the format; default the name of ``path``.
    data : bytes, optional
        The file's bytes (an upload); default read from ``path``.

    Returns
    -------
    DataFrame

    Raises
    ------
    InputError
        For another format (``err.format``), a missing, empty, oversized or unreadable file, or binary data.
    """
    label, raw = _table_bytes(path, name, data)
    frame = _read_frame(label, raw, [])
    if frame is None:
        raise InputError("err.format", file=label, formats=".csv / .xlsx")
    return frame


def read_table(path: str | Path, *, name: str | None = None, data: bytes | None = None,
               coords: str = "wgs84", mapping: dict | None = None) -> gpd.GeoDataFrame:
    """A user's table as a GeoDataFrame in WGS-84: GeoJSON, GeoPackage, KML, zipped Shapefile, or CSV / XLSX
    with lon/lat columns (UTF-8, UTF-8 with BOM, GBK, GB18030, UTF-16).

    Files over :data:`MAX_UPLOAD_BYTES` are refused before they are read. Invalid geometries are repaired,
    a missing CRS is taken as WGS-84 only when every coordinate is a longitude/latitude, swapped columns are
    swapped back. Warnings (repaired geometries, swapped lon/lat, a guessed encoding...) are in
    ``table.attrs["warnings"]``; :func:`read_table_checked` returns them.

    Parameters
    ----------
    path : str or Path
        The file (only its name is used when ``data`` is given).
    name : str, optional
        The file name, for messages and the format; default the name of ``path``.
    data : bytes, optional
        The file's bytes (an upload); default read from ``path``.
    coords : str
        The coordinate system of the file's longitudes and latitudes: ``"wgs84"`` (GPS, OpenStreetMap),
        ``"gcj02"`` (AMap/Gaode, Tencent) or ``"bd09"`` (Baidu); they are converted to WGS-84.
    mapping : dict, optional
        The file's column for each field (see :func:`geo.inputs.mapping.propose_mapping`).

    Returns
    -------
    GeoDataFrame

    Raises
    ------
    InputError
        For an unsupported format, a missing, empty, oversized or unreadable file, binary data, a zip bomb,
        an XLSX with unsaved formulas, missing or bad coordinates, projected coordinates labelled WGS-84,
        a geometry that cannot be repaired, or a mapping naming a missing column.
    ValueError
        For an unknown ``coords``.
    """
    gdf, warns = read_table_checked(path, name=name, data=data, coords=coords, mapping=mapping)
    gdf.attrs["warnings"] = warns
    return gdf


def table_columns(path: str | Path, *, name: str | None = None, data: bytes | None = None) -> list[str]:
    """The column names of a user's table (not its geometry), to propose a mapping from.

    Parameters
    ----------
    path, name, data
        As for :func:`read_table`.

    Returns
    -------
    list of str

    Raises
    ------
    InputError
        For an unsupported format, a missing, empty, oversized or unreadable file.
    """
    label, data = _table_bytes(path, name, data)
    df = _read_frame(label, data, [])
    if df is None:
        gdf = _read_vector(label, data, [])
        df = gdf.drop(columns=gdf.geometry.name)
    return [str(c) for c in df.columns]


