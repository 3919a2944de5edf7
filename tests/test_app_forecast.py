"""The forecast view (学位预警) under AppTest, on the demo district: its figures are geo.forecast's, computed
directly; the year slider, both languages, events, a bad upload named in the page."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.forecast.load import load_forecast_inputs
from geo.forecast.run import forecast_zoning
from geo.inputs import load_inputs
from geo.zoning.scenario import Scenario, run_scenario

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
DEMO = ROOT / "data" / "demo"


def _forecast_page(level: str = "primary", lang: str = "zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["level"] = level
    at.session_state["lang"] = lang
    at.run()
    at.sidebar.radio(key="view").set_value("forecast").run()
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _direct(level: str = "primary"):
    inputs = load_inputs(DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson")
    result = run_scenario(inputs, Scenario(level, "network"))
    data = load_forecast_inputs(inputs.compounds, ages=DEMO / "ages.csv", history=DEMO / "enrolment_history.csv",
                                housing=DEMO / "housing.csv", schools=inputs.schools)
    return forecast_zoning(inputs, result, data, housing_file="housing.csv")


def test_view_shows_the_forecast_of_the_demo():
    at = _forecast_page()
    _ok(at)
    assert at.title[0].value.startswith("学位预警")
    fc = _direct()
    shown = next(d.value for d in at.dataframe if "level" in d.value.columns)
    assert len(shown) == len(fc.warnings)
    pd.testing.assert_series_equal(shown["enrolment"].reset_index(drop=True),
                                   fc.warnings["enrolment"].reset_index(drop=True), check_names=False)
    year = at.select_slider(key="fc_year")
    assert year.value == 2026
    counts = fc.schools[fc.schools["year"] == 2026]["level"].value_counts()
    red = next(m for m in at.metric if m.label.startswith("红色"))
    assert int(red.value) == int(counts.get("red", 0))
    year.set_value(2033).run()
    _ok(at)
    counts = fc.schools[fc.schools["year"] == 2033]["level"].value_counts()
    blue = next(m for m in at.metric if m.label.startswith("蓝色"))
    assert int(blue.value) == int(counts.get("blue", 0))
    assert len(at.get("download_button")) == 5  # CSV, XLSX, warnings, GeoJSON of the year, GeoJSON of every year
    assert any("Base year calibrated" in c.value or "逐校校准" in c.value for c in at.caption)


def test_junior_level_in_english_has_no_raw_keys():
    at = _forecast_page("junior", "en")
    _ok(at)
    texts = [str(e.value) for kind in ("title", "markdown", "caption", "info", "subheader") for e in getattr(at, kind)]
    texts += [m.label for m in at.metric] + [e.label for e in at.expander]
    raw = [s for s in texts if re.search(r"\bforecast\.[a-z_.]+", s)]
    assert not raw, raw
    assert at.title[0].value.startswith("Seats over the next decade")
    assert any("Grade-progression ratios" in s for s in texts)


def test_an_event_adds_seats_from_its_year():
    at = _forecast_page()
    before = _direct().seats.sum(axis=0)
    at.session_state["fc_events"] = {"added_rows": [{"year": 2030, "kind": "open", "school": "NEW", "seats": 900}],
                                     "edited_rows": {}, "deleted_rows": []}
    at.run()
    _ok(at)
    md = " ".join(m.value for m in at.markdown)
    assert f"{int(before[0]):,}" in md  # the first year's seats are unchanged
    shown = next(d.value for d in at.dataframe if "level" in d.value.columns)
    new = shown[shown["school_id"] == "NEW"]
    assert sorted(new["year"]) == list(range(2030, 2036))  # open from 2030 with no compounds: seats idle
    assert (new["seats"] == 900).all() and (new["enrolment"] == 0).all()
    at.session_state["fc_events"] = {"added_rows": [{"year": 2030, "kind": "merge", "school": "P99"}],
                                     "edited_rows": {}, "deleted_rows": []}
    at.run()
    assert not at.exception and any("第 1 行" in w.value for w in at.warning)  # an unknown school: named, left out
    fc = _direct()
    first = fc.compounds[(fc.compounds["year"] == 2029) & (fc.compounds["compound_id"].isin(["C001", "C002"]))]
    at.session_state["fc_events"] = {"added_rows": [{"year": 2029, "kind": "open", "school": "NEW", "seats": 500,
                                                     "compounds": "C001, C002"}],
                                     "edited_rows": {}, "deleted_rows": []}
    at.run()
    _ok(at)
    shown = next(d.value for d in at.dataframe if "level" in d.value.columns)
    new = shown[(shown["school_id"] == "NEW") & (shown["year"] == 2029)]
    assert len(new) == 1 and new["enrolment"].iloc[0] == pytest.approx(first["enrolment"].sum(), abs=0.1)


def test_a_stored_plan_is_forecast_and_compared_with_the_base():
    from geo.plans.edits import REASSIGN, Edit, History
    from geo.plans.store import Store

    inputs = load_inputs(DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson")
    base = run_scenario(inputs, Scenario("primary", "network"))
    a = base.assignments
    target = base.table["school_id"].iloc[0]
    moved = a.loc[a["school_id"] != target, "compound_id"].iloc[:20].tolist()
    edit = Edit(REASSIGN, level="primary", pairs=tuple((c, target) for c in moved))
    sid = Store().create("预测测试方案", "demo", "primary", history=History().push(edit))
    at = _forecast_page()
    at.selectbox(key="fc_plan").set_value(sid).run()
    _ok(at)
    assert "预测测试方案" in " ".join(m.value for m in at.markdown)
    compare = next(d.value for d in at.dataframe if "moved" in d.value.columns)
    assert len(compare) == 10 and (compare["moved"] > 0).all()  # the 20 compounds' pupils move every year
    assert any("预测测试方案" in c.value for c in at.caption)


def test_the_school_chart_says_which_line_is_seats():
    import pandas as pd

    from app.forecast_view import _school_chart

    schools = pd.DataFrame({"school_id": ["A", "A"], "name": ["甲小学", "甲小学"], "year": [2026, 2027],
                            "enrolment": [900, 950], "seats": [1000, 1000]})
    spec = _school_chart(type("F", (), {"schools": schools})(), ["A"], "en").to_dict()
    dash = spec["encoding"]["strokeDash"]
    from geo.render.i18n import t

    assert dash["scale"]["domain"] == [t("forecast.chart.enrolment", "en"), t("forecast.chart.seats", "en")]
    assert dash["scale"]["range"][0] != dash["scale"]["range"][1]  # solid and dashed
    assert dash["legend"]["symbolStrokeColor"] and dash["legend"]["symbolType"] == "stroke"


def test_columns_under_other_names_are_mapped_in_the_page():
    at = _forecast_page()
    at.text_input(key="fc_map").set_value("compound_id=编号").run()
    assert not at.exception
    assert at.error and "表.字段=列名" in at.error[0].value  # said in the page, nothing computed from it
    at.text_input(key="fc_map").set_value("ages.compound_id=compound_id; history.school_id=school_id").run()
    _ok(at)
