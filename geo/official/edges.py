"""Listed streets on the network: a zone list's matched entries become network edges per school, and edges
become zones (each street node's school, each compound's, polygons).

- :func:`assign_edges`: entries -> an :class:`EdgeAssignment` (whole streets, or a ``segment``'s stretch
  between its two junctions along the street's own edges; looser uses flagged, clashes reported);
- :func:`node_labels_from_edges`, :func:`compound_schools`, :func:`catchment_polygons`: edges -> zones;
- :func:`plan_edges`: any plan's node labels -> edges (what :mod:`geo.official.write` writes as text).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry.base import BaseGeometry

from geo.network.distances import nearest_source, snap
from geo.network.graph import Network
from geo.official.check import edge_lines
from geo.official.entries import ADDRESS, ALL, EVEN, ODD, SEGMENT, SIDE
from geo.official.match import match_entries, street_index
from geo.official.names import LOOSE, MATCHED, UNMATCHED, NameIndex, match_schools, normalise_name
from geo.zoning.catchments import edge_samples, polygons_from_sites, study_area

_PRIORITY = {SEGMENT: 0, SIDE: 1, ODD: 2, EVEN: 2, ADDRESS: 3, ALL: 4}


@dataclass(frozen=True, eq=False)
class EdgeAssignment:
    """Network edges listed for each school.

    Attributes
    ----------
    edge_school : ndarray of int
        Per directed edge, the school index (into ``schools``), -1 where not listed.
    schools : tuple of str
        School names in index order.
    flags : DataFrame
        Entries used in a looser way than written (odd/even, side, address, an unresolved segment, a loose
        name match), one row each with a ``flag`` code (``F_*``).
    conflicts : DataFrame
        Edges listed for more than one school, per street and pair of schools, with the length in metres
        and the school the edges went to.
    skipped : DataFrame
        Entries not used (street not matched, school not in ``schools``).
    """

    edge_school: np.ndarray
    schools: tuple[str, ...]
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)


F_PARITY = "parity_whole_street"
F_SIDE = "side_whole_street"
F_ADDRESS = "address_whole_street"
F_ADDRESS_SKIPPED = "address_skipped"
F_JUNCTION = "junction_not_found"
F_NO_PATH = "no_path_between_junctions"
F_LOOSE = "loose_match"


class StreetEdges:
    """Per-name edge lookups on one network: a street's edges, its junctions with another, a stretch.

    Parameters
    ----------
    network : Network
        The street network.
    index : NameIndex, optional
        Its street names (:func:`~geo.official.match.street_index`), when already made.
    """

    def __init__(self, network: Network, index: NameIndex | None = None) -> None:
        self.net = network
        self.index = index or street_index(network)
        names = network.edge_name.astype(str)
        self.name_codes, self.name_of_edge = np.unique(names, return_inverse=True)
        self.key_of_code = np.array([normalise_name(n) for n in self.name_codes], dtype=object)
        self.key_of_edge = self.key_of_code[self.name_of_edge]
        order = np.argsort(self.name_of_edge, kind="stable")
        bounds = np.searchsorted(self.name_of_edge[order], np.arange(self.name_codes.size + 1))
        self._edges_by_code = {str(n): order[bounds[i]:bounds[i + 1]] for i, n in enumerate(self.name_codes)}

    def edges(self, names) -> np.ndarray:
        """The edges of some streets.

        Parameters
        ----------
        names : iterable of str
            Network street names.

        Returns
        -------
        ndarray of int
            Their edges (both directions), sorted.
        """
        parts = [self._edges_by_code.get(str(n), np.zeros(0, np.int64)) for n in names]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def nodes(self, edges: np.ndarray) -> np.ndarray:
        """The end nodes of some edges.

        Parameters
        ----------
        edges : ndarray of int
            Edge indices.

        Returns
        -------
        ndarray of int
            Their end nodes, sorted, each once.
        """
        return np.unique(np.concatenate([self.net.edge_u[edges], self.net.edge_v[edges]]))

    def junction_names(self, written: str) -> tuple[str, ...]:
        """Network names a junction written as ``written`` stands for: its match, plus every name
        beginning with it (一环路 -> each section of 一环路).

        Parameters
        ----------
        written : str
            The junction's street as the list writes it.

        Returns
        -------
        tuple of str
        """
        m = self.index.match(written)
        keys = {self.index.normalise(n) for n in m["names"]} if m["status"] != UNMATCHED else set()
        keys |= self.index.prefixed(self.index.normalise(written))
        return self.index.names(keys)

    def stretch(self, street_edges: np.ndarray, from_nodes: np.ndarray, to_nodes: np.ndarray
                ) -> np.ndarray | None:
        """Edges of a street between a node of ``from_nodes`` and one of ``to_nodes``.

        Parameters
        ----------
        street_edges : ndarray of int
            The street's edges.
        from_nodes, to_nodes : ndarray of int
            Nodes where the stretch may begin and end.

        Returns
        -------
        ndarray of int or None
            The shortest way along the street's own edges (both directions of each); None when there is none.
        """
        if street_edges.size == 0 or from_nodes.size == 0 or to_nodes.size == 0:
            return None
        net = self.net
        u, v, w = net.edge_u[street_edges], net.edge_v[street_edges], net.edge_length[street_edges]
        g = sp.csr_matrix((np.maximum(w, 1e-6), (u, v)), shape=(net.n_nodes, net.n_nodes))
        g = g.maximum(g.T)
        dist, pred, _ = dijkstra(g, directed=False, indices=from_nodes, min_only=True, return_predecessors=True)
        d_to = dist[to_nodes]
        ok = np.isfinite(d_to) & (d_to > 0)
        if not ok.any():
            return None
        t = int(to_nodes[ok][np.argmin(d_to[ok])])
        path = [t]
        while pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        a, b = np.array(path[1:]), np.array(path[:-1])
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        pair = lo.astype(np.int64) * net.n_nodes + hi
        want = np.minimum(a, b).astype(np.int64) * net.n_nodes + np.maximum(a, b)
        return street_edges[np.isin(pair, want)]

    def junction_nodes(self, street_edges: np.ndarray, written: str, own_names: tuple[str, ...]) -> np.ndarray:
        """Nodes where a street meets the street written ``written``.

        Parameters
        ----------
        street_edges : ndarray of int
            The street's edges.
        written : str
            The other street as the list writes it.
        own_names : tuple of str
            The street's own network names (never its own junction).

        Returns
        -------
        ndarray of int
            The junction nodes; empty when the streets do not meet.
        """
        names = tuple(n for n in self.junction_names(written) if n not in set(own_names))
        if not names:
            return np.zeros(0, np.int64)
        return np.intersect1d(self.nodes(street_edges), self.nodes(self.edges(names)))

    def segment(self, names: tuple[str, ...], a: str, b: str) -> tuple[np.ndarray | None, str]:
        """The stretch of the street ``names`` between its junctions with the streets written ``a`` and ``b``.

        Parameters
        ----------
        names : tuple of str
            The street's network names.
        a, b : str
            The junctions' streets as the list writes them.

        Returns
        -------
        tuple of (ndarray or None, str)
            The stretch's edges and ""; or None and why (:data:`F_JUNCTION`, :data:`F_NO_PATH`).
        """
        street_edges = self.edges(names)
        fa = self.junction_nodes(street_edges, a, names)
        fb = self.junction_nodes(street_edges, b, names)
        if fa.size == 0 or fb.size == 0:
            return None, F_JUNCTION
        got = self.stretch(street_edges, fa, fb)
        return (got, "") if got is not None else (None, F_NO_PATH)


def assign_edges(network: Network, entries: pd.DataFrame, schools: list[str] | None = None,
                 address: str = "street", index: NameIndex | None = None) -> EdgeAssignment:
    """Turn a list's entries into an edge assignment.

    An edge listed for several schools goes to the most specific entry (segment, then side, then
    odd/even, then address, then whole street), then to the first listed; every such edge is reported
    in ``conflicts``.

    Parameters
    ----------
    network : Network
        The street network.
    entries : DataFrame
        Entries, matched (:func:`~geo.official.match.match_entries`) or not (they are matched here).
    schools : list of str, optional
        The school names in index order (e.g. a schools table's names); entries' schools are matched to
        them by name (成都市实验小学 = 成都实验小学). Default: the entries' own schools in order of appearance.
    address : str
        ``"street"`` (an address entry takes its whole street, flagged) or ``"skip"``.
    index : NameIndex, optional
        The network's street names, when already made.

    Returns
    -------
    EdgeAssignment
    """
    streets = StreetEdges(network, index)
    if "status" not in entries.columns:
        entries = match_entries(entries, streets.index)
    if schools is None:
        schools = list(dict.fromkeys(entries["school"]))
        school_of = {s: i for i, s in enumerate(schools)}
    else:
        sm = match_schools(entries["school"].unique(), schools)
        school_of = dict(zip(sm["name"], sm["index"], strict=True))
    flags, skipped = [], []
    cand_edge, cand_school, cand_rank, cand_entry = [], [], [], []
    for k, (i, e) in enumerate(entries.iterrows()):
        s = school_of.get(e["school"], -1)
        if s < 0:
            skipped.append(_row(e, "school_not_found"))
            continue
        if e["status"] not in (MATCHED, LOOSE):  # unmatched, or a loose match rejected (geo.official.check)
            skipped.append(_row(e, "street_not_matched" if e["status"] == UNMATCHED else "far_from_school"))
            continue
        names = tuple(e["names"])
        kind = e["kind"]
        if e["status"] == LOOSE:
            flags.append(_row(e, F_LOOSE))
        edges = None
        if kind == SEGMENT:
            edges, why = streets.segment(names, e["from_street"], e["to_street"])
            if edges is None:
                flags.append(_row(e, why))
        elif kind in (ODD, EVEN):
            flags.append(_row(e, F_PARITY))
        elif kind == SIDE:
            flags.append(_row(e, F_SIDE))
        elif kind == ADDRESS:
            if address == "skip":
                flags.append(_row(e, F_ADDRESS_SKIPPED))
                continue
            flags.append(_row(e, F_ADDRESS))
        if edges is None:
            edges = streets.edges(names)
        keep = e.get("edges")
        if keep is not None:  # only the parts of the street near the school (geo.official.check.keep_near_parts)
            edges = np.intersect1d(edges, np.asarray(keep, np.int64))
        cand_edge.append(edges)
        cand_school.append(np.full(edges.size, s))
        cand_rank.append(np.full(edges.size, _PRIORITY[kind] * 1_000_000 + k))
        cand_entry.append(np.full(edges.size, i))
    edge_school = np.full(network.n_edges, -1, np.int64)
    conflicts = pd.DataFrame(columns=["street", "schools", "kept", "length_m", "edges"])
    if cand_edge:
        ce, cs, cr = (np.concatenate(x) for x in (cand_edge, cand_school, cand_rank))
        order = np.lexsort((cr, ce))
        ce, cs, cr = ce[order], cs[order], cr[order]
        first = np.ones(ce.size, bool)
        first[1:] = ce[1:] != ce[:-1]
        edge_school[ce[first]] = cs[first]
        kept = np.repeat(cs[first], np.diff(np.append(np.flatnonzero(first), ce.size)))
        clash = cs != kept
        if clash.any():
            df = pd.DataFrame({"edge": ce[clash], "other": cs[clash], "kept": kept[clash]})
            df["street"] = network.edge_name[df["edge"]].astype(str)
            df["length_m"] = network.edge_length[df["edge"]] / (2 if network.mode == "walk" else 1)
            g = df.groupby(["street", "kept", "other"], sort=True).agg(length_m=("length_m", "sum"),
                                                                         edges=("edge", "size")).reset_index()
            conflicts = pd.DataFrame({
                "street": g["street"],
                "schools": [f"{schools[a]} / {schools[b]}" for a, b in zip(g["kept"], g["other"], strict=True)],
                "kept": [schools[a] for a in g["kept"]],
                "length_m": g["length_m"].round(1),
                "edges": g["edges"],
            })
    return EdgeAssignment(edge_school, tuple(schools), pd.DataFrame(flags), conflicts, pd.DataFrame(skipped))


def _row(e: pd.Series, flag: str) -> dict:
    return {"school": e["school"], "street": e["street"], "kind": e["kind"], "text": e["text"],
            "source": e["source"], "line": int(e["line"]), "flag": flag}


def node_labels_from_edges(network: Network, edge_school: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every node's school: that of the nearest listed edge over the network.

    One multi-source Dijkstra (:func:`geo.network.distances.nearest_source`) from the end nodes of the listed
    edges. A node where edges of several schools meet goes to the school with the most listed length
    there (ties: the lower index).

    Parameters
    ----------
    network : Network
        The street network.
    edge_school : ndarray of int
        Each edge's school (-1: not listed), as in :attr:`EdgeAssignment.edge_school`.

    Returns
    -------
    node_label : ndarray of int
        Each node's school, -1 where nothing is listed within reach.
    node_dist : ndarray of float
        Each node's walk to the nearest listed street (inf where none).
    """
    edge_school = np.asarray(edge_school, np.int64)
    listed = edge_school >= 0
    if not listed.any():
        return np.full(network.n_nodes, -1, np.int64), np.full(network.n_nodes, np.inf)
    k = int(edge_school.max()) + 1
    nodes = np.concatenate([network.edge_u[listed], network.edge_v[listed]]).astype(np.int64)
    school = np.concatenate([edge_school[listed], edge_school[listed]])
    weight = np.concatenate([network.edge_length[listed]] * 2)
    key, inv = np.unique(nodes * k + school, return_inverse=True)
    total = np.bincount(inv, weights=weight)
    kn, ks = key // k, key % k
    order = np.lexsort((ks, -total, kn))
    first = np.ones(order.size, bool)
    first[1:] = kn[order][1:] != kn[order][:-1]
    src_node, src_school = kn[order][first], ks[order][first]
    dist, src = nearest_source(network, src_node)
    label = np.where(src >= 0, src_school[np.maximum(src, 0)], -1)
    return label.astype(np.int64), dist


def compound_schools(network: Network, edge_school: np.ndarray, compound_xy: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The school each compound goes to under the listed edges.

    Parameters
    ----------
    network : Network
        The street network.
    edge_school : ndarray of int
        Each edge's school (-1: not listed).
    compound_xy : ndarray of float
        The compounds' points in the network's CRS, snapped to their nearest node
        (:func:`geo.network.distances.snap`).

    Returns
    -------
    school : ndarray of int
        Each compound's school (-1: none within reach).
    walk : ndarray of float
        Its walk to the nearest listed street, the snap included.
    """
    label, dist = node_labels_from_edges(network, edge_school)
    node, off = snap(network, compound_xy)
    return label[node], dist[node] + off


def catchment_polygons(network: Network, node_label: np.ndarray, node_dist: np.ndarray, n_schools: int,
                       area: BaseGeometry | None = None, edge_school: np.ndarray | None = None) -> np.ndarray:
    """One (multi)polygon per school that follows the listed streets: street samples labelled by node,
    Voronoi cells dissolved by school, as :mod:`geo.zoning.catchments` draws them.

    Plans are drawn as unions of compound tiles (:func:`geo.zoning.result.build_result`); this draws what the
    list itself says, every street's nearest listed street.

    Parameters
    ----------
    network : Network
        The street network.
    node_label, node_dist : ndarray
        Each node's school and walk (:func:`node_labels_from_edges`).
    n_schools : int
        How many schools (polygons).
    area : Polygon, optional
        The study area; default: that of the labelled nodes.
    edge_school : ndarray of int, optional
        Each edge's school (-1: not listed): a listed street belongs to its school along its whole length.

    Returns
    -------
    ndarray of geometries
        One per school, empty where a school has no street.
    """
    xy, lab = edge_samples(network, node_label, np.where(np.isfinite(node_dist), node_dist, 1e12),
                           edge_label=edge_school)
    if area is None:
        area = study_area(network.xy[node_label >= 0], network.xy)
    return polygons_from_sites(xy, lab, n_schools, area)


def reach_polygons(network: Network, edge_school: np.ndarray, node_label: np.ndarray, node_dist: np.ndarray,
                   n_zones: int, reach_m: float, area: BaseGeometry, compounds: np.ndarray | None = None,
                   compound_zone: np.ndarray | None = None) -> np.ndarray:
    """One (multi)polygon per zone covering only what its listed streets reach.

    A zone's polygon is the part of its street-following region (every street's nearest listed street,
    :func:`catchment_polygons`) within ``reach_m`` of a street listed for it, plus the outlines of the compounds
    it holds (a compound's entrance is within reach; its buildings may lie beyond), less the compounds of other
    zones. Nothing else of the study area belongs to any zone: a list covers its streets, not the city.

    Parameters
    ----------
    network : Network
        The street network.
    edge_school : ndarray of int
        Each edge's zone (-1: not listed).
    node_label, node_dist : ndarray
        Each node's zone and walk to it (:func:`node_labels_from_edges`).
    n_zones : int
        How many zones (polygons).
    reach_m : float
        How far from a listed street a zone reaches (metres, straight).
    area : Polygon
        The study area (clips every polygon).
    compounds : ndarray of geometries, optional
        The compounds' outlines (network CRS).
    compound_zone : ndarray of int, optional
        Each compound's zone (-1: not covered).

    Returns
    -------
    ndarray of geometries
        One per zone, empty where a zone has no listed street on the network.
    """
    region = catchment_polygons(network, node_label, node_dist, n_zones, area, edge_school)
    out = np.empty(n_zones, dtype=object)
    edge_school = np.asarray(edge_school, np.int64)
    own = [shapely.Polygon()] * n_zones
    if compounds is not None and compound_zone is not None:
        zone = np.asarray(compound_zone, np.int64)
        for z in range(n_zones):
            hit = np.flatnonzero(zone == z)
            own[z] = shapely.union_all(shapely.make_valid(compounds[hit])) if hit.size else shapely.Polygon()
    others = shapely.union_all(np.asarray(own, dtype=object))
    for z in range(n_zones):
        edges = np.flatnonzero(edge_school == z)
        reach = shapely.buffer(edge_lines(network, edges), reach_m) if edges.size else shapely.Polygon()
        poly = shapely.union(shapely.intersection(region[z], reach), own[z])
        poly = shapely.difference(poly, shapely.difference(others, own[z]))
        out[z] = shapely.intersection(poly, area)
    return np.asarray([_areal(p) for p in out], dtype=object)


def _areal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of a geometry (an intersection can leave lines and points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def plan_edges(network: Network, node_label: np.ndarray, node_dist: np.ndarray | None = None) -> np.ndarray:
    """An edge assignment from a plan's node labels.

    Parameters
    ----------
    network : Network
        The street network.
    node_label : ndarray of int
        Each node's school (:attr:`geo.zoning.result.ZoningResult.node_label`).
    node_dist : ndarray of float, optional
        Each node's walk to its school; default: all 0.

    Returns
    -------
    ndarray of int
        Each edge's school: that of its end nearer to a school (ties to the lower node index), the same
        for both directions of a street.
    """
    u, v = network.edge_u.astype(np.int64), network.edge_v.astype(np.int64)
    d = np.zeros(network.n_nodes) if node_dist is None else np.asarray(node_dist, float)
    du, dv = d[u], d[v]
    pick_u = (du < dv) | ((du == dv) & (u < v))
    label = np.asarray(node_label, np.int64)
    return np.where(pick_u, label[u], label[v])
