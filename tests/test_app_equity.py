"""The balanced-development view (优质均衡) under AppTest, on the demo district: its figures are those of
geo.equity.audit / geo.equity.exchange computed directly; levels, languages, teacher moves, suggestions, uploads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.equity_view import state_key
from app.state import demo_dataset
from geo.equity import audit as equity
from geo.equity import exchange, inequality
from geo.inputs import load_schools

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
DEMO = ROOT / "data" / "demo"
DKEY = state_key(demo_dataset())


@pytest.fixture(scope="module")
def schools():
    return load_schools(DEMO / "schools.csv")[0]


def _equity(level: str = "primary") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["level"] = level  # what the sidebar radio sets
    at.run()
    at.sidebar.radio(key="view").set_value("equity").run()
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has all ``columns``."""
    for df in at.dataframe:
        v = df.value
        if set(columns) <= set(v.columns):
            return v
    raise AssertionError(f"no table with {columns}")


def _check_audit(at: AppTest, schools, level: str) -> None:
    shown = table(at, "lowest_ratio", "not_met", "passes")
    expected = equity.audit_schools(schools)
    expected = expected[expected["level"] == level].reset_index(drop=True)
    assert list(shown["school_id"]) == list(expected["school_id"])
    for key in equity.INDICATOR_KEYS:
        np.testing.assert_allclose(shown[key].to_numpy(float), expected[key].to_numpy(float), rtol=1e-9)
    assert list(shown["met"]) == list(expected["met"])
    assert list(shown["passes"]) == list(expected["passes"])
    np.testing.assert_allclose(shown["lowest_ratio"], expected["lowest_ratio"] * 100, rtol=1e-9)


def _check_cv(at: AppTest, schools, level: str) -> None:
    shown = table(at, "cv", "limit_2017", "passes_2017").set_index("indicator")
    b = equity.balance(schools, level)
    np.testing.assert_allclose(shown.loc[b.table.index, "cv"], b.table["cv"], rtol=1e-9)
    assert (shown["limit_2017"] == equity.CV_LIMITS["2017"][level]).all()
    assert (shown["limit_2012"] == equity.CV_LIMITS["2012"][level]).all()
    assert list(shown.loc[b.table.index, "passes_2017"]) == list(b.table["passes_2017"])
    composite = [m for m in at.metric if m.label == "综合差异系数"]
    assert composite and composite[0].value == f"{b.composite_cv:.3f}"
    top = table(at, "share", "above_mean")
    worst = b.table["cv"].div(b.table["limit_2017"]).idxmax()
    assert list(top["school_id"]) == list(b.top(worst, 5)["school_id"])


def test_view_runs_on_the_demo_and_shows_the_audit_and_coefficients(schools):
    at = _equity()
    _ok(at)
    assert at.title[0].value == "义务教育优质均衡"
    assert [t.label for t in at.tabs] == ["督导评估", "差异系数", "基尼 · 泰尔 · 洛伦兹", "班额", "集团化办学", "教师交流轮岗"]
    _check_audit(at, schools, "primary")
    _check_cv(at, schools, "primary")
    # class sizes of the level, with their bands
    cs = table(at, "average_class_size", "band_text")
    expected = equity.class_sizes(schools)
    expected = expected[expected["level"] == "primary"]
    np.testing.assert_allclose(cs["average_class_size"], expected["average_class_size"])
    assert (cs["band_text"] == expected["band"].map({"standard": "标准班额以内", "above_standard": "超过标准班额",
                                                      "large": "大班额（56–65 人）",
                                                      "super_large": "超大班额（66 人及以上）"}).to_numpy()).all()
    # Gini of the first indicator, weighted by students
    inq = inequality.resource_inequality(schools, equity.INDICATOR_KEYS[0], level="primary")
    assert {m.label: m.value for m in at.metric}["基尼系数"] == f"{inq.gini:.3f}"
    # the demo's education groups, their children and the lead's audit
    groups = table(at, "group_name", "lead_passes", "children")
    assert list(groups["group_id"]) == ["G1", "G2"]
    assert groups["children"].sum() > 0 and groups["share"].between(0, 100).all()


def test_junior_level(schools):
    at = _equity("junior")
    _ok(at)
    _check_audit(at, schools, "junior")
    _check_cv(at, schools, "junior")
    assert (table(at, "cv", "limit_2017")["limit_2017"] == 0.45).all()


def test_switching_level_in_the_page(schools):
    at = _equity()
    at.sidebar.radio(key="level").set_value("junior").run()
    _ok(at)
    _check_audit(at, schools, "junior")


def _texts(at: AppTest) -> list[str]:
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    out += [t.label for t in at.tabs] + [e.label for e in at.expander]
    for kind in ("selectbox", "radio", "checkbox", "button", "number_input"):
        for w in getattr(at, kind):
            out.append(w.label)
            out += [str(o) for o in getattr(w, "options", [])]
    out += [d.proto.columns for d in at.dataframe]  # the column labels (column_config, JSON)
    return out


