"""Any plan written back as a zone list in the bureau's style, which reads back to the same streets.

A street wholly in one catchment is written by name; a street split between catchments as ``街道(A口至B口)``
stretches between named junctions. Every entry is checked by reading it back (:mod:`geo.official.entries`,
:class:`~geo.official.edges.StreetEdges`); one that would not read back to the same edges is reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geo.network.graph import Network
from geo.official.edges import StreetEdges, plan_edges
from geo.official.entries import ALL, SEGMENT, parse_range
from geo.official.names import MATCHED, NameIndex, unique_labels
from geo.render.export import csv_text
from geo.zoning.result import ZoningResult

WRITE_FORMATS = ("text", "markdown", "csv")  # what write_zone_text writes (see _format)


@dataclass(frozen=True, eq=False)
class WrittenZones:
    """A plan written as a zone list.

    Attributes
    ----------
    text : str
        The zone list.
    edge_school : ndarray of int
        The assignment the text stands for (what reading it back gives).
    unwritten : DataFrame
        Streets or stretches that could not be written (unnamed streets are left out silently: they have no
        name to write), with ``street``, ``school``, ``length_m`` and ``reason``.
    moved_m : float
        Length of named street whose school changed because a street is cut only where a named street
        crosses it.
    schools : tuple of str
        The school names as written (a name used by two schools gets "(2)", "(3)"... so that each reads
        back to one).
    """

    text: str
    edge_school: np.ndarray
    unwritten: pd.DataFrame
    moved_m: float
    schools: tuple[str, ...] = ()


def write_zone_text(network: Network, edge_school: np.ndarray, schools: list[str], fmt: str = "text",
                    index: NameIndex | None = None) -> WrittenZones:
    """Write each school's streets in the official style: a street wholly in one catchment by name,
    a street split between catchments as ``街道(A口至B口)`` stretches between named junctions.

    A street is cut only where another named street meets it, so each stretch takes the school of most
    of its length; every entry is checked by reading it back, and one that would not read back to the
    same edges is reported in ``unwritten`` instead.

    Parameters
    ----------
    network : Network
        The street network.
    edge_school : ndarray of int
        Each edge's school (-1: none), e.g. :func:`~geo.official.edges.plan_edges`.
    schools : list of str
        The school names in index order.
    fmt : str
        One of :data:`WRITE_FORMATS`: ``"text"`` (``学校：街道、街道`` per line), ``"markdown"`` (``## N. 学校``
        sections) or ``"csv"`` (formula-safe).
    index : NameIndex, optional
        The network's street names, when already made.

    Returns
    -------
    WrittenZones

    Raises
    ------
    ValueError
        When ``fmt`` is none of :data:`WRITE_FORMATS`.
    """
    streets = StreetEdges(network, index)
    net = network
    edge_school = np.asarray(edge_school, np.int64)
    n = net.n_nodes
    lo = np.minimum(net.edge_u, net.edge_v).astype(np.int64)
    hi = np.maximum(net.edge_u, net.edge_v).astype(np.int64)
    _, rep, pair_of_edge = np.unique(lo * n + hi, return_index=True, return_inverse=True)
    pu, pv = lo[rep], hi[rep]
    plen = net.edge_length[rep]
    pschool = edge_school[rep]
    pkey = streets.key_of_edge[rep]
    key_codes, pkc = np.unique(pkey.astype(str), return_inverse=True)
    named = pkey != ""
    # Which named streets meet at each node.
    node_keys: dict[int, set[int]] = {}
    for a, b, c in zip(pu[named], pv[named], pkc[named], strict=True):
        node_keys.setdefault(int(a), set()).add(int(c))
        node_keys.setdefault(int(b), set()).add(int(c))

    written = np.full(rep.size, -1, np.int64)
    items: dict[int, list[str]] = {s: [] for s in range(len(schools))}
    unwritten: list = []
    order = np.argsort(pkc, kind="stable")
    bounds = np.searchsorted(pkc[order], np.arange(key_codes.size + 1))
    for c in range(key_codes.size):
        key = key_codes[c]
        if not key:
            continue
        P = order[bounds[c]:bounds[c + 1]]
        names = streets.index.names([key]) or tuple(sorted(set(net.edge_name[rep[P]].astype(str))))
        shown = names[0]
        ps = pschool[P]
        if (ps == ps[0]).all():
            if ps[0] >= 0:
                _write_whole(streets, shown, names, int(ps[0]), P, items, written, unwritten, plen)
            continue
        nodes = np.unique(np.concatenate([pu[P], pv[P]]))
        cut = np.array([len(node_keys.get(int(x), set()) - {c}) > 0 for x in nodes])
        piece = _pieces(pu[P], pv[P], nodes, cut)
        npieces = int(piece.max()) + 1
        piece_school = np.full(npieces, -1, np.int64)
        for p in range(npieces):
            m = piece == p
            s_all, inv = np.unique(ps[m], return_inverse=True)
            piece_school[p] = s_all[np.argmax(np.bincount(inv, weights=plen[P][m]))]
        want = piece_school[piece]
        if (want == want[0]).all():
            if want[0] >= 0:
                _write_whole(streets, shown, names, int(want[0]), P, items, written, unwritten, plen)
            continue
        for s in np.unique(want[want >= 0]):
            mine = np.flatnonzero(want == s)
            for run in _runs(pu[P][mine], pv[P][mine]):
                run_pairs = P[mine[run]]
                if _write_stretch(streets, shown, names, int(s), run_pairs, pu, pv, node_keys, key_codes, c,
                                  items, written, rep):
                    continue
                for p in np.unique(piece[mine[run]]):  # each piece on its own
                    pp = P[(piece == p)]
                    if not _write_stretch(streets, shown, names, int(s), pp, pu, pv, node_keys, key_codes, c,
                                          items, written, rep):
                        unwritten.append({"street": shown, "school": schools[s], "length_m": float(plen[pp].sum()),
                                          "reason": "no_named_junctions"})
    edge_written = written[pair_of_edge]
    named_edge = streets.key_of_edge != ""
    moved = named_edge & (edge_written != edge_school) & (edge_written >= 0)
    moved_m = float(net.edge_length[moved].sum()) / (2 if net.mode == "walk" else 1)
    labels = unique_labels(schools)
    text = _format(items, labels, fmt)
    return WrittenZones(text, edge_written, pd.DataFrame(unwritten, columns=["street", "school", "length_m", "reason"]),
                        moved_m, tuple(labels))


def _pieces(u: np.ndarray, v: np.ndarray, nodes: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """Stretches of one street between the nodes where other named streets meet it: edges joined
    through every node that is not such a junction."""
    m = u.size
    ui, vi = np.searchsorted(nodes, u), np.searchsorted(nodes, v)
    rows, cols = [], []
    for end in (ui, vi):
        keep = ~cut[end]
        rows.append(np.flatnonzero(keep))
        cols.append(m + end[keep])
    r, c = np.concatenate(rows), np.concatenate(cols)
    g = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(m + nodes.size, m + nodes.size))
    _, lab = connected_components(g, directed=False)
    _, piece = np.unique(lab[:m], return_inverse=True)
    return piece


def _runs(u: np.ndarray, v: np.ndarray) -> list[np.ndarray]:
    """Connected runs of edges (through any shared node)."""
    nodes, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    m = u.size
    r = np.concatenate([np.arange(m), np.arange(m)])
    g = sp.csr_matrix((np.ones(2 * m), (r, m + inv)), shape=(m + nodes.size, m + nodes.size))
    _, lab = connected_components(g, directed=False)
    return [np.flatnonzero(lab[:m] == k) for k in np.unique(lab[:m])]


def _read_item(streets: StreetEdges, item: str) -> tuple[dict | None, tuple[str, ...]]:
    entries, issues = parse_range(item)
    if len(entries) != 1 or issues:
        return None, ()
    m = streets.index.match(entries[0]["street"])
    return entries[0], (m["names"] if m["status"] == MATCHED else ())


def _write_whole(streets, shown, names, s, P, items, written, unwritten, plen) -> None:
    e, got = _read_item(streets, shown)
    if e is None or e["kind"] != ALL or set(got) != set(names):
        unwritten.append({"street": shown, "school": "", "length_m": float(plen[P].sum()), "reason": "name_not_writable"})
        return
    items[s].append(shown)
    written[P] = s


def _write_stretch(streets, shown, names, s, run_pairs, pu, pv, node_keys, key_codes, c, items, written, rep
                   ) -> bool:
    """Write one stretch as ``街道(A口至B口)`` if some pair of junction names reads back to exactly it."""
    u, v = pu[run_pairs], pv[run_pairs]
    ends, counts = np.unique(np.concatenate([u, v]), return_counts=True)
    ends = ends[counts == 1]
    if ends.size != 2:
        return False
    cand = []
    for x in ends:
        ks = sorted(node_keys.get(int(x), set()) - {c}, key=lambda k: (len(key_codes[k]), key_codes[k]))
        cand.append([streets.index.names([key_codes[k]])[0] for k in ks[:3] if streets.index.names([key_codes[k]])])
    for a in cand[0]:
        for b in cand[1]:
            item = f"{shown}({a}口至{b}口)"
            e, got = _read_item(streets, item)
            if e is None or e["kind"] != SEGMENT or set(got) != set(names):
                continue
            edges, _ = streets.segment(got, e["from_street"], e["to_street"])
            if edges is None:
                continue
            lo = np.minimum(streets.net.edge_u[edges], streets.net.edge_v[edges]).astype(np.int64)
            hi = np.maximum(streets.net.edge_u[edges], streets.net.edge_v[edges]).astype(np.int64)
            got_pairs = set((lo * streets.net.n_nodes + hi).tolist())
            want_pairs = set((pu[run_pairs] * streets.net.n_nodes + pv[run_pairs]).tolist())
            if got_pairs == want_pairs:
                items[s].append(item)
                written[run_pairs] = s
                return True
    return False


def _format(items: dict[int, list[str]], schools: list[str], fmt: str) -> str:
    rows = [(schools[s], items[s]) for s in range(len(schools)) if items[s]]
    if fmt == "markdown":
        parts = ["# 划片范围", ""]
        for i, (name, its) in enumerate(rows, start=1):
            parts += [f"## {i}. {name}", "", "、".join(its), ""]
        return "\n".join(parts)
    if fmt == "csv":  # formula-safe, as every CSV the project writes (geo.render.export.safe_cell)
        return csv_text([["学校名称", "划片范围"]] + [[name, "、".join(its)] for name, its in rows])
    if fmt != "text":
        raise ValueError(f"fmt must be one of {WRITE_FORMATS}")
    return "".join(f"{name}：{'、'.join(its)}\n" for name, its in rows)


def plan_zone_text(network: Network, result: ZoningResult, fmt: str = "text", index: NameIndex | None = None
                   ) -> WrittenZones:
    """Any plan written as a zone list in the bureau's style (:func:`write_zone_text`).

    Parameters
    ----------
    network : Network
        The street network the plan was made on.
    result : ZoningResult
        The plan (nearest-school, optimal, edited or official); its streets are those of its ``node_label``,
        its schools named as in its catchments.
    fmt : str
        One of :data:`WRITE_FORMATS`.
    index : NameIndex, optional
        The network's street names, when already made.

    Returns
    -------
    WrittenZones

    Raises
    ------
    ValueError
        When ``fmt`` is none of :data:`WRITE_FORMATS`.
    """
    edges = plan_edges(network, result.node_label, result.node_dist)
    return write_zone_text(network, edges, [str(n) for n in result.catchments["school_name"]], fmt=fmt, index=index)

