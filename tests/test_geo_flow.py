"""The LP relaxation as a min-cost flow: the same optimum as HiGHS's LP, seats held, locks kept."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.zoning.allocation import _TINY, _model, candidates, pair_cost, solve_heuristic
from geo.zoning.flow import transport


@st.composite
def relaxations(draw):
    m = draw(st.integers(1, 25))
    k = draw(st.integers(1, 6))
    dist = np.array(draw(st.lists(st.floats(10, 5000), min_size=k * m, max_size=k * m))).reshape(k, m)
    demand = np.array(draw(st.lists(st.integers(0, 150), min_size=m, max_size=m)), float)
    capacity = np.array(draw(st.lists(st.integers(0, 900), min_size=k, max_size=k)), float)
    current = np.array(draw(st.lists(st.integers(0, k - 1), min_size=m, max_size=m)))
    locked = np.where(np.array(draw(st.lists(st.booleans(), min_size=m, max_size=m))),
                      np.array(draw(st.lists(st.integers(-1, k - 1), min_size=m, max_size=m))), -1)
    stability = draw(st.sampled_from([0.0, 250.0]))
    k_nearest = draw(st.integers(1, k))
    return dist, demand, capacity, current, locked, stability, k_nearest


def highs_lp(c, demand, capacity, cost, locked):
    h = _model(c, demand, capacity, cost, locked, integer=False)
    h.run()
    import highspy

    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return float(h.getInfo().objective_function_value)


@settings(max_examples=200, deadline=None)
@given(relaxations())
def test_flow_optimum_is_the_lp_optimum(case):
    dist, demand, capacity, current, locked, stability, k_nearest = case
    c = candidates(dist, k_nearest=k_nearest, include=(locked,))
    cost = pair_cost(c, demand, current, stability)
    lp = highs_lp(c, demand, capacity, cost, locked)
    t = transport(c, demand, capacity, cost / (demand[c.unit] + _TINY), locked)
    assert t.feasible == (lp is not None)
    if lp is None:
        return
    # The flow leaves out only the _TINY weight of a child (and rounds costs to centimetres): its optimum and
    # the LP's agree to that, and its bound is below the LP's optimum.
    slack = _TINY * float(np.abs(cost / (demand[c.unit] + _TINY)).max(initial=0)) * c.n_units + 0.01 * demand.sum()
    assert t.bound <= lp + 1e-6 * max(lp, 1)
    assert abs(t.objective - lp) <= slack + 1e-6 * max(lp, 1)
    # Every child is sent, over allowed pairs only, and no school takes more than its seats.
    assert np.array_equal(np.bincount(c.unit, weights=t.flow, minlength=c.n_units), demand)
    assert (np.bincount(c.school, weights=t.flow, minlength=c.n_schools) <= np.floor(capacity) + 1e-9).all()
    lk = locked[c.unit]
    assert (t.flow[(lk >= 0) & (lk != c.school)] == 0).all()
    # Shares: each compound's add up to one.
    assert np.allclose(np.bincount(c.unit, weights=t.share, minlength=c.n_units), 1.0)


def test_flow_by_hand():
    # Two schools of 45 seats, three compounds of 30 children: the middle one is split 15/15.
    dist = np.array([[100.0, 300.0, 900.0], [900.0, 400.0, 100.0]])
    c = candidates(dist)
    t = transport(c, np.array([30, 30, 30]), np.array([45, 45]), c.dist)
    flow = {(int(u), int(s)): int(f) for u, s, f in zip(c.unit, c.school, t.flow)}
    assert flow == {(0, 0): 30, (0, 1): 0, (1, 0): 15, (1, 1): 15, (2, 0): 0, (2, 1): 30}
    assert t.objective == 30 * 100 + 15 * 300 + 15 * 400 + 30 * 100
    assert t.share.tolist() == [1.0, 0.0, 0.5, 0.5, 0.0, 1.0]
    assert transport(c, np.array([30, 30, 30]), np.array([45, 45]), c.dist, locked=np.array([1, 1, 1])).feasible \
        is False  # 90 children locked into 45 seats
    assert not transport(c, np.array([30, 30, 30]), np.array([40, 40]), c.dist).feasible  # 80 seats


def test_minimum_fill_is_paid_for():
    # One compound of 50 near school 0 (100 m), 900 m from school 1, which wants 20 children: sending 20 there
    # costs 20 x 800 m more, less than 20 x 1,000 m short.
    dist = np.array([[100.0], [900.0]])
    c = candidates(dist)
    free = transport(c, np.array([50]), np.array([100, 100]), c.dist)
    filled = transport(c, np.array([50]), np.array([100, 100]), c.dist, fill=np.array([0, 20]), short_cost=1000.0)
    cheap = transport(c, np.array([50]), np.array([100, 100]), c.dist, fill=np.array([0, 20]), short_cost=100.0)
    assert free.flow.tolist() == [50, 0]
    assert filled.flow.tolist() == [30, 20] and filled.objective == 30 * 100 + 20 * 900
    assert cheap.flow.tolist() == [50, 0] and cheap.objective == 50 * 100 + 20 * 100
    assert filled.bound <= filled.objective


@pytest.mark.parametrize("stability", [0.0, 300.0])
def test_heuristic_on_a_larger_case_fits_the_seats_with_a_small_gap(stability):
    rng = np.random.default_rng(4)
    m, k = 600, 12
    xy_u, xy_s = rng.uniform(0, 5000, (m, 2)), rng.uniform(0, 5000, (k, 2))
    dist = np.hypot(*(xy_s[:, None, :] - xy_u[None, :, :]).transpose(2, 0, 1)) * 1.3
    demand = rng.integers(5, 120, m).astype(float)
    capacity = np.round(rng.uniform(0.8, 1.2, k) * demand.sum() * 1.05 / k)
    current = np.argmin(dist, axis=0)
    c = candidates(dist, include=(current,))
    a = solve_heuristic(c, demand, capacity, current=current, stability=stability)
    assert (np.bincount(a.label, weights=demand, minlength=k) <= capacity + 1e-9).all()
    lp = highs_lp(c, demand, capacity, pair_cost(c, demand, current, stability), None)
    assert a.bound <= lp + 1e-6 * lp  # the flow's bound is the LP's
    assert a.bound >= lp * (1 - 1e-4)
    assert a.gap < 0.03
