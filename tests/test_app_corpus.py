"""The bad-input corpus through the page: every file given to the app as a user would give it either shows a
clear error (naming the file, and the row where the manifest has one) or loads as the manifest says — never
a traceback — and afterwards the demo dataset still works.

Schools and compounds files go through the sidebar's upload flow with the demo network (the coordinate
system chosen as the manifest says; ``inputs`` / ``zoning`` cases with the demo's other table, as
``corpus.run_case`` does); files the upload widget does not accept (``.docx``, ``.xls``) and the generated
200 MB file go through the path flow; network files through the OSM upload; zone lists through the official
zones view's upload.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from corpus import CASES, DEMO, GENERATED, Case, materialise, run_case
from streamlit.testing.v1 import AppTest

from app.common import inert_t
from app.tables import TABLE_TYPES

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
RAW_HTML = re.compile(r"<\s*(script|img|b|i|iframe|svg)\b", re.I)
LIVE_MARKDOWN = re.compile(r"!\[|(?<!\\)\]\(|https?://")  # an image, a link, a bare link


def _is_schools(case: Case) -> bool:
    return case.loader == "schools" or (case.loader in ("inputs", "zoning") and "school" in case.file.lower())


def _via_upload(case: Case) -> bool:
    return case.file not in GENERATED and case.file.rsplit(".", 1)[-1].lower() in TABLE_TYPES + ["osm"]


def _give(at: AppTest, case: Case, path: Path) -> None:
    """Give the case's file to the page the way a user would."""
    osm = DEMO / "district.osm"
    if case.loader == "network":
        at.sidebar.radio(key="dataset").set_value("upload").run()
        at.file_uploader(key="osm_upload").set_value((case.file, path.read_bytes(), "text/xml")).run()
        return
    mine, other = ("s", "c") if _is_schools(case) else ("c", "s")
    demo_other = DEMO / ("schools.csv" if other == "s" else "compounds.geojson")
    if _via_upload(case):
        at.sidebar.radio(key="dataset").set_value("upload").run()
        at.file_uploader(key="osm_upload").set_value(("district.osm", osm.read_bytes(), "text/xml"))
        at.file_uploader(key=f"{mine}_up").set_value((case.file, path.read_bytes(), "application/octet-stream"))
        if case.loader in ("inputs", "zoning"):
            at.file_uploader(key=f"{other}_up").set_value(
                (demo_other.name, demo_other.read_bytes(), "application/octet-stream"))
        at.run()
        prefix = f"{mine}_up"
    else:
        at.sidebar.radio(key="dataset").set_value("path").run()
        at.sidebar.text_input(key="osm_path").input(str(osm))
        at.sidebar.text_input(key="schools_path" if mine == "s" else "compounds_path").input(str(path))
        if case.loader in ("inputs", "zoning"):
            at.sidebar.text_input(key="compounds_path" if mine == "s" else "schools_path").input(str(demo_other))
        at.run()
        prefix = f"{mine}_path"
    if case.coords != "wgs84":
        at.sidebar.selectbox(key=f"{prefix}_coords").set_value(case.coords).run()


def _no_raw_html(at: AppTest) -> None:
    """Nothing a user supplied reaches the page as HTML: no markdown allowed to hold HTML carries a tag, and
    the map's script (its popups and tooltips) holds names only escaped."""
    for el in at.markdown:
        if el.proto.allow_html:
            assert not RAW_HTML.search(el.value), el.value
    # Nor as Markdown: no image or link syntax left unescaped in any element that renders Markdown.
    for kind in ("markdown", "caption", "error", "warning", "info", "success"):
        for el in getattr(at, kind):
            assert not LIVE_MARKDOWN.search(el.value), el.value
    for m in at.get("component_instance"):
        script = json.loads(m.proto.json_args).get("script", "")
        script = re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), script)
        for bad in ("<script>alert", "<img src=x", "<b>粗体</b>"):
            assert bad not in script, bad


