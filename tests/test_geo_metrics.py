"""School figures: weighted quantiles against a brute force, and a school table worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.zoning.metrics import RADIUS_M, TABLE_COLUMNS, school_table, summary, weighted_quantiles


@st.composite
def grouped_values(draw):
    n_groups = draw(st.integers(1, 5))
    n = draw(st.integers(0, 40))
    group = draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n))
    # Few distinct values so ties are common; integer weights, zeros included.
    value = draw(st.lists(st.sampled_from([0.0, 1.5, 2.0, 7.0, 100.0, 250.25, 999.0]) | st.floats(0, 5000),
                          min_size=n, max_size=n))
    weight = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    return np.array(group, np.int64), np.array(value, float), np.array(weight, np.int64), n_groups


def brute(group, value, weight, n_groups, q):
    out = np.full(n_groups, np.nan)
    for k in range(n_groups):
        m = group == k
        rep = np.repeat(value[m], weight[m])
        if rep.size:
            out[k] = np.quantile(rep, q, method="inverted_cdf")
    return out


@settings(max_examples=30, deadline=None)
@given(grouped_values(), st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9, 1.0]))
def test_weighted_quantiles_match_repeat_and_quantile(case, q):
    group, value, weight, n_groups = case
    got = weighted_quantiles(group, value, weight, n_groups, q)
    np.testing.assert_array_equal(got, brute(group, value, weight, n_groups, q))


@settings(max_examples=30, deadline=None)
@given(grouped_values())
def test_weighted_minimum_is_the_groups_own_smallest_value(case):
    """q = 0: the smallest value with any weight in the group (never a neighbouring group's value)."""
    group, value, weight, n_groups = case
    got = weighted_quantiles(group, value, weight, n_groups, 0.0)
    np.testing.assert_array_equal(got, brute(group, value, weight, n_groups, 0.0))


def test_weighted_median_by_hand():
    # Group 0: values 10 (weight 1), 20 (weight 1), 30 (weight 2) -> cumulative 1, 2, 4 of 4: median 20.
    # Group 1: value 5 (weight 3), 50 (weight 1) -> median 5, p90 50. Group 2: nothing -> NaN.
    g = np.array([0, 1, 0, 0, 1])
    v = np.array([30.0, 50.0, 10.0, 20.0, 5.0])
    w = np.array([2, 1, 1, 1, 3])
    np.testing.assert_array_equal(weighted_quantiles(g, v, w, 3, 0.5), [20.0, 5.0, np.nan])
    np.testing.assert_array_equal(weighted_quantiles(g, v, w, 3, 0.9), [30.0, 50.0, np.nan])


def test_school_table_by_hand():
    # Compounds: A -> school 0, 100 children, 400 m; B -> school 0, 300 children, 600 m; C -> school 1, 50, 200 m.
    label = np.array([0, 0, 1])
    dist = np.array([400.0, 600.0, 200.0])
    children = np.array([100, 300, 50])
    t = school_table(label, dist, children, np.array(["S1", "S2"]), np.array(["甲小学", "乙小学"]),
                     np.array([800, 100]), radius=500.0)
    assert tuple(t.columns) == TABLE_COLUMNS
    assert t["school_id"].tolist() == ["S1", "S2"]
    assert t["children"].tolist() == [400, 50]
    assert t["compounds"].tolist() == [2, 1]
    np.testing.assert_allclose(t["utilisation"], [0.5, 0.5])
    np.testing.assert_allclose(t["mean_m"], [(100 * 400 + 300 * 600) / 400, 200.0])  # 550, 200
    np.testing.assert_allclose(t["median_m"], [600.0, 200.0])
    np.testing.assert_allclose(t["p90_m"], [600.0, 200.0])
    np.testing.assert_allclose(t["within_radius"], [0.25, 1.0])


def test_school_table_empty_school_and_unassigned_compound():
    label = np.array([0, -1])
    t = school_table(label, np.array([100.0, 50.0]), np.array([10, 99]), np.array(["a", "b"]),
                     np.array(["a", "b"]), np.array([20, 0]), radius=500.0)
    assert t["children"].tolist() == [10, 0]
    assert t["utilisation"].iloc[0] == 0.5 and math.isnan(t["utilisation"].iloc[1])
    assert math.isnan(t["mean_m"].iloc[1]) and math.isnan(t["median_m"].iloc[1])
    assert math.isnan(t["within_radius"].iloc[1])


def test_summary_by_hand():
    s = summary(np.array([0, 0, 1]), np.array([400.0, 600.0, 200.0]), np.array([100, 300, 50]), 500.0)
    assert s["children"] == 450
    assert s["mean_m"] == pytest.approx((40_000 + 180_000 + 10_000) / 450)
    assert s["within_radius"] == pytest.approx(150 / 450)


def test_radii_are_the_national_standard():
    assert RADIUS_M == {"primary": 500.0, "junior": 1000.0}
