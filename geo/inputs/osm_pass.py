"""One pyosmium pass over an OSM file (PBF or XML) straight into arrays: the street ways, the schools and the
residential areas together, without converting PBF to XML or reading the file once per kind of feature.

:func:`read_osm_pass` reads; :func:`network_from_pass` compiles its streets exactly as
:func:`geo.network.graph.network_from_graph` compiles osmnx's graph of the same file (osmnx's one-way rules,
great-circle lengths, the mode's filters, the largest strongly connected component), and
:func:`features_from_pass` gives the schools and compounds as osmnx's features tables, for
:func:`geo.inputs.schools.schools_from_osm` and :func:`geo.inputs.demand.compounds_from_osm`.

Progress: ``progress(fraction, objects)`` is called while reading (every 0.1 s), ``fraction`` the share of the
file's bytes libosmium has read (on Linux, its file offset in /proc; its reader runs ahead of the objects handed
out, by up to a few megabytes, so a small file shows read at once) and ``objects`` the tagged objects seen.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.errors import InputError
from geo.network.graph import EDGE_TAGS, MODES, WALK, Network, _excluded, _first, _largest_scc, utm_crs

Progress = Callable[[float, int], None]

# The tags of a street kept for compiling (the mode filters, name, oneway) and osmnx's one-way rules.
_WAY_TAGS = tuple(sorted(set(EDGE_TAGS) | {"junction"}))
_ONEWAY = {"yes", "true", "1", "-1", "reverse", "T", "F"}
_REVERSED = {"-1", "reverse", "T"}
_FEATURE_TAGS = ("name", "capacity", "amenity", "landuse")
_EARTH_RADIUS = 6_371_009  # osmnx's (distance.great_circle)


def _is_school(tags) -> bool:
    return tags.get("amenity") == "school"


def _is_compound(tags) -> bool:
    return tags.get("landuse") == "residential"


WATER_AREAS = (("natural", "water"), ("waterway", "riverbank"), ("landuse", "reservoir"))
WATER_LINES = frozenset({"river", "canal", "stream"})  # waterway=* drawn as lines on the street basemap


def _is_water_area(tags) -> bool:
    return any(tags.get(k) == v for k, v in WATER_AREAS)


@dataclass
class OsmPass:
    """What one pass over an OSM file holds.

    Attributes
    ----------
    way_id : ndarray of int64
        Each street way (a ``highway`` tag) kept, split where nodes are missing (a clipped extract).
    way_start : ndarray of int64
        Where each way's nodes start in ``ref`` (``way_start[-1] == ref.size``).
    ref, lon, lat : ndarray
        The ways' nodes (OSM ids) and their positions, in way order.
    way_tags : list of dict
        The tags of each way that compiling needs.
    schools, compounds : list of (element, id, tags, geometry)
        ``amenity=school`` and ``landuse=residential`` features (points, lines, polygons), WGS-84.
    water : ndarray of geometries
        Rivers, canals and streams (lines) and lakes, riverbanks and reservoirs (areas), WGS-84, for the basemap.
    objects : int
        Tagged objects read.
    warnings : list of (key, params)
        ``warn.osm_clipped`` when ways refer to nodes the file does not hold.
    """

    way_id: np.ndarray
    way_start: np.ndarray
    ref: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    way_tags: list[dict]
    schools: list[tuple] = field(default_factory=list)
    compounds: list[tuple] = field(default_factory=list)
    water: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    objects: int = 0
    warnings: list[tuple[str, dict]] = field(default_factory=list)


class _Offset:
    """The bytes of ``path`` the reader has read, from its file descriptor's offset (Linux's /proc)."""

    def __init__(self, path: Path):
        self.path, self.size = os.path.realpath(path), max(path.stat().st_size, 1)
        self.fd: str | None = None

    def fraction(self) -> float:
        """The share read so far (never less than before; 1 once the reader has closed the file)."""
        self.seen = max(getattr(self, "seen", 0.0), self._now())
        return self.seen

    def _now(self) -> float:
        if self.fd is not None and not os.path.exists(f"/proc/self/fdinfo/{self.fd}"):
            return 1.0  # read to the end and closed (the reader reads ahead of the objects handed out)
        try:
            if self.fd is None:
                for fd in os.listdir("/proc/self/fd"):
                    try:
                        if os.readlink(f"/proc/self/fd/{fd}") == self.path:
                            self.fd = fd
                            break
                    except OSError:
                        continue
            if self.fd is None:  # objects come only once the file is open: it has been read to the end
                return 1.0
            with open(f"/proc/self/fdinfo/{self.fd}") as f:
                pos = int(f.readline().split()[1])
            return min(pos / self.size, 1.0)
        except (OSError, ValueError, IndexError):
            return 0.0


def read_osm_pass(path: str | Path, *, label: str | None = None, streets: bool = True,
                  progress: Progress | None = None) -> OsmPass:
    """Read an OSM file's streets, schools and residential areas in one pyosmium pass.

    Parameters
    ----------
    path : str or Path
        An OSM file: PBF, XML or bz2 XML (XML is read as it is: check it first with
        :func:`geo.inputs.osm.check_osm`, as :func:`geo.inputs.osm.load_osm` does).
    label : str, optional
        The file name for messages; default the file's name.
    streets : bool
        Keep the streets (False when the network comes from the cache).
    progress : callable, optional
        ``progress(fraction, objects)`` while reading (see the module docstring), and ``(1.0, objects)`` at the end.

    Returns
    -------
    OsmPass

    Raises
    ------
    InputError
        ``err.file_unreadable`` for a file pyosmium cannot read.
    """
    import osmium  # kept lazy: its import costs 60 ms

    p = Path(path)
    label = label or p.name
    way_ids: list[int] = []
    tags_out: list[dict] = []
    schools: list[tuple] = []
    compounds: list[tuple] = []
    water: list[str | bytes] = []  # WKB (pyosmium gives it as hex)
    wkb = osmium.geom.WKBFactory()
    offset = _Offset(p)
    seen = 0
    last = time.monotonic() - 1.0  # the first object reports (and finds the reader's file)

    def feature(kind: str, obj, geom) -> tuple:
        return (kind, obj.id, {k: obj.tags.get(k) for k in _FEATURE_TAGS if k in obj.tags}, geom)

    tmp = tempfile.TemporaryDirectory(prefix="xuequ-osm-")
    opl = Path(tmp.name) / "streets.opl"
    writer = osmium.SimpleWriter(osmium.io.File(str(opl), "opl,add_metadata=false,locations_on_ways=true"))
    try:
        fp = (osmium.FileProcessor(str(p)).with_locations()
              .with_areas(osmium.filter.TagFilter(("amenity", "school"), ("landuse", "residential"), *WATER_AREAS))
              .with_filter(osmium.filter.KeyFilter("highway", "amenity", "landuse", "natural", "waterway")))
        for obj in fp:
            seen += 1
            if progress is not None and time.monotonic() - last > 0.1:  # a long way is many nodes: by the clock
                last = time.monotonic()
                progress(offset.fraction(), seen)
            if isinstance(obj, osmium.osm.Node):
                if _is_school(obj.tags):
                    schools.append(feature("node", obj, shapely.Point(obj.location.lon, obj.location.lat)))
                elif _is_compound(obj.tags):
                    compounds.append(feature("node", obj, shapely.Point(obj.location.lon, obj.location.lat)))
            elif isinstance(obj, osmium.osm.Way):
                school, compound = _is_school(obj.tags), _is_compound(obj.tags)
                if streets and "highway" in obj.tags:  # its nodes and their positions: copied in C++ (OPL)
                    way_ids.append(obj.id)
                    tags_out.append({k: obj.tags.get(k) for k in _WAY_TAGS if k in obj.tags})
                    writer.add_way(obj)
                if obj.tags.get("waterway") in WATER_LINES:
                    try:
                        water.append(wkb.create_linestring(obj))
                    except RuntimeError:
                        pass
                if (school or compound) and not obj.is_closed():  # a closed one comes again as an area
                    try:
                        line = shapely.from_wkb(wkb.create_linestring(obj))
                    except RuntimeError:  # a line with missing nodes or one node: no geometry
                        continue
                    (schools if school else compounds).append(feature("way", obj, line))
            elif isinstance(obj, osmium.osm.Area):
                kind = "way" if obj.from_way() else "relation"
                try:
                    geom = wkb.create_multipolygon(obj)  # WKB: made into shapes all at once at the end
                except RuntimeError:  # an area osmium cannot close
                    continue
                if _is_water_area(obj.tags):
                    water.append(geom)
                item = (kind, obj.orig_id(), {k: obj.tags.get(k) for k in _FEATURE_TAGS if k in obj.tags}, geom)
                if _is_school(obj.tags):
                    schools.append(item)
                if _is_compound(obj.tags):
                    compounds.append(item)
    except RuntimeError as exc:  # pyosmium raises RuntimeError with libosmium's text
        from geo.inputs.osm import OSM_SUFFIXES

        writer.close()
        tmp.cleanup()
        raise InputError("err.file_unreadable", file=label, reason=str(exc)[:200],
                         formats=" / ".join(OSM_SUFFIXES)) from exc
    writer.close()
    try:
        text = opl.read_text(encoding="utf-8")
    finally:
        tmp.cleanup()
    schools, compounds = _shapes_from_wkb(schools), _shapes_from_wkb(compounds)
    way_id, starts, ref, lon, lat, keep_tags, clipped = _streets_from_opl(text, np.asarray(way_ids, np.int64))
    if progress is not None:
        progress(1.0, seen)
    warns: list[tuple[str, dict]] = []
    if clipped.size:
        warns.append(("warn.osm_clipped", {"file": label, "count": int(clipped.size), "way": int(clipped.min())}))
    water_shapes = shapely.from_wkb(np.array(water, dtype=object)) if water else np.empty(0, dtype=object)
    return OsmPass(way_id, starts, ref, lon, lat, [tags_out[i] for i in keep_tags], schools, compounds,
                   water_shapes, seen, warns)


def _shapes_from_wkb(items: list[tuple]) -> list[tuple]:
    """The areas' WKB made into shapes in one vectorised call (one multipolygon of one part: its polygon)."""
    at = [i for i, item in enumerate(items) if isinstance(item[3], (bytes, str))]
    if not at:
        return items
    geoms = shapely.from_wkb(np.array([items[i][3] for i in at], dtype=object))
    single = (shapely.get_type_id(geoms) == shapely.GeometryType.MULTIPOLYGON) & (shapely.get_num_geometries(geoms) == 1)
    geoms[single] = shapely.get_geometry(geoms[single], 0)
    out = list(items)
    for i, g in zip(at, geoms):
        out[i] = (*items[i][:3], g)
    return out


