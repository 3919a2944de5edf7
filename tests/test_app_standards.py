"""China's planning standards are defaults a planner can change in the page (issue 12): the GB 50180 service radius
and the GB 50099 default seats, each said as a default or as set."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
DEMO = ROOT / "data" / "demo"


def _summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "服务半径" in m.value)


def test_the_radius_and_default_seats_are_chinese_defaults_a_planner_can_set(tmp_path):
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception and not at.error
    assert "500 米（国标 GB 50180 默认值）" in _summary(at)
    before = _summary(at)
    at.sidebar.number_input(key="radius").set_value(800).run()
    assert not at.exception and not at.error
    after = _summary(at)
    assert "800 米（自定）" in after and after != before
    # a schools file without capacities: its seats follow the planner's default
    schools = pd.read_csv(DEMO / "schools.csv").drop(columns=["capacity"])
    path = tmp_path / "schools_no_seats.csv"
    schools.to_csv(path, index=False)
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="osm_path").input(str(DEMO / "district.osm"))
    at.sidebar.text_input(key="schools_path").input(str(path))
    at.sidebar.text_input(key="compounds_path").input(str(DEMO / "compounds.geojson"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    before = at.dataframe[0].value.set_index("school_id")["seats"]
    estimated = before[before == 1620].index  # China's default (nine-year schools here give their primary seats)
    assert len(estimated) >= 15
    at.sidebar.number_input(key="default_seats").set_value(900).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = at.dataframe[0].value.set_index("school_id")["seats"]
    assert (after[estimated] == 900).all()
