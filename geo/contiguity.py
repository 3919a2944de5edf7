"""Contiguity of catchments, judged on the street network, and a repair that removes islands.

Every street node belongs to the compound whose entrance is nearest to it over the network (its node
region). Two compounds are neighbours when their node regions meet along a street, or when they share an
entrance node. A catchment is contiguous when its compounds form one connected group of neighbours that
holds its school (the school belongs to the compound whose node region it stands in); a compound
outside that main group is an *island*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geo.distances import nearest_source
from geo.network import Network


@dataclass(frozen=True, eq=False)
class UnitGraph:
    """Which compounds neighbour which, and which compound's region each street node is in."""

    adjacency: sp.csr_matrix  # compounds x compounds, symmetric
    unit_of_node: np.ndarray  # per node: the compound whose entrance is nearest (-1: none reach it)
    node_dist: np.ndarray  # per node: the walk to that entrance


def unit_graph(network: Network, unit_nodes: np.ndarray, unit_offsets: np.ndarray) -> UnitGraph:
    unit_nodes = np.asarray(unit_nodes, np.int64)
    m = unit_nodes.size
    # Regions grow from the entrance nodes alone (no offsets), so every entrance node is its own group's.
    dist, owner = nearest_source(network, unit_nodes, np.zeros(m))
    dist = dist + np.asarray(unit_offsets, float)[np.maximum(owner, 0)]
    # Compounds sharing an entrance node form one group; node regions belong to groups.
    _, group = np.unique(unit_nodes, return_inverse=True)
    node_group = np.where(owner >= 0, group[np.maximum(owner, 0)], -1)
    a, b = node_group[network.edge_u], node_group[network.edge_v]
    cross = (a != b) & (a >= 0) & (b >= 0)
    pairs = np.unique(np.column_stack([a[cross], b[cross]]), axis=0)
    n_groups = int(group.max()) + 1 if m else 0
    g_adj = sp.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n_groups, n_groups))
    member = sp.csr_matrix((np.ones(m), (np.arange(m), group)), shape=(m, n_groups))
    adj = (member @ (g_adj + sp.identity(n_groups, format="csr")) @ member.T).tocsr()
    adj = ((adj + adj.T) > 0).astype(np.int8)
    adj.setdiag(0)
    adj.eliminate_zeros()
    return UnitGraph(adj.tocsr(), owner, dist)


def node_labels(graph: UnitGraph, unit_label: np.ndarray) -> np.ndarray:
    """Each street node's school: that of the compound whose region it is in."""
    owner = graph.unit_of_node
    return np.where(owner >= 0, np.asarray(unit_label)[np.maximum(owner, 0)], -1)


def islands(graph: UnitGraph, label: np.ndarray, school_nodes: np.ndarray,
            demand: np.ndarray | None = None) -> np.ndarray:
    """Which compounds lie outside the main group of their catchment (a mask).

    A school's main group is the one holding the compound whose region the school stands in, when that
    compound is zoned to it; otherwise the group with the most children.
    """
    label = np.asarray(label)
    m = label.size
    coo = graph.adjacency.tocoo()
    same = label[coo.row] == label[coo.col]
    g = sp.csr_matrix((np.ones(int(same.sum())), (coo.row[same], coo.col[same])), shape=(m, m))
    _, comp = connected_components(g, directed=False)
    w = np.ones(m) if demand is None else np.asarray(demand, float) + 1e-3
    k = len(school_nodes)
    host = graph.unit_of_node[np.asarray(school_nodes)]
    host_comp = np.where((host >= 0) & (label[np.maximum(host, 0)] == np.arange(k)), comp[np.maximum(host, 0)], -1)
    pairs, inv = np.unique(np.column_stack([label, comp]), axis=0, return_inverse=True)
    weight = np.bincount(inv.ravel(), weights=w)
    at_school = pairs[:, 1] == host_comp[pairs[:, 0]]
    order = np.lexsort((-weight, ~at_school, pairs[:, 0]))
    first = np.ones(order.size, bool)
    first[1:] = pairs[order][1:, 0] != pairs[order][:-1, 0]
    home = np.full(k, -1)
    home[pairs[order][first, 0]] = pairs[order][first, 1]
    return comp != home[label]


def repair(graph: UnitGraph, school_nodes: np.ndarray, label: np.ndarray, demand: np.ndarray,
           capacity: np.ndarray, cost: np.ndarray, movable: np.ndarray, rounds: int = 30
           ) -> tuple[np.ndarray, int]:
    """Move island compounds into a neighbouring catchment that has room, cheapest first.

    ``cost`` is a ``schools x compounds`` array (inf where not allowed). Returns the new labels and how
    many island compounds are left (0 when every catchment is contiguous).
    """
    label = np.array(label, copy=True)
    demand = np.asarray(demand, float)
    k = len(school_nodes)
    coo = graph.adjacency.tocoo()
    for _ in range(rounds):
        bad = islands(graph, label, school_nodes, demand) & movable
        if not bad.any():
            return label, 0
        # Candidate moves: an island compound joins the catchment of a neighbour that is not an island.
        ok = bad[coo.row] & ~bad[coo.col] & (label[coo.col] != label[coo.row])
        owner, target = coo.row[ok], label[coo.col[ok]]
        slack = capacity - np.bincount(label, weights=demand, minlength=k)
        fits = (slack[target] >= demand[owner] - 1e-9) & np.isfinite(cost[target, owner])
        owner, target = owner[fits], target[fits]
        if owner.size == 0:
            break
        delta = cost[target, owner] - np.where(np.isfinite(cost[label[owner], owner]), cost[label[owner], owner], 0)
        order = np.lexsort((delta, owner))
        first = np.ones(order.size, bool)
        first[1:] = owner[order][1:] != owner[order][:-1]
        moved = False
        for i in order[first]:  # one move per island compound; slack re-checked as moves land
            o, j = owner[i], target[i]
            if slack[j] >= demand[o] - 1e-9:
                slack[label[o]] += demand[o]
                slack[j] -= demand[o]
                label[o] = j
                moved = True
        if not moved:
            break
    return label, int(islands(graph, label, school_nodes, demand).sum())


def island_targets(graph: UnitGraph, label: np.ndarray, island: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """For each island compound, the cheapest neighbouring catchment outside its own (-1 elsewhere)."""
    label = np.asarray(label)
    coo = graph.adjacency.tocoo()
    ok = island[coo.row] & ~island[coo.col] & (label[coo.col] != label[coo.row])
    owner, target = coo.row[ok], label[coo.col[ok]]
    c = cost[target, owner]
    keep = np.isfinite(c)
    owner, target, c = owner[keep], target[keep], c[keep]
    out = np.full(label.size, -1, np.int64)
    order = np.lexsort((c, owner))[::-1]  # the cheapest is written last
    out[owner[order]] = target[order]
    return out
