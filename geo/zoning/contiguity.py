"""Contiguity of catchments, judged on the street network, and a repair that removes islands.

Every street node belongs to the compound whose entrance is nearest to it over the network (its node
region). Two compounds are neighbours when their node regions meet along a street, or when they share an
entrance node. A catchment is contiguous when its compounds form one connected group of neighbours that
holds its school (the school belongs to the compound whose node region it stands in); a compound
outside that main group is an *island*.
"""

from __future__ import annotations

import heapq
import warnings
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geo.network.distances import nearest_source
from geo.network.graph import Network


@dataclass(frozen=True, eq=False)
class UnitGraph:
    """Which compounds neighbour which, and which compound's region each street node is in.

    Attributes
    ----------
    adjacency
        Compounds x compounds, symmetric (non-zero: neighbours).
    unit_of_node
        Per node: the compound whose entrance is nearest (-1: none reach it).
    node_dist
        Per node: the walk to that entrance in metres (that compound's walk to its entrance node included).
    """

    adjacency: sp.csr_matrix
    unit_of_node: np.ndarray
    node_dist: np.ndarray


def unit_graph(network: Network, unit_nodes: np.ndarray, unit_offsets: np.ndarray) -> UnitGraph:
    """The compounds' node regions and neighbour graph (module docstring).

    Parameters
    ----------
    network
        The street network.
    unit_nodes, unit_offsets
        Each compound's entrance node and its walk to it (:func:`geo.network.distances.snap`).

    Returns
    -------
    graph
    """
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
    n_groups = int(group.max()) + 1 if m else 0
    key = np.unique(a[cross].astype(np.int64) * max(n_groups, 1) + b[cross])  # one integer per pair: a fast sort
    pairs = np.column_stack([key // max(n_groups, 1), key % max(n_groups, 1)])
    g_adj = sp.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n_groups, n_groups))
    member = sp.csr_matrix((np.ones(m), (np.arange(m), group)), shape=(m, n_groups))
    adj = (member @ (g_adj + sp.identity(n_groups, format="csr")) @ member.T).tocsr()
    adj = ((adj + adj.T) > 0).astype(np.int8)
    adj.setdiag(0)
    adj.eliminate_zeros()
    return UnitGraph(adj.tocsr(), owner, dist)


def node_labels(graph: UnitGraph, unit_label: np.ndarray) -> np.ndarray:
    """Each street node's school: that of the compound whose region it is in.

    Parameters
    ----------
    graph
        The compounds' unit graph.
    unit_label
        Each compound's school (index, -1: none).

    Returns
    -------
    node_label
        Per node, a school index (-1 where no compound's region reaches).
    """
    owner = graph.unit_of_node
    return np.where(owner >= 0, np.asarray(unit_label)[np.maximum(owner, 0)], -1)


