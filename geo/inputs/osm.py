"""OpenStreetMap in: files (XML, bz2, PBF) checked before osmnx reads them, the compiled street network and its
on-disk cache, features (schools, residential areas), and place downloads.

osmnx's settings are global to the process (and to every user of a Streamlit server): they are set
here, once, at import.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, NamedTuple, NoReturn
from xml.parsers import expat

import geopandas as gpd
import numpy as np
import osmnx as ox
import pandas as pd
import requests

from geo.errors import InputError, OfflineError
from geo.inputs.files import cache_dir, file_digest
from geo.network.graph import EDGE_TAGS, MODES, WALK, Network, network_from_graph

ox.settings.useful_tags_way = sorted(set(ox.settings.useful_tags_way) | set(EDGE_TAGS))
ox.settings.log_console = False

# What osmnx raises when a file or a place holds nothing asked for (no ways, no matching features, a place the
# geocoder does not know): a ValueError subclass that osmnx's public API does not name. osmnx 2 exposes its
# errors module only as the attribute ``ox._errors`` (its __init__ re-exports it; its user reference leaves it
# out), so this is the one place a private osmnx name is used; tests/test_geo_imports.py pins it. Catching
# ValueError instead would turn osmnx's other ValueErrors (a damaged file) into "nothing found".
InsufficientResponseError: type[ValueError] = ox._errors.InsufficientResponseError

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".xml")
# 2: OSM files are checked (positions, duplicate nodes, clipped ways) before compiling; 3: walking networks
# leave out roads whose sidewalks are mapped as separate ways (sidewalk*=separate), as osmnx 2.1 does;
# 4: compiled from one pyosmium pass (geo.inputs.osm_pass), the same networks as osmnx's graph of the file;
# 5: with the file's water (for the basemap); 6: street names and classes as codes, uncompressed.
CACHE_VERSION = "6"


def _check_file(path: str | Path, suffixes: tuple[str, ...]) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError("err.file_missing", file=str(path))
    name = p.name.lower()
    if not any(name.endswith(s) for s in suffixes):
        raise InputError("err.format", file=p.name, formats=" / ".join(suffixes))
    return p


def is_osm_file(path: str | Path) -> bool:
    """Whether a file name is an OpenStreetMap file by its suffix.

    Parameters
    ----------
    path : str or Path
        The file (only its name is looked at).

    Returns
    -------
    bool
        True for ``.osm``, ``.osm.bz2``, ``.osm.pbf`` and ``.pbf`` (not ``.xml``, which may be anything).
    """
    name = Path(path).name.lower()
    return any(name.endswith(s) for s in (".osm", ".osm.bz2", ".osm.pbf", ".pbf"))


# --- checking OSM files ---------------------------------------------------------------------------------

def _xml_path(path: Path, tmp: Path) -> Path:
    """An OSM XML file osmnx can read: PBF is converted with pyosmium (osmnx reads XML only)."""
    if not path.name.lower().endswith(".pbf"):
        return path
    import osmium  # kept lazy: only PBF files and clipped extracts need pyosmium (and its 60 ms import)

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


def _forbid(*_args: object) -> NoReturn:
    raise _ForbiddenXML("XML entity declarations are not allowed")


def _open_xml(xml: Path):
    """The bytes of an OSM XML file, decompressed as osmnx would (by suffix)."""
    if xml.suffix == ".bz2":
        return bz2.open(xml, "rb")
    if xml.suffix == ".gz":
        return gzip.open(xml, "rb")
    return xml.open("rb")


def _scan_osm(xml: Path, label: str) -> dict[str, list]:
    """One streaming pass over an OSM XML file, keeping only the ids, positions and way references as
    text (the checks are done on arrays afterwards). Entity declarations are refused, as defusedxml
    does, so nothing is expanded or fetched."""
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
    """What :func:`check_osm` found.

    Attributes
    ----------
    clipped : ndarray of int64
        The ways that refer to nodes the file does not hold.
    missing : ndarray of int64
        Those nodes.
    warnings : list of (key, params)
        ``warn.osm_clipped`` when ways are clipped.
    """

    clipped: np.ndarray
    missing: np.ndarray
    warnings: list[tuple[str, dict]]


def check_osm(xml: str | Path, label: str | None = None) -> OsmCheck:
    """Check an OSM XML file before it is compiled: every node has one valid position, and every way
    refers to nodes the file holds.

    Ways that refer to missing nodes (a clipped extract) are returned, with a warning, for :func:`_unclip`
    to keep their parts inside the file. The file is read in one streaming pass; entity declarations are
    refused, so nothing is expanded or fetched.

    Parameters
    ----------
    xml : str or Path
        An OSM XML file (``.osm``, ``.xml``, ``.osm.bz2``; PBF is converted first by the readers).
    label : str, optional
        The file name for messages; default the name of ``xml``.

    Returns
    -------
    OsmCheck

    Raises
    ------
    InputError
        ``err.file_unreadable`` for XML that cannot be parsed (or declares entities); ``err.osm_bad_id`` for
        an id that is not a whole number; ``err.osm_bad_node`` naming the node whose position is missing, not
        a number or out of range (lon 500 would be wrapped round the globe); ``err.osm_duplicate_node`` for a
        node given twice at different positions (osmnx keeps the last: one street then jumps tens of
        kilometres).
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
    import osmium  # kept lazy, as in _xml_path

    clipped, missing = set(found.clipped.tolist()), set(found.missing.tolist())
    next_id = -(2**62)  # far from any id an OSM file uses, negative ones (JOSM's new objects) included
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            if not (isinstance(obj, osmium.osm.Way) and obj.id in clipped):
                writer.add(obj)
                continue
            if "highway" not in obj.tags:
                continue
            runs: list[list[int]] = []
            run: list[int] = []
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


