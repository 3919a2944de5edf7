"""Everything that touches disk or network: OSM files, place downloads, user tables, caches, writing.

osmnx's settings are global to the process (and to every user of a Streamlit server): they are set
here, once, at import.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io as _io
import json
import os
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import osmnx as ox
import pandas as pd
import requests
import shapely

from geo.errors import InputError, OfflineError
from geo.inputs import coords as _coords
from geo.inputs import demand as _demand
from geo.inputs import schools as _schools
from geo.inputs.columns import id_text, require_column
from geo.inputs.demand import DemandParams, compounds_from_osm, normalise_compounds
from geo.inputs.demo import SEED, generate, groups_csv
from geo.inputs.schools import normalise_schools, schools_from_osm
from geo.network.graph import EDGE_TAGS, MODES, WALK, Network, network_from_graph
from geo.zoning.scenario import Inputs

ox.settings.useful_tags_way = sorted(set(ox.settings.useful_tags_way) | set(EDGE_TAGS))
ox.settings.log_console = False

# What osmnx raises when a file or a place holds nothing asked for (no ways, no matching features, a place the
# geocoder does not know): a ValueError subclass that osmnx's public API does not name. osmnx 2 exposes its
# errors module only as the attribute ``ox._errors`` (its __init__ re-exports it; its user reference leaves it
# out), so this is the one place a private osmnx name is used; tests/test_geo_imports.py pins it. Catching
# ValueError instead would turn osmnx's other ValueErrors (a damaged file) into "nothing found".
InsufficientResponseError: type[ValueError] = ox._errors.InsufficientResponseError

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".xml")
TABLE_SUFFIXES = (".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".zip", ".kml", ".shp")
# 2: OSM files are checked (positions, duplicate nodes, clipped ways) before compiling; 3: walking networks
# leave out roads whose sidewalks are mapped as separate ways (sidewalk*=separate), as osmnx 2.1 does.
CACHE_VERSION = "3"
# The largest file a user may give, in bytes: the app's upload limit (.streamlit/config.toml, maxUploadSize
# = 200, in MiB). Larger files are refused by their size before they are read.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# The most an archive (zipped Shapefile, XLSX) may unpack to: more is a zip bomb, or far too much data.
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024

# Columns read as the text written, never as numbers (a CSV's 001 stays "001", an XLSX's 1 is "1", not
# "1.0"): the ids of schools, compounds and education groups, under any of their names.
ID_COLUMNS = tuple(dict.fromkeys(_schools.ID_ALIASES + _demand.ID_ALIASES + ("group_id",)))

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


class _ForbiddenXML(Exception):
    """An entity or DTD declaration in an OSM file (XXE, billion laughs): never expanded."""


def _forbid(*_args) -> None:
    raise _ForbiddenXML("XML entity declarations are not allowed")


def _open_xml(xml: Path):
    """The bytes of an OSM XML file, decompressed as osmnx would (by suffix)."""
    import bz2
    import gzip

    if xml.suffix == ".bz2":
        return bz2.open(xml, "rb")
    if xml.suffix == ".gz":
        return gzip.open(xml, "rb")
    return xml.open("rb")


def _scan_osm(xml: Path, label: str) -> dict[str, list]:
    """One streaming pass over an OSM XML file, keeping only the ids, positions and way references as
    text (the checks are done on arrays afterwards). Entity declarations are refused, as defusedxml
    does, so nothing is expanded or fetched."""
    from xml.parsers import expat

    seen: dict[str, list] = {"node": [], "lat": [], "lon": [], "way": [], "way_start": [], "ref": []}
    node, lat, lon, way, way_start, ref = (seen[k] for k in ("node", "lat", "lon", "way", "way_start", "ref"))

    def start(name: str, attrs: dict) -> None:
        if name == "nd":
            ref.append(attrs.get("ref"))
        elif name == "node":
            node.append(attrs.get("id"))
            lat.append(attrs.get("lat"))
            lon.append(attrs.get("lon"))
        elif name == "way":
            way.append(attrs.get("id"))
            way_start.append(len(ref))

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    parser.StartElementHandler = start
    try:
        with _open_xml(xml) as f:
            parser.ParseFile(f)
    except (expat.ExpatError, _ForbiddenXML, OSError, EOFError, ValueError) as exc:
        raise InputError("err.file_unreadable", file=label, reason=f"{type(exc).__name__}: {str(exc)[:200]}",
                         formats=" / ".join(OSM_SUFFIXES)) from exc
    return seen


def _osm_ids(values: list, label: str, element: str) -> np.ndarray:
    try:
        return np.array(values, dtype=object).astype(np.int64) if values else np.zeros(0, np.int64)
    except (TypeError, ValueError, OverflowError):
        bad = next(v for v in values if not _is_int(v))
        raise InputError("err.osm_bad_id", file=label, element=f"@osm.element.{element}", value=str(bad)) from None


def _is_int(value: object) -> bool:
    try:
        int(str(value))
        return abs(int(str(value))) < 2**63
    except ValueError:
        return False


class OsmCheck(NamedTuple):
    """What :func:`check_osm` found: the ways that refer to nodes the file does not hold, those nodes, and
    the warnings."""

    clipped: np.ndarray
    missing: np.ndarray
    warnings: list[tuple[str, dict]]


def check_osm(xml: str | Path, label: str | None = None) -> OsmCheck:
    """Check an OSM XML file before it is compiled: every node has one valid position, and every way
    refers to nodes the file holds. Ways that refer to missing nodes (a clipped extract) are returned,
    with a warning, for :func:`_unclip` to keep their parts inside the file.

    Raises :class:`InputError` naming the node for a position that is missing, not a number or out of
    range (lon 500 would be wrapped round the globe), and for a node given twice at different positions
    (osmnx keeps the last: one street then jumps tens of kilometres).
    """
    xml = Path(xml)
    label = label or xml.name
    seen = _scan_osm(xml, label)
    ids = _osm_ids(seen["node"], label, "node")
    lat = pd.to_numeric(pd.Series(seen["lat"], dtype=object), errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(pd.Series(seen["lon"], dtype=object), errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(lat) & np.isfinite(lon)) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("err.osm_bad_node", file=label, node=int(ids[i]), lat=str(seen["lat"][i] or "-"),
                         lon=str(seen["lon"][i] or "-"))
    order = np.argsort(ids, kind="stable")
    sid, slat, slon = ids[order], lat[order], lon[order]
    moved = (sid[1:] == sid[:-1]) & ((slat[1:] != slat[:-1]) | (slon[1:] != slon[:-1]))
    if moved.any():
        k = int(np.flatnonzero(moved)[0])
        raw_lat, raw_lon = np.asarray(seen["lat"], object)[order], np.asarray(seen["lon"], object)[order]
        raise InputError("err.osm_duplicate_node", file=label, node=int(sid[k]),
                         first=f"{raw_lat[k]}, {raw_lon[k]}", second=f"{raw_lat[k + 1]}, {raw_lon[k + 1]}")
    ways = _osm_ids(seen["way"], label, "way")
    refs = _osm_ids(seen["ref"], label, "node")
    none = np.zeros(0, np.int64)
    if refs.size == 0 or ways.size == 0:
        return OsmCheck(none, none, [])
    missing = ~np.isin(refs, ids)
    if not missing.any():
        return OsmCheck(none, none, [])
    starts = np.asarray(seen["way_start"], np.int64)
    way_of_ref = np.searchsorted(starts, np.arange(refs.size), side="right") - 1
    clipped = np.unique(ways[way_of_ref[missing & (way_of_ref >= 0)]])
    if clipped.size == 0:
        return OsmCheck(none, none, [])
    warn = ("warn.osm_clipped", {"file": label, "count": int(clipped.size), "way": int(clipped[0])})
    return OsmCheck(clipped, np.unique(refs[missing]), [warn])


def _unclip(xml: Path, found: OsmCheck, out: Path) -> Path:
    """A copy of an OSM file in which each way referring to missing nodes keeps its parts inside the file:
    a street is split where nodes are missing (each run of two or more nodes present is kept, the first
    under the way's id, the others under new negative ids); any other way (an area: it cannot be closed)
    is left out. Ways are kept whole otherwise; nodes and relations are copied as they are."""
    import osmium

    clipped, missing = set(found.clipped.tolist()), set(found.missing.tolist())
    next_id = -(2**62)  # far from any id an OSM file uses, negative ones (JOSM's new objects) included
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            if not (obj.is_way() and obj.id in clipped):
                writer.add(obj)
                continue
            if "highway" not in obj.tags:
                continue
            runs, run = [], []
            for nd in obj.nodes:
                if nd.ref in missing:
                    runs.append(run)
                    run = []
                else:
                    run.append(nd.ref)
            runs.append(run)
            tags = dict(obj.tags)
            for k, piece in enumerate(r for r in runs if len(r) >= 2):
                way_id = obj.id
                if k:
                    way_id, next_id = next_id, next_id - 1
                writer.add_way(obj.replace(id=way_id, nodes=piece, tags=tags))
    return out


def _read_osm(path: str | Path, read, on_empty, warns: list | None = None):
    """Run an osmnx reader on an OSM file (PBF converted first, checked by :func:`check_osm`, the parts
    inside the file kept of clipped ways), turning its failures into messages; warnings go to ``warns``."""
    p = _check_file(path, OSM_SUFFIXES)
    with tempfile.TemporaryDirectory() as tmp:
        xml = _xml_path(p, Path(tmp))
        found = check_osm(xml, p.name)
        if found.clipped.size:
            xml = _unclip(xml, found, Path(tmp) / "unclipped.osm")
        if warns is not None:
            warns.extend(found.warnings)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return read(xml)
        except InsufficientResponseError as exc:
            return on_empty(p, exc)
        except Exception as exc:
            raise InputError("err.file_unreadable", file=p.name, reason=f"{type(exc).__name__}: {str(exc)[:200]}",
                             formats=" / ".join(OSM_SUFFIXES)) from exc


def read_osm_graph(path: str | Path, warns: list | None = None):
    """The raw (unprojected, unsimplified) osmnx graph of every way in an OSM file; warnings (a clipped
    extract) are added to ``warns``."""
    def no_roads(p: Path, exc: Exception):
        raise InputError("err.no_roads", file=p.name, mode=f"@mode.{WALK}") from exc

    return _read_osm(path, lambda xml: ox.graph_from_xml(xml, simplify=False, retain_all=True, bidirectional=False),
                     no_roads, warns)


def load_network(path: str | Path, mode: str = WALK, *, use_cache: bool = True) -> Network:
    """The compiled network of an OSM file, from the on-disk cache when the file was seen before.

    The cache key is the file's SHA-256 and the travel mode. :func:`load_network_checked` also returns
    the warnings.
    """
    return load_network_checked(path, mode, use_cache=use_cache)[0]


def load_network_checked(path: str | Path, mode: str = WALK, *, use_cache: bool = True
                         ) -> tuple[Network, list[tuple[str, dict]]]:
    """:func:`load_network` with its warnings (a clipped extract), kept in the cache with the network."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    p = _check_file(path, OSM_SUFFIXES)
    if p.stat().st_size == 0:
        raise InputError("err.empty", file=p.name, kind="@kind.data")
    cached = cache_dir() / f"network-{file_digest(p)}-{mode}-v{CACHE_VERSION}.npz"
    if use_cache and cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            found = [(str(k), dict(v)) for k, v in json.loads(str(arrays.pop("warnings", "[]")))]
            for _, params in found:
                params["file"] = p.name  # the same bytes may come under another name
            return Network.from_arrays(arrays), found
        except Exception:  # noqa: BLE001 - a damaged cache entry, whatever the damage, is rebuilt
            cached.unlink(missing_ok=True)
    found: list[tuple[str, dict]] = []
    net = network_from_graph(read_osm_graph(p, found), mode)
    if net.n_nodes == 0:
        raise InputError("err.no_roads", file=p.name, mode=f"@mode.{mode}")
    if use_cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **net.to_arrays(), warnings=np.array(json.dumps(found, ensure_ascii=False)))
        os.replace(tmp, cached)
    return net, found


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

