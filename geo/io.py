"""Everything that touches disk or network: OSM files, place downloads, user tables, caches, writing.

osmnx's settings are global to the process (and to every user of a Streamlit server): they are set
here, once, at import.
"""

from __future__ import annotations

import codecs
import hashlib
import io as _io
import json
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmnx as ox
import pandas as pd
import requests
import shapely
from osmnx._errors import InsufficientResponseError

from geo import coords as _coords
from geo import demand as _demand
from geo import schools as _schools
from geo._table import require_column
from geo.demand import DemandParams, compounds_from_osm, normalise_compounds
from geo.demo import SEED, generate, groups_csv
from geo.errors import InputError, OfflineError
from geo.network import EDGE_TAGS, MODES, WALK, Network, network_from_graph
from geo.scenario import Inputs
from geo.schools import normalise_schools, schools_from_osm

ox.settings.useful_tags_way = sorted(set(ox.settings.useful_tags_way) | set(EDGE_TAGS))
ox.settings.log_console = False

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".xml")
TABLE_SUFFIXES = (".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".zip", ".kml", ".shp")
CACHE_VERSION = "1"
# The largest file a user may give, in bytes: the app's upload limit (.streamlit/config.toml, maxUploadSize
# = 200, in MiB). Larger files are refused by their size before they are read.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# The most an archive (zipped Shapefile, XLSX) may unpack to: more is a zip bomb, or far too much data.
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024

LON_ALIASES = ("lon", "lng", "longitude", "经度", "x")
LAT_ALIASES = ("lat", "latitude", "纬度", "y")

# The fields of each kind of user table and the column names recognised for them (the first is the name
# the loaders use; a user's mapping renames their column to it).
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "schools": {
        "school_id": _schools.ID_ALIASES,
        "name": _schools.NAME_ALIASES,
        "level": _schools.LEVEL_ALIASES,
        "capacity": _schools.CAPACITY_ALIASES,
        "capacity_primary": ("capacity_primary", "小学学位数", "小学学位"),
        "capacity_junior": ("capacity_junior", "初中学位数", "初中学位"),
        "lon": LON_ALIASES,
        "lat": LAT_ALIASES,
    },
    "compounds": {
        "compound_id": _demand.ID_ALIASES,
        "name": _demand.NAME_ALIASES,
        "children_primary": _demand.CHILD_ALIASES["primary"],
        "children_junior": _demand.CHILD_ALIASES["junior"],
        "lon": LON_ALIASES,
        "lat": LAT_ALIASES,
    },
}


