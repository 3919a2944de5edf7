"""The editing view under AppTest: edits are stored at once, undo/redo, sessions apart, exports read back."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.plans.store import Store

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


def map_args(at: AppTest) -> dict:
    """What the page hands the browser's map component (streamlit-folium's arguments)."""
    import json

    (el,) = at.get("component_instance")
    return json.loads(el.proto.json_args)


def test_an_edit_swaps_only_the_plan_layers_of_the_map(data_dir):
    """Issue 15: after an edit the map's base (extent, street basemap, legend, drawing tools) is handed over unchanged
    — the browser keeps it and its component — and only the plan's layers change: the compound moved is drawn in
    its new school."""
    import json

    at = edit_view()
    before = map_args(at)
    table = at.dataframe[0].value.set_index("school_id")
    name = str(table.at["P07", "name"])
    select(at, ["C002"])
    at.selectbox(key="target_school").set_value("P07").run()
    at.button(key="do_reassign").click().run()
    ok(at)
    assert "1 / 1" in status(at)
    after = map_args(at)
    assert after["script"] == before["script"] and after["key"] == before["key"]  # the same base map
    assert after["layer_control"] == before["layer_control"]

    def drawn(args: dict) -> int:  # the compounds (and the catchment, the school) named after P07 in the layers
        layers = args["feature_group"]
        return max(layers.count(name), layers.count(json.dumps(name)[1:-1]))

    assert drawn(after) == drawn(before) + 1


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


# --- two tabs on one scenario; edits that would break the plan; a store that cannot be used --------------------

STALE = "另一个标签页或窗口中被修改"


def test_an_undo_on_a_stale_view_is_refused_and_the_history_reloaded(data_dir):
    """Tab B, still showing the plan before tab A's edit, clicks undo: refused with a message, A's edit kept."""
    a = edit_view()
    b = edit_view()
    sid = b.session_state["scenario_id"]
    assert a.session_state["scenario_id"] == sid
    select(b, ["C001"])
    b.selectbox(key="target_school").set_value("P03").run()
    b.button(key="do_reassign").click().run()
    ok(b)
    assert "1 / 1" in status(b)
    a.run()  # tab A shows B's edit ...
    assert "1 / 1" in status(a)
    select(a, ["C002"])
    a.selectbox(key="target_school").set_value("P04").run()
    a.button(key="do_reassign").click().run()  # ... and makes its own
    ok(a)
    assert "2 / 2" in status(a)
    store = Store(data_dir / "scenarios.sqlite")
    assert "1 / 1" in status(b)  # B has not been redrawn since
    b.button(key="undo").click().run()  # B's undo was meant for B's edit: on this history it would drop A's
    assert not b.exception
    assert any(STALE in e.value for e in b.error), [e.value for e in b.error]
    history = store.get(sid).history
    assert history.cursor == 2 and [e.pairs for e in history.edits] == [(("C001", "P03"),), (("C002", "P04"),)]
    assert "2 / 2" in status(b)  # the page shows the history as stored now
    b.run()  # a rerun of its own (the map sends values back a moment after a click) keeps the message in view
    assert any(STALE in e.value for e in b.error) and "2 / 2" in status(b)
    select(a, ["C003"])  # tab A, showing "2 / 2", gets an edit ready
    b.button(key="undo").click().run()  # on the reloaded history, undo does what it says
    ok(b)
    assert "1 / 2" in status(b) and store.get(sid).history.cursor == 1
    # A's edit was made on the plan before B's undo: refused too, and B's redo tail not dropped.
    a.button(key="do_reassign").click().run()
    assert any(STALE in e.value for e in a.error)
    assert "1 / 2" in status(a) and len(store.get(sid).history.edits) == 2


def _with_history(data_dir, edits) -> int:
    from geo.plans.edits import History

    return Store(data_dir / "scenarios.sqlite").create("旧方案", "demo", "junior", "demo",
                                                       History(tuple(edits), len(edits)))


def _junior_ids() -> list[str]:
    from geo.inputs.schools import schools_for_level

    table = pd.read_csv(ROOT / "data" / "demo" / "schools.csv", dtype=str)
    return schools_for_level(table.assign(capacity=1), "junior")["id"].tolist()


def test_closing_the_last_school_of_a_level_is_refused_in_the_page(data_dir):
    from geo.plans.edits import CLOSE_SCHOOL, Edit

    ids = _junior_ids()
    sid = _with_history(data_dir, [Edit(CLOSE_SCHOOL, school=s) for s in ids[:-1]])
    at = edit_view()
    at.sidebar.radio(key="level").set_value("junior").run()
    ok(at)
    assert at.session_state["scenario_id"] == sid and at.dataframe[0].value["school_id"].tolist() == [ids[-1]]
    at.selectbox(key="school_pick").set_value(ids[-1]).run()
    at.button(key="do_close").click().run()
    assert not at.exception
    assert any("最后一所" in e.value and ids[-1] in e.value for e in at.error), [e.value for e in at.error]
    assert len(Store(data_dir / "scenarios.sqlite").get(sid).history.edits) == len(ids) - 1  # nothing stored
    assert at.dataframe[0].value["school_id"].tolist() == [ids[-1]]
    at.run()  # the map's own reruns do not wipe the message before it is read ...
    assert any("最后一所" in e.value for e in at.error) and not at.exception
    at.button(key="undo").click().run()  # ... the next change of the scenario does, and the page goes on
    ok(at)
    assert len(Store(data_dir / "scenarios.sqlite").get(sid).history.active) == len(ids) - 2


def test_a_stored_history_that_closed_every_school_still_loads(data_dir):
    """Stored before edits were checked (the old crash: 'The field school_name is not available')."""
    from geo.plans.edits import CLOSE_SCHOOL, Edit

    ids = _junior_ids()
    _with_history(data_dir, [Edit(CLOSE_SCHOOL, school=s) for s in ids])
    at = edit_view()
    for level in ("junior", "primary"):
        at.sidebar.radio(key="level").set_value(level).run()
        ok(at)
        assert len(at.dataframe[0].value) >= 1
    at.sidebar.radio(key="level").set_value("junior").run()
    assert any("已跳过" in w.value and ids[-1] in w.value for w in at.warning), [w.value for w in at.warning]


def test_a_school_opened_at_zero_zero_is_refused(data_dir):
    at = edit_view()
    at.text_input(key="new_school_name").input("零点小学").run()
    at.number_input(key="new_lon").set_value(0.0).run()
    at.number_input(key="new_lat").set_value(0.0).run()
    at.button(key="do_add").click().run()
    assert not at.exception
    assert any("零点小学" in e.value and "路网范围之外" in e.value for e in at.error), [e.value for e in at.error]
    (stored,) = Store(data_dir / "scenarios.sqlite").list()
    assert Store(data_dir / "scenarios.sqlite").get(stored.id).history.edits == ()
    assert "NEW01" not in set(at.dataframe[0].value["school_id"])


@pytest.mark.parametrize("kind", ["garbage", "truncated", "read-only", "folder-is-a-file"])
def test_an_unusable_store_is_named_in_the_page_and_a_fresh_one_started(data_dir, tmp_path, kind):
    from test_geo_store import _damaged

    path = _damaged(tmp_path, kind)  # tmp_path / "data" is the data folder of the page too
    assert path.parent == data_dir
    bad = data_dir if kind == "folder-is-a-file" else path
    before = bad.read_bytes()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.radio(key="view").set_value("edit").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(str(bad) in e.value for e in at.error), [e.value for e in at.error]
    assert bad.read_bytes() == before
    at.button(key="store_fresh").click().run()
    ok(at)
    kept = [p for p in bad.parent.iterdir() if p.name.startswith(bad.name + ".bad-")]
    assert len(kept) == 1 and kept[0].read_bytes() == before  # kept aside, never deleted
    assert any(str(kept[0]) in i.value for i in at.info)
    assert "0 / 0" in status(at) and len(Store(path).list()) == 1


# --- the selection agrees with the plan shown ----------------------------------------------------------------------

class Browser:
    """The selection list as a browser holds it: its chips are texts, kept while the widget's id stands (a new id
    draws it afresh from its default), and sent back on every run the page makes."""

    def __init__(self, at: AppTest) -> None:
        self.at, self.id, self.texts = at, None, []

    def widget(self):
        return next(m for m in self.at.multiselect if str(m.key).startswith("selection_"))

    def chips(self) -> list[str]:
        w = self.widget()
        if w.id != self.id:
            self.id, self.texts = w.id, [w.options[i] for i in w.proto.default]
        return list(self.texts)

    def pick(self, ids: list[str]) -> None:
        w = self.widget()
        self.id, self.texts = w.id, [w.format_func(c) for c in ids]
        w.set_value(ids).run()

    def send(self) -> None:
        """Before another widget's event: the chips go back to the server as the texts the browser shows."""
        self.widget().set_value(self.chips())


