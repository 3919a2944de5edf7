"""Capacity-optimal zoning a bureau can trust (issue 13): exact never worse than fast, stability monotone, no school
without a zone, and the planner's controls (minimum fill, groups kept together, a boundary band), each with a
hand-checked answer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from app.cli import cli
from geo.errors import InputError
from geo.inputs import load_inputs
from geo.inputs.demo import write_demo
from geo.zoning.allocation import InfeasibleError
from geo.zoning.contiguity import UnitGraph
from geo.zoning.scenario import (
    Scenario,
    compound_groups,
    groups_from_file,
    near_boundary,
    plan_optimal,
    run_scenario,
)

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def _rank(summary: dict) -> tuple:
    """A plan's standing, as the solvers compare plans: islands and empty schools, then the objective with each
    child short of the minimum fill charged ``fill_penalty_m`` metres (rounded off: sums in another order)."""
    score = summary["objective"] + summary["fill_penalty_m"] * summary["short_of_fill"]
    return summary["islands"] + summary["empty_schools"], round(score, -1)


def _line(m: int) -> UnitGraph:
    a = np.arange(m - 1)
    adj = sp.csr_matrix((np.ones(2 * a.size), (np.r_[a, a + 1], np.r_[a + 1, a])), shape=(m, m))
    return UnitGraph(adj, np.arange(m), np.zeros(m))


def _grid(side: int) -> tuple[UnitGraph, np.ndarray, np.ndarray]:
    m = side * side
    r, c = np.divmod(np.arange(m), side)
    pairs = [(i, i + 1) for i in range(m) if c[i] < side - 1] + [(i, i + side) for i in range(m) if r[i] < side - 1]
    a, b = np.array(pairs).T
    adj = sp.csr_matrix((np.ones(2 * a.size), (np.r_[a, b], np.r_[b, a])), shape=(m, m))
    return UnitGraph(adj, np.arange(m), np.zeros(m)), r, c


# --- 1. exact is never worse than fast

def test_exact_is_never_worse_than_fast_on_the_demo(demo_inputs):
    fast = run_scenario(demo_inputs, Scenario("primary", "optimal"))
    exact = run_scenario(demo_inputs, Scenario("primary", "optimal", solver="exact", time_limit_s=5))
    assert exact.summary["islands"] == 0 and exact.summary["over_capacity"] == 0
    assert _rank(exact.summary) <= _rank(fast.summary)
    # Without a minimum fill both meet it trivially: the walk itself is never longer.
    fast0 = run_scenario(demo_inputs, Scenario("primary", "optimal", min_fill=0))
    exact0 = run_scenario(demo_inputs, Scenario("primary", "optimal", min_fill=0, solver="exact", time_limit_s=5))
    assert exact0.summary["objective"] <= fast0.summary["objective"] + 1e-6
    assert exact0.summary["mean_m"] <= fast0.summary["mean_m"] + 1e-6


@pytest.mark.parametrize("seed", [3, 11])
def test_exact_is_never_worse_than_fast_on_random_districts(tmp_path, seed):
    out = write_demo(tmp_path, seed=seed)
    inputs = load_inputs(out / "district.osm", out / "schools.csv", out / "compounds.geojson")
    for level in ("primary", "junior"):
        try:
            fast = run_scenario(inputs, Scenario(level, "optimal", tolerance=0.05))
        except InfeasibleError:
            continue
        exact = run_scenario(inputs, Scenario(level, "optimal", tolerance=0.05, solver="exact", time_limit_s=3))
        assert _rank(exact.summary) <= _rank(fast.summary)


# --- 2. stability is monotone

@pytest.mark.parametrize("min_fill", [0.6, 0.0])
def test_a_larger_stability_weight_never_moves_more_children_on_the_demo(demo_inputs, min_fill):
    moved = [run_scenario(demo_inputs, Scenario("primary", "optimal", stability=w, min_fill=min_fill)
                          ).summary["moved_children"] for w in (0, 300, 1000)]
    assert moved[0] >= moved[1] >= moved[2], moved
    if min_fill == 0:
        assert moved[2] < moved[0]  # and the weight does something (with the minimum fill on, the plans that
        # move fewer children on the demo fall short of it, and a plan short of the minimum never wins)


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 6), st.integers(2, 4), st.integers(0, 10_000),
       st.floats(0, 3000), st.floats(0, 3000))
def test_stability_is_monotone_on_random_grids(side, k, seed, w1, w2):
    w1, w2 = sorted((w1, w2))
    rng = np.random.default_rng(seed)
    graph, r, c = _grid(side)
    m = side * side
    hosts = rng.choice(m, k, replace=False)
    dist = (np.abs(r[None, :] - r[hosts][:, None]) + np.abs(c[None, :] - c[hosts][:, None])) * 100.0 + 50.0
    children = rng.integers(1, 60, m).astype(float)
    seats = rng.uniform(0.3, 1.0, k)
    seats = seats / seats.sum() * children.sum() * rng.uniform(1.05, 1.3)
    current = dist.argmin(axis=0)
    locked = np.full(m, -1)

    def moved(w: float) -> float:
        out = plan_optimal(dist, children, seats, current, locked, graph, hosts, stability=w, time_limit=2)
        return float(children[out.label != current].sum())

    try:
        a, b = moved(w1), moved(w2)
    except InfeasibleError:
        assume(False)
        return
    assert b <= a


# --- 3. minimum fill: no open school without a zone

def test_minimum_fill_hand_checked():
    """Two schools at the same street node, four compounds of 10 children in a row, 30 seats each: walks tie,
    so without a minimum one school takes three compounds (its seats) and the other one; at 60% (18 children)
    each school gets two (20 children)."""
    graph = _line(4)
    dist = np.tile(np.arange(4) * 100.0, (2, 1))
    children = np.full(4, 10.0)
    seats = np.array([30.0, 30.0])
    current = np.zeros(4, np.int64)
    for fill, loads in ((None, {(30.0, 10.0), (10.0, 30.0)}), (np.array([18.0, 18.0]), {(20.0, 20.0)})):
        out = plan_optimal(dist, children, seats, current, np.full(4, -1), graph, np.array([0, 0]),
                           contiguous=False, fill=fill)
        assert tuple(np.bincount(out.label, weights=children, minlength=2)) in loads


def test_chengdu_has_no_school_without_a_zone_by_default(chengdu_inputs):
    plan = run_scenario(chengdu_inputs, Scenario("primary", "optimal"))
    assert plan.summary["empty_schools"] == 0
    assert (plan.table["children"] > 0).all()
    assert plan.summary["over_capacity"] == 0
    off = run_scenario(chengdu_inputs, Scenario("primary", "optimal", min_fill=0))
    empty = off.table.loc[off.table["children"] == 0, "name"].tolist()
    assert off.summary["empty_schools"] == len(empty)
    if empty:  # turned off, the schools left without a zone are reported by name, and the plan is not "optimal"
        warned = [p for k, p in off.warnings if k == "opt.empty_schools"]
        assert warned and warned[0]["count"] == len(empty) and empty[0] in warned[0]["schools"]
        assert off.summary["solver"] not in ("optimal", "contiguous")


def test_minimum_fill_turns_itself_off_when_children_are_too_few(demo_inputs):
    plan = run_scenario(demo_inputs, Scenario("primary", "optimal", min_fill=1.0, tolerance=0.2))
    assert any(k == "opt.min_fill_off" for k, _ in plan.warnings)
    assert (plan.table["children"] <= plan.table["seats"] * 1.2 + 1e-9).all()


# --- 4. planner's controls

def test_groups_from_a_column_hand_checked():
    table = pd.DataFrame({"compound_id": ["a", "b", "c", "d", "e"], "社区": ["东", "", "东", None, "西"]})
    assert compound_groups(table, Scenario(group_column="社区")).tolist() == [0, 1, 0, 2, 3]
    assert compound_groups(table, Scenario(groups=(("b", "e"),))).tolist() == [0, 1, 2, 3, 1]
    assert compound_groups(table, Scenario()) is None
    with pytest.raises(InputError) as err:
        compound_groups(table, Scenario(group_column="街道"))
    assert err.value.key == "err.group_column"


def test_grouped_compounds_go_to_one_school(demo_inputs):
    nearest = run_scenario(demo_inputs, Scenario("primary", "network")).assignments
    # Two neighbouring compounds of different nearest schools: apart they would go to different schools.
    graph = demo_inputs.unit_graph.adjacency.tocoo()
    sid = nearest["school_id"].to_numpy()
    i, j = next((a, b) for a, b in zip(graph.row, graph.col) if sid[a] != sid[b])
    ids = nearest["compound_id"].to_numpy()
    group = (str(ids[i]), str(ids[j]))
    plan = run_scenario(demo_inputs, Scenario("primary", "optimal", groups=(group,))).assignments
    got = plan.set_index("compound_id")["school_id"]
    assert got[group[0]] == got[group[1]]
    assert plan["school_id"].ne("").all()


def test_groups_from_a_file(tmp_path):
    data = json.loads((DEMO / "compounds.geojson").read_text(encoding="utf-8"))
    for n, feature in enumerate(data["features"]):
        feature["properties"]["社区"] = "一社区" if n < 3 else ""
    path = tmp_path / "compounds.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert groups_from_file(path, "社区") == (("C001", "C002", "C003"),)


def test_boundary_band_hand_checked():
    xy = np.column_stack([np.arange(10) * 100.0, np.zeros(10)])
    label = np.array([0] * 5 + [1] * 5)
    # The boundary runs at x = 450: within 100 m of it are the compounds at 400 and 500 ... and, counting the
    # midway rule (another zone's compound within 200 m), those at 300 and 600 too.
    assert near_boundary(xy, label, 100.0).tolist() == [False] * 3 + [True] * 4 + [False] * 3
    assert near_boundary(xy, label, 40.0).tolist() == [False] * 10


def test_only_compounds_near_a_boundary_move(demo_inputs):
    nearest = run_scenario(demo_inputs, Scenario("primary", "network")).assignments
    start = nearest["school_id"].to_numpy()
    school_index = {s: n for n, s in enumerate(sorted(set(start)))}
    near = near_boundary(demo_inputs.compound_xy, np.array([school_index[s] for s in start]), 600.0)
    assert 0 < near.sum() < len(near)
    plan = run_scenario(demo_inputs, Scenario("primary", "optimal", boundary_band_m=600.0, min_fill=0,
                                              contiguous=False))
    moved = plan.assignments["school_id"].to_numpy() != start
    assert moved.any() and not (moved & ~near).any()


def test_a_plan_with_islands_is_never_called_optimal(demo_inputs):
    near = run_scenario(demo_inputs, Scenario("primary", "network")).assignments
    far = near.iloc[int(near["straight_m"].to_numpy().argmax())]
    xy = demo_inputs.compound_xy
    other = int(((xy - xy[near.index.get_loc(far.name)]) ** 2).sum(axis=1).argmax())
    pair = (str(far["compound_id"]), str(near["school_id"].iloc[other]))
    plan = run_scenario(demo_inputs, Scenario("primary", "optimal", solver="exact", locked=(pair,), time_limit_s=3))
    assert plan.summary["islands"] >= 1
    assert plan.summary["solver"] not in ("optimal", "contiguous")


def test_cli_takes_the_new_controls(tmp_path):
    data = json.loads((DEMO / "compounds.geojson").read_text(encoding="utf-8"))
    for n, feature in enumerate(data["features"]):
        feature["properties"]["社区"] = f"社区{n // 4}"
    path = tmp_path / "compounds.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    res = CliRunner().invoke(cli, ["zones", "--network", str(DEMO / "district.osm"), "--schools",
                                   str(DEMO / "schools.csv"), "--demand", str(path), "--method", "optimal",
                                   "--tolerance", "0.1", "--min-fill", "0.5", "--group-column", "社区",
                                   "--boundary-band", "500", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    import geopandas as gpd

    a = gpd.read_file(tmp_path / "out" / "assignments.geojson")
    a["group"] = [int(c[1:]) - 1 for c in a["compound_id"]]
    a["group"] //= 4
    assert (a.groupby("group")["school_id"].nunique() == 1).all()
    bad = CliRunner().invoke(cli, ["zones", "--network", str(DEMO / "district.osm"), "--schools",
                                   str(DEMO / "schools.csv"), "--demand", str(path), "--method", "optimal",
                                   "--group-column", "街道", "--out", str(tmp_path / "out2"), "--lang", "en"])
    assert bad.exit_code == 2 and "has no column" in bad.output


def test_the_page_offers_the_new_controls_in_both_languages():
    from streamlit.testing.v1 import AppTest

    from app.state import scenario_from_state

    s = scenario_from_state({"method": "optimal", "min_fill": 50, "boundary_band": 400, "group_column": " 社区 "})
    assert (s.min_fill, s.boundary_band_m, s.group_column) == (0.5, 400.0, "社区")
    assert scenario_from_state({"method": "optimal"}).min_fill == 0.6
    at = AppTest.from_file(str(DEMO.parents[1] / "app" / "main.py"), default_timeout=120).run()
    at.sidebar.radio(key="method").set_value("optimal").run()
    assert not at.exception and not at.error
    assert at.sidebar.number_input(key="min_fill").label.startswith("最低招生比例")
    at.sidebar.radio(key="lang").set_value("en").run()
    assert at.sidebar.number_input(key="min_fill").label.startswith("Minimum fill")
    assert at.sidebar.number_input(key="boundary_band").label.startswith("Only move compounds")
    assert at.sidebar.text_input(key="group_column").label.startswith("Keep together")
    at.sidebar.text_input(key="group_column").set_value("街道").run()
    assert not at.exception
    assert at.error and "no column '街道'" in at.error[0].value  # explained in the page, not a traceback


def test_contiguity_inside_the_exact_model_hand_checked():
    """Five compounds in a row, school A in the first, B in the last. Alone, compound 3 walks to A (100 m vs
    500 m) though 2 goes to B: both catchments are in pieces. Whole catchments: 2 joins A (+300 m per child;
    total 600 m) rather than 2 and 3 going to B (total 700 m)."""
    from geo.zoning.allocation import candidates, solve_exact
    from geo.zoning.exact_contiguous import pieces, solve_contiguous_exact

    adj = _line(5).adjacency
    dist = np.array([[0, 100, 400, 100, 900], [900, 500, 100, 500, 0]], float)
    children = np.full(5, 10.0)
    seats = np.array([100.0, 100.0])
    c = candidates(dist)
    plain = solve_exact(c, children, seats)
    assert plain.label.tolist() == [0, 0, 1, 0, 1]
    # Both catchments are in pieces: 3 is cut off from A, and 2 from B.
    assert [(j, p.tolist()) for j, p in pieces(adj, plain.label, np.array([0, 4]))] == [(0, [3]), (1, [2])]
    whole = solve_contiguous_exact(c, children, seats, adj, np.array([0, 4]))
    assert whole is not None and whole.proven and whole.cuts >= 1
    assert whole.label.tolist() == [0, 0, 0, 0, 1]
    assert whole.objective == pytest.approx(600 * 10.001)


# --- 3b. the optimality gap shown is proven for the plan's own cost (walks), or said to be not proven

@pytest.mark.parametrize("solver", ["fast", "exact"])
@pytest.mark.parametrize("contiguous", [True, False])
def test_gap_hand_checked_when_the_bound_must_not_count_the_fill(solver, contiguous):
    """Schools A (in compound 0) and B (in compound 1); compound 0 has 10 children, 1 has 20. A: 30 seats, walks
    100 m from both; B: 20 seats, 300 m from 0, 200 m from 1, and a minimum fill of 25 children it can never reach.
    Every solver's best plan puts 1 in B (walk 10 x 100 + 20 x 200 = 5,000 m, 5 children short). The MIP's bound
    with the fill is 15,000 (5,000 + 2,000 m per child short: twice the longest walk, at least 1,000 m): above
    the plan's walk, so it bounds no walk (the old gap was 0). The best walk of any plan is 3,000 m (both in A),
    so the gap is (5,000 - 3,000) / 5,000 = 40%."""
    graph = _line(2)
    dist = np.array([[100.0, 100.0], [300.0, 200.0]])
    children = np.array([10.0, 20.0])
    out = plan_optimal(dist, children, np.array([30.0, 20.0]), np.zeros(2, np.int64), np.full(2, -1), graph,
                       np.array([0, 1]), solver=solver, contiguous=contiguous, fill=np.array([0.0, 25.0]),
                       time_limit=5)
    assert out.label.tolist() == [0, 1]
    assert out.objective == pytest.approx(100 * 10.001 + 200 * 20.001)
    assert out.bound_kind == "free"  # the relaxation without the fill: no plan walks less than it
    assert 3000 - 1 < out.bound <= 3000 * 1.000001
    assert out.gap == pytest.approx(0.4, abs=1e-3)
    assert out.objective <= out.bound / (1 - out.gap) * (1 + 1e-9)
    if solver == "exact":  # the bound that was shown before: a bound of walk + the fill's charge, not of the walk
        assert out.model_bounds["fill"] == pytest.approx(15000, rel=1e-3) and out.model_bounds["fill"] > out.objective


@pytest.mark.parametrize("solver, gap", [("fast", 0.2), ("exact", 0.0)])
def test_gap_hand_checked_lp_bound_and_proven_optimum(solver, gap):
    """Compound 0 (10 children) and 1 (20), schools A and B of 20 seats; A is 100 m from both, B 400 m from 0 and
    200 m from 1. The relaxation splits 1 (A: 0 and half of 1) for 4,000 m; the best whole plan (0 in A, 1 in B)
    walks 5,000 m. The fast plan is that optimum with the LP bound: gap (5,000 - 4,000) / 5,000 = 20%; the exact
    MIP proves the optimum: gap 0."""
    out = plan_optimal(np.array([[100.0, 100.0], [400.0, 200.0]]), np.array([10.0, 20.0]), np.array([20.0, 20.0]),
                       np.zeros(2, np.int64), np.full(2, -1), _line(2), np.array([0, 1]), solver=solver, time_limit=5)
    assert out.label.tolist() == [0, 1]
    assert out.objective == pytest.approx(5000.3)
    assert out.gap == pytest.approx(gap, abs=1e-3)
    assert out.bound <= out.objective


def test_gap_not_proven_for_a_plan_outside_every_model():
    """A plan over a school's seats is no plan of any model: no bound is proven for it, and its gap is NaN
    (shown as "not proven"), not 0."""
    from geo.zoning.allocation import candidates
    from geo.zoning.scenario import OptimalPlan, proven_bound

    dist = np.array([[100.0, 100.0], [400.0, 200.0]])
    args = (candidates(dist), dist, np.array([10.0, 20.0]), np.array([20.0, 20.0]), np.zeros(2, np.int64),
            np.full(2, -1), 0.0)
    bound, kind = proven_bound(np.array([0, 0]), 3000.3, [(2000.0, "free")], *args)
    assert np.isnan(bound) and kind == ""
    assert np.isnan(OptimalPlan(np.array([0, 0]), bound, "heuristic", 0.0, 0, 0.0, 3000.3).gap)
    # Within the seats the same bound holds; a "fill" bound above the plan's walk, for a plan short of the fill,
    # does not count (the relaxation without the fill is solved instead).
    assert proven_bound(np.array([0, 1]), 5000.3, [(4000.0, "free")], *args) == (4000.0, "free")
    bound, kind = proven_bound(np.array([0, 1]), 5000.3, [(7000.0, "fill")], *args, fill=np.array([0.0, 25.0]))
    assert kind == "free" and bound == pytest.approx(4000.0, abs=1)


@pytest.mark.parametrize("solver", ["fast", "exact"])
def test_chengdu_gap_with_the_lowered_fill_is_proven_for_the_walk(chengdu_inputs, solver):
    """Central Chengdu: the minimum fill is lowered (four schools in one block) and the plan still falls short of
    it, so the solvers' bounds with the fill (which charge each child short) are above its walk. The gap shown
    is either proven against a bound of the walk itself or 'not proven' — never the old 0.00%."""
    plan = run_scenario(chengdu_inputs, Scenario("primary", "optimal", solver=solver, time_limit_s=8))
    lowered = [p for k, p in plan.warnings if k in ("opt.fill_lowered", "opt.fill_lowered_short")]
    assert lowered
    s = plan.summary
    gap, bound, cost = s["gap"], s["bound"], s["objective"]
    if np.isnan(gap):
        assert np.isnan(bound) and s["bound_kind"] == ""
        return
    assert 0 < gap < 1 and bound <= cost and cost * (1 - gap) == pytest.approx(bound)
    # The plan is short of even the lowered fill: only the bound without the fill bounds its walk.
    t = plan.table
    short = np.maximum(t["seats"].to_numpy() * lowered[0]["fill"] - t["children"].to_numpy(), 0).sum()
    if short > 1e-6:
        assert s["bound_kind"] == "free"
    if solver == "exact":
        assert np.isnan(s["fast_gap"]) or 0 <= s["fast_gap"] < 1


def test_a_cancelled_contiguous_exact_solve_says_interrupted(demo_inputs):
    """Cancel during the exact model with contiguity inside: the plan returned is the best so far and is marked
    "interrupted" (the page keeps it apart and does not cache it as finished), not "time_limit"."""
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 3  # the fast plan is made; the exact solve is stopped at once

    r = run_scenario(demo_inputs, Scenario("junior", "optimal", solver="exact", time_limit_s=60), should_stop=stop)
    assert r.summary["solver"] == "interrupted"
    assert (r.assignments["school_id"] != "").all()  # still a whole plan