def cache_dir() -> Path:
    """Where compiled networks are kept: ``$XUEQU_CACHE_DIR``, else ``~/.cache/xuequ``."""
    base = os.environ.get("XUEQU_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "xuequ"
    return Path(base)


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_file(path: str | Path, suffixes: tuple[str, ...]) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError("err.file_missing", file=str(path))
    name = p.name.lower()
    if not any(name.endswith(s) for s in suffixes):
        raise InputError("err.format", file=p.name, formats=" / ".join(suffixes))
    return p


def is_osm_file(path: str | Path) -> bool:
    name = Path(path).name.lower()
    return any(name.endswith(s) for s in (".osm", ".osm.bz2", ".osm.pbf", ".pbf"))


# --- street networks -----------------------------------------------------------------------------------

def _xml_path(path: Path, tmp: Path) -> Path:
    """An OSM XML file osmnx can read: PBF is converted with pyosmium (osmnx reads XML only)."""
    if not path.name.lower().endswith(".pbf"):
        return path
    import osmium

    out = tmp / (path.name.rsplit(".", 2)[0] + ".osm")
    try:
        with osmium.SimpleWriter(str(out)) as writer:
            for obj in osmium.FileProcessor(str(path)):
                writer.add(obj)
    except Exception as exc:  # pyosmium raises RuntimeError with libosmium's text
        raise InputError("err.file_unreadable", file=path.name, reason=str(exc)[:200],
                         formats=" / ".join(OSM_SUFFIXES)) from exc
    return out


def _read_osm(path: str | Path, read, on_empty):
    """Run an osmnx reader on an OSM file (PBF converted first), turning its failures into messages."""
    p = _check_file(path, OSM_SUFFIXES)
    with tempfile.TemporaryDirectory() as tmp:
        xml = _xml_path(p, Path(tmp))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return read(xml)
        except InsufficientResponseError as exc:
            return on_empty(p, exc)
        except Exception as exc:
            raise InputError("err.file_unreadable", file=p.name, reason=f"{type(exc).__name__}: {str(exc)[:200]}",
                             formats=" / ".join(OSM_SUFFIXES)) from exc


def read_osm_graph(path: str | Path):
    """The raw (unprojected, unsimplified) osmnx graph of every way in an OSM file."""
    def no_roads(p: Path, exc: Exception):
        raise InputError("err.no_roads", file=p.name, mode=f"@mode.{WALK}") from exc

    return _read_osm(path, lambda xml: ox.graph_from_xml(xml, simplify=False, retain_all=True, bidirectional=False),
                     no_roads)


def load_network(path: str | Path, mode: str = WALK, *, use_cache: bool = True) -> Network:
    """The compiled network of an OSM file, from the on-disk cache when the file was seen before.

    The cache key is the file's SHA-256 and the travel mode.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    p = _check_file(path, OSM_SUFFIXES)
    if p.stat().st_size == 0:
        raise InputError("err.empty", file=p.name, kind="@kind.data")
    cached = cache_dir() / f"network-{file_digest(p)}-{mode}-v{CACHE_VERSION}.npz"
    if use_cache and cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as z:
                return Network.from_arrays({k: z[k] for k in z.files})
        except Exception:  # noqa: BLE001 - a damaged cache entry, whatever the damage, is rebuilt
            cached.unlink(missing_ok=True)
    net = network_from_graph(read_osm_graph(p), mode)
    if net.n_nodes == 0:
        raise InputError("err.no_roads", file=p.name, mode=f"@mode.{mode}")
    if use_cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **net.to_arrays())
        os.replace(tmp, cached)
    return net


def network_from_place(place: str, mode: str = WALK) -> Network:
    """Download a place's streets from OpenStreetMap (needs the internet)."""
    try:
        G = ox.graph_from_place(place, network_type=mode, simplify=False, retain_all=True)
    except InsufficientResponseError as exc:  # the geocoder knows no such place, or it has no streets
        raise InputError("err.place_not_found", place=place) from exc
    except (requests.RequestException, OSError) as exc:
        raise OfflineError("err.offline", place=place, reason=type(exc).__name__) from exc
    net = network_from_graph(G, mode)
    if net.n_nodes == 0:
        raise InputError("err.no_roads", file=place, mode=f"@mode.{mode}")
    return net


# --- OSM features --------------------------------------------------------------------------------------

def read_osm_features(path: str | Path, tags: dict) -> gpd.GeoDataFrame:
    """OSM features with ``tags`` from a file (schools: ``{"amenity": "school"}``); empty when there are none."""
    return _read_osm(path, lambda xml: ox.features_from_xml(xml, tags=tags),
                     lambda p, exc: gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"))


# --- user tables ---------------------------------------------------------------------------------------

def _too_large(label: str, size: int, limit: int = MAX_UPLOAD_BYTES) -> InputError:
    return InputError("err.too_large", file=label, size_mb=size / 2**20, limit_mb=limit / 2**20)


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
        size = p.stat().st_size
        if size > MAX_UPLOAD_BYTES:  # refused by its size, before a byte is read
            raise _too_large(label, size)
        data = p.read_bytes()
    elif len(data) > MAX_UPLOAD_BYTES:
        raise _too_large(label, len(data))
    if not data.strip():
        raise InputError("err.empty", file=label, kind="@kind.rows")
    return label, data


def decode_text(data: bytes, label: str, warns: list | None = None) -> str:
    """Text of a CSV upload: UTF-8 (with or without BOM), else GBK/GB18030, strictly; other encodings are
    detected (charset-normalizer) with a warning. GBK text is never read as latin-1: GB18030, a superset
    of GBK, is tried before any guess."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _text_or_binary(data.decode("utf-16"), label)
        except UnicodeDecodeError as exc:
            raise InputError("err.encoding", file=label) from exc
    if b"\x00" in data:
        raise InputError("err.not_text", file=label)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return _text_or_binary(data.decode(enc), label)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError("err.not_text", file=label)
    text = _text_or_binary(str(best), label)
    if warns is not None:
        warns.append(("warn.encoding_guessed", {"file": label, "encoding": best.encoding}))
    return text


def _text_or_binary(text: str, label: str) -> str:
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n")
    if controls > max(2, len(text) // 200):
        raise InputError("err.not_text", file=label)
    return text


def _parse_csv(text: str, label: str) -> pd.DataFrame:
    if not text.strip():
        raise InputError("err.empty", file=label, kind="@kind.rows")
    first = text.lstrip("\ufeff").splitlines()[0]
    sep = ","
    if "," not in first:  # a tab- or semicolon-separated export
        sep = max(("\t", ";", "|"), key=first.count) if any(c in first for c in "\t;|") else ","
    try:
        return pd.read_csv(_io.StringIO(text), sep=sep, skipinitialspace=True)
    except pd.errors.EmptyDataError as exc:
        raise InputError("err.empty", file=label, kind="@kind.rows") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError("err.file_unreadable", file=label, reason=str(exc).strip()[:200],
                         formats=" / ".join(TABLE_SUFFIXES)) from exc


def _check_zip(data: bytes, label: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(_io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError("err.file_unreadable", file=label, reason="not a valid zip archive",
                         formats=" / ".join(TABLE_SUFFIXES)) from exc
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNZIPPED_BYTES:  # a zip bomb, or simply too much
        raise _too_large(label, unpacked, MAX_UNZIPPED_BYTES)
    return zf


def _read_xlsx(data: bytes, label: str, warns: list) -> pd.DataFrame:
    _check_zip(data, label)
    try:
        sheets = pd.read_excel(_io.BytesIO(data), sheet_name=None, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise InputError("err.file_unreadable", file=label, reason=f"{type(exc).__name__}: {str(exc)[:200]}",
                         formats=" / ".join(TABLE_SUFFIXES)) from exc
    filled = [(n, df.dropna(how="all")) for n, df in sheets.items()]
    filled = [(n, df) for n, df in filled if len(df.columns) and (len(df) or not str(df.columns[0]).startswith("Unnamed"))]
    if not filled:
        raise InputError("err.empty", file=label, kind="@kind.rows")
    if len(filled) > 1:
        warns.append(("warn.first_layer", {"file": label, "count": len(filled), "layer": filled[0][0]}))
    df = filled[0][1].reset_index(drop=True)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _read_frame(label: str, data: bytes, warns: list) -> pd.DataFrame | None:
    """The raw table of a CSV or XLSX file (``None`` for vector formats)."""
    lower = label.lower()
    if lower.endswith(".csv"):
        df = _parse_csv(decode_text(data, label, warns), label)
        df.columns = [str(c).strip() for c in df.columns]
        return df
    if lower.endswith(".xlsx"):
        return _read_xlsx(data, label, warns)
    return None


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
        raise InputError("err.lonlat_swapped", file=label, row=row + 1, field=f"{lon}/{lat}",
                         value=f"{df[lon].iloc[row]}, {df[lat].iloc[row]}")
    if verdict == "swap":
        x, y = y, x
        warns.append(("warn.lonlat_swapped", {"file": label, "lon": lon, "lat": lat}))
    return gpd.GeoDataFrame(df.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")


def _shapefile_encoding(files: dict[str, object], shp: str) -> str | None:
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
    import pyogrio

    lower = label.lower()
    encoding = None
    with tempfile.TemporaryDirectory() as tmp:
        suffix = next(s for s in TABLE_SUFFIXES if lower.endswith(s))
        src = Path(tmp) / f"upload{suffix}"
        src.write_bytes(data)
        target = str(src)
        if disk is not None and suffix == ".shp":
            target = str(disk)
            siblings = {str(q).lower(): (lambda q=q: q.read_bytes()) for q in disk.parent.iterdir() if q.is_file()}
            encoding = _shapefile_encoding(siblings, str(disk))
        if suffix == ".zip":
            zf = _check_zip(data, label)
            members = sorted(n for n in zf.namelist() if n.lower().endswith(".shp") and "__macosx" not in n.lower())
            if not members:
                raise InputError("err.zip_no_shp", file=label,
                                 contents=", ".join(zf.namelist()[:8]) or "-")
            if len(members) > 1:
                warns.append(("warn.first_layer", {"file": label, "count": len(members), "layer": members[0]}))
            encoding = _shapefile_encoding({n.lower(): (lambda n=n: zf.read(n)) for n in zf.namelist()}, members[0])
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
    """:func:`read_table` with its warnings: ``(table, [(translation key, params), ...])``."""
    system = _coords.check_system(coords)
    from_disk = data is None
    label, data = _table_bytes(path, name, data)
    warns: list[tuple[str, dict]] = []
    df = _read_frame(label, data, warns)
    if df is not None:
        if mapping:
            df = apply_mapping(df, mapping, label)
        gdf = _points_from_frame(df, label, warns)
    else:
        gdf = _read_vector(label, data, warns, disk=Path(path) if from_disk else None)
        if mapping:
            gdf = apply_mapping(gdf, mapping, label)
        _check_finite(gdf, label)
        gdf = _repair_geometries(gdf, label, warns)
        gdf = _place_in_wgs84(gdf, label, warns)
    if system != _coords.WGS84 and len(gdf):
        gdf = gdf.set_geometry(gpd.GeoSeries(_coords.geometries_to_wgs84(gdf.geometry.to_numpy(), system),
                                             index=gdf.index, crs="EPSG:4326"))
    return gdf, warns


def read_plain_table(path: str | Path, *, name: str | None = None, data: bytes | None = None) -> pd.DataFrame:
    """A CSV or XLSX table with no coordinates (school statistics, education groups, unit-to-school plans),
    with the same checks as :func:`read_table`: size, encoding (UTF-8, GBK, GB18030), empty files. Every
    cell is kept as read."""
    label, raw = _table_bytes(path, name, data)
    frame = _read_frame(label, raw, [])
    if frame is None:
        raise InputError("err.format", file=label, formats=".csv / .xlsx")
    return frame


def read_table(path: str | Path, *, name: str | None = None, data: bytes | None = None,
               coords: str = "wgs84", mapping: dict | None = None) -> gpd.GeoDataFrame:
    """A user's table as a GeoDataFrame in WGS-84: GeoJSON, GeoPackage, KML, zipped Shapefile, or CSV / XLSX
    with lon/lat columns (UTF-8, UTF-8 with BOM, GBK or GB18030).

    ``data`` reads from memory (an upload) with ``name`` giving the file name for messages. ``coords`` is
    the coordinate system of the file's longitudes and latitudes: ``"wgs84"`` (GPS, OpenStreetMap),
    ``"gcj02"`` (AMap/Gaode, Tencent) or ``"bd09"`` (Baidu); they are converted to WGS-84. ``mapping``
    names the file's column for each field (see :func:`propose_mapping`). Files over
    :data:`MAX_UPLOAD_BYTES` are refused before they are read. Warnings (repaired geometries, swapped
    lon/lat, a guessed encoding...) are in ``table.attrs["warnings"]``; :func:`read_table_checked`
    returns them.
    """
    gdf, warns = read_table_checked(path, name=name, data=data, coords=coords, mapping=mapping)
    gdf.attrs["warnings"] = warns
    return gdf


def table_columns(path: str | Path, *, name: str | None = None, data: bytes | None = None) -> list[str]:
    """The column names of a user's table (not its geometry), to propose a mapping from."""
    label, data = _table_bytes(path, name, data)
    df = _read_frame(label, data, [])
    if df is None:
        gdf = _read_vector(label, data, [])
        df = gdf.drop(columns=gdf.geometry.name)
    return [str(c) for c in df.columns]


# --- column mapping ------------------------------------------------------------------------------------

def mapping_fields(kind: str) -> dict[str, tuple[str, ...]]:
    """The fields of a ``"schools"`` or ``"compounds"`` table and the column names recognised for each."""
    if kind not in FIELDS:
        raise ValueError(f"kind must be one of {tuple(FIELDS)}")
    return FIELDS[kind]


def _norm(name: object) -> str:
    return str(name).strip().lower().replace(" ", "").replace("_", "").replace("（", "(").replace("）", ")")


def propose_mapping(columns, kind: str) -> dict[str, str | None]:
    """For each field of ``kind`` the column that holds it, from the header: exact alias matches first,
    then headers that contain an alias (``学校名称（全称）``); each column is used once; ``None`` where
    nothing matches."""
    fields = mapping_fields(kind)
    cols = [str(c) for c in columns]
    normed = {c: _norm(c) for c in cols}
    out: dict[str, str | None] = dict.fromkeys(fields)
    used: set[str] = set()
    for field, aliases in fields.items():
        for a in aliases:
            hit = next((c for c in cols if c not in used and normed[c] == _norm(a)), None)
            if hit is not None:
                out[field], _ = hit, used.add(hit)
                break
    pairs = sorted(((len(_norm(a)), field, _norm(a)) for field, aliases in fields.items() for a in aliases
                    if len(_norm(a)) >= 2 and (not _norm(a).isascii() or len(_norm(a)) >= 4)), reverse=True)
    for _, field, a in pairs:
        if out[field] is not None:
            continue
        hit = next((c for c in cols if c not in used and a in normed[c]), None)
        if hit is not None:
            out[field] = hit
            used.add(hit)
    return out


def apply_mapping(df: pd.DataFrame, mapping: dict, file: str = "") -> pd.DataFrame:
    """``df`` with the columns named in ``mapping`` (field -> column) renamed to the field names; a column
    that already had a field's name is kept as ``<name>_original``."""
    df = df.copy()
    geom = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    chosen = {f: c for f, c in mapping.items() if c not in (None, "")}
    for field, col in chosen.items():
        if col not in df.columns:
            raise InputError("err.mapping_column", file=file, field=field, value=col)
    rename = {}
    for field, col in chosen.items():
        if col == field:
            continue
        clash = [c for c in df.columns if str(c).strip().lower() == field and c != col and c != geom]
        for c in clash:
            if c not in chosen.values():
                rename[c] = f"{c}_original"
        rename[col] = field
    return df.rename(columns=rename)


def layout_key(columns) -> str:
    """A stable key of a file layout: the SHA-256 of its header row (names trimmed, in order)."""
    text = "\x1f".join(str(c).strip() for c in columns)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _layouts_path() -> Path:
    return cache_dir() / "layouts.json"


def _load_layouts() -> dict:
    try:
        data = json.loads(_layouts_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def recall_mapping(key: str) -> dict[str, str | None] | None:
    """The mapping remembered for a file layout (:func:`layout_key`), or ``None``."""
    entry = _load_layouts().get(key)
    return dict(entry["mapping"]) if isinstance(entry, dict) and isinstance(entry.get("mapping"), dict) else None


def remember_mapping(key: str, mapping: dict, *, kind: str = "") -> None:
    """Keep ``mapping`` for the file layout ``key`` in ``cache_dir()/layouts.json`` (written atomically)."""
    layouts = _load_layouts()
    layouts[key] = {"kind": kind, "mapping": {str(k): (None if v is None else str(v)) for k, v in mapping.items()}}
    path = _layouts_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(layouts, f, ensure_ascii=False, indent=1, sort_keys=True)
    os.replace(tmp, path)


# --- writing -------------------------------------------------------------------------------------------

def write_text(path: str | Path, text: str) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def write_bytes(path: str | Path, data: bytes) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


# --- all inputs at once --------------------------------------------------------------------------------

def load_schools(source: str | Path, *, name: str | None = None, data: bytes | None = None,
                 coords: str = "wgs84", mapping: dict | None = None):
    """Schools from an OSM file (``amenity=school``) or a user table; returns ``(table, warnings)``.

    ``coords`` and ``mapping`` are as for :func:`read_table` (an OSM file is always WGS-84).
    """
    label = name or Path(source).name
    if data is None and is_osm_file(source):
        return schools_from_osm(read_osm_features(source, {"amenity": "school"}))
    gdf, warns = read_table_checked(source, name=name, data=data, coords=coords, mapping=mapping)
    return normalise_schools(gdf, label), warns


def load_compounds(source: str | Path, params=None, *, name: str | None = None, data: bytes | None = None,
                   coords: str = "wgs84", mapping: dict | None = None):
    """Compounds from an OSM file (``landuse=residential``) or a user table; returns ``(table, warnings)``."""
    label = name or Path(source).name
    if data is None and is_osm_file(source):
        return compounds_from_osm(read_osm_features(source, {"landuse": "residential"}), params or DemandParams())
    gdf, warns = read_table_checked(source, name=name, data=data, coords=coords, mapping=mapping)
    return normalise_compounds(gdf, label), warns


def gcj_offset_warning(points: gpd.GeoDataFrame | gpd.GeoSeries, network: Network, *, file: str = "",
                       kind: str = "@kind.schools") -> tuple[str, dict] | None:
    """``("warn.gcj_offset", params)`` when points loaded as WGS-84 sit off the streets by the typical
    GCJ-02 offset, i.e. converting them from GCJ-02 brings them markedly closer (median distance to the
    nearest street); else ``None``."""
    geom = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    geom = geom[~(geom.isna() | geom.is_empty)].to_crs("EPSG:4326")
    if len(geom) == 0:
        return None
    pts = geom.where(geom.geom_type == "Point", geom.representative_point())
    found = _coords.gcj_offset_check(pts.x.to_numpy(), pts.y.to_numpy(), network)
    if found is None:
        return None
    return "warn.gcj_offset", {"kind": kind, "file": file, "given": found["given_m"],
                               "converted": found["converted_m"]}


def load_inputs(network: str | Path, schools: str | Path | None = None, demand: str | Path | None = None,
                mode: str = WALK, params=None, *, name: str = "", coords: str = "wgs84",
                schools_coords: str | None = None, compounds_coords: str | None = None,
                schools_mapping: dict | None = None, compounds_mapping: dict | None = None):
    """Network, schools and compounds from files; schools and compounds default to the OSM file's own.

    ``coords`` is the coordinate system of the schools and compounds tables (see :func:`read_table`);
    ``schools_coords`` / ``compounds_coords`` set one table's apart. Tables read as WGS-84 that sit off
    the streets by the GCJ-02 offset get a warning (:func:`gcj_offset_warning`).
    """
    net = load_network(network, mode)
    schools = schools or network
    demand = demand or network
    systems = {"s": _coords.check_system(schools_coords or coords), "c": _coords.check_system(compounds_coords or coords)}
    s, ws = load_schools(schools, coords=systems["s"], mapping=schools_mapping)
    c, wc = load_compounds(demand, params, coords=systems["c"], mapping=compounds_mapping)
    if len(s) == 0:
        raise InputError("err.empty", file=Path(schools).name, kind="@kind.schools")
    if len(c) == 0:
        raise InputError("err.empty", file=Path(demand).name, kind="@kind.compounds")
    offsets = []
    for src, table, kind, system in ((schools, s, "@kind.schools", systems["s"]),
                                     (demand, c, "@kind.compounds", systems["c"])):
        if system == _coords.WGS84 and not is_osm_file(src):
            w = gcj_offset_warning(table, net, file=Path(src).name, kind=kind)
            offsets += [w] if w else []
    return Inputs(net, s, c, name=name or Path(network).name,
                  sources={"schools": Path(schools).name, "compounds": Path(demand).name},
                  warnings=tuple(ws + wc + offsets))


def inputs_from_place(place: str, mode: str = WALK, params=None):
    """Network, schools and compounds of a named place, downloaded from OpenStreetMap (needs the internet)."""
    def features(tags: dict) -> gpd.GeoDataFrame:
        try:
            return ox.features_from_place(place, tags)
        except InsufficientResponseError:
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
        except (requests.RequestException, OSError) as exc:
            raise OfflineError("err.offline", place=place, reason=type(exc).__name__) from exc

    net = network_from_place(place, mode)
    s, ws = schools_from_osm(features({"amenity": "school"}))
    c, wc = compounds_from_osm(features({"landuse": "residential"}), params or DemandParams())
    if len(s) == 0:
        raise InputError("err.empty", file=place, kind="@kind.schools")
    if len(c) == 0:
        raise InputError("err.empty", file=place, kind="@kind.compounds")
    return Inputs(net, s, c, name=place, sources={"schools": place, "compounds": place}, warnings=tuple(ws + wc))


def write_demo(out_dir: str | Path, seed: int | None = None) -> Path:
    """Generate the demo district and write ``district.osm``, ``schools.csv``, ``compounds.geojson`` and
    ``groups.csv`` (its two education groups)."""
    d = generate(SEED if seed is None else seed)
    out = Path(out_dir)
    write_text(out / "district.osm", d.osm_xml)
    write_text(out / "schools.csv", d.schools.to_csv(index=False, lineterminator="\n"))
    write_text(out / "compounds.geojson", d.compounds.to_json(drop_id=True, ensure_ascii=False, indent=None) + "\n")
    write_text(out / "groups.csv", groups_csv(d))
    return out