def selected_count(at: AppTest) -> int:
    import re

    (text,) = [c.value for c in at.caption if re.search(r"\d+ 个小区", c.value)]
    return int(re.search(r"(\d+) 个小区", text).group(1))


def school_name(at: AppTest, sid: str) -> str:
    return at.dataframe[0].value.set_index("school_id").at[sid, "name"]


def test_after_a_reassign_the_chips_name_the_new_school_and_undo_brings_the_old_back(data_dir):
    at = edit_view()
    b = Browser(at)
    b.pick(["C001", "C002"])
    old = {c.rsplit(" → ", 1)[1] for c in b.chips()}
    assert len(old) == 1 and selected_count(at) == 2
    b.send()
    at.selectbox(key="target_school").set_value("P05").run()
    b.send()
    at.button(key="do_reassign").click().run()
    ok(at)
    new = school_name(at, "P05")
    chips = b.chips()
    assert len(chips) == 2 and all(c.endswith(" → " + new) for c in chips), chips
    assert selected_count(at) == 2
    b.send()
    at.button(key="undo").click().run()
    ok(at)
    assert "0 / 1" in status(at)
    chips = b.chips()
    assert len(chips) == 2 and {c.rsplit(" → ", 1)[1] for c in chips} == old, chips
    assert selected_count(at) == len(chips)  # the caption counts the chips shown