# --- reading and compiling ------------------------------------------------------------------------------

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
    """The raw osmnx graph of every way in an OSM file, checked first (:func:`check_osm`).

    Parameters
    ----------
    path : str or Path
        An OSM file (XML, bz2 or PBF).
    warns : list, optional
        Warnings (a clipped extract) are appended to it as ``(key, params)``.

    Returns
    -------
    networkx.MultiDiGraph
        Unprojected and unsimplified, every way kept (``retain_all``), not made bidirectional.

    Raises
    ------
    InputError
        For a missing file, another format, a damaged file (see :func:`check_osm`) or a file with no ways.
    """
    def no_roads(p: Path, exc: Exception):
        raise InputError("err.no_roads", file=p.name, mode=f"@mode.{WALK}") from exc

    return _read_osm(path, lambda xml: ox.graph_from_xml(xml, simplify=False, retain_all=True, bidirectional=False),
                     no_roads, warns)


def load_network(path: str | Path, mode: str = WALK, *, use_cache: bool = True) -> Network:
    """The compiled network of an OSM file, from the on-disk cache when the file was seen before.

    The cache key is the file's SHA-256, the travel mode and :data:`CACHE_VERSION`; entries live in
    :func:`geo.inputs.files.cache_dir`. :func:`load_network_checked` also returns the warnings.

    Parameters
    ----------
    path : str or Path
        An OSM file (XML, bz2 or PBF).
    mode : str
        ``"walk"`` or ``"drive"`` (:data:`geo.network.graph.MODES`).
    use_cache : bool
        Read and write the on-disk cache.

    Returns
    -------
    Network

    Raises
    ------
    InputError
        For a missing, empty, damaged or road-less file.
    ValueError
        For an unknown ``mode``.
    """
    return load_network_checked(path, mode, use_cache=use_cache)[0]


def load_network_checked(path: str | Path, mode: str = WALK, *, use_cache: bool = True
                         ) -> tuple[Network, list[tuple[str, dict]]]:
    """:func:`load_network` with its warnings (a clipped extract), kept in the cache with the network.

    Parameters
    ----------
    path, mode, use_cache
        As for :func:`load_network`.

    Returns
    -------
    network : Network
    warnings : list of (key, params)
        Their ``file`` is this file's name, also when the network came from the cache under another name.

    Raises
    ------
    InputError
        For a missing, empty, damaged or road-less file.
    ValueError
        For an unknown ``mode``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    p = _check_file(path, OSM_SUFFIXES)
    if p.stat().st_size == 0:
        raise InputError("err.empty", file=p.name, kind="@kind.data")
    return _network_and_features(p, mode, use_cache=use_cache, features=False)[0:2]


def _cached_network(p: Path, mode: str, use_cache: bool) -> tuple[Path, tuple[Network, list] | None]:
    """The cache entry of a file's network and, when present and readable, the network and its warnings."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    cached = cache_dir() / f"network-{file_digest(p)}-{mode}-v{CACHE_VERSION}.npz"
    if use_cache and cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            kept = [(str(k), dict(v)) for k, v in json.loads(str(arrays.pop("warnings", "[]")))]
            for _, params in kept:
                params["file"] = p.name  # the same bytes may come under another name
            return cached, (Network.from_arrays(arrays), kept)
        except Exception:  # noqa: BLE001 - a damaged cache entry, whatever the damage, is rebuilt
            cached.unlink(missing_ok=True)
    return cached, None


def _checked_pass(p: Path, *, streets: bool, progress=None):
    """One pyosmium pass over a checked OSM file (:func:`geo.inputs.osm_pass.read_osm_pass`) and its warnings.

    XML is first scanned by :func:`check_osm` (entities refused, positions and duplicates checked); PBF is read
    as it is (its ways' missing nodes are found by the pass)."""
    from geo.inputs.osm_pass import read_osm_pass

    if p.stat().st_size == 0:
        raise InputError("err.empty", file=p.name, kind="@kind.data")
    if p.name.lower().endswith(".pbf"):
        found = read_osm_pass(p, label=p.name, streets=streets, progress=progress)
        return found, list(found.warnings)
    checked = check_osm(p, p.name)
    found = read_osm_pass(p, label=p.name, streets=streets, progress=progress)
    return found, list(checked.warnings)


