"""The alliances and multi-school zones view under AppTest: suggestion, hand-made alliances, the lottery's figures
checked against geo.equity.lottery computed directly, junior level and English."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from geo.equity.access import access_table, compare, compare_summary
from geo.equity.alliance_plan import plan_alliances
from geo.equity.alliances import AllianceRules, alliance_issues
from geo.equity.lottery import probabilities, single_school
from geo.network.distances import distance_matrix, snap
from geo.plans.edits import ADD_SCHOOL, REASSIGN, Edit
from geo.plans.store import Store
from geo.zoning.scenario import Scenario, run_scenario

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
DRAWS = 1000  # the view's default number of simulated lotteries (seed 0)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEQU_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def alliance_view() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.radio(key="view").set_value("alliances").run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The shown dataframe that has these columns."""
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0]


@pytest.fixture(scope="module")
def direct(demo_inputs):
    """The demo's primary nearest-school zoning, the default alliances and the lottery, computed without the app."""
    r = run_scenario(demo_inputs, Scenario("primary", "network"))
    plan = plan_alliances(demo_inputs, r, AllianceRules())
    children = r.assignments["children"].to_numpy()
    seats = r.schools["seats"].to_numpy()
    prob = probabilities(plan.zones, children, seats, draws=DRAWS, seed=0)
    node, off = snap(demo_inputs.network, shapely.get_coordinates(r.schools.geometry.to_numpy()))
    dist = distance_matrix(demo_inputs.network, node, off, *demo_inputs.compound_snap)
    ids = r.schools["school_id"].tolist()
    label = np.array([ids.index(s) for s in r.assignments["school_id"]])
    cids = r.assignments["compound_id"].to_numpy()
    before = access_table(single_school(label, len(ids)), dist, plan.strong, cids, children)
    after = access_table(prob, dist, plan.strong, cids, children)
    diff = compare(before, after)
    return {"result": r, "plan": plan, "prob": prob, "diff": diff, "summary": compare_summary(diff),
            "unplaced": float(children @ prob.unplaced)}


def test_view_runs_and_the_suggestion_mixes_strong_and_weak(data_dir, direct):
    at = alliance_view()
    assert at.title[0].value == "学区联盟与多校划片"
    alliances = table(at, "alliance", "n_schools", "strong", "weak")
    assert len(alliances) >= 2
    assert (alliances["strong"] >= 1).all() and (alliances["weak"] >= 1).all()
    assert alliances["n_schools"].sum() == 20
    # The same alliances as geo.equity.alliance_plan.plan_alliances with the default rules.
    plan = direct["plan"]
    assert alliances["schools"].tolist() == plan.table["schools"].tolist()
    assert not alliance_issues(plan.labels, plan.adjacency, plan.strong, plan.dist, AllianceRules(), check_size=True)
    strength = table(at, "strength", "strong")
    assert len(strength) == 20 and set(strength["strong"]) == {"优质", "薄弱"}
    assert any("派位规则" in m.value for m in at.markdown)  # the lottery rule is stated


def test_compound_probabilities_match_the_lottery(data_dir, direct):
    at = alliance_view()
    r, prob = direct["result"], direct["prob"]
    names = r.schools["name"].astype(str).tolist()
    cids = r.assignments["compound_id"].tolist()
    # One compound whose zone is exact and one that needed the simulation (if any zone is short of seats).
    picks = [cids[int(np.flatnonzero(prob.exact)[0])]]
    if (~prob.exact).any():
        picks.append(cids[int(np.flatnonzero(~prob.exact)[0])])
    for cid in picks:
        at.selectbox(key="al_compound").set_value(cid).run()
        ok(at)
        shown = table(at, "school", "probability")
        assert shown["probability"].sum() == pytest.approx(1.0, abs=1e-9)
        row = prob.matrix[cids.index(cid)]
        expected = {names[s]: row[s] for s in np.flatnonzero(row[:-1] > 0)}
        if row[-1] > 0:
            expected["未安置"] = row[-1]
        got = dict(zip(shown["school"], shown["probability"]))
        assert got.keys() == expected.keys()
        for school, p in expected.items():
            assert got[school] == pytest.approx(p, abs=1e-12)
    caps = [c.value for c in at.caption]
    assert any("精确值" in c or "模拟估算" in c for c in caps)  # the exactness of the chosen compound is stated