def test_switching_the_click_mode_keeps_the_selection(data_dir):
    at = edit_view()
    b = Browser(at)
    b.pick(["C001", "C002"])
    at.selectbox(key="target_school").set_value("P05").run()
    b.send()
    at.button(key="do_reassign").click().run()
    for mode in ("add", "move", "select"):
        b.send()
        at.radio(key="click_mode").set_value(mode).run()
        ok(at)
        assert selected_count(at) == 2 and len(b.chips()) == 2, mode
        assert sorted(b.widget().value) == ["C001", "C002"]


def test_the_new_school_name_is_cleared_after_it_is_opened(data_dir):
    at = edit_view()
    at.text_input(key="new_school_name").input("新城小学").run()
    at.button(key="do_add").click().run()
    ok(at)
    assert at.text_input(key="new_school_name").value == ""
    assert at.button(key="do_add").disabled  # a second click adds nothing (AppTest refuses clicks on it too)
    at.run()
    ids = set(at.dataframe[0].value["school_id"])
    assert "NEW01" in ids and "NEW02" not in ids
    assert "1 / 1" in status(at)


def map_colours(at: AppTest) -> list[dict[str, str]]:
    """Per folium map on the page: school id -> its catchment's fill colour, as the page sends it."""
    import json
    import re

    out = []
    for e in at.get("component_instance"):
        if e.proto.component_name != "streamlit_folium.st_folium":
            continue
        args = json.loads(e.proto.json_args)
        script = args["script"] + (args.get("feature_group") or "")
        props = (json.loads(p) for p in re.findall(r'"properties": (\{[^{}]*\})', script))
        out.append({p["school_id"]: p["colour"] for p in props if "school_id" in p and "utilisation" in p})
    return out


def test_a_school_keeps_its_colour_across_edits_and_on_both_compare_maps(data_dir):
    at = edit_view()
    (first,) = map_colours(at)
    select(at, ["C001", "C002", "C003"])
    at.selectbox(key="target_school").set_value("P05").run()
    at.button(key="do_reassign").click().run()
    at.selectbox(key="school_pick").set_value("P03").run()
    at.button(key="do_close").click().run()
    at.text_input(key="new_school_name").input("新城小学").run()
    at.number_input(key="new_lon").set_value(104.25).run()
    at.number_input(key="new_lat").set_value(30.58).run()
    at.button(key="do_add").click().run()
    ok(at)
    assert "3 / 3" in status(at)
    at.toggle(key="show_compare").set_value(True).run()
    ok(at)
    edited, base, this, changed = map_colours(at)  # the editing map, the compare view's two maps, the changes
    assert "P03" not in edited and "NEW01" in edited and set(base) == set(first)
    assert base == first
    for m in (edited, this, changed):
        assert {s: m[s] for s in m if s in first} == {s: first[s] for s in m if s in first}
    assert this == edited == changed
