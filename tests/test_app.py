"""The Streamlit page under AppTest: runs on the demo, switches level and method, downloads GeoJSON; user text
is never read as Markdown; typed paths stay inside the data roots."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from app.common import inert, inert_t
from geo.errors import InputError
from geo.inputs.paths import check_under_roots, data_roots

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
DEMO = ROOT / "data" / "demo"


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

    from geo.inputs import osm

    def offline(*args, **kwargs):
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(osm.ox, "graph_from_place", offline)
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


def test_cancel_keeps_the_page_and_solve_again_restarts(monkeypatch):
    """Cancel during a solve: a click reaches the server as a request to run the page again, which the solver's
    stop question sees mid-solve, and the button's callback marks the solve cancelled for the next run. AppTest runs
    a page to its end before the next click, so both halves are played in turn: the solve is stopped at its first
    question, then the click's callback (it names the solve the page was running). Cancel is gone once a solve is
    over."""
    import app.zoning_view

    at = _app().run()
    at.sidebar.radio(key="method").set_value("optimal").run()
    assert not at.exception and not at.error
    assert not [b for b in at.button if b.key == "cancel_solve"]  # the solve is over: nothing to cancel
    at.sidebar.checkbox(key="contiguous").uncheck().run()  # (the exact solve without contiguity asks at once)
    monkeypatch.setattr(app.zoning_view, "rerun_requested", lambda: lambda: True)  # the click arrives mid-solve
    at.sidebar.radio(key="solver").set_value("exact").run()
    assert not at.exception and not at.error
    (solve,) = at.session_state["interrupted"]  # the stopped solve's best plan so far, kept for the next run
    monkeypatch.undo()
    at.session_state["cancelled"] = solve  # what the Cancel button's callback does
    at.run()
    assert not at.exception and not at.error
    assert any("取消" in i.value for i in at.info)  # said so, with the stopped solve's plan on show
    assert not [b for b in at.button if b.key == "cancel_solve"]
    table = next(d.value for d in at.dataframe if "utilisation" in d.value.columns)  # the school table
    assert table["children"].sum() == 20000
    at.button(key="solve_again").click().run()
    assert not at.exception and not at.error
    assert not any("取消" in i.value for i in at.info)
    assert at.dataframe[0].value.iloc[0, 2] == "0"  # the comparison is back: no child over capacity


# --- user text is never Markdown --------------------------------------------------------------------------

IMAGE_URL = "http://127.0.0.1:9/x.png"  # nothing listens there: a browser that fetches it is caught (test_browser)
MD_IMAGE = f"![t]({IMAGE_URL})小学"
MD_MIXED = "<img src=x onerror=alert(1)>**粗体**$x$ :red[红] www.example.com a@b.cn _斜_小学"


def markdown_schools(folder: Path, level_cell: str | None = None) -> Path:
    """The demo's schools with two primary schools named in Markdown and HTML, on the same street corner (so
    the page names both in a warning); ``level_cell`` replaces the first one's level (an error naming it)."""
    s = pd.read_csv(DEMO / "schools.csv", dtype=str, keep_default_na=False)
    i, j = (int(s.index[s["id"] == k][0]) for k in ("P01", "P12"))
    s.loc[i, "name"], s.loc[j, "name"] = MD_IMAGE, MD_MIXED
    s.loc[j, ["lon", "lat"]] = s.loc[i, ["lon", "lat"]].to_numpy()
    if level_cell is not None:
        s.loc[i, "level"] = level_cell
    path = folder / ("markdown_level.csv" if level_cell else "markdown_names.csv")
    s.to_csv(path, index=False)
    return path


