"""Multi-school zones and their lottery (geo.equity.lottery), what families can expect from it (geo.equity.access)
and school strength (geo.equity.strength): hand-computed cases, exact vs Monte Carlo, invariants."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from geo.equity.access import access_table, compare, compare_summary, expected_distance, strong_access
from geo.equity.lottery import expected_fill, make_zones, probabilities, simulate, single_school
from geo.equity.strength import school_strength, strong_schools
from geo.errors import InputError
from geo.render.i18n import t
from tests.conftest import DEMO


def hoeffding(draws: int, delta: float = 1e-7) -> float:
    """The largest error of a mean of ``draws`` independent shares in [0, 1], with probability 1 - delta."""
    return math.sqrt(math.log(2 / delta) / (2 * draws))


# --- hand-computed cases ----------------------------------------------------------------------------------------

def test_two_schools_one_zone_spare_seats():
    # Seats 30 + 20 for 40 children. A first (prob 1/2): A takes 30, B 10; B first: B 20, A 20.
    # E[A] = 25, E[B] = 15: each child 25/40 and 15/40 (not 30/50 and 20/50).
    z = make_zones(["Z", "Z"], ["Z", "Z"])
    p = probabilities(z, [25, 15], [30, 20])
    np.testing.assert_allclose(p.matrix, [[0.625, 0.375, 0.0]] * 2)
    assert p.exact.all() and p.draws == 0 and (p.error_bound == 0).all()


def test_seats_equal_children_is_in_proportion_to_seats():
    z = make_zones([0, 0, 0], [0, 0])
    p = probabilities(z, [10, 30, 10], [30, 20])
    np.testing.assert_allclose(p.matrix, [[0.6, 0.4, 0.0]] * 3)


def test_school_order_decides_empty_seats():
    # 20 children, seats 30 and 20: whichever school comes first takes everyone.
    np.testing.assert_allclose(expected_fill([30, 20], 20), [10, 10])
    p = probabilities(make_zones([0], [0, 0]), [20], [30, 20])
    np.testing.assert_allclose(p.matrix, [[0.5, 0.5, 0.0]])


def test_two_zones_overflow_to_a_neighbour():
    # Zone A: 10 + 20 children, one school of 24 seats; zone B: 10 children, schools s1 (8 seats), s2 (12).
    z = make_zones(["A", "A", "B"], ["A", "B", "B"], adjacency=[[0, 1], [1, 0]], names=["A", "B"])
    p = probabilities(z, [10, 20, 10], [24, 8, 12], draws=4000, seed=1)
    assert p.matrix[:, 0] == pytest.approx([0.8, 0.8, 0.0])           # own school: 24 / 30, exact
    assert p.matrix[0, 1:3].sum() == pytest.approx(0.2)               # overflow: 6 / 30, all placed in B
    assert p.matrix[:, 3] == pytest.approx([0, 0, 0])
    assert p.exact.tolist() == [False, False, True]
    # B's own children: s1 first -> (8, 2); s2 first -> (0, 10): E = (4, 6) of 10. Exact.
    np.testing.assert_allclose(p.matrix[2], [0, 0.4, 0.6, 0])
    # Free seats then: s1 first -> (0, 10), s2 first -> (8, 2). School numbers also order the overflow
    # round, so A's 6 go (0, 6) or (4, 2): E = (2, 4) of A's 30 children.
    assert abs(p.matrix[0, 1] - 2 / 30) <= p.error_bound[0]
    assert abs(p.matrix[0, 2] - 4 / 30) <= p.error_bound[0]
    assert p.error_bound[0] == pytest.approx(0.2 * math.sqrt(math.log(2 / 1e-3) / 8000))
    assert (p.matrix[0] == p.matrix[1]).all()                          # children of a zone are exchangeable


def test_competing_overflow_and_unplaced():
    # A and C each have 10 children and 5 seats; B between them has 6 free seats and no children.
    # The 10 left-over children compete for 6 seats by number: by symmetry each wins with 6/10.
    z = make_zones(["A", "C", "B"], ["A", "C", "B"], adjacency=[[0, 0, 1], [0, 0, 1], [1, 1, 0]],
                   names=["A", "C", "B"])
    p = probabilities(z, [10, 10, 0], [5, 5, 6], draws=6000, seed=3)
    for row in (0, 1):
        assert p.matrix[row].sum() == pytest.approx(1.0)
        assert p.matrix[row, row] == pytest.approx(0.5)
        assert abs(p.matrix[row, 2] - 0.3) <= p.error_bound[row]
        assert abs(p.unplaced[row] - 0.2) <= p.error_bound[row]
    assert p.warnings == (("lottery.unplaced", {"count": 4}),)
    key, params = p.warnings[0]
    assert "4" in t(key, "zh", **params) and "4 children" in t(key, "en", **params)


def test_overflow_goes_nearest_zone_first_and_max_ring():
    # Chain A - B - C: A short by 5, B exactly full, C has 5 spare seats two steps away.
    adj = [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    z = make_zones(["A", "B", "C"], ["A", "B", "C"], adjacency=adj, names=["A", "B", "C"])
    far = probabilities(z, [10, 10, 0], [5, 10, 5], draws=200)
    assert far.matrix[0] == pytest.approx([0.5, 0, 0.5, 0])
    near = probabilities(z, [10, 10, 0], [5, 10, 5], draws=200, max_ring=1)
    assert near.matrix[0] == pytest.approx([0.5, 0, 0, 0.5])
    alone = probabilities(make_zones([0], [0]), [10], [4], draws=50)  # no neighbours at all
    assert alone.matrix[0] == pytest.approx([0.4, 0.6])


def test_zone_adjacency_from_compounds():
    unit = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]))
    z = make_zones(["a", "a", "b", "c"], ["a", "b", "c"], unit_adjacency=unit)
    assert z.names == ("a", "b", "c")
    assert z.adjacency.toarray().tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]


# --- exact vs Monte Carlo, and invariants ------------------------------------------------------------------------

def test_exact_fill_matches_every_order():
    rng = np.random.default_rng(5)
    for _ in range(20):
        seats = rng.integers(0, 9, rng.integers(1, 6))
        n = int(rng.integers(0, seats.sum() + 5))
        fills = []
        for order in itertools.permutations(range(seats.size)):
            left, fill = n, np.zeros(seats.size)
            for s in order:
                fill[s] = min(seats[s], left)
                left -= fill[s]
            fills.append(fill)
        np.testing.assert_allclose(expected_fill(seats, n), np.mean(fills, axis=0))


def test_probabilities_match_a_seeded_simulation():
    # Three zones on a path; the middle one short of seats, so both exact and simulated rows occur.
    z = make_zones([0, 0, 1, 1, 2], [0, 0, 1, 2, 2], adjacency=[[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    children, seats = [12, 8, 30, 5, 9], [15, 20, 18, 6, 9]
    p = probabilities(z, children, seats, draws=5000, seed=11)
    draws = 20000
    sim = simulate(z, children, seats, draws=draws, seed=99)
    np.testing.assert_allclose(p.matrix.sum(axis=1), 1.0)
    assert p.exact.tolist() == [True, True, False, False, True]
    # Each draw's share of a compound's children at a school lies in [0, 1]: Hoeffding bounds the mean.
    tol = hoeffding(draws) + p.error_bound[:, None]
    assert (np.abs(sim.frequency - p.matrix) <= tol).all()
    # The (independent) exact part is much tighter than the bound: a wrong closed form would show.
    assert np.abs(sim.frequency - p.matrix)[p.exact].max() < 0.02


zone_cases = st.integers(1, 4).flatmap(lambda nz: st.tuples(
    st.lists(st.integers(0, nz - 1), min_size=1, max_size=6),           # zone of each compound
    st.lists(st.integers(0, nz - 1), min_size=1, max_size=5),           # zone of each school
    st.lists(st.integers(0, 12), min_size=6, max_size=6),               # children per compound
    st.lists(st.integers(0, 15), min_size=5, max_size=5),               # seats per school
    st.lists(st.booleans(), min_size=nz * nz, max_size=nz * nz),        # adjacency
    st.just(nz)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone_cases, st.integers(0, 2**31 - 1))
def test_lottery_invariants(case, seed):
    zc, zs, kids, seats, adj, nz = case
    kids, seats = np.array(kids[:len(zc)]), np.array(seats[:len(zs)])
    adj = np.array(adj).reshape(nz, nz)
    z = make_zones(zc, zs, adjacency=adj | adj.T, names=list(range(nz)))
    draws = 60
    sim = simulate(z, kids, seats, draws=draws, seed=seed)
    # Capacities are never exceeded in any draw, and every child is counted once per draw.
    assert (sim.fill <= seats[None, :]).all() and (sim.fill >= 0).all()
    assert (sim.counts.sum(axis=1) == kids * draws).all()
    assert sim.fill.sum() + sim.counts[:, -1].sum() == kids.sum() * draws
    # Everyone is placed when every connected group of zones has seats for its children.
    _, comp = connected_components(z.adjacency, directed=False)
    need = np.bincount(comp[z.zone_of_compound], weights=kids, minlength=nz)
    have = np.bincount(comp[z.zone_of_school], weights=seats, minlength=nz)
    if (need <= have).all():
        assert sim.counts[:, -1].sum() == 0
    # Probabilities are a distribution per compound and agree with the simulation.
    p = probabilities(z, kids, seats, draws=400, seed=seed)
    rows = kids > 0
    np.testing.assert_allclose(p.matrix[rows].sum(axis=1), 1.0, atol=1e-9)
    assert (p.matrix[rows] >= -1e-12).all()
    freq = sim.frequency[rows]
    assert (np.abs(freq - p.matrix[rows]) <= hoeffding(draws) + p.error_bound[rows][:, None]).all()
    if (need <= have).all():
        assert (p.unplaced[rows] == 0).all()


def test_bad_counts_and_unknown_zone():
    z = make_zones([0], [0])
    with pytest.raises(InputError) as e:
        probabilities(z, [-1], [3])
    assert e.value.key == "lottery.bad_count"
    with pytest.raises(InputError) as e:
        make_zones(["a", "b"], ["a"], names=["a"])
    assert e.value.key == "lottery.unknown_zone" and "b" in e.value.message("zh")


# --- distances, strong schools, comparison ---------------------------------------------------------------------------

def test_expected_distance_and_strong_access():
    z = make_zones([0, 0], [0, 0])
    p = probabilities(z, [25, 15], [30, 20])
    dist = np.array([[100.0, 200.0], [300.0, 400.0]])           # schools x compounds
    np.testing.assert_allclose(expected_distance(p, dist), [0.625 * 100 + 0.375 * 300, 0.625 * 200 + 0.375 * 400])
    np.testing.assert_allclose(strong_access(p, [True, False]), [0.625, 0.625])
    # Unplaced children do not count in the expected walk: it is the walk of those placed.
    short = probabilities(make_zones([0], [0, 0]), [10], [4, 4])  # 8 of 10 placed, 4 and 4
    np.testing.assert_allclose(expected_distance(short, [[100.0], [300.0]]), [200.0])
    assert short.unplaced[0] == pytest.approx(0.2)


def test_strong_schools_rules():
    x = np.array([1.0, 3.0, 2.0, 5.0, np.nan])
    assert strong_schools(x).tolist() == [False, True, False, True, False]      # above the median 2.5
    assert strong_schools(x, threshold=2.0).tolist() == [False, True, True, True, False]
    assert strong_schools(x, top_k=1).tolist() == [False, False, False, True, False]


def test_school_strength_from_demo_columns():
    schools = pd.read_csv(DEMO / "schools.csv").rename(columns={"id": "school_id"})
    primary = schools[schools["level"].isin(["primary", "nine_year"])].reset_index(drop=True)
    s = school_strength(primary, "primary")
    by = dict(zip(primary["school_id"], s))
    assert by["P08"] == pytest.approx(100 * 18 / 745)        # backbone teachers per 100 students
    assert by["N02"] == pytest.approx(100 * 55 / 1922)       # the primary part keeps the school's ratio
    q = dict(zip(primary["school_id"], school_strength(primary, "primary", "qualified_per100")))
    assert q["P01"] == pytest.approx(100 * 41 / 630)
    assert school_strength(primary, "primary", "teachers")[0] == primary["teachers"].iloc[0]
    with pytest.raises(InputError) as e:
        school_strength(primary, "primary", "stars")
    assert e.value.key == "lottery.unknown_measure"


def test_compare_single_school_with_multi_school_zone():
    # Compound 0 is zoned to the strong school 0, compound 1 to the weak school 1; merged into one zone
    # with seats 30 + 20 for 40 children, both get 0.625 at the strong school.
    dist = np.array([[100.0, 500.0], [400.0, 200.0]])
    strong = [True, False]
    before = access_table(single_school([0, 1], 2), dist, strong, ["c0", "c1"], [25, 15])
    after = access_table(probabilities(make_zones([0, 0], [0, 0]), [25, 15], [30, 20]), dist, strong,
                         ["c0", "c1"], [25, 15])
    d = compare(before, after).set_index("compound_id")
    assert d.loc["c0", "delta_p_strong"] == pytest.approx(-0.375)
    assert d.loc["c1", "delta_p_strong"] == pytest.approx(0.625)
    assert d.loc["c0", "delta_expected_m"] == pytest.approx(0.625 * 100 + 0.375 * 400 - 100)
    assert d.loc["c1", "delta_expected_m"] == pytest.approx(0.625 * 500 + 0.375 * 200 - 200)
    s = compare_summary(compare(before, after))
    assert s["p_strong_before"] == pytest.approx(25 / 40) and s["p_strong_after"] == pytest.approx(0.625)
    assert s["children_gaining"] == 15 and s["children_losing"] == 25
