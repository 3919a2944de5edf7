"""The street network, compiled once into compact arrays and a scipy CSR graph.

A :class:`Network` holds projected node coordinates (local UTM, metres) and a directed edge list;
walking networks are symmetric, driving networks keep one-way streets. All distance work runs on
``Network.graph`` (a ``scipy.sparse.csr_matrix`` of edge lengths), never on networkx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property

import networkx as nx
import numpy as np
import numpy.typing as npt
import pyproj
import scipy.sparse as sp
import shapely
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

WALK = "walk"
DRIVE = "drive"
MODES = (WALK, DRIVE)

# The ways osmnx's built-in "walk" and "drive" network types keep, for a file (osmnx applies them only to
# Overpass downloads, and builds them in a private function): a way is kept when it has a highway tag and
# none of these tags has a value in which the regular expression is found (Overpass's ["tag"!~"regex"];
# "access" is osmnx's settings.default_access). A copy of osmnx 2.1's filters, not a derivation:
# tests/test_geo_network_filters.py fails when osmnx's and ours keep different ways, and an osmnx upgrade
# cannot change networks (and their cache) silently.
_EXCLUDE: dict[str, dict[str, str]] = {
    WALK: {
        "highway": "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|"
        "raceway|razed|rest_area|services",
        "foot": "no",
        "service": "private",
        "access": "private",
        "area": "yes",
        # a road mapped with its sidewalks as separate ways is walked on those ways (osmnx 2.1)
        "sidewalk": "separate",
        "sidewalk:both": "separate",
        "sidewalk:left": "separate",
        "sidewalk:right": "separate",
    },
    DRIVE: {
        "highway": "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|escalator|"
        "footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|rest_area|service|services|"
        "steps|track",
        "motor_vehicle": "no",
        "motorcar": "no",
        "service": "alley|driveway|emergency_access|parking|parking_aisle|private",
        "access": "private",
        "area": "yes",
    },
}
_EXCLUDE_RE = {mode: {k: re.compile(v) for k, v in rules.items()} for mode, rules in _EXCLUDE.items()}
EDGE_TAGS = sorted({tag for rules in _EXCLUDE.values() for tag in rules} | {"name", "oneway"})


@dataclass(frozen=True, eq=False)
class Network:
    """A street network as arrays: nodes ``0..n-1`` and directed edges ``u -> v``.

    Attributes
    ----------
    crs
        The projected CRS of ``x``/``y`` (local UTM), as an authority string or WKT.
    node_id
        OSM node id of each node.
    x, y
        Projected coordinates in metres.
    edge_u, edge_v
        Edge end nodes (indices into the node arrays).
    edge_length
        Edge length in metres.
    edge_name
        Street name of each edge ("" where unnamed).
    edge_highway
        OSM highway class of each edge.
    mode
        "walk" or "drive".
    straight_line
        True for a network made from points alone (:func:`network_from_points`), when no street network is
        given: its edges only say which points neighbour which, and every distance on it is the straight
        line between its points (:mod:`geo.network.distances`), never a route along its edges.
    water
        The water the OSM file maps (rivers and canals as lines, lakes and riverbanks as areas), WGS-84, for the
        street basemap; None when not read.
    """

    crs: str
    node_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    edge_name: np.ndarray
    edge_highway: np.ndarray
    mode: str = WALK
    straight_line: bool = False
    water: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.edge_u.size)

    @cached_property
    def xy(self) -> np.ndarray:
        """Node coordinates as an ``n x 2`` array (metres)."""
        return np.column_stack([self.x, self.y])

    @cached_property
    def graph(self) -> sp.csr_matrix:
        """Edge lengths as an ``n x n`` CSR matrix (the shortest of parallel edges)."""
        return _csr(self.edge_u, self.edge_v, self.edge_length, self.n_nodes)

    @cached_property
    def graph_to(self) -> sp.csr_matrix:
        """The reversed graph: a search from a school over it gives distances *to* that school."""
        return self.graph.T.tocsr()

    @cached_property
    def kdtree(self) -> cKDTree:
        """A k-d tree of the node coordinates, for snapping."""
        return cKDTree(self.xy)

    def lonlat(self) -> np.ndarray:
        """Node coordinates in WGS-84.

        Returns
        -------
        lonlat
            An ``n x 2`` array of lon, lat.
        """
        tr = pyproj.Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        lon, lat = tr.transform(self.x, self.y)
        return np.column_stack([lon, lat])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The network as plain arrays (for ``numpy.savez``; :meth:`from_arrays` reads them back).

        Returns
        -------
        arrays
            Field name -> array (``crs`` and ``mode`` as 0-d string arrays; ``straight_line`` only when set).
        """
        flag = {"straight_line": np.array(True)} if self.straight_line else {}
        if self.water is not None:  # WKB, one buffer and where each shape starts (no pickled objects)
            wkb = shapely.to_wkb(self.water)
            flag |= {"water_wkb": np.frombuffer(b"".join(wkb), np.uint8),
                     "water_at": np.cumsum([0, *map(len, wkb)]).astype(np.int64)}
        return flag | {
            "crs": np.array(self.crs),
            "mode": np.array(self.mode),
            "node_id": self.node_id,
            "x": self.x,
            "y": self.y,
            "edge_u": self.edge_u,
            "edge_v": self.edge_v,
            "edge_length": self.edge_length,
            **_coded("edge_name", self.edge_name),
            **_coded("edge_highway", self.edge_highway),
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> Network:
        """The network written by :meth:`to_arrays`.

        Parameters
        ----------
        a
            Field name -> array, e.g. an opened ``.npz`` file.

        Returns
        -------
        network
        """
        return cls(
            crs=str(a["crs"]),
            mode=str(a["mode"]),
            node_id=np.asarray(a["node_id"], dtype=np.int64),
            x=np.asarray(a["x"], dtype=float),
            y=np.asarray(a["y"], dtype=float),
            edge_u=np.asarray(a["edge_u"], dtype=np.int32),
            edge_v=np.asarray(a["edge_v"], dtype=np.int32),
            edge_length=np.asarray(a["edge_length"], dtype=float),
            edge_name=_decoded("edge_name", a),
            edge_highway=_decoded("edge_highway", a),
            straight_line=bool(a["straight_line"]) if "straight_line" in a else False,
            water=_water_from_wkb(a["water_wkb"], a["water_at"]) if "water_wkb" in a else None,
        )


def _coded(name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """Text per edge as its distinct values and a code per edge (a city has a few thousand street names over a
    million edges: small to write, and no fixed-width text array to build)."""
    import pandas as pd

    codes, uniques = pd.factorize(pd.Series(values, dtype=object).fillna(""), sort=False)
    return {f"{name}_values": np.asarray(uniques, dtype=str), f"{name}_codes": codes.astype(np.int32)}


def _decoded(name: str, a) -> np.ndarray:
    if f"{name}_codes" in a:
        values = np.asarray(a[f"{name}_values"], dtype=object)
        return values[np.asarray(a[f"{name}_codes"], dtype=np.int64)] if values.size else np.zeros(0, dtype=object)
    return np.asarray(a[name], dtype=object)  # as written before the codes


def _water_from_wkb(buffer: np.ndarray, at: np.ndarray) -> np.ndarray:
    raw = np.asarray(buffer, np.uint8).tobytes()
    at = np.asarray(at, np.int64)
    return shapely.from_wkb(np.array([raw[a:b] for a, b in zip(at[:-1], at[1:])], dtype=object))


def _csr(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    # Keep the shortest of parallel edges: sort by length, then (stably) by (u, v) as one integer key, and keep
    # the first of each (u, v). The result is already in CSR order, so the matrix is built without a COO pass.
    u, v, w = np.asarray(u, np.int64), np.asarray(v, np.int64), np.asarray(w, float)
    order = np.argsort(w, kind="stable")
    key = u[order] * max(n, 1) + v[order]
    order = order[np.argsort(key, kind="stable")]
    key = u[order] * max(n, 1) + v[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    keep = order[first]
    # csgraph treats a stored 0 as "no edge" in some paths; keep zero-length edges as tiny ones.
    indptr = np.searchsorted(u[keep], np.arange(n + 1))
    return sp.csr_matrix((np.maximum(w[keep], 1e-6), v[keep], indptr), shape=(n, n))


def utm_crs(lon: np.ndarray, lat: np.ndarray) -> pyproj.CRS:
    """The local UTM zone for these WGS-84 coordinates (as ``GeoSeries.estimate_utm_crs`` picks it).

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees.

    Returns
    -------
    crs
        The UTM zone of the points' bounding box.
    """
    aoi = AreaOfInterest(float(np.min(lon)), float(np.min(lat)), float(np.max(lon)), float(np.max(lat)))
    info = query_utm_crs_info(datum_name="WGS 84", area_of_interest=aoi)
    return pyproj.CRS.from_epsg(info[0].code)


def _excluded(attrs: dict, mode: str) -> bool:
    if "highway" not in attrs:
        return True
    for tag, rx in _EXCLUDE_RE[mode].items():
        value = attrs.get(tag)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if any(rx.search(str(val)) for val in values):
            return True
    return False


def network_from_graph(G: nx.MultiDiGraph, mode: str = WALK) -> Network:
    """Compile an unprojected osmnx graph (from ``graph_from_xml`` / ``graph_from_place``) to a Network.

    Keeps the edges usable for ``mode`` (osmnx's walk or drive rules), treats every street as two-way
    when walking, projects to local UTM and keeps the largest strongly connected component.

    Parameters
    ----------
    G
        An unprojected osmnx graph (node attributes ``x``, ``y``; edge attributes as OSM tags and ``length``).
    mode
        "walk" or "drive".

    Returns
    -------
    network
        The compiled network; one with no nodes when nothing is left (the caller turns that into a message).

    Raises
    ------
    ValueError
        If ``mode`` is neither "walk" nor "drive".
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    rows = [(u, v, d.get("length", np.nan), d.get("name", ""), d.get("highway", ""))
            for u, v, d in G.edges(data=True) if not _excluded(d, mode)]
    empty = Network("EPSG:32650", np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.int32),
                    np.zeros(0, np.int32), np.zeros(0), np.zeros(0, object), np.zeros(0, object), mode)
    if not rows:
        return empty
    osm_u = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    osm_v = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    length = np.fromiter((r[2] for r in rows), dtype=float, count=len(rows))
    name = np.array([_first(r[3]) for r in rows], dtype=object)
    highway = np.array([_first(r[4]) for r in rows], dtype=object)

    node_ids, inv = np.unique(np.concatenate([osm_u, osm_v]), return_inverse=True)
    u, v = inv[: osm_u.size].astype(np.int32), inv[osm_u.size:].astype(np.int32)
    lon = np.array([G.nodes[i]["x"] for i in node_ids], dtype=float)
    lat = np.array([G.nodes[i]["y"] for i in node_ids], dtype=float)
    crs = utm_crs(lon, lat)
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    x, y = np.asarray(x, float), np.asarray(y, float)
    missing = ~np.isfinite(length)
    length[missing] = np.hypot(x[u[missing]] - x[v[missing]], y[u[missing]] - y[v[missing]])

    keep_self = u != v
    u, v, length, name, highway = u[keep_self], v[keep_self], length[keep_self], name[keep_self], highway[keep_self]
    if mode == WALK:  # pedestrians walk both ways along one-way streets
        u, v = np.concatenate([u, v]), np.concatenate([v, u])
        length, name, highway = (np.concatenate([a, a]) for a in (length, name, highway))
    return _largest_scc(Network(crs.to_string(), node_ids, x, y, u, v, length, name, highway, mode))


def _first(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _largest_scc(net: Network) -> Network:
    if net.n_edges == 0:
        return net
    _, labels = connected_components(net.graph, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    keep = labels == biggest
    new_index = np.full(net.n_nodes, -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    e = keep[net.edge_u] & keep[net.edge_v]
    return Network(
        crs=net.crs,
        node_id=net.node_id[keep],
        x=net.x[keep],
        y=net.y[keep],
        edge_u=new_index[net.edge_u[e]].astype(np.int32),
        edge_v=new_index[net.edge_v[e]].astype(np.int32),
        edge_length=net.edge_length[e],
        edge_name=net.edge_name[e],
        edge_highway=net.edge_highway[e],
        mode=net.mode,
        water=net.water,
    )


def network_from_arrays(x: npt.ArrayLike, y: npt.ArrayLike, edge_u: npt.ArrayLike, edge_v: npt.ArrayLike,
                        edge_length: npt.ArrayLike | None = None, crs: str = "EPSG:32648",
                        mode: str = WALK, symmetric: bool = True) -> Network:
    """Build a Network from plain arrays (tests, benchmarks, generated graphs).

    No component is dropped.

    Parameters
    ----------
    x, y
        Projected node coordinates in metres.
    edge_u, edge_v
        Edge end nodes (node indices).
    edge_length
        Edge lengths in metres; default: the straight-line distance between the end nodes.
    crs
        The CRS of ``x``/``y``.
    mode
        "walk" or "drive", recorded on the network.
    symmetric
        Add every edge in both directions.

    Returns
    -------
    network
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    u, v = np.asarray(edge_u, np.int32), np.asarray(edge_v, np.int32)
    w = np.hypot(x[u] - x[v], y[u] - y[v]) if edge_length is None else np.asarray(edge_length, float)
    if symmetric:
        u, v, w = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
    blank = np.full(u.size, "", dtype=object)
    return Network(crs, np.arange(x.size, dtype=np.int64), x, y, u, v, w, blank, blank.copy(), mode)


def network_from_points(x: npt.ArrayLike, y: npt.ArrayLike, crs: str, mode: str = WALK) -> Network:
    """A straight-line network of points (schools and compounds) when no street network is given.

    Its nodes are the distinct points and its edges the Delaunay triangulation's (two points neighbour when
    their Voronoi cells touch), so snapping, contiguity and catchment tiles work as on streets; it is flagged
    ``straight_line``, and every distance on it is the straight line between points, never a route along the
    edges (:mod:`geo.network.distances`).

    Parameters
    ----------
    x, y
        Projected coordinates in metres (local UTM: :func:`utm_crs`); repeated points become one node.
    crs
        The CRS of ``x``/``y``.
    mode
        Recorded on the network.

    Returns
    -------
    network
        With ``straight_line=True``; edges in both directions, their lengths the straight lines.
    """
    from scipy.spatial import Delaunay, QhullError

    xy = np.unique(np.column_stack([np.asarray(x, float), np.asarray(y, float)]), axis=0)
    n = len(xy)
    if n < 2:
        pairs = np.zeros((0, 2), np.int64)
    elif n == 2:
        pairs = np.array([[0, 1]])
    else:
        try:
            tri = Delaunay(xy).simplices
            pairs = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]])
        except QhullError:  # all points on one line: each joins the next along it
            order = np.lexsort((xy[:, 1], xy[:, 0]))
            pairs = np.column_stack([order[:-1], order[1:]])
        pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    net = network_from_arrays(xy[:, 0], xy[:, 1], pairs[:, 0], pairs[:, 1], crs=crs, mode=mode)
    return replace(net, straight_line=True)