def islands(graph: UnitGraph, label: np.ndarray, school_nodes: np.ndarray,
            demand: np.ndarray | None = None) -> np.ndarray:
    """Which compounds lie outside the main group of their catchment (a mask).

    A school's main group is the one holding the compound whose region the school stands in, when that
    compound is zoned to it; otherwise the group with the most children.

    Parameters
    ----------
    graph
        The compounds' unit graph.
    label
        Each compound's school (index).
    school_nodes
        Each school's street node.
    demand
        Children per compound, to weigh groups (default: every compound 1).

    Returns
    -------
    island
        True for each compound outside its catchment's main group.
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

    Parameters
    ----------
    graph
        The compounds' unit graph.
    school_nodes
        Each school's street node.
    label
        Each compound's school (index).
    demand, capacity
        Children per compound, seats per school.
    cost
        A ``schools x compounds`` array (inf where not allowed).
    movable
        Which compounds may move.
    rounds
        At most this many rounds of moves.

    Returns
    -------
    label, left
        The new labels, and how many island compounds are left (0 when every catchment is contiguous).
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


def join_islands(graph: UnitGraph, school_nodes: np.ndarray, label: np.ndarray, demand: np.ndarray,
                 capacity: np.ndarray, cost: np.ndarray, movable: np.ndarray, rounds: int = 50) -> np.ndarray | None:
    """Every island compound joins its cheapest neighbouring catchment, seats or not; the overflow that makes
    is then passed along chains of neighbouring catchments to seats left (:func:`relieve`), keeping each whole.

    A local mend of a plan that is almost contiguous: the rest of the plan stays as it was, where growing
    every catchment again (:func:`contiguous_plan`) would redraw them all.

    Parameters
    ----------
    graph
        The compounds' unit graph.
    school_nodes
        Each school's street node.
    label
        Each compound's school (index).
    demand, capacity
        Children per compound, seats per school.
    cost
        A ``schools x compounds`` array (inf where not allowed).
    movable
        Which compounds may move.
    rounds
        At most this many rounds of joining (an island next to another island joins in a later round).

    Returns
    -------
    label
        A plan with no movable island and every school within its seats, or None when the islands cannot all
        join or the overflow cannot be relieved.
    """
    label = np.array(label, copy=True)
    for _ in range(rounds):
        bad = islands(graph, label, school_nodes, demand) & movable
        if not bad.any():
            break
        target = island_targets(graph, label, bad, cost)
        if not (target >= 0).any():
            return None
        label = np.where(target >= 0, target, label)
    else:
        return None
    if (islands(graph, label, school_nodes, demand) & movable).any():
        return None
    return relieve(graph, label, school_nodes, cost, demand, capacity, movable, report=[])


def island_targets(graph: UnitGraph, label: np.ndarray, island: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """For each island compound, the cheapest neighbouring catchment outside its own.

    Parameters
    ----------
    graph
        The compounds' unit graph.
    label
        Each compound's school (index).
    island
        The island compounds (a mask, e.g. from :func:`islands`).
    cost
        A ``schools x compounds`` array (inf where not allowed).

    Returns
    -------
    target
        A school index per compound (-1 for compounds that are not islands or have no allowed neighbour).
    """
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


def grow(graph: UnitGraph, school_nodes: np.ndarray, cost: np.ndarray, demand: np.ndarray, capacity: np.ndarray,
         locked: np.ndarray | None = None, report: list[dict] | None = None) -> np.ndarray | None:
    """A plan whose catchments are contiguous by construction, or None if growth cannot place everyone.

    Every catchment grows from the compound its school stands in, over the compound neighbour graph, one
    compound at a time, cheapest (``cost``: schools x compounds, inf where not allowed) first, while its seats
    last — a capacity-limited multi-source Dijkstra over compounds. Locked compounds (``locked`` >= 0) are
    placed first and grow their catchment too.

    Parameters
    ----------
    graph
        The compounds' unit graph.
    school_nodes
        Each school's street node.
    cost
        A ``schools x compounds`` array (inf where not allowed).
    demand, capacity
        Children per compound, seats per school.
    locked
        Each compound's locked school (index, -1: none).
    report
        Passed to :func:`relieve` (why growth failed, when it did), instead of a warning.

    Returns
    -------
    label
        Each compound's school, or None.
    """
    demand = np.asarray(demand, float)
    k, m = cost.shape
    adj = graph.adjacency
    label = np.full(m, -1, np.int64)
    load = np.zeros(k)
    heap: list[tuple[float, int, int]] = []

    def take(i: int, s: int) -> None:
        label[i] = s
        load[s] += demand[i]
        for j in adj.indices[adj.indptr[i]:adj.indptr[i + 1]]:
            if label[j] < 0 and np.isfinite(cost[s, j]):
                heapq.heappush(heap, (float(cost[s, j]), int(j), s))

    if locked is not None:
        for li in np.flatnonzero(np.asarray(locked) >= 0):
            take(int(li), int(locked[li]))
    host = graph.unit_of_node[np.asarray(school_nodes)]
    for s in range(k):
        h = int(host[s])
        if h >= 0 and np.isfinite(cost[s, h]):
            heapq.heappush(heap, (float(cost[s, h]), h, s))
    while heap:
        _, i, s = heapq.heappop(heap)
        if label[i] >= 0 or load[s] + demand[i] > capacity[s] + 1e-9:
            continue
        take(i, s)
    # Compounds walled in by full catchments join the cheapest neighbouring one; the overflow is then passed
    # along chains of neighbouring catchments to one with seats left (see :func:`relieve`).
    while (label < 0).any():
        placed = False
        for w in np.flatnonzero(label < 0):
            nb = adj.indices[adj.indptr[w]:adj.indptr[w + 1]]
            nb = nb[label[nb] >= 0]
            options = np.unique(label[nb])
            options = options[np.isfinite(cost[options, w])]
            if options.size:
                take(int(w), int(options[np.argmin(cost[options, w])]))
                placed = True
        if not placed:
            return None
    movable = np.ones(m, bool) if locked is None else np.asarray(locked) < 0
    return relieve(graph, label, school_nodes, cost, demand, capacity, movable, report=report)


def _rows(adj: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-zeros of some rows of a CSR matrix: (position in ``rows``, column) of each."""
    start, end = adj.indptr[rows], adj.indptr[rows + 1]
    size = end - start
    owner = np.repeat(np.arange(rows.size), size)
    at = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size) + np.repeat(start, size)
    return owner, adj.indices[at]


