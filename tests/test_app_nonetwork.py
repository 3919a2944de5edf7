"""The page on a schools table and a compounds table without an OSM file: straight-line zones, said so."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
DEMO = ROOT / "data" / "demo"


def test_tables_without_an_osm_file_zone_on_straight_lines():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.sidebar.radio(key="lang").set_value("en").run()
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="schools_path").input(str(DEMO / "schools.csv"))
    at.sidebar.text_input(key="compounds_path").input(str(DEMO / "compounds.geojson"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "20 schools" in at.markdown[0].value and "GB 50180" in at.markdown[0].value
    assert any("No street network" in i.value for i in at.info)
    straight = at.dataframe[0].value
    assert len(straight) == 20 and straight["children"].sum() == 20000
    at.sidebar.radio(key="method").set_value("optimal").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    plan = at.dataframe[-1].value
    assert plan["children"].sum() == 20000 and not plan["children"].equals(straight["children"])