def test_english_mode_has_no_raw_keys():
    at = _equity()
    at.sidebar.radio(key="lang").set_value("en").run()
    _ok(at)
    assert at.title[0].value == "Balanced development of compulsory education"
    assert [t.label for t in at.tabs][:2] == ["Audit", "Coefficients of variation"]
    texts = _texts(at)
    raw = [s for s in texts if re.search(r"\b(equity|exchange)\.[a-z_]+", s)]
    assert not raw, raw
    labels = " ".join(texts)
    assert "Backbone /100" in labels and "Composite coefficient" in labels
    at.sidebar.radio(key="lang").set_value("zh").run()
    _ok(at)
    assert at.title[0].value == "义务教育优质均衡"


def test_a_teacher_move_changes_the_coefficient_shown(schools):
    at = _equity()
    before = table(at, "cv_before", "cv_after", "passes_after").set_index("indicator")
    assert before.loc["backbone_per100", "cv_after"] == pytest.approx(before.loc["backbone_per100", "cv_before"])
    move = {"from_school": "P08", "to_school": "P03", "category": "backbone", "teachers": 3}
    at.session_state[f"eq_moves_ed_{DKEY}_0"] = {"edited_rows": {}, "added_rows": [move], "deleted_rows": []}
    at.run()
    _ok(at)
    shown = table(at, "cv_before", "cv_after", "passes_after").set_index("indicator")
    effect = exchange.exchange_effect(schools, [move]).table.set_index(["level", "indicator"])
    expected = effect.loc[("primary", "backbone_per100")]
    assert shown.loc["backbone_per100", "cv_after"] == pytest.approx(expected["cv_after"])
    assert shown.loc["backbone_per100", "cv_after"] < shown.loc["backbone_per100", "cv_before"] - 0.01
    assert shown.loc["qualified_per100", "cv_after"] == pytest.approx(shown.loc["qualified_per100", "cv_before"])
    touched = table(at, "backbone_per100_after", "passes_after", "met_after")
    assert set(touched["school_id"]) == {"P08", "P03"}