_OPL_NODE = re.compile(r"n(-?\d+)(?:x(-?[\d.]*)y(-?[\d.]*))?")


def _opl_numbers(nodes: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node ids, longitudes and latitudes of OPL way nodes (``n1x104.06y30.65,n2x…``); NaN for a node without
    a position. Parsed in C (numpy) when every node has one and every id is exact as a float, else by regex."""
    if n and nodes.count("x") == n and nodes.count("y") == n:
        try:
            flat = np.fromstring(nodes.replace("n", "").replace("x", ",").replace("y", ","), sep=",")
        except ValueError:  # a node without a position ("n5x y"): by regex
            flat = np.zeros(0)
        if flat.size == 3 * n and np.isfinite(flat).all() and np.abs(flat[0::3]).max() < 2.0**53:
            return flat[0::3].astype(np.int64), flat[1::3].copy(), flat[2::3].copy()
    table = np.array(_OPL_NODE.findall(nodes), dtype=str).reshape(-1, 3)
    lon = pd.to_numeric(pd.Series(table[:, 1]), errors="coerce").to_numpy(float)
    lat = pd.to_numeric(pd.Series(table[:, 2]), errors="coerce").to_numpy(float)
    return table[:, 0].astype(np.int64), lon, lat


def _streets_from_opl(text: str, way_ids: np.ndarray):
    """The ways' nodes and positions from libosmium's OPL of them (one line per way, in order), each way split
    where its nodes are missing (a clipped extract: each run of two or more nodes present kept, as
    :func:`geo.inputs.osm._unclip` does)."""
    parts = [line[line.rfind(" N") + 2:] for line in text.splitlines()]
    counts = np.array([part.count(",") + 1 if part else 0 for part in parts], np.int64)
    nodes = ",".join(parts)
    ref, lon, lat = _opl_numbers(nodes, int(counts.sum()))
    way_of = np.repeat(np.arange(counts.size), counts)
    valid = np.isfinite(lon) & np.isfinite(lat)
    clipped = np.unique(way_ids[way_of[~valid]])
    new_piece = np.r_[True, way_of[1:] != way_of[:-1]] | np.r_[False, ~valid[:-1]] if ref.size else np.zeros(0, bool)
    piece = (np.cumsum(new_piece) - 1)[valid]
    _, first, size = np.unique(piece, return_index=True, return_counts=True)
    long_enough = np.repeat(size >= 2, size)
    ref, lon, lat, way = ref[valid][long_enough], lon[valid][long_enough], lat[valid][long_enough], way_of[valid]
    kept_way = way[first[size >= 2]]
    starts = np.r_[0, np.cumsum(size[size >= 2])].astype(np.int64)
    return way_ids[kept_way], starts, ref, lon, lat, kept_way.tolist(), clipped


def network_from_pass(found: OsmPass, mode: str = WALK) -> Network:
    """Compile the streets of :func:`read_osm_pass` to a Network, as osmnx's graph of the file would compile.

    Parameters
    ----------
    found : OsmPass
    mode : str
        ``"walk"`` or ``"drive"``.

    Returns
    -------
    Network
        With no nodes when nothing is left (the caller turns that into a message).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    empty = Network("EPSG:32650", np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.int32),
                    np.zeros(0, np.int32), np.zeros(0), np.zeros(0, object), np.zeros(0, object), mode)
    n_ways = found.way_id.size
    if n_ways == 0:
        return empty
    keep = np.array([not _excluded(t, mode) for t in found.way_tags], bool)
    oneway = np.array([t.get("oneway") in _ONEWAY or t.get("junction") == "roundabout" for t in found.way_tags], bool)
    reverse = np.array([t.get("oneway") in _REVERSED for t in found.way_tags], bool) & oneway
    names = np.array([_first(t.get("name", "")) for t in found.way_tags], dtype=object)
    highways = np.array([_first(t.get("highway", "")) for t in found.way_tags], dtype=object)
    starts = found.way_start
    way_of = np.repeat(np.arange(n_ways), np.diff(starts))
    # consecutive nodes of the same way; repeated nodes (osmnx drops consecutive duplicates) make self-loops,
    # which compiling drops anyway
    a = np.arange(found.ref.size - 1)
    pair = (way_of[a] == way_of[a + 1]) & keep[way_of[a]] & (found.ref[a] != found.ref[a + 1])
    a = a[pair]
    w = way_of[a]
    fwd_u, fwd_v = np.where(reverse[w], a + 1, a), np.where(reverse[w], a, a + 1)
    both = ~oneway[w]
    iu = np.concatenate([fwd_u, fwd_v[both]])
    iv = np.concatenate([fwd_v, fwd_u[both]])
    ew = np.concatenate([w, w[both]])
    if iu.size == 0:
        return empty
    lat1, lon1, lat2, lon2 = (np.deg2rad(found.lat[iu]), np.deg2rad(found.lon[iu]), np.deg2rad(found.lat[iv]),
                              np.deg2rad(found.lon[iv]))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    length = 2 * np.arcsin(np.sqrt(np.minimum(1, h))) * _EARTH_RADIUS
    osm_u, osm_v = found.ref[iu], found.ref[iv]
    node_ids, first, inv = np.unique(np.concatenate([osm_u, osm_v]), return_index=True, return_inverse=True)
    u, v = inv[: osm_u.size].astype(np.int32), inv[osm_u.size:].astype(np.int32)
    at = np.concatenate([iu, iv])[first]
    lon, lat = found.lon[at], found.lat[at]
    crs = utm_crs(lon, lat)
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    x, y = np.asarray(x, float), np.asarray(y, float)
    name, highway = names[ew], highways[ew]
    if mode == WALK:  # pedestrians walk both ways along one-way streets
        u, v = np.concatenate([u, v]), np.concatenate([v, u])
        length, name, highway = (np.concatenate([q, q]) for q in (length, name, highway))
    return _largest_scc(Network(crs.to_string(), node_ids, x, y, u, v, length, name, highway, mode,
                                water=found.water))


def features_from_pass(items: list[tuple]) -> gpd.GeoDataFrame:
    """OSM features of :func:`read_osm_pass` (its ``schools`` or ``compounds``) as osmnx's features table.

    Parameters
    ----------
    items : list of (element, id, tags, geometry)

    Returns
    -------
    GeoDataFrame
        Indexed by ``(element, id)``, a column per tag (``name``, ``capacity``...), WGS-84.
    """
    if not items:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    index = pd.MultiIndex.from_tuples([(k, i) for k, i, _, _ in items], names=["element", "id"])
    table = pd.DataFrame([t for _, _, t, _ in items], index=index)
    gdf = gpd.GeoDataFrame(table, geometry=[g for *_, g in items], crs="EPSG:4326")
    return gdf[~gdf.index.duplicated()]
