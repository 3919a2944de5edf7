"""Multi-school zones (多校划片) and their lottery (电脑派位): who gets a place where, with what chance.

A *multi-school zone* is a set of compounds that feeds several schools. Children are placed by lottery.

**The published rule.** Beijing Dongcheng describes its multi-school lottery as follows (restated on
www.ysxiao.cn/youshengxiao-zhengce/216015.html, found with the project's search tool; the Xicheng rule at
xschu.com/xiaoshengchu/15/8290.html also sorts children by a 10-digit random number and places "small numbers
first"): children are placed, relatively near, *first in the schools of their own zone (学区) that have free
seats; when the zone's free seats cannot take all its children, seats of neighbouring zones (相邻学区) are used*;
the computer draws *a 10-digit random number for every child and for every school*, and *each school's list of
admitted children is set by its lottery plan (its seats), by random number from small to large*; all children
taking part are placed. The Ministry's 2014 notice asks that multi-school zones allocate places "by random
lottery" and that children not drawn for a popular school are still placed near home.

**The model implemented here (one reading of that rule, stated exactly).**

1. Every child draws ``u`` (uniform, independent) and every school draws ``v``. There are no preferences and
   no priorities: every child of a zone applies to all schools of its zone, so children of one zone are
   exchangeable and every compound of a zone has the same probabilities.
2. *Own zone.* In each zone, schools in ascending ``v`` each admit the zone's not-yet-placed children in
   ascending ``u`` up to their seats. So the zone's children, sorted by ``u``, are cut into consecutive blocks
   of the schools' seats in the order of the schools' numbers. When a zone has exactly as many seats as
   children a child's chance at school ``s`` is ``seats_s / children``, i.e. *in proportion to seats*; with
   spare seats the school number decides which schools keep them empty; with too few seats every school is
   full and the children with the largest numbers are left over.
3. *Neighbouring zones.* Left-over children then go to free seats of other zones, nearest zones first: in
   round ``r = 1, 2, ...`` every school with free seats, in ascending ``v`` across the district, admits the
   still unplaced children of zones within ``r`` steps of its own zone in the zone adjacency (zones sharing a
   border / meeting on the street network), in ascending ``u``, up to its free seats. Round 1 is the published
   "neighbouring zones"; further rounds (up to ``max_ring``, default: as far as the zone graph reaches) make
   good the rule's promise that everyone is placed.
4. Children still without a seat (the district, or the part of it reachable in the zone graph, has fewer
   seats than children) are **unplaced**: they get the last column of every result and a warning
   (``lottery.unplaced``) says how many; they are never squeezed into a full school.

Reading the school number as the order in which schools fill is our interpretation: with no preferences it is
the only role a school number can play; a reading where each child is first drawn to one school in proportion
to seats gives the same answer whenever a zone's seats equal its children.

**Exactness.** Step 2 has a closed form: with the zone's ``k`` schools in uniformly random order, school ``s``
is filled with ``min(seats_s, max(0, N - B))`` children, ``B`` the seats of the schools before it; averaging over
the ``2^(k-1)`` sets of schools that can come first (a set of size ``a`` comes first with probability
``a! (k-1-a)! / k!``) gives the expected fill exactly (zones of up to :data:`MAX_EXACT_SCHOOLS` schools).
A zone whose seats cover its children is therefore exact. For a zone short of seats the own-zone part is also
exact (``seats_s / N`` each, overflow ``1 - S/N``), but where its overflow lands depends on the competition
between zones in step 3, so that split is estimated by the seeded Monte Carlo :func:`simulate`: with ``R``
draws, Hoeffding's inequality bounds the error of every estimated entry by ``(O/N) sqrt(ln(2/delta) / 2R)``
with probability ``1 - delta`` (``O`` the zone's overflow, ``N`` its children), reported per compound.

What a family can expect from these chances (expected walk, the chance of a strong school, a comparison with
single-school zoning) is in :mod:`geo.equity.access`; which schools are strong, in :mod:`geo.equity.strength`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from geo.errors import InputError

MAX_EXACT_SCHOOLS = 16     # zones with more schools are estimated by simulation
DEFAULT_DRAWS = 4000
DEFAULT_DELTA = 1e-3       # the error bound holds with probability 1 - delta (per entry)
_CHUNK = 4_000_000         # children x draws simulated at once (memory ~ 100 MB)


# --- zones --------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Zones:
    """Multi-school zones: the zone of every compound and of every school, and which zones neighbour.

    Attributes
    ----------
    zone_of_compound, zone_of_school
        Each compound's and each school's zone (index into ``names``).
    adjacency
        A symmetric ``zones x zones`` matrix (non-zero: neighbours).
    names
        The zones' labels.
    """

    zone_of_compound: np.ndarray
    zone_of_school: np.ndarray
    adjacency: sp.csr_matrix
    names: tuple[Hashable, ...]

    @property
    def n_zones(self) -> int:
        """How many zones."""
        return len(self.names)

    def hops(self) -> np.ndarray:
        """Steps between every two zones in the adjacency.

        Returns
        -------
        hops
            A ``zones x zones`` array (a large number where none connect).
        """
        d = shortest_path(self.adjacency, unweighted=True, directed=False)
        return np.where(np.isfinite(d), d, np.iinfo(np.int32).max).astype(np.int64)


def zone_adjacency(unit_adjacency: sp.spmatrix, zone_of_compound: np.ndarray, n_zones: int) -> sp.csr_matrix:
    """Zones neighbour when any of their compounds do.

    Parameters
    ----------
    unit_adjacency
        Compounds x compounds (e.g. ``Inputs.unit_graph.adjacency``).
    zone_of_compound
        Each compound's zone (index).
    n_zones
        How many zones.

    Returns
    -------
    adjacency
        Symmetric, ``zones x zones``, with an empty diagonal.
    """
    z = np.asarray(zone_of_compound, np.int64)
    member = sp.csr_matrix((np.ones(z.size), (np.arange(z.size), z)), shape=(z.size, n_zones))
    adj = (member.T @ sp.csr_matrix(unit_adjacency) @ member).tocsr()
    adj = ((adj + adj.T) > 0).astype(np.int8)
    adj.setdiag(0)
    adj.eliminate_zeros()
    return adj.tocsr()


def make_zones(zone_of_compound: npt.ArrayLike, zone_of_school: npt.ArrayLike, adjacency: Any = None,
               names: Sequence[Hashable] | None = None, unit_adjacency: sp.spmatrix | None = None) -> Zones:
    """Zones from labels (any hashable zone ids, one per compound and one per school).

    Parameters
    ----------
    zone_of_compound, zone_of_school
        Each compound's and each school's zone id.
    adjacency
        A ``zones x zones`` matrix (dense or sparse; zones in the order of ``names``).
    names
        The zone ids in order; default: in order of first appearance, schools first.
    unit_adjacency
        Compounds x compounds, aggregated to zones when ``adjacency`` is not given. With neither, no zones
        neighbour (overflow never leaves a zone).

    Returns
    -------
    zones

    Raises
    ------
    InputError
        If a compound or school names a zone not in ``names``.
    ValueError
        If ``adjacency`` has the wrong shape.
    """
    zc = np.asarray(zone_of_compound, dtype=object)
    zs = np.asarray(zone_of_school, dtype=object)
    if names is None:
        names = tuple(pd.unique(np.concatenate([zs, zc])))
    names = tuple(names)
    index = {n: i for i, n in enumerate(names)}
    for arr in (zc, zs):
        unknown = [v for v in pd.unique(arr) if v not in index]
        if unknown:
            raise InputError("lottery.unknown_zone", zone=str(unknown[0]))
    zc_i = np.array([index[v] for v in zc], np.int64)
    zs_i = np.array([index[v] for v in zs], np.int64)
    n = len(names)
    if adjacency is not None:
        adj = sp.csr_matrix(adjacency)
        if adj.shape != (n, n):
            raise ValueError(f"adjacency must be {n} x {n}")
        adj = ((adj + adj.T) > 0).astype(np.int8)
        adj.setdiag(0)
        adj.eliminate_zeros()
    elif unit_adjacency is not None:
        adj = zone_adjacency(unit_adjacency, zc_i, n)
    else:
        adj = sp.csr_matrix((n, n), dtype=np.int8)
    return Zones(zc_i, zs_i, adj.tocsr(), names)


def _check(zones: Zones, children: npt.ArrayLike, seats: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    children = np.asarray(children)
    seats = np.asarray(seats)
    if children.shape != zones.zone_of_compound.shape or seats.shape != zones.zone_of_school.shape:
        raise ValueError("children must have one entry per compound and seats one per school")
    for name, a in (("children", children), ("seats", seats)):
        if a.size and (not np.all(np.isfinite(a)) or (a < 0).any() or (a != np.round(a)).any()):
            raise InputError("lottery.bad_count", field=name)
    return children.astype(np.int64), seats.astype(np.int64)


# --- the Monte Carlo ------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Simulation:
    """What ``draws`` lotteries did: ``counts[c, s]`` children of compound ``c`` placed at school ``s`` summed
    over all draws (last column: unplaced); ``fill[r, s]`` children admitted by school ``s`` in draw ``r``.

    Attributes
    ----------
    counts
        ``compounds x (schools + 1)``.
    fill
        ``draws x schools``.
    draws
        How many lotteries were run.
    """

    counts: np.ndarray
    fill: np.ndarray
    draws: int

    @property
    def frequency(self) -> np.ndarray:
        """Per compound (row) the share of its children placed at each school (last column: unplaced)."""
        total = self.counts.sum(axis=1, keepdims=True)
        return np.divide(self.counts, total, out=np.full(self.counts.shape, np.nan), where=total > 0)


def simulate(zones: Zones, children: npt.ArrayLike, seats: npt.ArrayLike, *, draws: int = 1000, seed: int = 0,
             max_ring: int | None = None) -> Simulation:
    """Run the lottery (module docstring, steps 1-4) ``draws`` times with ``numpy.random.default_rng(seed)``.

    Vectorised over draws and children (children are expanded from counts per compound with ``np.repeat``);
    the only Python loops run over rounds and schools.

    Parameters
    ----------
    zones
        The multi-school zones.
    children
        Children per compound (whole numbers).
    seats
        Seats per school (whole numbers).
    draws
        How many lotteries.
    seed
        The random seed.
    max_ring
        Overflow goes at most this many zones away (default: as far as the zone graph reaches).

    Returns
    -------
    simulation

    Raises
    ------
    InputError
        If a count is negative, fractional or not finite.
    ValueError
        If ``children`` or ``seats`` does not match the zones.
    """
    children, seats = _check(zones, children, seats)
    m, k, nz = children.size, seats.size, zones.n_zones
    rng = np.random.default_rng(seed)
    zs = zones.zone_of_school
    n_z = np.bincount(zones.zone_of_compound, weights=children, minlength=nz).astype(np.int64)
    s_z = np.bincount(zs, weights=seats, minlength=nz).astype(np.int64)
    # Individuals, grouped by zone: slot j of zone z holds the zone's (j - start)-th smallest number.
    comp = np.repeat(np.arange(m), children)
    order = np.argsort(zones.zone_of_compound[comp], kind="stable")
    comp = comp[order]
    zc = zones.zone_of_compound[comp]
    n = comp.size
    child_start = np.concatenate([[0], np.cumsum(n_z)])[:-1]
    seat_start = np.concatenate([[0], np.cumsum(s_z)])[:-1]
    rank = np.arange(n) - child_start[zc]
    own = rank < s_z[zc]
    g_own = (seat_start[zc] + rank)[own]          # where an own-zone slot falls on the line of seats
    over = np.flatnonzero(~own)
    hops = zones.hops()
    rings = _rings(hops, max_ring)
    total_seats = int(seats.sum()) + 1

    counts = np.zeros(m * (k + 1), np.int64)
    fills = []
    per_chunk = max(1, _CHUNK // max(n, 1))
    done = 0
    while done < draws:
        r = min(per_chunk, draws - done)
        done += r
        rows = np.arange(r)
        u = rng.random((r, n))
        v = rng.random((r, k))
        perm = np.argsort(u + 2.0 * zc, axis=1)   # within each zone, ascending numbers
        s_order = np.argsort(v + 2.0 * zs, axis=1)  # schools by zone, within a zone ascending numbers
        bounds = np.cumsum(seats[s_order], axis=1)
        # Step 2: the slot's school is the first whose cumulative seats exceed the slot's place.
        off = rows[:, None] * total_seats
        slot = np.searchsorted((bounds + off).ravel(), (g_own[None, :] + off).ravel(), side="right")
        school = s_order.ravel()[slot].reshape(r, -1)
        placed_comp = comp[perm[:, own]]
        counts += np.bincount((placed_comp * (k + 1) + school).ravel(), minlength=m * (k + 1))
        fill = np.bincount((rows[:, None] * k + school).ravel(), minlength=r * k).reshape(r, k)
        free = seats[None, :] - fill
        # Step 3: the left-over children (a fixed number per zone), in ascending number across zones.
        if over.size:
            idx = perm[:, over]
            ou = np.take_along_axis(u, idx, axis=1)
            srt = np.argsort(ou, axis=1)
            oc = comp[np.take_along_axis(idx, srt, axis=1)]
            oz = zc[np.take_along_axis(idx, srt, axis=1)]
            dest = np.full(oc.shape, -1, np.int64)
            g_order = np.argsort(v, axis=1)
            for ring in rings:
                if not (dest < 0).any() or not (free > 0).any():
                    break
                for p in range(k):
                    s = g_order[:, p]
                    f = free[rows, s]
                    if not (f > 0).any():
                        continue
                    elig = (dest < 0) & (hops[zs[s][:, None], oz] <= ring)
                    take = elig & (np.cumsum(elig, axis=1) <= f[:, None])
                    dest = np.where(take, s[:, None], dest)
                    free[rows, s] -= take.sum(axis=1)
            dest = np.where(dest < 0, k, dest)
            counts += np.bincount((oc * (k + 1) + dest).ravel(), minlength=m * (k + 1))
        fills.append(seats[None, :] - free)
    fill_all = np.concatenate(fills) if fills else np.zeros((0, k), np.int64)
    return Simulation(counts.reshape(m, k + 1), fill_all, draws)


def _rings(hops: np.ndarray, max_ring: int | None) -> range:
    finite = hops[hops < np.iinfo(np.int32).max]
    reach = int(finite.max()) if finite.size else 0
    last = reach if max_ring is None else min(int(max_ring), reach)
    return range(1, last + 1)


# --- exact probabilities ----------------------------------------------------------------------------------------

def expected_fill(seats: npt.ArrayLike, children: int) -> np.ndarray:
    """Expected children admitted by each school of one zone in step 2 (schools in uniformly random order).

    Parameters
    ----------
    seats
        Seats of each of the zone's schools.
    children
        The zone's children.

    Returns
    -------
    fill
        One expectation per school.

    Raises
    ------
    ValueError
        If the zone has more than :data:`MAX_EXACT_SCHOOLS` schools.
    """
    seats = np.asarray(seats, np.int64)
    k = seats.size
    if k == 0:
        return np.zeros(0)
    if k > MAX_EXACT_SCHOOLS:
        raise ValueError(f"exact fill only for up to {MAX_EXACT_SCHOOLS} schools")
    subsets = np.arange(2 ** (k - 1))
    bits = (subsets[:, None] >> np.arange(k - 1)[None, :]) & 1
    size = bits.sum(axis=1)
    fact = np.array([math.factorial(i) for i in range(k + 1)], float)
    weight = fact[size] * fact[k - 1 - size] / fact[k]
    out = np.empty(k)
    for i in range(k):  # one vectorised sum over all 2^(k-1) orders' "schools before i" per school
        before = bits @ np.delete(seats, i)
        out[i] = float(weight @ np.clip(children - before, 0, seats[i]))
    return out


@dataclass(frozen=True, eq=False)
class Probabilities:
    """Per compound (row) its children's chance of a place at each school (last column: unplaced); rows sum
    to 1. ``exact``: no simulation entered the row; ``error_bound``: the largest error of any entry of the
    row with probability ``1 - delta`` (0 where exact); ``draws``: simulated lotteries used (0: none).

    Attributes
    ----------
    matrix
        ``compounds x (schools + 1)``.
    exact
        Per compound.
    error_bound
        Per compound.
    draws
        Simulated lotteries used.
    delta
        The error bound's failure probability.
    warnings
        ``(translation key, params)`` pairs (e.g. ``lottery.unplaced``).
    """

    matrix: np.ndarray
    exact: np.ndarray
    error_bound: np.ndarray
    draws: int
    delta: float
    warnings: tuple[tuple[str, dict], ...] = field(default=())

    @property
    def schools(self) -> np.ndarray:
        """The chances of each school: ``compounds x schools``."""
        return self.matrix[:, :-1]

    @property
    def unplaced(self) -> np.ndarray:
        """The chance of no place, per compound."""
        return self.matrix[:, -1]


def probabilities(zones: Zones, children: npt.ArrayLike, seats: npt.ArrayLike, *, draws: int = DEFAULT_DRAWS,
                  seed: int = 0,
                  max_ring: int | None = None, delta: float = DEFAULT_DELTA) -> Probabilities:
    """Each compound's probability of a place at every school, exact where the module docstring says so.

    Zones whose seats cover their children (and of at most :data:`MAX_EXACT_SCHOOLS` schools) are exact. For a
    zone short of seats its own schools' chances (``seats / children``) and its overflow (``1 - seats /
    children``) are exact and the overflow's split over other schools (or unplaced) is the share seen in
    ``draws`` seeded lotteries, with the Hoeffding error bound in ``error_bound``. A zone with neither
    children nor seats has no lottery: its compounds' rows are NaN.

    Parameters
    ----------
    zones
        The multi-school zones.
    children
        Children per compound (whole numbers).
    seats
        Seats per school (whole numbers).
    draws, seed, max_ring
        For the simulation (:func:`simulate`), where one is needed.
    delta
        The error bound holds with probability ``1 - delta`` per entry.

    Returns
    -------
    probabilities

    Raises
    ------
    InputError
        If a count is negative, fractional or not finite.
    ValueError
        If ``children`` or ``seats`` does not match the zones.
    """
    children, seats = _check(zones, children, seats)
    k, nz = seats.size, zones.n_zones
    n_z = np.bincount(zones.zone_of_compound, weights=children, minlength=nz).astype(np.int64)
    s_z = np.bincount(zones.zone_of_school, weights=seats, minlength=nz).astype(np.int64)
    p_zone = np.zeros((nz, k + 1))
    bound = np.zeros(nz)
    own_exact = np.ones(nz, bool)
    for z in range(nz):
        members = np.flatnonzero(zones.zone_of_school == z)
        if members.size > MAX_EXACT_SCHOOLS:
            own_exact[z] = False
            continue
        n_eff = max(int(n_z[z]), 1)  # a zone with no children: the chances of a first child
        p_zone[z, members] = expected_fill(seats[members], n_eff) / n_eff
    short = n_z > s_z
    needs = short | ~own_exact
    if (needs & (n_z == 0)).any():
        p_zone[needs & (n_z == 0)] = np.nan
    sim_needed = needs & (n_z > 0)
    used = 0
    warnings: list[tuple[str, dict]] = []
    if sim_needed.any():
        sim = simulate(zones, children, seats, draws=draws, seed=seed, max_ring=max_ring)
        used = draws
        zc_counts = np.zeros((nz, k + 1))
        np.add.at(zc_counts, zones.zone_of_compound, sim.counts)
        freq = zc_counts / np.maximum(n_z, 1)[:, None] / draws
        hoeff = math.sqrt(math.log(2.0 / delta) / (2.0 * draws))
        for zi in np.flatnonzero(sim_needed):
            if own_exact[zi]:
                elsewhere = np.ones(k + 1, bool)
                elsewhere[np.flatnonzero(zones.zone_of_school == zi)] = False
                p_zone[zi, elsewhere] = freq[zi, elsewhere]
                bound[zi] = (n_z[zi] - s_z[zi]) / n_z[zi] * hoeff
            else:
                p_zone[zi] = freq[zi]
                bound[zi] = hoeff
    matrix = p_zone[zones.zone_of_compound]
    lost = float((children * matrix[:, -1]).sum()) if children.size else 0.0
    if lost > 0.5:
        warnings.append(("lottery.unplaced", {"count": int(round(lost))}))
    return Probabilities(matrix, ~sim_needed[zones.zone_of_compound], bound[zones.zone_of_compound], used, delta,
                         tuple(warnings))


def single_school(label: npt.ArrayLike, n_schools: int) -> Probabilities:
    """A single-school zoning as certain probabilities.

    Parameters
    ----------
    label
        Each compound's school (index; -1: none, i.e. unplaced).
    n_schools
        How many schools.

    Returns
    -------
    probabilities
        Exact, with no simulation.
    """
    label = np.asarray(label, np.int64)
    matrix = np.zeros((label.size, n_schools + 1))
    matrix[np.arange(label.size), np.where(label >= 0, label, n_schools)] = 1.0
    return Probabilities(matrix, np.ones(label.size, bool), np.zeros(label.size), 0, 0.0)