def _cut_vertices(ptr: list[int], nbr: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Articulation points and connected components of a small graph in CSR form (``nbr[ptr[v]:ptr[v + 1]]``:
    the neighbours of ``v``), by Tarjan's depth-first search, iterative.

    Returns
    -------
    cut, comp
        Per vertex: whether removing it disconnects its component, and its component's number.
    """
    n = len(ptr) - 1
    nbrs = [nbr[ptr[v]:ptr[v + 1]] for v in range(n)]
    disc, low = [-1] * n, [0] * n
    cut = np.zeros(n, bool)
    comp = np.full(n, -1, np.int64)
    t = 0
    c = -1
    for root in range(n):
        if disc[root] >= 0:
            continue
        c += 1
        disc[root] = low[root] = t
        t += 1
        comp[root] = c
        root_children = 0
        stack = [(root, -1, iter(nbrs[root]))]
        while stack:
            v, parent, it = stack[-1]
            for w in it:
                if disc[w] < 0:
                    disc[w] = low[w] = t
                    t += 1
                    comp[w] = c
                    stack.append((w, v, iter(nbrs[w])))
                    break
                if w != parent and disc[w] < low[v]:
                    low[v] = disc[w]
            else:
                stack.pop()
                if parent >= 0:
                    if low[v] < low[parent]:
                        low[parent] = low[v]
                    if parent == root:
                        root_children += 1
                    elif low[v] >= disc[parent]:
                        cut[parent] = True
        cut[root] = root_children >= 2
    return cut, comp


class _Connectivity:
    """Which compounds can leave their catchment with the rest staying in one piece, kept up to date as
    compounds move: each catchment's articulation points are computed once after it changes (on its own small
    subgraph), so a candidate move costs a look-up instead of a connected-components run over the catchment.

    ``label`` is shared (moves go through :meth:`move`).
    """

    def __init__(self, adj: sp.csr_matrix, label: np.ndarray) -> None:
        self.adj = adj
        self.label = label
        self.pos = np.zeros(label.size, np.int64)
        self._info: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self.version: dict[int, int] = {}  # per catchment: a number new with every change (undo restores it)
        self._changes = 0

    def members(self, s: int) -> np.ndarray:
        """The compounds of catchment ``s``."""
        return self._get(s)[0]

    def _get(self, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        info = self._info.get(s)
        if info is None:
            label, adj, pos = self.label, self.adj, self.pos
            members = np.flatnonzero(label == s)
            pos[members] = np.arange(members.size)
            owner, nb = _rows(adj, members)
            keep = label[nb] == s
            owner, nb = owner[keep], pos[nb[keep]]
            ptr = np.r_[0, np.cumsum(np.bincount(owner, minlength=members.size))]
            cut, comp = _cut_vertices(ptr.tolist(), nb.tolist())
            info = (members, cut, comp, np.bincount(comp, minlength=1))
            self._info[s] = info
        return info

    def can_leave(self, i: int) -> bool:
        """Whether the rest of ``i``'s catchment is connected without ``i`` (or has at most one compound)."""
        members, cut, comp, size = self._get(int(self.label[i]))
        if members.size <= 2:
            return True
        j = int(np.searchsorted(members, i))
        if size.size == 1:
            return not cut[j]
        return size.size == 2 and size[comp[j]] == 1

    def move(self, i: int, t: int) -> None:
        """Move compound ``i`` to catchment ``t``."""
        s = int(self.label[i])
        self.label[i] = t
        for c in (s, int(t)):
            self._info.pop(c, None)
            self._changes += 1
            self.version[c] = self._changes

    def checkpoint(self) -> tuple[dict, dict]:
        """What :meth:`undo` needs to go back to this state."""
        return dict(self._info), dict(self.version)

    def undo(self, moves: list[tuple[int, int]], saved: tuple[dict, dict]) -> None:
        """Take back ``moves`` ((compound, its school before), in the order made) since ``saved``; what was
        learnt meanwhile about the catchments they did not touch is kept."""
        info, version = saved
        for i, s in reversed(moves):
            for t in (int(self.label[i]), s):
                if t in info:
                    self._info[t] = info[t]
                else:
                    self._info.pop(t, None)
                self.version[t] = version.get(t, 0)
            self.label[i] = s


