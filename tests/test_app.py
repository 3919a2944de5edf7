"""The Streamlit page under AppTest: runs on the demo, switches level and method, downloads GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120)


def test_demo_page_runs_and_shows_figures():
    at = _app().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert "20 所学校" in at.markdown[0].value and "300 个小区" in at.markdown[0].value
    table = at.dataframe[0].value
    assert len(table) == 20 and table["children"].sum() == 20000
    assert any("生成" in i.value for i in at.info)  # the UI says the demo is generated


def test_switch_level_method_and_language():
    at = _app().run()
    at.sidebar.radio(key="level").set_value("junior").run()
    assert not at.exception
    assert at.dataframe[0].value["children"].sum() == 10000
    network = at.dataframe[0].value.set_index("school_id")["children"]
    at.sidebar.radio(key="method").set_value("straight").run()
    assert not at.exception
    straight = at.dataframe[0].value.set_index("school_id")["children"]
    assert straight.sum() == 10000 and not straight.equals(network)  # the river makes them differ
    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert "schools" in at.markdown[0].value and at.title[0].value.startswith("Xuequ")


def test_downloads_are_valid_geojson(downloads):
    at = _app().run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert len(labels) == 3
    catch = json.loads(downloads["catchments-primary-network.geojson"])
    assign = json.loads(downloads["assignments-primary-network.geojson"])
    assert catch["type"] == "FeatureCollection" and "crs" not in catch
    assert len(catch["features"]) == 20 and len(assign["features"]) == 300
    props = catch["features"][0]["properties"]
    assert {"school_id", "school_name"} <= set(props)
    lon, lat = catch["features"][0]["geometry"]["coordinates"][0][0][:2]
    assert 100 < lon < 110 and 25 < lat < 35  # WGS-84 lon/lat, not projected metres
    assert all(f["properties"]["school_id"] for f in assign["features"])
    csv = downloads["schools-primary-network.csv"]
    assert csv.startswith(b"\xef\xbb\xbf") and "芳潼小学".encode() in csv


def test_bad_path_is_shown_in_the_page_not_as_a_traceback(tmp_path):
    at = _app().run()
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="osm_path").input(str(tmp_path / "missing.osm")).run()
    assert not at.exception
    assert at.error and "missing.osm" in at.error[0].value
    bad = tmp_path / "broken.osm"
    bad.write_text("<osm><node id='1' lat='30' lon='104'>")  # truncated XML
    at.sidebar.text_input(key="osm_path").input(str(bad)).run()
    assert not at.exception
    assert at.error and "broken.osm" in at.error[0].value
    # going back to the demo still works: nothing else was changed
    at.sidebar.radio(key="dataset").set_value("demo").run()
    assert not at.exception and not at.error and len(at.dataframe[0].value) == 20


def test_place_name_offline_is_explained_in_the_page(monkeypatch):
    import requests

    from geo import io

    def offline(*args, **kwargs):
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(io.ox, "graph_from_place", offline)
    at = _app().run()
    at.sidebar.radio(key="dataset").set_value("place").run()
    at.sidebar.text_input(key="place").input("成都市锦江区").run()
    at.sidebar.button(key="load_place").click().run()
    assert not at.exception
    assert at.error and "成都市锦江区" in at.error[0].value and "OSM" in at.error[0].value


def test_upload_runs_through_the_same_loaders(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEQU_CACHE_DIR", str(tmp_path))
    demo = ROOT / "data" / "demo"
    at = _app().run()
    at.sidebar.radio(key="dataset").set_value("upload").run()
    at.sidebar.radio(key="level").set_value("junior").run()
    at.file_uploader(key="osm_upload").set_value(("district.osm", (demo / "district.osm").read_bytes(), "text/xml"))
    at.file_uploader(key="s_up").set_value(("schools.csv", (demo / "schools.csv").read_bytes(), "text/csv"))
    at.file_uploader(key="c_up").set_value(
        ("compounds.geojson", (demo / "compounds.geojson").read_bytes(), "application/geo+json"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "8 所学校" in at.markdown[0].value and "300 个小区" in at.markdown[0].value


def test_drive_mode_runs():
    at = _app().run()
    at.sidebar.radio(key="mode").set_value("drive").run()
    assert not at.exception and not at.error
    assert at.dataframe[0].value["children"].sum() == 20000


def test_optimal_zoning_panel_and_locks():
    at = _app().run()
    at.sidebar.radio(key="method").set_value("optimal").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    compare = at.dataframe[0].value  # the comparison comes first
    assert compare.shape[0] >= 5 and compare.iloc[0, 2] == "0"  # no child over capacity in the plan
    assert compare.iloc[0, 1] != "0"  # nearest-school zoning overfills some schools
    assert any("调整学区" in c.value for c in at.caption)
    at.multiselect(key="locked").set_value(["C001", "C002"]).run()
    assert not at.exception and not at.error
    at.sidebar.number_input(key="max_walk").set_value(800).run()
    assert not at.exception
    assert at.error and "最远步行距离" in at.error[0].value  # explained, not a traceback
    assert at.multiselect(key="locked").value == ["C001", "C002"]  # the planner's locks are kept


def test_cancel_keeps_the_page_and_solve_again_restarts():
    at = _app().run()
    at.sidebar.radio(key="method").set_value("optimal").run()
    at.sidebar.radio(key="solver").set_value("exact").run()
    assert not at.exception and not at.error
    at.button(key="cancel_solve").click().run()
    assert not at.exception and not at.error
    assert any("取消" in i.value for i in at.info)  # said so, with the nearest-school zones still on show
    assert at.dataframe[0].value["children"].sum() == 20000
    at.button(key="solve_again").click().run()
    assert not at.exception and not at.error
    assert not any("取消" in i.value for i in at.info)
    assert at.dataframe[0].value.iloc[0, 2] == "0"  # the comparison is back: no child over capacity
