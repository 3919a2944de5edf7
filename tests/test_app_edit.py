"""The editing view under AppTest: edits are stored at once, undo/redo, sessions apart, exports read back."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.store import Store

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A fresh scenario store for each test (the sessions of one test share it, as users of one server do)."""
    monkeypatch.setenv("XUEQU_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def edit_view(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if query:
        at.query_params.update(query)
    at.run()
    at.sidebar.radio(key="view").set_value("edit").run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def select(at: AppTest, ids: list[str]) -> None:
    widget = next(m for m in at.multiselect if str(m.key).startswith("selection_"))
    widget.set_value(ids).run()


def status(at: AppTest) -> str:
    return next(c.value for c in at.caption if "edits in force" in c.value or "步编辑" in c.value)


def children_of(at: AppTest) -> pd.Series:
    return at.dataframe[0].value.set_index("school_id")["children"]


def test_reassign_undo_redo_and_the_store(data_dir):
    at = edit_view()
    before = children_of(at)
    select(at, ["C001", "C002"])
    at.selectbox(key="target_school").set_value("P05").run()
    at.button(key="do_reassign").click().run()
    ok(at)
    after = children_of(at)
    assert "1 / 1" in status(at)
    assert after["P05"] > before["P05"] and after.sum() == before.sum()
    # The edit is in the store before the page shows it.
    (stored,) = Store(data_dir / "scenarios.sqlite").list()
    history = Store(data_dir / "scenarios.sqlite").get(stored.id).history
    assert history.cursor == 1 and history.edits[0].pairs == (("C001", "P05"), ("C002", "P05"))
    at.button(key="undo").click().run()
    ok(at)
    assert "0 / 1" in status(at)
    assert children_of(at).equals(before)
    at.button(key="redo").click().run()
    assert children_of(at).equals(after)
    # Capacity: a half-finished plan warns, never blocks.
    at.selectbox(key="school_pick").set_value("P05").run()
    at.number_input(key="cap_P05").set_value(100).run()
    at.button(key="do_capacity").click().run()
    ok(at)
    assert "2 / 2" in status(at)
    assert any("P05" in w.value or "学位" in w.value for w in at.warning)


def test_reload_reopens_the_scenario_exactly(data_dir):
    at = edit_view()
    select(at, ["C010"])
    at.selectbox(key="target_school").set_value("P02").run()
    at.button(key="do_reassign").click().run()
    at.button(key="do_lock").click().run()
    at.button(key="undo").click().run()
    ok(at)
    sid = at.session_state["scenario_id"]
    shown = children_of(at)
    # A new browser session (reload) with the scenario in the address: the same plan, the same undo state.
    again = edit_view({"scenario": str(sid)})
    assert again.session_state["scenario_id"] == sid
    assert "1 / 2" in status(again)
    assert children_of(again).equals(shown)
    again.button(key="redo").click().run()
    assert "2 / 2" in status(again)


def test_two_sessions_edit_two_scenarios_apart(data_dir):
    a = edit_view()
    b = edit_view()
    assert a.session_state["scenario_id"] == b.session_state["scenario_id"]  # both open the latest
    b.text_input(key="new_name").input("乙方案").run()
    b.button(key="scenario_new").click().run()
    ok(b)
    sid_a, sid_b = a.session_state["scenario_id"], b.session_state["scenario_id"]
    assert sid_a != sid_b
    select(a, ["C001"])
    a.selectbox(key="target_school").set_value("P03").run()
    a.button(key="do_reassign").click().run()
    select(b, ["C002", "C003"])
    b.selectbox(key="target_school").set_value("P04").run()
    b.button(key="do_reassign").click().run()
    ok(a)
    ok(b)
    store = Store(data_dir / "scenarios.sqlite")
    assert store.get(sid_a).history.edits[0].pairs == (("C001", "P03"),)
    assert store.get(sid_b).history.edits[0].pairs == (("C002", "P04"), ("C003", "P04"))
    a.run()  # a rerun of A does not pick up B's plan
    assert a.session_state["scenario_id"] == sid_a and "1 / 1" in status(a)
    names = {s.name for s in store.list()}
    assert "乙方案" in names


def test_scenario_management(data_dir):
    at = edit_view()
    at.text_input(key="new_name").input("终稿").run()
    at.button(key="scenario_rename").click().run()
    ok(at)
    store = Store(data_dir / "scenarios.sqlite")
    assert [s.name for s in store.list()] == ["终稿"]
    at.button(key="scenario_dup").click().run()
    ok(at)
    assert len(store.list()) == 2
    at.checkbox(key="delete_sure").check().run()
    at.button(key="scenario_delete").click().run()
    ok(at)
    assert len(store.list()) == 1


def test_exports_read_back_and_units_import_as_a_scenario(data_dir, downloads, tmp_path):
    at = edit_view()
    select(at, ["C001", "C002", "C003"])
    at.selectbox(key="target_school").set_value("P07").run()
    at.button(key="do_reassign").click().run()
    ok(at)
    table = at.dataframe[0].value.set_index("school_id")
    name = next(k for k in downloads if k.endswith("catchments.geojson"))
    stem = name.removesuffix("-catchments.geojson")
    assert stem == "方案_1-primary"  # the scenario's name, sanitised
    catch = gpd.read_file(io.BytesIO(downloads[f"{stem}-catchments.geojson"]))
    assign = gpd.read_file(io.BytesIO(downloads[f"{stem}-assignments.geojson"]))
    assert catch.crs.to_epsg() == 4326 and len(catch) == 20
    assert catch.set_index("school_id")["children"].to_dict() == table["children"].to_dict()
    assert assign.set_index("compound_id").loc[["C001", "C002", "C003"], "school_id"].eq("P07").all()
    gpkg = tmp_path / "plan.gpkg"
    gpkg.write_bytes(downloads[f"{stem}-plan.gpkg"])
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"catchments", "compounds", "schools", "school_table"} <= layers
    comp = gpd.read_file(gpkg, layer="compounds")
    assert comp.set_index("compound_id")["school_id"].to_dict() == assign.set_index("compound_id")["school_id"].to_dict()
    xlsx = pd.read_excel(io.BytesIO(downloads[f"{stem}-schools.xlsx"]))
    assert xlsx.set_index("school_id")["children"].to_dict() == table["children"].to_dict()
    units = downloads[f"{stem}-units.csv"]
    assert units.startswith(b"\xef\xbb\xbf") and b"C001,P07" in units

    # The unit-to-school CSV comes back as a new scenario with the same plan.
    at.file_uploader(key="unit_upload").set_value(("units.csv", units, "text/csv")).run()
    at.button(key="unit_import").click().run()
    ok(at)
    assert len(Store(data_dir / "scenarios.sqlite").list()) == 2
    assert at.dataframe[0].value.set_index("school_id")["children"].to_dict() == \
        table["children"].to_dict()