def shown_as(markdown: str) -> str:
    """The text a Markdown renderer shows for ``markdown`` made of escaped text (backslash escapes undone,
    the invisible word joiner dropped)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


LIVE_MARKDOWN = re.compile(r"!\[|(?<!\\)\]\(|(?<!\\)<img|(?<!\\)\*\*粗体|(?<!\\)\$x|https?://127|www\.example")


def assert_inert(at: AppTest) -> None:
    """No element that renders Markdown holds the hostile names unescaped (images, links, HTML, bold, LaTeX)."""
    texts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success")
             for e in getattr(at, kind)]
    texts += [w.label for w in at.checkbox] + [w.label for w in at.get("expandable")]
    live = [x for x in texts if LIVE_MARKDOWN.search(x)]
    assert not live, live


@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n\u2060"), max_size=60))
def test_inert_text_shows_exactly_as_written(text):
    assert shown_as(inert(text)) == text


def test_inert_escapes_what_markdown_would_render():
    assert inert(MD_IMAGE) == "!\\[t\\](http\\:\u2060//127.0.0.1\\:9/x.png)小学"
    assert inert("**b** $x$ <i> `c` ~s~ #h | a&b") == "\\*\\*b\\*\\* \\$x\\$ \\<i\\> \\`c\\` \\~s\\~ \\#h \\| a\\&b"
    assert inert("- item") == "\\- item" and inert("1. one") == "1\\. one" and inert("_em_ a_b") == "\\_em\\_ a_b"
    assert inert("a\nb") == "a b"  # one line: no heading or list can start inside it
    assert inert("www.x.cn a@b.cn") == "www\u2060.x.cn a@\u2060b.cn"  # no bare links
    # Numbers keep their formats; "@" words are still translated; file names with dots and "_" stay readable.
    msg = inert_t("err.too_large", "en", file="big_file.csv", size_mb=250.0, limit_mb=200.0)
    assert "big_file.csv" in msg and "250" in msg
    assert inert_t("warn.snap_far", "en", kind="@kind.schools", name="**x**", dist=500.0, limit=300.0).count(
        "\\*\\*x\\*\\*") == 1


def test_names_from_files_are_not_markdown_in_the_page(tmp_path):
    at = _app().run()
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="osm_path").input(str(DEMO / "district.osm"))
    at.sidebar.text_input(key="schools_path").input(str(markdown_schools(tmp_path)))
    at.sidebar.text_input(key="compounds_path").input(str(DEMO / "compounds.geojson"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert {MD_IMAGE, MD_MIXED} <= set(at.dataframe[0].value["name"])  # the table shows them as they are
    (warning,) = [m.value for m in at.markdown if "同一路网节点" in m.value]
    assert shown_as(warning) == "- 学校“" + MD_IMAGE + "”和“" + MD_MIXED + "”连接在同一路网节点上，两者之间按列表顺序取前者。"
    assert_inert(at)
    # A cell quoted in an error message.
    at.sidebar.text_input(key="schools_path").input(str(markdown_schools(tmp_path, level_cell=MD_IMAGE))).run()
    assert not at.exception
    assert at.error and "markdown_level.csv" in at.error[0].value and MD_IMAGE in shown_as(at.error[0].value)
    assert_inert(at)


def test_scenario_names_are_not_markdown_in_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEQU_DATA_DIR", str(tmp_path / "data"))
    at = _app().run()
    at.sidebar.radio(key="view").set_value("edit").run()
    at.text_input(key="new_name").input(MD_IMAGE + " **名**").run()
    at.button(key="scenario_rename").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    label = at.checkbox(key="delete_sure").label
    assert MD_IMAGE + " **名**" in shown_as(label) and "\\*\\*名\\*\\*" in label
    at.toggle(key="show_compare").set_value(True).run()
    at.text_input(key="new_name").input("$x$ 副本").run()
    at.button(key="scenario_dup").click().run()
    from geo.plans.store import Store

    (first,) = [c.id for c in Store(tmp_path / "data" / "scenarios.sqlite").list() if c.name.startswith("![")]
    at.selectbox(key="compare_with").set_value(first).run()  # compared with the scenario named in Markdown
    assert any(MD_IMAGE in shown_as(c.value) for c in at.caption)
    assert not at.exception
    assert_inert(at)


# --- typed paths stay inside the data roots -------------------------------------------------------------------

def test_data_roots_come_from_the_environment(tmp_path, monkeypatch):
    import os

    monkeypatch.delenv("XUEQU_DATA_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert data_roots() == (tmp_path.resolve(), (tmp_path.parent / "shared" / "data").resolve())
    monkeypatch.setenv("XUEQU_DATA_ROOT", os.pathsep.join([str(tmp_path / "a"), "", str(tmp_path / "b")]))
    assert data_roots() == ((tmp_path / "a").resolve(), (tmp_path / "b").resolve())


def test_paths_outside_the_roots_are_refused(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.csv").write_text("id\n1\n")
    (root / "link.csv").symlink_to(outside / "secret.csv")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    assert check_under_roots(root / "sub" / "x.csv", (root,)) == (root / "sub" / "x.csv").resolve()
    assert check_under_roots(root, (root,)) == root.resolve()
    for bad in (outside / "secret.csv", root / ".." / "outside" / "secret.csv", root / "link.csv",
                root / "linkdir" / "secret.csv", "/etc/passwd", str(root) + "x/y.csv"):
        with pytest.raises(InputError) as err:
            check_under_roots(bad, (root,))
        assert err.value.key == "err.outside_roots"
        assert str(bad) in err.value.message("en") and str(root.resolve()) in err.value.message("en")


def test_the_path_box_reads_only_inside_the_data_roots(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("XUEQU_DATA_ROOT", str(ROOT))
    secret = tmp_path / "secret.csv"
    secret.write_text("id,name,level,capacity,lon,lat\nS1,秘密小学,primary,900,104.25,30.57\n")
    at = _app().run()
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="osm_path").input(str(DEMO / "district.osm"))
    at.sidebar.text_input(key="schools_path").input(str(secret)).run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert errors and shown_as(errors[0]).startswith(f"路径 {secret} 不在") and str(ROOT) in shown_as(errors[0])
    assert not at.dataframe  # nothing was loaded, not even with the OSM file's schools instead
    assert not [e for e in at.sidebar.expander if "secret.csv" in e.label]  # its header was not read either
    at.sidebar.text_input(key="schools_path").input(str(ROOT / os.path.relpath(secret, ROOT))).run()
    assert at.sidebar.error and not at.dataframe  # ".." does not lead out
    at.sidebar.text_input(key="schools_path").input(str(DEMO / "schools.csv")).run()
    assert not at.exception and not at.error and len(at.dataframe[0].value) == 20
    # The official view's path box too.
    at.sidebar.radio(key="view").set_value("official").run()
    at.radio(key="zone_source").set_value("path").run()
    at.text_input(key="zone_path").input(str(tmp_path)).run()
    assert not at.exception
    assert at.error and "err.outside_roots" not in at.error[0].value and str(tmp_path) in shown_as(at.error[0].value)
