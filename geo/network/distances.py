"""Distances over the network: snapping points to nodes and multi-source Dijkstra on the CSR graph.

Every function takes arrays (projected coordinates, node indices) and returns arrays.
A school is a *source* with an entry offset (the straight-line walk from the school to its snapped
node); the offsets enter the search through one virtual node per school, so the result is exact.

On a straight-line network (``Network.straight_line``: points alone, no streets) every function measures the
straight line from node to node instead (plus the offsets), never a route along the network's edges.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.network.graph import Network

SNAP_WARN_M = 300.0


def snap(network: Network, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest network node of each point.

    Parameters
    ----------
    network
        The street network.
    xy
        Points in the network's projected CRS, as an ``n x 2`` array (metres).

    Returns
    -------
    node, dist
        Each point's nearest node (index) and the straight-line distance to it in metres.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if xy.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    dist, idx = network.kdtree.query(xy)
    return np.asarray(idx, np.int64), np.asarray(dist, float)


def _with_sources(graph_to: sp.csr_matrix, nodes: np.ndarray, offsets: np.ndarray, k: int | None = None,
                  rows: np.ndarray | None = None) -> sp.csr_matrix:
    """``graph_to`` plus ``k`` virtual nodes (one per source); virtual node ``rows[i]`` is linked to
    ``nodes[i]`` by ``offsets[i]`` (default: every source linked, in order)."""
    n = graph_to.shape[0]
    k = nodes.size if k is None else k
    rows = np.arange(nodes.size) if rows is None else np.asarray(rows)
    order = np.argsort(rows, kind="stable")
    per_row = np.bincount(rows, minlength=k)
    # Append k rows to the CSR arrays directly (scipy's hstack/vstack would copy the whole graph twice).
    indptr = np.concatenate([graph_to.indptr, graph_to.indptr[-1] + np.cumsum(per_row)])
    indices = np.concatenate([graph_to.indices, nodes[order]]).astype(graph_to.indices.dtype, copy=False)
    data = np.concatenate([graph_to.data, np.maximum(offsets[order], 1e-6)])
    return sp.csr_matrix((data, indices, indptr.astype(indices.dtype, copy=False)), shape=(n + k, n + k))


def nearest_source(network: Network, nodes: np.ndarray, offsets: np.ndarray | None = None,
                   limit: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """For every node, the distance to its nearest source and which source that is.

    One multi-source Dijkstra (``scipy.sparse.csgraph.dijkstra(min_only=True)``) over the reversed
    graph, so one-way streets are followed in the direction of travel *to* the school.
    Sources sharing a node go to the one listed first.

    Parameters
    ----------
    network
        The street network.
    nodes
        Each source's node (index).
    offsets
        Each source's entry offset in metres (default 0): the walk from the source to its node.
    limit
        Distances beyond this many metres are not searched.

    Returns
    -------
    dist, source
        Per node, the distance to its nearest source in metres and that source's index; ``source == -1``
        (and ``inf`` distance) where none is in reach.
    """
    nodes = np.asarray(nodes, np.int64)
    n = network.n_nodes
    if nodes.size == 0:
        return np.full(n, np.inf), np.full(n, -1, np.int64)
    if offsets is None:
        offsets = np.zeros(nodes.size)
    offsets = np.asarray(offsets, float)
    if network.straight_line:
        return _nearest_straight(network.xy, network.xy[nodes], offsets, limit)
    # Of the sources sharing a node only the nearest (on a tie, the first listed) can win anywhere: link
    # only that one, since Dijkstra's own tie-breaking between virtual nodes is arbitrary.
    order = np.lexsort((np.arange(nodes.size), offsets, nodes))
    best = np.ones(nodes.size, bool)
    best[1:] = nodes[order][1:] != nodes[order][:-1]
    linked = np.zeros(nodes.size, bool)
    linked[order[best]] = True
    g = _with_sources(network.graph_to, nodes[linked], offsets[linked], nodes.size, np.flatnonzero(linked))
    dist, _, src = dijkstra(g, directed=True, indices=n + np.arange(nodes.size), min_only=True,
                            return_predecessors=True, limit=limit)
    src = np.where(src >= n, src - n, -1).astype(np.int64)
    return dist[:n], src[:n]


def source_matrix(network: Network, nodes: np.ndarray, offsets: np.ndarray | None = None,
                  targets: np.ndarray | None = None, limit: float = np.inf) -> np.ndarray:
    """Distance from each target node (default: all nodes) to each source: a ``k x m`` array.

    One Dijkstra per source over the reversed graph, cut off at ``limit`` metres (``inf`` beyond).

    Parameters
    ----------
    network
        The street network.
    nodes
        Each source's node (index).
    offsets
        Each source's entry offset in metres (default 0).
    targets
        The nodes to return distances for (default: all).
    limit
        Search radius in metres.

    Returns
    -------
    dist
        A ``sources x targets`` array of metres.
    """
    nodes = np.asarray(nodes, np.int64)
    if network.straight_line:
        to = network.xy if targets is None else network.xy[np.asarray(targets, np.int64)]
        d = straight_matrix(network.xy[nodes], to)
        d[d > limit] = np.inf
        targets = None
    else:
        d = dijkstra(network.graph_to, directed=True, indices=nodes, limit=limit)
    d = np.atleast_2d(d)
    if offsets is not None:
        d = d + np.asarray(offsets, float)[:, None]
    return d if targets is None else d[:, np.asarray(targets, np.int64)]


def distance_matrix(network: Network, school_nodes: np.ndarray, school_offsets: np.ndarray, unit_nodes: np.ndarray,
                    unit_offsets: np.ndarray, limit: float = np.inf) -> np.ndarray:
    """Walk from every unit (compound) to every school: a ``schools x units`` array in metres.

    Each unit's walk to its entrance node is added; ``inf`` beyond ``limit`` (network part only).

    Parameters
    ----------
    network
        The street network.
    school_nodes, school_offsets
        Each school's snapped node and its walk to it (see :func:`snap`).
    unit_nodes, unit_offsets
        Each unit's snapped node and its walk to it.
    limit
        Search radius in metres.

    Returns
    -------
    dist
        A ``schools x units`` array of metres.
    """
    return source_matrix(network, school_nodes, school_offsets, targets=unit_nodes, limit=limit) + \
        np.asarray(unit_offsets, float)[None, :]


REACH_SAFETY = 1.15  # a school's search radius: this many times the farthest walk it is expected to matter at
_MATRIX_CHUNK = 8  # schools per Dijkstra call (their rows are cut to the units' columns at once)


def candidate_matrix(network: Network, school_nodes: np.ndarray, school_offsets: np.ndarray,
                     unit_nodes: np.ndarray, unit_offsets: np.ndarray, k_nearest: int = 8,
                     max_walk: float = np.inf, required: tuple[np.ndarray, ...] = ()) -> np.ndarray:
    """:func:`distance_matrix` where it can matter to an allocation: each school searched only as far as the
    units that may go to it (``inf`` beyond), so a city's matrix costs a fraction of all-pairs Dijkstra.

    A school's search radius is the largest of: the straight line to each unit that has it among its
    ``k_nearest`` schools as the crow flies, times the network's detour (the 99th percentile of walk over
    straight line to the nearest school) and :data:`REACH_SAFETY`; and the walk of every unit whose nearest
    school it is (exact, from one multi-source Dijkstra). With a finite ``max_walk`` the radius is that
    instead (nothing farther may be chosen but a required pair). Each unit's nearest school and the pairs in
    ``required`` (a school index per unit, -1 for none: a locked or starting school) are measured whatever their
    distance.

    Parameters
    ----------
    network
        The street network.
    school_nodes, school_offsets
        Each school's snapped node and its walk to it.
    unit_nodes, unit_offsets
        Each unit's snapped node and its walk to it.
    k_nearest
        How many schools per unit the radius is meant to hold (the allocation's candidates).
    max_walk
        The longest walk allowed (inf: none).
    required
        Arrays of a school index per unit whose walk must be finite where the streets connect them.

    Returns
    -------
    dist
        A ``schools x units`` array of metres (``inf`` beyond a school's radius or out of reach).
    """
    school_nodes = np.asarray(school_nodes, np.int64)
    unit_nodes = np.asarray(unit_nodes, np.int64)
    s_off = np.asarray(school_offsets, float)
    u_off = np.asarray(unit_offsets, float)
    k, m = school_nodes.size, unit_nodes.size
    if network.straight_line or k == 0 or m == 0:
        return distance_matrix(network, school_nodes, s_off, unit_nodes, u_off,
                               limit=max_walk if np.isfinite(max_walk) else np.inf)
    near_d, near_s = nearest_source(network, school_nodes, s_off)
    d1, s1 = near_d[unit_nodes], near_s[unit_nodes]
    required = (*required, s1)  # every unit's nearest school, even beyond a walk limit (its starting zone)
    if np.isfinite(max_walk):
        radius = np.full(k, float(max_walk))
    else:
        ok = s1 >= 0
        walk = d1[ok] - s_off[s1[ok]]  # the network part: what Dijkstra's limit measures
        uxy, sxy = network.xy[unit_nodes], network.xy[school_nodes]
        line = np.hypot(*(uxy[ok] - sxy[s1[ok]]).T)
        far = line > 100.0
        detour = float(np.clip(np.quantile(walk[far] / line[far], 0.99), 1.0, 4.0)) if far.sum() >= 20 else 2.0
        kk = min(k_nearest, k)
        r, j = cKDTree(sxy).query(uxy, k=kk)
        r, j = np.asarray(r).reshape(m, kk), np.asarray(j).reshape(m, kk)
        radius = np.zeros(k)
        np.maximum.at(radius, j.ravel(), r.ravel() * detour * REACH_SAFETY)
        np.maximum.at(radius, s1[ok], walk * REACH_SAFETY + 1.0)
    dist = np.full((k, m), np.inf)
    order = np.argsort(radius, kind="stable")
    for lo in range(0, k, _MATRIX_CHUNK):
        rows = order[lo:lo + _MATRIX_CHUNK]
        d = dijkstra(network.graph_to, directed=True, indices=school_nodes[rows], limit=float(radius[rows].max()))
        dist[rows] = np.atleast_2d(d)[:, unit_nodes]
    for want in required:  # locked or starting schools beyond their radius: measured in full
        want = np.asarray(want, np.int64)
        miss = (want >= 0) & ~np.isfinite(dist[np.maximum(want, 0), np.arange(m)])
        rows = np.unique(want[miss])
        if rows.size:
            dist[rows] = np.atleast_2d(dijkstra(network.graph_to, directed=True, indices=school_nodes[rows]))[
                :, unit_nodes]
    return dist + s_off[:, None] + u_off[None, :]


def straight_matrix(a_xy: np.ndarray, b_xy: np.ndarray) -> np.ndarray:
    """Straight-line distance from each point of ``a_xy`` to each of ``b_xy``: an ``a x b`` array in metres.

    Parameters
    ----------
    a_xy, b_xy
        Projected points (metres), ``a x 2`` and ``b x 2``.

    Returns
    -------
    dist
        ``float64``, ``a x b``.
    """
    a = np.asarray(a_xy, float).reshape(-1, 2)
    b = np.asarray(b_xy, float).reshape(-1, 2)
    return np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])


_NEAREST_K = 8
_CHUNK = 1 << 20  # matrix cells per block of the exact fallback


def _nearest_straight(xy: np.ndarray, src_xy: np.ndarray, offsets: np.ndarray, limit: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nearest_source` as the crow flies: each point's least straight line plus offset to a source.

    Exact: the ``k`` nearest sources by a k-d tree decide where no farther source can win (its line is at least
    the k-th nearest one's, its offset at least the smallest); the other points compare every source. Ties go to
    the source listed first.
    """
    k = len(src_xy)
    kq = min(k, _NEAREST_K)
    d, j = cKDTree(src_xy).query(xy, k=kq)
    d, j = d.reshape(len(xy), kq), j.reshape(len(xy), kq)
    cost = d + offsets[j]
    pick = np.lexsort((j, cost), axis=-1)[:, 0]
    rows = np.arange(len(xy))
    best, src = cost[rows, pick], j[rows, pick].astype(np.int64)
    if kq < k:
        unsure = np.flatnonzero(best >= d[:, -1] + offsets.min())  # a tie too: the first listed must win
        step = max(1, _CHUNK // k)
        for lo in range(0, unsure.size, step):
            r = unsure[lo:lo + step]
            full = straight_matrix(xy[r], src_xy) + offsets[None, :]
            src[r] = np.argmin(full, axis=1)  # the first of equal minima: the source listed first
            best[r] = full[np.arange(r.size), src[r]]
    far = best > limit
    return np.where(far, np.inf, best), np.where(far, -1, src)