def test_bad_unit_csv_is_named_and_changes_nothing(data_dir):
    at = edit_view()
    bad = b"compound_id,school_id\nC001,P01\nC999,P02\n"
    at.file_uploader(key="unit_upload").set_value(("bad-units.csv", bad, "text/csv")).run()
    at.button(key="unit_import").click().run()
    assert not at.exception
    assert any("bad-units.csv" in e.value and "3" in e.value for e in at.error)
    assert len(Store(data_dir / "scenarios.sqlite").list()) == 1


def test_add_and_close_a_school(data_dir):
    at = edit_view()
    at.text_input(key="new_school_name").input("<b>新城</b>小学").run()
    at.number_input(key="new_lon").set_value(104.25).run()
    at.number_input(key="new_lat").set_value(30.58).run()
    at.button(key="do_add").click().run()
    ok(at)
    table = at.dataframe[0].value
    assert "NEW01" in set(table["school_id"]) and table["children"].sum() == 20000
    assert table.set_index("school_id").at["NEW01", "name"] == "<b>新城</b>小学"  # kept as text, shown as text
    at.selectbox(key="school_pick").set_value("NEW01").run()
    at.button(key="do_close").click().run()
    ok(at)
    assert "NEW01" not in set(at.dataframe[0].value["school_id"])
    assert "2 / 2" in status(at)