def test_comparison_figures_match_compare_summary(data_dir, direct):
    at = alliance_view()
    figures = table(at, "plan", "p_strong", "expected_m", "unplaced")
    s = direct["summary"]
    assert figures.iloc[0, 1:].tolist() == pytest.approx([s["p_strong_before"], s["expected_m_before"], 0.0])
    assert figures.iloc[1, 1:].tolist() == pytest.approx([s["p_strong_after"], s["expected_m_after"],
                                                          direct["unplaced"]])
    metric = {m.label: m.value for m in at.metric}
    assert metric["进入优质学校的平均概率"] == f"{s['p_strong_after']:.1%}"
    assert metric["进入优质学校机会增加的学生"] == f"{s['children_gaining']:,}"
    assert metric["进入优质学校机会减少的学生"] == f"{s['children_losing']:,}"
    # The exactness of the whole lottery is said, with its error bound where it was simulated.
    prob = direct["prob"]
    note = " ".join(i.value for i in at.info)
    if prob.exact.all():
        assert "均为精确值" in note
    else:
        assert f"{int(prob.exact.sum())} 个为精确值" in note and f"{prob.draws} 次模拟" in note
    # The largest rises, then the largest falls, of the chance of a strong school.
    changes = table(at, "delta_p_strong", "name")
    assert 0 < len(changes) <= 20
    assert changes["delta_p_strong"].is_monotonic_decreasing
    assert (changes["delta_p_strong"] > 0).any() and (changes["delta_p_strong"] < 0).any()
    gains = np.sort(direct["diff"]["delta_p_strong"].to_numpy())[::-1]
    assert changes["delta_p_strong"].iloc[0] == pytest.approx(100 * gains[0])
    assert changes["delta_p_strong"].iloc[-1] == pytest.approx(100 * gains[-1])


def test_hand_made_invalid_alliance_names_the_schools(data_dir, direct):
    at = alliance_view()
    at.radio(key="al_mode").set_value("hand").run()
    ok(at)
    assert any("符合全部规则" in s.value for s in at.success)  # pre-filled with the (valid) suggestion
    r, plan = direct["result"], direct["plan"]
    ids = r.schools["school_id"].tolist()
    lone = ids[int(np.flatnonzero(plan.strong)[0])]  # a strong school alone: no weak school, too small
    lone_name = r.schools["name"].iloc[ids.index(lone)]
    at.text_area(key="al_paste").input(f"{lone},孤岛\n").run()
    at.button(key="al_paste_apply").click().run()
    ok(at)
    warnings = [w.value for w in at.warning]
    assert any(lone_name in w and "孤岛" in w for w in warnings), warnings
    assert any("强弱搭配" in w for w in warnings)
    # Figures are still shown for the user's alliances.
    assert "孤岛" in table(at, "alliance", "n_schools")["alliance"].tolist()
    # A school that does not exist is named, and nothing breaks.
    at.text_area(key="al_paste").input("P99\t东区\n").run()
    at.button(key="al_paste_apply").click().run()
    ok(at)
    assert any("P99" in w.value for w in at.warning)


RAW_KEY = re.compile(r"\b(alliance|lottery|equity|col|app)\.[a-z_]+")


def visible_text(at: AppTest) -> list[str]:
    texts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "success")
             for e in getattr(at, kind)]
    texts += [m.label for m in at.metric] + [str(m.delta) for m in at.metric]
    for kind in ("radio", "selectbox", "number_input", "text_area", "button", "select_slider"):
        for w in getattr(at, kind):
            texts.append(str(w.label))
            texts += [str(o) for o in getattr(w, "options", [])]
    texts += [e.label for e in at.expander]
    return texts


def test_junior_level_and_english(data_dir):
    at = alliance_view()
    at.sidebar.radio(key="level").set_value("junior").run()
    ok(at)
    alliances = table(at, "alliance", "n_schools", "strong", "weak")
    assert alliances["n_schools"].sum() == 8
    assert (alliances["strong"] >= 1).all() and (alliances["weak"] >= 1).all()
    assert table(at, "school", "probability")["probability"].sum() == pytest.approx(1.0)
    at.sidebar.radio(key="lang").set_value("en").run()
    ok(at)
    assert at.title[0].value == "Alliances and multi-school zones"
    texts = visible_text(at)
    raw = [x for x in texts if RAW_KEY.search(x)]
    assert not raw, raw
    assert any("The lottery rule" in x for x in texts)
    at.radio(key="al_mode").set_value("hand").run()
    ok(at)
    raw = [x for x in visible_text(at) if RAW_KEY.search(x)]
    assert not raw, raw


def test_starts_from_a_stored_scenario_with_a_new_school(data_dir):
    db = Store(data_dir / "scenarios.sqlite")
    sid = db.create("新校方案", "demo", "primary", "demo")
    db.push(sid, Edit(ADD_SCHOOL, school="NEW01", name="新开小学", school_level="primary", capacity=1080,
                      lon=104.245, lat=30.58), 0, version=0)
    db.push(sid, Edit(REASSIGN, level="primary", pairs=(("C001", "P05"),)), 1, version=1)
    at = alliance_view()
    at.selectbox(key="al_base").set_value(sid).run()
    ok(at)
    strength = table(at, "strength", "strong")
    assert len(strength) == 21 and np.isnan(strength.set_index("school_id").at["NEW01", "strength"])
    assert strength.set_index("school_id").at["NEW01", "strong"] == "薄弱"  # no figures: never strong
    assert any("没有该指标的数据" in c.value for c in at.caption)
    alliances = table(at, "alliance", "n_schools")
    assert alliances["n_schools"].sum() == 21 and "新开小学" in "、".join(alliances["schools"])
    assert table(at, "school", "probability")["probability"].sum() == pytest.approx(1.0)