def read_osm_features(path: str | Path, tags: dict, warns: list | None = None) -> gpd.GeoDataFrame:
    """OSM features with ``tags`` from a file (schools: ``{"amenity": "school"}``); empty when there are none."""
    return _read_osm(path, lambda xml: ox.features_from_xml(xml, tags=tags),
                     lambda p, exc: gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), warns)


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


def _wide_encoding(data: bytes) -> tuple[str, bool] | None:
    """``(codec, has_bom)`` for UTF-32 or UTF-16 text (little- or big-endian), by its byte-order mark or,
    without one, by where its NUL bytes fall; ``None`` when the data is not wide text.

    Every character of UTF-32 text has a NUL top byte. In UTF-16, each ASCII character (the commas, digits
    and line ends of every table and list) has a NUL high byte, on the odd bytes when little-endian, the
    even ones when big-endian; a CJK character fills both bytes (only the rare U+xx00 ones, such as 一, put
    a NUL on the other side); binary data puts about 1 byte in 256 anywhere."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", True
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True
    head = data[:1 << 16]
    if b"\x00" not in head:
        return None
    if len(data) % 4 == 0 and len(head) >= 4:
        quads = np.frombuffer(head[: len(head) // 4 * 4], np.uint8).reshape(-1, 4) == 0
        share = quads.mean(axis=0)  # how often each byte of a 4-byte unit is NUL
        if share[3] == 1 and share[2] >= 0.9 and share[0] < 0.5:  # code points < 0x110000: top byte 0
            return "utf-32-le", False
        if share[0] == 1 and share[1] >= 0.9 and share[3] < 0.5:
            return "utf-32-be", False
    if len(data) % 2 == 0:
        pairs = np.frombuffer(head[: len(head) // 2 * 2], np.uint8).reshape(-1, 2) == 0
        even, odd = (int(n) for n in pairs.sum(axis=0))
        least = max(1, len(pairs) // 100)
        if odd >= least and odd >= 2 * even:
            return "utf-16-le", False
        if even >= least and even >= 2 * odd:
            return "utf-16-be", False
    return None


# Code point ranges of the text tables and zone lists hold: ASCII and Latin, general punctuation, CJK
# (radicals to unified ideographs, with its punctuation and extension A), full-width forms.
_COMMON_TEXT = ((0x09, 0x0D), (0x20, 0x24F), (0x2000, 0x206F), (0x2E80, 0x9FFF), (0xF900, 0xFAFF),
                (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3134F))


def _plausible_text(text: str) -> bool:
    """Whether text decoded from a guessed wide encoding reads as text: binary data decoded as UTF-16
    spreads over every block of Unicode, text stays in a few."""
    cp = np.frombuffer(text[:1 << 15].encode("utf-32-le", "surrogatepass"), np.uint32)
    if cp.size == 0:
        return False
    common = np.zeros(cp.size, bool)
    for lo, hi in _COMMON_TEXT:
        common |= (cp >= lo) & (cp <= hi)
    return common.mean() >= 0.95


def decode_text(data: bytes, label: str, warns: list | None = None) -> str:
    """Text of a CSV upload or a zone list: UTF-8 (with or without BOM), else GBK/GB18030, strictly;
    UTF-16 and UTF-32 (Excel's "Unicode text", with or without BOM) by their BOM or NUL-byte pattern;
    other encodings are detected (charset-normalizer) with a warning. GBK text is never read as latin-1:
    GB18030, a superset of GBK, is tried before any guess."""
    wide = _wide_encoding(data)
    if wide is not None:
        codec, bom = wide
        try:
            text = data.decode(codec).lstrip("\ufeff")
        except UnicodeDecodeError as exc:  # with a BOM it meant to be text; without, it is binary
            raise InputError("err.encoding" if bom else "err.not_text", file=label) from exc
        if not bom and not _plausible_text(text):
            raise InputError("err.not_text", file=label)
        return _text_or_binary(text, label)
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
        header = pd.read_csv(_io.StringIO(text), sep=sep, skipinitialspace=True, nrows=0).columns
        as_text = {c: str for c in header if str(c).strip().lower() in text_columns}
        return pd.read_csv(_io.StringIO(text), sep=sep, skipinitialspace=True, dtype=as_text or None)
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


def _uncached_formulas(data: bytes, sheet: str, zf: zipfile.ZipFile) -> list[str]:
    """The cells of ``sheet`` that hold a formula with no saved value (as scripts write them: openpyxl
    reads them as empty with ``data_only=True``). Workbooks with no formula at all are not read twice."""
    import re

    from openpyxl import load_workbook

    sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    if not any(re.search(rb"<(?:\w{1,10}:)?f[ >/]", zf.read(n)) for n in sheets):
        return []
    formulas = load_workbook(_io.BytesIO(data), read_only=True, data_only=False)[sheet]
    values = load_workbook(_io.BytesIO(data), read_only=True, data_only=True)[sheet]
    cells = []
    for row_f, row_v in zip(formulas.iter_rows(), values.iter_rows()):
        for cf, cv in zip(row_f, row_v):
            if cf.data_type == "f" and cv.value is None:
                cells.append(cf.coordinate)
    return cells


def _read_xlsx(data: bytes, label: str, warns: list) -> pd.DataFrame:
    zf = _check_zip(data, label)
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
    """:func:`read_table` with its warnings: ``(table, [(translation key, params), ...])``."""
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
        found: list[tuple[str, dict]] = []
        table, warns = schools_from_osm(read_osm_features(source, {"amenity": "school"}, found))
        return table, found + warns
    gdf, warns = read_table_checked(source, name=name, data=data, coords=coords, mapping=mapping)
    table = normalise_schools(gdf, label)
    estimated = _schools.estimated_capacity_warning(table, label)
    return table, warns + ([estimated] if estimated else [])


def load_compounds(source: str | Path, params=None, *, name: str | None = None, data: bytes | None = None,
                   coords: str = "wgs84", mapping: dict | None = None):
    """Compounds from an OSM file (``landuse=residential``) or a user table; returns ``(table, warnings)``."""
    label = name or Path(source).name
    if data is None and is_osm_file(source):
        found: list[tuple[str, dict]] = []
        table, warns = compounds_from_osm(read_osm_features(source, {"landuse": "residential"}, found),
                                          params or DemandParams())
        return table, found + warns
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
    net, wn = load_network_checked(network, mode)
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
    unique: dict[str, tuple[str, dict]] = {}
    for w in wn + ws + wc + offsets:  # an OSM file read for the network, schools and compounds warns once
        unique.setdefault(repr(w), w)
    return Inputs(net, s, c, name=name or Path(network).name,
                  sources={"schools": Path(schools).name, "compounds": Path(demand).name},
                  warnings=tuple(unique.values()))


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
    from geo.render.export import safe_frame  # formula-safe, as every CSV the project writes

    write_text(out / "schools.csv", safe_frame(d.schools).to_csv(index=False, lineterminator="\n"))
    write_text(out / "compounds.geojson", d.compounds.to_json(drop_id=True, ensure_ascii=False, indent=None) + "\n")
    write_text(out / "groups.csv", groups_csv(d))
    return out
