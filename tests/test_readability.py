"""What makes the page readable (issue 15): a metric scale bar, no Deploy button, a title naming the method, no
"None" in tables, percentage points for changes of shares, warnings in a few words at the top, ids that do not
take the table's width."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import CHENGDU_OSM, require_shared
from streamlit.testing.v1 import AppTest

from geo.render.maps import base_map, zoning_map
from geo.render.notes import summarise

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
BAD_CELLS = ("None", "nan", "NaN", "<NA>", "NaT")


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def no_bad_cells(frame: pd.DataFrame) -> None:
    cells = [str(v) for v in frame.astype(object).to_numpy().ravel()]
    bad = [v for v in cells if v in BAD_CELLS or "nan%" in v]
    assert not bad, (frame.columns.tolist(), bad[:5])


def test_the_scale_bar_is_metric_only(demo_inputs):
    html = base_map(np.array([104.0, 30.0, 104.1, 30.1]), tiles=None).get_root().render()
    assert "L.control.scale({metric: true, imperial: false})" in html
    assert "L.control.scale()" not in html  # Leaflet's default also draws miles and feet
    from geo.zoning.scenario import Scenario, run_scenario

    html = zoning_map(run_scenario(demo_inputs, Scenario("junior", "straight")), tiles=None).get_root().render()
    assert "imperial: false" in html and "L.control.scale()" not in html


def test_the_page_has_no_deploy_button_and_make_app_reads_that_config():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["toolbarMode"] == "viewer"
    # `make app` starts streamlit from the project folder, where .streamlit/config.toml is read
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    (rule,) = re.findall(r"^app:.*\n\t(.*)$", make, re.M)
    assert "streamlit run app/main.py" in rule and "cd " not in rule


def test_warnings_in_a_few_words():
    warnings = [("warn.ambiguous_school", {"name": f"中学{i}"}) for i in range(20)] + [
        ("warn.capacity_estimated", {"count": 24, "primary": 1620, "junior": 1500}),
        ("warn.default_seats_cn", {"primary": 1620, "junior": 1500, "nine_year": 2700}),
        ("warn.children_estimated", {"density": 600.0, "cohort": 0.011}),
        ("warn.snap_far", {"count": 3, "metres": 300})]
    phrases = summarise(warnings)
    assert [k for k, _ in phrases] == ["warn.summary.ambiguous_school", "warn.summary.capacity_estimated",
                                       "warn.summary.children_estimated", "warn.summary.other"]
    assert phrases[0][1]["n"] == 20 and phrases[1][1]["count"] == 24 and phrases[-1][1]["n"] == 1
    assert summarise([]) == []
    # the standard behind default seats is said by its own line when no school was given default seats
    assert summarise([("warn.default_seats_cn", {})]) == [("warn.summary.other", {"n": 1})]


def test_the_title_names_the_method_and_the_comparison_speaks_in_points():
    at = AppTest.from_file(APP, default_timeout=300).run()
    ok(at)
    assert "就近入学划片（路网步行距离）" in at.title[0].value
    at.sidebar.radio(key="method").set_value("optimal").run()
    ok(at)
    assert "学位约束最优划片" in at.title[0].value and "就近入学" not in at.title[0].value
    summary = next(d.value for d in at.dataframe if "指标" in d.value.columns)
    change = summary.set_index("指标")["变化"]
    shares = [k for k in change.index if "%" in str(summary.set_index("指标").loc[k].iloc[0])]
    assert shares and all(re.fullmatch(r"[+-]\d+\.\d pp", change[k]) for k in shares), change
    for d in at.dataframe:
        no_bad_cells(d.value)
    at.sidebar.radio(key="lang").set_value("en").run()
    assert "capacity-optimal zones" in at.title[0].value


def test_the_edit_compare_table_has_dashes_for_a_closed_school(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEQU_DATA_DIR", str(tmp_path / "data"))
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.sidebar.radio(key="view").set_value("edit").run()
    at.selectbox(key="school_pick").set_value("P03").run()
    at.button(key="do_close").click().run()
    at.toggle(key="show_compare").set_value(True).run()
    ok(at)
    table = next(d.value for d in at.dataframe if "children_b" in d.value.columns)
    no_bad_cells(table)
    closed = table.set_index("school_id").loc["P03"]
    assert closed["children_b"] == "—" and closed["children_a"] != "—"


def test_chengdu_warnings_sit_at_the_top_in_a_few_words_and_ids_do_not_take_the_width():
    osm = require_shared(CHENGDU_OSM)
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="osm_path").input(str(osm)).run()
    ok(at)
    top = at.warning[0].value
    assert "20 所学校名称仅含" in top and "24 所学校按默认学位" in top and "小区学生数为估算" in top
    assert len(top) < 120  # a few words, not 23 lines
    (details,) = [e for e in at.expander if "提示" in e.label]
    assert "(23)" in details.label or "（23）" in details.label
    assert "列五中学" in details.markdown[0].value
    # the summary comes before the figures and the map
    kinds = [(type(e).__name__, str(getattr(e, "value", ""))) for e in at.main]
    first_warning = next(i for i, (k, _) in enumerate(kinds) if k == "Warning")
    the_map = next(i for i, (k, v) in enumerate(kinds) if k == "Subheader" and v == "地图")
    assert first_warning < the_map
    # two schools share the name 泡桐树小学: the ids stay, in a narrow column after the names
    table = at.dataframe[0]
    assert list(table.proto.column_order)[:2] == ["name", "school_id"]
    # 成都实验小学 has no children, so no walks: a dash, not "None"
    assert (table.value["mean_m"] == "—").any()
    no_bad_cells(table.value)
    assert json.loads(table.proto.columns)["school_id"]["width"] == "small"