def _network_and_features(p: Path, mode: str, *, use_cache: bool = True, features: bool = True, progress=None):
    """The network (cached), warnings, and the schools' and compounds' features of an OSM file, in one pass."""
    from geo.inputs.osm_pass import features_from_pass, network_from_pass

    cached, hit = _cached_network(p, mode, use_cache)
    if hit is not None and not features:
        if progress is not None:
            progress(1.0, 0)
        return hit[0], hit[1], None, None
    found, warns = _checked_pass(p, streets=hit is None, progress=progress)
    schools = features_from_pass(found.schools) if features else None
    compounds = features_from_pass(found.compounds) if features else None
    if hit is not None:
        return hit[0], hit[1], schools, compounds
    net = network_from_pass(found, mode)
    if net.n_nodes == 0:
        raise InputError("err.no_roads", file=p.name, mode=f"@mode.{mode}")
    if use_cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as f:
            payload: dict[str, Any] = {**net.to_arrays(), "warnings": np.array(json.dumps(warns, ensure_ascii=False))}
            np.savez(f, **payload)  # uncompressed: arrays of numbers and codes, quick to write and read
        os.replace(tmp, cached)
    return net, warns, schools, compounds


def load_osm(path: str | Path, mode: str = WALK, *, use_cache: bool = True, progress=None):
    """The network, schools and residential areas of an OSM file, read in one pyosmium pass.

    The network comes from the on-disk cache when the file was seen before (the pass then reads only the
    features), as :func:`load_network_checked`.

    Parameters
    ----------
    path : str or Path
        An OSM file (XML, bz2 or PBF).
    mode : str
        ``"walk"`` or ``"drive"``.
    use_cache : bool
        Read and write the network cache.
    progress : callable, optional
        ``progress(fraction, objects)`` while reading: the share of the file read and the tagged objects seen
        (see :mod:`geo.inputs.osm_pass`).

    Returns
    -------
    network : Network
    warnings : list of (key, params)
    schools, compounds : GeoDataFrame
        The ``amenity=school`` and ``landuse=residential`` features, as :func:`read_osm_features` gives them.

    Raises
    ------
    InputError
        For a missing, empty, damaged or road-less file.
    """
    p = _check_file(path, OSM_SUFFIXES)
    return _network_and_features(p, mode, use_cache=use_cache, progress=progress)


def network_from_place(place: str, mode: str = WALK) -> Network:
    """Download a place's streets from OpenStreetMap (needs the internet).

    Parameters
    ----------
    place : str
        A name the geocoder knows (``"成都市锦江区"``).
    mode : str
        ``"walk"`` or ``"drive"``.

    Returns
    -------
    Network

    Raises
    ------
    InputError
        ``err.place_not_found`` for a place the geocoder does not know, ``err.no_roads`` for one with no
        streets of the mode.
    OfflineError
        When OpenStreetMap cannot be reached.
    """
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
    """OSM features with ``tags`` from a file, checked first (:func:`check_osm`).

    Parameters
    ----------
    path : str or Path
        An OSM file (XML, bz2 or PBF).
    tags : dict
        osmnx's tag filter (schools: ``{"amenity": "school"}``).
    warns : list, optional
        Warnings (a clipped extract) are appended to it.

    Returns
    -------
    GeoDataFrame
        In WGS-84; empty when the file holds none.

    Raises
    ------
    InputError
        For a missing file, another format or a damaged file.
    """
    if tags in ({"amenity": "school"}, {"landuse": "residential"}):  # what the one pass reads
        from geo.inputs.osm_pass import features_from_pass

        found, checked = _checked_pass(_check_file(path, OSM_SUFFIXES), streets=False)
        if warns is not None:
            warns.extend(checked)
        return features_from_pass(found.schools if "amenity" in tags else found.compounds)
    return _read_osm(path, lambda xml: ox.features_from_xml(xml, tags=tags),
                     lambda p, exc: gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), warns)


def place_features(place: str, tags: dict) -> gpd.GeoDataFrame:
    """OSM features with ``tags`` of a named place, downloaded (needs the internet).

    Parameters
    ----------
    place : str
        A name the geocoder knows.
    tags : dict
        osmnx's tag filter (schools: ``{"amenity": "school"}``).

    Returns
    -------
    GeoDataFrame
        In WGS-84; empty when the place has none.

    Raises
    ------
    OfflineError
        When OpenStreetMap cannot be reached.
    """
    try:
        return ox.features_from_place(place, tags)
    except InsufficientResponseError:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    except (requests.RequestException, OSError) as exc:
        raise OfflineError("err.offline", place=place, reason=type(exc).__name__) from exc