def _store_case_in_the_app(case: Case, folder: Path) -> None:
    """A ``store`` case: the edit view with ``XUEQU_DATA_DIR`` at the case's data folder. A bad store is named
    in the page (never a traceback) with a button that starts a fresh one and keeps the bad file aside."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XUEQU_DATA_DIR", str(folder))
        bad = folder if folder.is_file() else folder / "scenarios.sqlite"
        before = bad.read_bytes()
        at = AppTest.from_file(APP, default_timeout=180).run()
        at.sidebar.radio(key="view").set_value("edit").run()
        assert not at.exception, [e.value for e in at.exception]
        errors = [e.value for e in at.error]
        if case.expect != "error":
            assert not errors, errors
            listed = run_case(case, folder)[0]
            shown = {o.split("  ·  ")[0] for o in at.selectbox(key="scenario_pick").options}
            assert listed and shown == {s.name for s in listed}  # every stored scenario is offered
            return
        assert [e for e in errors if case.file in e], (case.file, errors)
        assert bad.read_bytes() == before  # opening it changed nothing
        at.button(key="store_fresh").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        kept = [p for p in bad.parent.iterdir() if p.name.startswith(bad.name + ".bad-")]
        assert len(kept) == 1 and kept[0].read_bytes() == before  # kept aside, never deleted
        assert at.dataframe and len(at.dataframe[0].value) == 20  # the demo plan, in a fresh store


def _zonelist_case_in_the_app(case: Case, path: Path) -> None:
    """A ``zonelist`` case: uploaded in the official zones view. A list refused is named in the page (never a
    traceback); a list read shows its issues with their reasons in the user's language."""
    from geo.render.i18n import t

    at = AppTest.from_file(APP, default_timeout=180).run()
    at.sidebar.radio(key="view").set_value("official").run()
    at.radio(key="zone_source").set_value("upload").run()
    at.file_uploader(key="zone_upload").set_value((case.file, path.read_bytes(), "text/plain")).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    if case.expect == "error":
        named = [e for e in errors if case.file in e]
        assert named, (case.file, errors)
        if case.row is not None:
            assert any(f"第 {case.row} 行" in e for e in named), named
    else:
        assert not errors, errors
        issues = [d.value for d in at.dataframe if {"reason", "line", "text"} <= set(d.value.columns)]
        reasons = set(issues[0]["reason"]) if issues else set()
        if case.expect == "ok-with-warning":
            assert t(case.key, "zh") in reasons, reasons
        else:
            assert not reasons, reasons
    _no_raw_html(at)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case_in_the_app(case: Case, tmp_path):
    path = materialise(case, tmp_path)
    if case.loader == "zonelist":  # the official zones view, as an upload
        return _zonelist_case_in_the_app(case, path)
    if case.loader == "store":  # the edit view on that data folder
        return _store_case_in_the_app(case, path)
    at = AppTest.from_file(APP, default_timeout=180).run()
    _give(at, case, path)
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    if case.expect == "error":
        named = [e for e in errors if case.file in e]
        assert named, (case.file, errors)
        if case.row is not None:
            assert any(f"第 {case.row} 行" in e for e in named), named
    else:
        assert not errors, errors
        assert at.dataframe and len(at.dataframe[0].value) > 0  # the zoning is shown
        shown = {m.value for m in at.markdown}
        if case.expect == "ok-with-warning":
            _, warnings = run_case(case, path)
            for key, params in warnings:  # the loader's warnings are in the page, in the user's language
                assert "- " + inert_t(key, "zh", **params) in shown, key  # names and cells inert
    _no_raw_html(at)
    # Nothing else was changed: the demo still works.
    at.sidebar.radio(key="dataset").set_value("demo").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.dataframe[0].value) == 20