class ReliefStopped(UserWarning):
    """:func:`relieve` stopped with schools still over their seats (its message says why and how far)."""


def relieve(graph: UnitGraph, label: np.ndarray, school_nodes: np.ndarray, cost: np.ndarray, demand: np.ndarray,
            capacity: np.ndarray, movable: np.ndarray, rounds: int | None = None,
            report: list[dict] | None = None) -> np.ndarray | None:
    """Pass overflow from overfull catchments along chains of neighbouring catchments to one with seats
    left, one border compound per step, keeping every catchment contiguous.

    Parameters
    ----------
    graph
        The compounds' unit graph.
    label
        Each compound's school (index).
    school_nodes
        Each school's street node (the compound it stands in never moves).
    cost
        A ``schools x compounds`` array (inf where not allowed).
    demand, capacity
        Children per compound, seats per school.
    movable
        Which compounds may move.
    rounds
        At most this many chains of moves (default: as many as there are compounds, at least 400).
    report
        Where to say why it stopped short, instead of warning: a dict (``reason``: "stuck" when no chain of
        moves was left, "rounds" when they ran out; ``rounds``; ``children_over``; ``schools_over``) is appended
        when it returns None.

    Returns
    -------
    label
        The new labels with every school within its seats, or None if that cannot be reached.

    Warns
    -----
    ReliefStopped
        When it returns None and no ``report`` list is given, with the same facts.
    """
    label = np.array(label, copy=True)
    demand = np.asarray(demand, float)
    k = cost.shape[0]
    adj = graph.adjacency
    coo = adj.tocoo()
    host = graph.unit_of_node[np.asarray(school_nodes)]
    is_host = np.zeros(label.size, bool)
    is_host[host[host >= 0]] = True
    rounds = max(400, label.size) if rounds is None else rounds
    conn = _Connectivity(adj, label)
    ver = conn.version
    load = np.bincount(label, weights=demand, minlength=k)
    why = "rounds"
    chains = 0
    failed: dict[tuple[int, int, float], tuple[int, int]] = {}  # no border move from a to b while unchanged
    # How many street links join each two catchments, kept up to date as compounds move.
    la, lb = label[coo.row], label[coo.col]
    cross = la != lb
    pairs, counts = np.unique(la[cross] * k + lb[cross], return_counts=True)
    links: list[dict[int, int]] = [{} for _ in range(k)]
    for pair, n in zip(pairs.tolist(), counts.tolist()):
        links[pair // k][pair % k] = n
    while chains < rounds:
        over = load - capacity
        if (over <= 1e-9).all():
            return label
        progress = False
        for src in np.argsort(-over)[: int((over > 1e-9).sum())].tolist():  # most overfull first
            prev = {int(src): -1}
            queue, goals = deque([int(src)]), []
            while queue:  # every catchment reachable from the overfull one; those with seats are goals
                a = queue.popleft()
                for b in sorted(links[a]):
                    if b not in prev:
                        prev[b] = a
                        queue.append(b)
                        if capacity[b] - load[b] > 1e-9:
                            goals.append(b)
            for goal in goals:  # nearest first: one chain of moves that ends inside a catchment's seats
                path = [goal]
                while prev[path[-1]] >= 0:
                    path.append(prev[path[-1]])
                path.reverse()
                moves: list[tuple[int, int]] = []  # (compound, its school before) to undo a chain that fails
                saved = conn.checkpoint()
                ok = True
                for step, (a, b) in enumerate(reversed(list(zip(path[:-1], path[1:])))):
                    room = float(capacity[b] - load[b]) if step == 0 else np.inf
                    state = (ver.get(a, 0), ver.get(b, 0))
                    if failed.get((a, b, room)) == state:
                        ok = False
                        break
                    i = _border_move(conn, a, b, cost, demand, movable, is_host, room)
                    if i < 0:
                        failed[(a, b, room)] = state
                        ok = False
                        break
                    moves.append((i, a))
                    conn.move(i, b)
                if ok:
                    for i, a in moves:
                        load[a] -= demand[i]
                        load[label[i]] += demand[i]
                    _relink(links, adj, label, dict(moves))
                    chains += 1
                    progress = True
                    break
                conn.undo(moves, saved)
            if progress:
                break
        if not progress:
            why = "stuck"
            break
    over = load - capacity
    bad = over > 1e-9
    facts = {"reason": why, "rounds": rounds, "children_over": float(over[bad].sum()), "schools_over": int(bad.sum())}
    if report is not None:
        report.append(facts)
    else:
        warnings.warn(ReliefStopped(
            f"relieve stopped ({'no chain of moves left' if why == 'stuck' else f'its {rounds} rounds ran out'}) with "
            f"{facts['children_over']:.0f} children over the seats of {facts['schools_over']} schools"), stacklevel=2)
    return None


def _relink(links: list[dict[int, int]], adj: sp.csr_matrix, label: np.ndarray, was: dict[int, int]) -> None:
    """Update the counts of links between catchments after the compounds ``was`` names moved from the school it
    gives to ``label``'s."""
    for i in was:
        for j in adj.indices[adj.indptr[i]:adj.indptr[i + 1]].tolist():
            if j in was and j < i:
                continue  # a link between two moved compounds: once
            for a, b, step in ((was[i], was.get(j, int(label[j])), -1), (int(label[i]), int(label[j]), 1)):
                if a != b:
                    n = links[a].get(b, 0) + step
                    if n:
                        links[a][b] = links[b][a] = n
                    else:
                        links[a].pop(b, None)
                        links[b].pop(a, None)


def _border_move(conn: _Connectivity, a: int, b: int, cost: np.ndarray, demand: np.ndarray,
                 movable: np.ndarray, is_host: np.ndarray, room: float = np.inf) -> int:
    """The cheapest compound of catchment ``a`` touching catchment ``b`` that can move there with ``a``
    staying connected (-1 if none)."""
    members = conn.members(a)
    ok = movable[members] & ~is_host[members] & np.isfinite(cost[b, members]) & (demand[members] > 0) \
        & (demand[members] <= room + 1e-9)
    members = members[ok]
    owner, nb = _rows(conn.adj, members)
    touching = np.zeros(members.size, bool)
    touching[owner[conn.label[nb] == b]] = True
    members = members[touching]
    for j in members[np.lexsort((members, cost[b, members] - cost[a, members]))].tolist():
        if conn.can_leave(j):
            return j
    return -1


def improve(graph: UnitGraph, label: np.ndarray, school_nodes: np.ndarray, cost: np.ndarray, demand: np.ndarray,
            capacity: np.ndarray, movable: np.ndarray, passes: int = 20) -> np.ndarray:
    """Lower the cost of a contiguous plan by moving border compounds to a neighbouring catchment, keeping
    every catchment contiguous (a compound leaves only if the rest of its catchment stays connected and it
    does not hold its school) and every school within its seats.

    Parameters
    ----------
    graph
        The compounds' unit graph.
    label
        Each compound's school (index).
    school_nodes
        Each school's street node.
    cost
        A ``schools x compounds`` array (inf where not allowed).
    demand, capacity
        Children per compound, seats per school.
    movable
        Which compounds may move.
    passes
        At most this many passes over the border compounds.

    Returns
    -------
    label
        The improved labels.
    """
    label = np.array(label, copy=True)
    demand = np.asarray(demand, float)
    k = len(school_nodes)
    adj = graph.adjacency
    host = graph.unit_of_node[np.asarray(school_nodes)]
    is_host = np.zeros(label.size, bool)
    is_host[host[host >= 0]] = True
    load = np.bincount(label, weights=demand, minlength=k)
    conn = _Connectivity(adj, label)  # each catchment's articulation points, recomputed only when it changes

    for _ in range(passes):
        coo = adj.tocoo()
        border = (label[coo.row] != label[coo.col]) & movable[coo.row] & ~is_host[coo.row]
        i_all, t_all = coo.row[border], label[coo.col[border]]
        gain = cost[label[i_all], i_all] - cost[t_all, i_all]
        keep = np.isfinite(gain) & (gain > 1e-9)
        order = np.argsort(-gain[keep])
        moved = False
        for i, t in zip(i_all[keep][order], t_all[keep][order]):
            s = label[i]
            if s == t or load[t] + demand[i] > capacity[t] + 1e-9 or cost[t, i] >= cost[s, i]:
                continue
            if not conn.can_leave(int(i)):
                continue
            conn.move(int(i), int(t))
            load[s] -= demand[i]
            load[t] += demand[i]
            moved = True
        if not moved:
            break
    return label


GUIDE_PENALTY = 4.0


def contiguous_plan(graph: UnitGraph, school_nodes: np.ndarray, cost: np.ndarray, demand: np.ndarray,
                    capacity: np.ndarray, locked: np.ndarray | None = None,
                    guides: Sequence[np.ndarray] = ()) -> np.ndarray | None:
    """A plan with every catchment contiguous and every school within its seats, as cheap as growth and
    local moves find, or None.

    Catchments are grown (:func:`grow`) following each plan in ``guides`` in turn (a compound costs
    ``GUIDE_PENALTY`` times more, plus a constant, anywhere but its guide's school), then by cost alone; the
    first growth that places everyone is improved by contiguity-keeping moves (:func:`improve`).

    Parameters
    ----------
    graph
        The compounds' unit graph.
    school_nodes
        Each school's street node.
    cost
        A ``schools x compounds`` array (inf where not allowed).
    demand, capacity
        Children per compound, seats per school.
    locked
        Each compound's locked school (index, -1: none).
    guides
        Plans (a school index per compound) to follow, in turn.

    Returns
    -------
    label
        Each compound's school, or None when no growth places everyone.
    """
    k = cost.shape[0]
    movable = np.ones(cost.shape[1], bool) if locked is None else np.asarray(locked) < 0
    stops: list[dict] = []  # a growth that cannot relieve its overflow is expected: the next guide is tried
    for guide in (*guides, None):
        if guide is None:
            c = cost
        else:
            mine = np.arange(k)[:, None] == np.asarray(guide)[None, :]
            c = np.where(mine, cost, cost * GUIDE_PENALTY + 1e7)
        label = grow(graph, school_nodes, c, demand, capacity, locked, report=stops)
        if label is not None:
            return improve(graph, label, school_nodes, cost, demand, capacity, movable)
    last = stops[-1] if stops else {"reason": "stuck", "children_over": 0.0, "schools_over": 0}
    warnings.warn(ReliefStopped(
        f"no growth of contiguous catchments placed everyone ({len(stops)} stopped with overflow; the last "
        f"{'found no chain of moves' if last['reason'] == 'stuck' else 'ran out of rounds'} with "
        f"{last['children_over']:.0f} children over the seats of {last['schools_over']} schools)"), stacklevel=2)
    return None