def test_a_bad_move_is_explained_and_changes_nothing():
    at = _equity()
    move = {"from_school": "P03", "to_school": "P08", "category": "backbone", "teachers": 40}
    at.session_state[f"eq_moves_ed_{DKEY}_0"] = {"edited_rows": {}, "added_rows": [move], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert at.error and "天河小学" in at.error[0].value  # the school that has too few teachers, by name
    shown = table(at, "cv_before", "cv_after", "passes_after")
    np.testing.assert_allclose(shown["cv_after"], shown["cv_before"])


@pytest.mark.parametrize("level", ["primary", "junior"])
def test_suggest_shows_moves_that_bring_the_coefficients_under(schools, level):
    at = _equity(level)
    at.button(key="eq_suggest").click().run()
    _ok(at)
    moves = table(at, "from_name", "to_name", "teachers")
    assert len(moves) >= 1 and (moves["teachers"] > 0).all()
    sug = table(at, "cv_before", "cv_after", "moved", "limit").set_index("category")
    limit = equity.CV_LIMITS["2017"][level]
    assert (sug["cv_after"] <= limit + 1e-9).all()
    assert sug.loc["backbone", "cv_before"] > limit
    expected = exchange.suggest_moves(schools, level)
    assert moves["teachers"].sum() == expected.teachers_moved
    # the suggestion goes into the moves table, and the coefficients shown follow it
    at.button(key="eq_sugg_use").click().run()
    _ok(at)
    shown = table(at, "cv_before", "cv_after", "passes_after").set_index("indicator")
    assert shown.loc["backbone_per100", "cv_after"] <= limit
    assert shown["passes_after"].loc[list(exchange.INDICATOR_OF.values())].all()


def test_suggest_within_groups():
    at = _equity()
    at.checkbox(key="eq_sugg_within").check().run()
    at.button(key="eq_suggest").click().run()
    _ok(at)
    groups = pd.read_csv(DEMO / "groups.csv").set_index("school_id")["group_id"]
    if any(w for w in at.warning):  # no moves within the groups can do it: explained
        assert at.warning[0].value
    else:
        moves = table(at, "from_name", "to_name", "teachers")
        assert (moves["from_school"].map(groups) == moves["to_school"].map(groups)).all()


def _upload(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader(key=f"eq_stats_up_{DKEY}").set_value((name, data, "text/csv"))
    at.run()


def test_a_bad_statistics_upload_is_named_and_changes_nothing(schools):
    at = _equity()
    audit_before = table(at, "lowest_ratio", "not_met", "passes")
    _upload(at, "stats.csv", "school_id,backbone_teachers\nP01,9\nP99,3\n".encode())
    assert not at.exception
    assert at.error and "P99" in at.error[0].value and "stats.csv" in at.error[0].value
    assert "第 2 行" in at.error[0].value
    pd.testing.assert_frame_equal(table(at, "lowest_ratio", "not_met", "passes"), audit_before)
    _check_cv(at, schools, "primary")


def test_statistics_upload_joins_by_name_in_gbk():
    at = _equity()
    stats = "学校名称,骨干教师数\n芳潼小学,30\n"  # a Chinese alias of backbone_teachers, matched by name
    _upload(at, "统计.csv", stats.encode("gbk"))
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("统计.csv" in s.value for s in at.success)
    assert any("25 / 26" in w.value for w in at.warning)  # the schools it does not cover
    audit = table(at, "lowest_ratio", "not_met", "passes").set_index("school_id")
    assert audit.loc["P01", "backbone_per100"] == pytest.approx(100 * 30 / 630)
    # stop using it: back to the schools file
    at.button(key=f"eq_stats_remove_{DKEY}").click().run()
    assert not at.exception
    audit = table(at, "lowest_ratio", "not_met", "passes").set_index("school_id")
    assert audit.loc["P01", "backbone_per100"] == pytest.approx(100 * 7 / 630)


def test_invalid_groups_are_named():
    at = _equity()
    edits = {"edited_rows": {"1": {"role": "lead"}},  # G1 gets a second lead
             "added_rows": [{"group_id": "G3", "group_name": "新集团", "school_id": "X99", "role": "lead"}],
             "deleted_rows": []}
    at.session_state[f"eq_groups_ed_{DKEY}_0"] = edits
    at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "X99" in errors and "春昌小学教育集团" in errors
    # the last valid groups are still used
    assert list(table(at, "group_name", "lead_passes", "children")["group_id"]) == ["G1", "G2"]


def test_group_strength_by_a_column_threshold():
    at = _equity()
    at.radio(key="eq_strong_how").set_value("column").run()
    at.selectbox(key="eq_strong_col").set_value("backbone_per100").run()
    at.number_input(key="eq_strong_at_backbone_per100").set_value(2.0).run()
    _ok(at)
    groups = table(at, "group_name", "lead_passes", "children").set_index("group_id")
    # P08 has 2.42 backbone teachers per 100 students, N02's primary part 55 * 1331 / 1922 / 1331 * 100 = 2.86
    assert groups["strong"].all()
    at.number_input(key="eq_strong_at_backbone_per100").set_value(2.6).run()
    groups = table(at, "group_name", "lead_passes", "children").set_index("group_id")
    assert not groups.loc["G1", "strong"] and groups.loc["G2", "strong"]
    share = [m.value for m in at.metric if "划入优质" in m.label][0]
    assert share == f"{groups.loc['G2', 'children'] / 20000:.1%}"


def test_grouping_by_education_group_decomposes_theil(schools):
    at = _equity()
    at.selectbox(key="eq_ineq_group").set_value("_education_group").run()
    _ok(at)
    g = table(at, "student_share", "resource_share", "within_part")
    assert set(g["group"]) == {"春昌小学教育集团", "蜀设九年一贯制学校教育集团"}
    metrics = {m.label: float(m.value) for m in at.metric if m.label in ("泰尔指数", "组间", "组内")}
    assert metrics["组间"] + metrics["组内"] == pytest.approx(metrics["泰尔指数"], abs=2e-4)
    assert metrics["组间"] > 0
    assert json.loads(at.dataframe[0].proto.columns)  # column labels are set


def test_schools_without_statistics_are_explained_and_an_upload_completes_them(tmp_path, schools):
    """A schools file with no resource columns: every tab says what is missing; the user's statistics
    (here the demo's own table, which has lon/lat too) make the audit work."""
    bare = tmp_path / "bare.csv"
    pd.read_csv(DEMO / "schools.csv")[["id", "name", "level", "capacity", "lon", "lat"]].to_csv(bare, index=False)
    at = _equity()
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="osm_path").input(str(DEMO / "district.osm")).run()
    at.sidebar.text_input(key="schools_path").input(str(bare)).run()
    assert not at.exception
    assert at.error and all("students" in e.value for e in at.error)
    assert any("上传" in i.value for i in at.info)
    up = [u for u in at.file_uploader if (u.key or "").startswith("eq_stats_up_")]
    assert len(up) == 1 and up[0].key != f"eq_stats_up_{DKEY}"  # kept per dataset
    up[0].set_value(("schools.csv", (DEMO / "schools.csv").read_bytes(), "text/csv"))
    at.run()
    _ok(at)
    _check_audit(at, schools, "primary")


def test_groups_layer_escapes_names_and_draws_lead_lines(schools):
    import folium

    from geo.render.maps import base_map, groups_layer, groups_legend

    s = schools.copy()
    s.loc[s["school_id"] == "P08", "name"] = "<script>alert(1)</script>"
    groups = pd.DataFrame({"group_id": ["G", "G", "G"], "group_name": ["<b>集团</b>"] * 3,
                           "school_id": ["P08", "P13", "J03"], "role": ["lead", "member", "member"]})
    fg = groups_layer(s, groups, lang="en")
    lines = [c for c in fg._children.values() if isinstance(c, folium.PolyLine)]
    dots = [c for c in fg._children.values() if isinstance(c, folium.CircleMarker)]
    assert len(lines) == 2 and len(dots) == len(s)
    m = base_map(s.total_bounds, tiles=None)
    fg.add_to(m)
    m.add_child(groups_legend(groups, "en"))
    page = m.get_root().render()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<b>集团</b>" not in page.replace("\\u003c", "<").replace("\\u003e", ">")
