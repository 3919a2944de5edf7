"""Everything that touches disk or network: OSM files, place downloads, user tables, caches, writing.

osmnx's settings are global to the process (and to every user of a Streamlit server): they are set
here, once, at import.
"""

from __future__ import annotations

import hashlib
import io as _io
import os
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmnx as ox
import pandas as pd
import requests
from osmnx._errors import InsufficientResponseError

from geo._table import require_column
from geo.demand import DemandParams, compounds_from_osm, normalise_compounds
from geo.demo import SEED, generate
from geo.errors import InputError, OfflineError
from geo.network import EDGE_TAGS, MODES, WALK, Network, network_from_graph
from geo.scenario import Inputs
from geo.schools import normalise_schools, schools_from_osm

ox.settings.useful_tags_way = sorted(set(ox.settings.useful_tags_way) | set(EDGE_TAGS))
ox.settings.log_console = False

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".xml")
TABLE_SUFFIXES = (".geojson", ".json", ".gpkg", ".csv", ".shp", ".zip")
CACHE_VERSION = "1"

LON_ALIASES = ("lon", "lng", "longitude", "经度", "x")
LAT_ALIASES = ("lat", "latitude", "纬度", "y")


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
    cached = cache_dir() / f"network-{file_digest(p)}-{mode}-v{CACHE_VERSION}.npz"
    if use_cache and cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as z:
                return Network.from_arrays({k: z[k] for k in z.files})
        except Exception:  # a damaged cache entry is rebuilt
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

def read_table(path: str | Path, *, name: str | None = None, data: bytes | None = None) -> gpd.GeoDataFrame:
    """A user's table as a GeoDataFrame in WGS-84: GeoJSON, GeoPackage, zipped Shapefile, or CSV with lon/lat.

    ``data`` reads from memory (an upload) with ``name`` giving the file name for messages.
    """
    label = name or Path(path).name
    lower = label.lower()
    if not any(lower.endswith(s) for s in TABLE_SUFFIXES):
        raise InputError("err.format", file=label, formats=" / ".join(TABLE_SUFFIXES))
    if data is None:
        p = Path(path)
        if not p.is_file():
            raise InputError("err.file_missing", file=str(path))
        data = p.read_bytes()
    if not data.strip():
        raise InputError("err.empty", file=label, kind="@kind.rows")
    try:
        if lower.endswith(".csv"):
            return _read_csv(data, label)
        import pyogrio

        gdf = pyogrio.read_dataframe(_io.BytesIO(data))
    except InputError:
        raise
    except Exception as exc:
        raise InputError("err.file_unreadable", file=label, reason=f"{type(exc).__name__}: {str(exc)[:200]}",
                         formats=" / ".join(TABLE_SUFFIXES)) from exc
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    return gdf.to_crs("EPSG:4326")


def _read_csv(data: bytes, label: str) -> gpd.GeoDataFrame:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            df = pd.read_csv(_io.BytesIO(data), encoding=enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError("err.file_unreadable", file=label, reason="unknown text encoding (use UTF-8 or GB18030)",
                         formats=" / ".join(TABLE_SUFFIXES))
    lon = require_column(df, LON_ALIASES, label)
    lat = require_column(df, LAT_ALIASES, label)
    x = pd.to_numeric(df[lon], errors="coerce")
    y = pd.to_numeric(df[lat], errors="coerce")
    bad = x.isna() | y.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("err.bad_value", file=label, row=i + 1, field=f"{lon}/{lat}",
                         value=f"{df[lon].iloc[i]}, {df[lat].iloc[i]}",
                         hint="@hint.lonlat")
    return gpd.GeoDataFrame(df.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")


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

def load_schools(source: str | Path, *, name: str | None = None, data: bytes | None = None):
    """Schools from an OSM file (``amenity=school``) or a user table; returns ``(table, warnings)``."""
    label = name or Path(source).name
    if data is None and is_osm_file(source):
        return schools_from_osm(read_osm_features(source, {"amenity": "school"}))
    return normalise_schools(read_table(source, name=name, data=data), label), []


def load_compounds(source: str | Path, params=None, *, name: str | None = None, data: bytes | None = None):
    """Compounds from an OSM file (``landuse=residential``) or a user table; returns ``(table, warnings)``."""
    label = name or Path(source).name
    if data is None and is_osm_file(source):
        return compounds_from_osm(read_osm_features(source, {"landuse": "residential"}), params or DemandParams())
    return normalise_compounds(read_table(source, name=name, data=data), label), []


def load_inputs(network: str | Path, schools: str | Path | None = None, demand: str | Path | None = None,
                mode: str = WALK, params=None, *, name: str = ""):
    """Network, schools and compounds from files; schools and compounds default to the OSM file's own."""
    net = load_network(network, mode)
    schools = schools or network
    demand = demand or network
    s, ws = load_schools(schools)
    c, wc = load_compounds(demand, params)
    if len(s) == 0:
        raise InputError("err.empty", file=Path(schools).name, kind="@kind.schools")
    if len(c) == 0:
        raise InputError("err.empty", file=Path(demand).name, kind="@kind.compounds")
    return Inputs(net, s, c, name=name or Path(network).name,
                  sources={"schools": Path(schools).name, "compounds": Path(demand).name}, warnings=tuple(ws + wc))


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
    """Generate the demo district and write ``district.osm``, ``schools.csv`` and ``compounds.geojson``."""
    d = generate(SEED if seed is None else seed)
    out = Path(out_dir)
    write_text(out / "district.osm", d.osm_xml)
    write_text(out / "schools.csv", d.schools.to_csv(index=False, lineterminator="\n"))
    write_text(out / "compounds.geojson", d.compounds.to_json(drop_id=True, ensure_ascii=False, indent=None) + "\n")
    return out