def test_html_names_are_escaped_in_the_page():
    case = next(c for c in CASES if c.file == "html_names.csv")
    at = AppTest.from_file(APP, default_timeout=180).run()
    _give(at, case, case.path)
    assert not at.exception and not at.error
    names = set(at.dataframe[0].value["name"])
    assert "<script>alert('x')</script>九年一贯制学校" in names  # shown as text in the table
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    script = re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), script)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in script
    _no_raw_html(at)


def test_an_upload_over_the_limit_is_refused_with_its_name(monkeypatch):
    """save_upload refuses data over geo.inputs.tables.MAX_UPLOAD_BYTES (the app's maxUploadSize) before keeping it."""
    from geo.inputs import tables

    monkeypatch.setattr(tables, "MAX_UPLOAD_BYTES", 1000)
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.sidebar.radio(key="dataset").set_value("upload").run()
    at.file_uploader(key="osm_upload").set_value(
        ("district.osm", (DEMO / "district.osm").read_bytes(), "text/xml")).run()
    assert not at.exception
    assert at.error and "district.osm" in at.error[0].value and "上限" in at.error[0].value
    at.sidebar.radio(key="dataset").set_value("demo").run()
    assert not at.exception and not at.error


def test_column_mapping_is_chosen_in_the_sidebar_and_remembered_per_layout(tmp_path):
    """A header the loaders cannot read by themselves: the level column is chosen in the sidebar, the page
    loads, and the next file with the same header gets the same choice without asking."""
    import pandas as pd

    demo = pd.read_csv(DEMO / "schools.csv")[["id", "name", "level", "capacity", "lon", "lat"]]
    table = demo.rename(columns={"id": "编号", "name": "学校名称", "level": "办学层次", "capacity": "学位数",
                                 "lon": "经度", "lat": "纬度"})
    data = table.to_csv(index=False).encode("gb18030")

    def upload(at: AppTest, name: str) -> None:
        at.sidebar.radio(key="dataset").set_value("upload").run()
        at.file_uploader(key="osm_upload").set_value(("district.osm", (DEMO / "district.osm").read_bytes(),
                                                      "text/xml"))
        at.file_uploader(key="s_up").set_value((name, data, "text/csv"))
        at.run()

    at = AppTest.from_file(APP, default_timeout=180).run()
    upload(at, "学校名单.csv")
    assert not at.exception
    assert at.error and "学校名单.csv" in at.error[0].value  # no level column found: said so
    boxes = {b.label: b for b in at.sidebar.selectbox if b.key and "_map_" in b.key}
    assert boxes["名称"].value == "学校名称" and boxes["经度"].value == "经度" and boxes["学位数"].value == "学位数"
    assert boxes["学段"].value == ""
    boxes["学段"].set_value("办学层次").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.dataframe[0].value) == 20

    again = AppTest.from_file(APP, default_timeout=180).run()
    upload(again, "另一份学校名单.csv")  # same header, another file: the choice is remembered
    assert not again.exception and not again.error, [e.value for e in again.error]
    boxes = {b.label: b for b in again.sidebar.selectbox if b.key and "_map_" in b.key}
    assert boxes["学段"].value == "办学层次"


def test_coordinate_system_per_file_in_the_upload_flow():
    """School gates copied from AMap: read as WGS-84 the page warns of the GCJ-02 offset; chosen as GCJ-02, no
    warning."""
    case = next(c for c in CASES if c.file == "school_gates_gcj02.csv")
    at = AppTest.from_file(APP, default_timeout=180).run()
    _give(at, case, case.path)
    assert not at.exception and not at.error
    assert any("GCJ-02" in m.value for m in at.markdown)
    assert at.sidebar.selectbox(key="s_up_coords").value == "wgs84"
    at.sidebar.selectbox(key="s_up_coords").set_value("gcj02").run()
    assert not at.exception and not at.error
    assert not any("GCJ-02（高德/腾讯）换算" in m.value for m in at.markdown)
