"""The editing view: what-if edits on the map, stored scenarios with undo/redo, comparison and export.

Every edit is written to the scenario store before the page shows its result, so a reload or a killed
server loses nothing. The plan shown is always ``store -> edits -> Editor.result``: the store is the truth.
"""

from __future__ import annotations

import time
import zlib
from datetime import datetime

import folium
import folium.plugins
import numpy as np
import pandas as pd
import shapely.geometry
import streamlit as st

from app.assets import leaflet_draw
from app.common import (
    basemap,
    dash_missing,
    dataset_digest,
    download_row,
    editor,
    inert,
    inert_t,
    leaflet_assets,
    load_dataset,
    page_header,
    plan_files,
    result_key,
    show_error,
    show_map,
    store,
    warnings_summary,
)
from app.state import Dataset, dataset_key
from app.zoning_view import school_table
from geo.errors import XuequError
from geo.inputs import read_plain_table
from geo.inputs.schools import LEVELS, MAX_SEATS, SCHOOL_LEVELS
from geo.plans.edits import (
    ADD_SCHOOL,
    CLOSE_SCHOOL,
    LOCK,
    MOVE_SCHOOL,
    REASSIGN,
    SET_CAPACITY,
    UNLOCK,
    Edit,
    assignment_edit,
)
from geo.plans.store import Store, StoreError
from geo.render import export
from geo.render.i18n import t
from geo.render.maps import base_map, legend, zoning_layers

# Drawn shapes come from all_drawings: last_active_drawing also changes when a compound is clicked.
MAP_RETURNS = ["last_object_clicked", "last_object_clicked_count", "last_clicked", "all_drawings"]
CLICK_MODES = ("select", "add", "move")


# --- scenarios ---------------------------------------------------------------------------------------------

def current_scenario(db: Store, dkey: str, label: str, level: str, lang: str) -> int:
    """The open scenario: this session's, else the one in the address (reload), else the latest, else a new one."""
    listed = db.list(dkey)
    mine = {s.id for s in listed}
    sid = st.session_state.get("scenario_id")
    if sid not in mine:
        q = st.query_params.get("scenario")
        sid = int(q) if q and q.isdigit() and int(q) in mine else None
    if sid is None:
        sid = listed[0].id if listed else db.create(t("edit.default_name", lang, n=1), dkey, level, label)
    st.session_state["scenario_id"] = sid
    st.query_params["scenario"] = str(sid)
    return sid


def _open(sid: int) -> None:
    st.session_state["scenario_id"] = sid
    set_selection([])


def selection() -> list[str]:
    return list(st.session_state.get("sel", []))


def set_selection(ids: list[str]) -> None:
    """Change the selection from code: the list widget gets a new key, so it shows the new value."""
    st.session_state["sel"] = list(ids)
    st.session_state["sel_version"] = st.session_state.get("sel_version", 0) + 1


def _selection_widget_changed(key: str) -> None:
    st.session_state["sel"] = [str(c) for c in st.session_state[key]]


def scenario_bar(db: Store, dkey: str, label: str, level: str, sid: int, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    listed = db.list(dkey)
    names = {s.id: s.name for s in listed}
    stamp = {s.id: datetime.fromtimestamp(s.updated).strftime("%m-%d %H:%M") for s in listed}
    ids = [s.id for s in listed]
    st.session_state["scenario_pick"] = sid
    st.selectbox(T("edit.scenario"), ids, format_func=lambda i: f"{names[i]}  ·  {stamp[i]}", key="scenario_pick",
                 on_change=lambda: _open(st.session_state["scenario_pick"]))

    # Actions run as callbacks: they change the store (and the widgets' state) before the page is drawn.
    def name() -> str:
        return st.session_state.get("new_name", "").strip()

    def create() -> None:
        _open(db.create(name() or T("edit.default_name", n=len(ids) + 1), dkey, level, label))

    def duplicate() -> None:
        _open(db.duplicate(sid, name() or T("edit.copy_of", name=names[sid])))

    def rename() -> None:
        db.rename(sid, name())

    def delete() -> None:
        db.delete(sid)
        st.session_state.pop("scenario_id", None)
        st.session_state["delete_sure"] = False

    def import_units() -> None:
        ed, _ = st.session_state["_editor"]
        up = st.session_state.get("unit_upload")
        table = read_unit_table(up.getvalue(), up.name)
        edit = assignment_edit(table, level, ed.compound_ids, ed.result(()).table["school_id"], up.name)
        new = db.create(T("edit.imported", name=up.name), dkey, level, label)
        db.push(new, edit, 0, version=0)
        _open(new)

    with st.expander(T("edit.manage")):
        c1, c2 = st.columns(2)
        c1.text_input(T("edit.new_name"), key="new_name", max_chars=80)
        c1.button(T("edit.new"), key="scenario_new", on_click=_guard, args=(create,))
        c1.button(T("edit.duplicate"), key="scenario_dup", on_click=_guard, args=(duplicate,))
        c1.button(T("edit.rename"), key="scenario_rename", on_click=_guard, args=(rename,))
        sure = c2.checkbox(inert_t("edit.delete_sure", lang, name=names[sid]), key="delete_sure")
        c2.button(T("edit.delete"), key="scenario_delete", disabled=not sure, on_click=_guard, args=(delete,))
        up = c2.file_uploader(T("edit.import"), type=["csv"], key="unit_upload", help=T("edit.import.help"))
        c2.button(T("edit.import.go"), key="unit_import", disabled=up is None, on_click=_guard, args=(import_units,))


def read_unit_table(data: bytes, name: str) -> pd.DataFrame:
    """A unit-to-school CSV in any of the encodings Chinese files come in, every cell as text."""
    return read_plain_table(name, name=name, data=data).astype(str)


def _say(name: str, message) -> None:
    """Keep a message for the page (``name`` in the session), to be shown until the scenario changes."""
    st.session_state[name] = message
    st.session_state.pop(f"{name}_at", None)


def _unsay(name: str) -> None:
    st.session_state.pop(name, None)
    st.session_state.pop(f"{name}_at", None)


def _said(name: str, at: tuple):
    """The message kept under ``name``, while the page shows what it was said about: ``at`` (scenario id and
    version) when it was first shown. The map sends values back and reruns the page a moment after a click, so a
    message shown only once would vanish before it is read; it goes when the scenario changes instead."""
    message = st.session_state.get(name)
    if message is None:
        return None
    if st.session_state.setdefault(f"{name}_at", at) != at:
        _unsay(name)
        return None
    return message


def _guard(fn) -> None:
    """Run a callback; a user's mistake becomes a message on the page and changes nothing."""
    try:
        fn()
        _unsay("_edit_error")
    except XuequError as err:
        _say("_edit_error", (err.key, err.params))


def seen_scenario(stored):
    """Remember the scenario this run shows; return the one the page showed before it (``stored`` if it showed
    another scenario or nothing). The edit, undo or redo clicked in this run was made on that one: it is stored
    with that version, so the store refuses it if another tab has changed the scenario since."""
    prev = st.session_state.get("_shown")
    st.session_state["_shown"] = stored
    seen = prev if prev is not None and prev.id == stored.id else stored
    st.session_state["_seen"] = seen
    return seen


def _refused(err: XuequError) -> None:
    """Nothing was stored: say why at the top of the page, which shows the history as stored now."""
    _say("_edit_error", (err.key, err.params))
    st.rerun()


def push(db: Store, sid: int, history, edit: Edit, lang: str) -> bool:
    """Check an edit against the plan the page showed, then store it on that plan's version (one transaction).
    Nothing changes if it fails; if another tab changed the scenario meanwhile, the page says so and reloads."""
    try:
        _store_edit(db, sid, edit)
    except XuequError as err:
        _refused(err)
    _unsay("_edit_error")
    return True


def _store_edit(db: Store, sid: int, edit: Edit) -> None:
    ed, lock = st.session_state["_editor"]
    seen = st.session_state.get("_seen")
    if seen is None or seen.id != sid:
        seen = db.get(sid)
    with lock:
        ed.check(seen.history.push(edit).active)
    st.session_state["_shown"] = db.push(sid, edit, seen.history.cursor, version=seen.version)


def _edit_clicked(db: Store, sid: int, make) -> None:
    """A button's edit (``make()``, None: nothing to do), stored before the page runs, so the click costs one run of
    the page, not two; checked and refused as :func:`push` does (the reason is said at the top of the page)."""
    edit = make()
    if edit is not None:
        _guard(lambda: _store_edit(db, sid, edit))


def move(db: Store, sid: int, step: int) -> None:
    """Undo (-1) or redo (+1) on the history the page showed; refused if another tab has changed it since."""
    seen = st.session_state.get("_seen")
    if seen is None or seen.id != sid:
        seen = db.get(sid)
    try:
        st.session_state["_shown"] = db.set_cursor(sid, seen.history.cursor + step, version=seen.version)
    except XuequError as err:
        _refused(err)
    _unsay("_edit_error")
    st.rerun()


def store_problem(err: StoreError, lang: str) -> None:
    """The store cannot be used: say why, and offer a fresh one (the bad file is kept aside, never deleted)."""
    show_error(err, lang)
    st.button(t("edit.store_fresh", lang), key="store_fresh", on_click=_start_fresh, args=(str(err.path),))


def _start_fresh(path: str) -> None:
    try:
        _, moved = Store.start_fresh(path)
        _say("_store_moved", [str(p) for p in moved])
        _unsay("_edit_error")
    except XuequError as err:
        _say("_edit_error", (err.key, err.params))


# --- the map and its clicks ----------------------------------------------------------------------------------

def handle_map(out: dict | None, key: str, db: Store, sid: int, history, level: str, lang: str) -> None:
    """Turn the map's events into selection changes or school edits (each event handled once)."""
    if not out:
        return
    ed, _ = st.session_state["_editor"]
    mode = st.session_state.get("click_mode", "select")
    changed = False
    # A click on an object: its count grows with every click, even a second one on the same compound.
    count = out.get("last_object_clicked_count") or 0
    seen = st.session_state.get(f"_seen_{key}", 0)
    if count != seen:
        st.session_state[f"_seen_{key}"] = count
        hit = out.get("last_object_clicked")
        if count and hit and mode == "select":
            cid = ed.compound_at(hit["lng"], hit["lat"])
            if cid is not None:
                sel = selection()
                sel.remove(cid) if cid in sel else sel.append(cid)
                set_selection(sel)
                changed = True
    click = out.get("last_clicked")
    if click and click != st.session_state.get(f"_click_{key}"):
        st.session_state[f"_click_{key}"] = click
        if mode == "add":
            st.session_state["new_lon"] = round(float(click["lng"]), 6)
            st.session_state["new_lat"] = round(float(click["lat"]), 6)
            changed = True
        elif mode == "move" and st.session_state.get("school_pick"):
            changed = push(db, sid, history, Edit(MOVE_SCHOOL, school=st.session_state["school_pick"],
                                                  lon=float(click["lng"]), lat=float(click["lat"])), lang)
    drawings = out.get("all_drawings") or []
    if len(drawings) != st.session_state.get(f"_draw_{key}", 0):
        st.session_state[f"_draw_{key}"] = len(drawings)
        try:
            shape = shapely.geometry.shape(drawings[-1]["geometry"])
            set_selection(ed.compounds_in(shape))
            changed = True
        except (IndexError, KeyError, TypeError, ValueError, AttributeError):
            pass
    if changed:
        st.rerun()


def plan_base_map(inputs, lang: str, *, draw: bool = False):
    """The map a plan is drawn on: the data set's extent and basemap, the legend (and the drawing tools)."""
    js, css = leaflet_assets()
    bounds = inputs.compounds.total_bounds
    m = base_map(bounds, **basemap(inputs), leaflet_js=js, leaflet_css=css)
    m.add_child(legend(lang))
    tools = leaflet_draw() if draw else None
    if tools:  # the drawing tools are local files (see app.assets); without them, clicks still select
        plugin = folium.plugins.Draw(draw_options={"polyline": False, "circle": False, "marker": False,
                                                   "circlemarker": False, "polygon": True, "rectangle": True},
                                     edit_options={"edit": False, "remove": False})
        plugin.default_js = [("leaflet_draw_js", tools[0])]
        plugin.default_css = [("leaflet_draw_css", tools[1])]
        plugin.add_to(m)
    return m


def plan_map(result, inputs, lang: str, *, selected=(), changed=None, draw: bool = False) -> tuple:
    m = plan_base_map(inputs, lang, draw=draw)
    layers = zoning_layers(result, lang=lang, selected=selected, changed=changed, base_schools=inputs.schools)
    return m, layers


def map_key(digest: str, lang: str, *parts: object) -> str:
    """What a map of this data set shows, for ``show_map``: the data set, the language, the basemap, ``parts``."""
    return "|".join(map(str, (digest, lang, st.session_state.get("basemap", "streets"), *parts)))


def compare_map(result, inputs, lang: str, digest: str, key: str, height: int, *, changed=None) -> None:
    """A plan on its own map (no clicks sent back), rendered once per plan."""
    def build():
        m, layers = plan_map(result, inputs, lang, changed=changed)
        for g in layers:
            g.add_to(m)
        return m

    mark = "-" if changed is None else zlib.crc32(np.asarray(changed, bool).tobytes())
    show_map(map_key(digest, lang, "plan", result_key(result), mark), build, key=key, height=height)


# --- the view ------------------------------------------------------------------------------------------------

def render(lang: str, ds: Dataset | None) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    if not page_header(ds, lang, "edit.title", "edit.caption"):
        return
    digest = dataset_digest(ds)
    level = st.session_state.get("level", LEVELS[0])
    try:
        with st.status(T("app.loading_network"), expanded=False) as status:
            inputs = load_dataset(ds, digest)
            status.update(label=T("app.computing"))
            st.session_state["_editor"] = editor(inputs, digest, level)
            status.update(label=T("app.ready"), state="complete")
    except Exception as err:  # every failure is shown in the page, never as a traceback
        show_error(err, lang)
        return
    ed, lock = st.session_state["_editor"]
    try:  # a damaged, read-only or misplaced store is named in the page, with the offer of a fresh one
        db = store()
        dkey = dataset_key(ds)
        sid = current_scenario(db, dkey, inputs.name, level, lang)
        scenario_bar(db, dkey, inputs.name, level, sid, lang)
        sid = st.session_state["scenario_id"]
        stored = db.get(sid)
    except StoreError as err:
        if "_edit_error" in st.session_state:
            key_, params = st.session_state["_edit_error"]
            st.error(inert_t(key_, lang, **params), icon=":material/warning:")
        store_problem(err, lang)
        return
    seen_scenario(stored)
    moved = _said("_store_moved", (sid, stored.version))
    if moved is not None:
        st.info(inert_t("edit.store_fresh_done", lang, files=", ".join(moved) or "-"), icon=":material/info:")
    history = stored.history

    t0 = time.perf_counter()
    with lock:
        result = ed.result(history.active)
    ms = (time.perf_counter() - t0) * 1000
    rkey = result_key(result)  # names the plan shown: its map layers and its files are made once per plan

    # Undo / redo and the figures of the plan.
    u1, u2, u3 = st.columns([1, 1, 4])
    if u1.button(T("edit.undo"), key="undo", disabled=not history.can_undo, width="stretch"):
        move(db, sid, -1)
    if u2.button(T("edit.redo"), key="redo", disabled=not history.can_redo, width="stretch"):
        move(db, sid, +1)
    u3.caption(T("edit.status", edits=history.cursor, total=len(history.edits), ms=ms))
    s = result.summary
    cols = st.columns(5)
    cols[0].metric(T("opt.row.over"), f"{s['over_capacity']:,}")
    cols[1].metric(T("opt.row.moved"), f"{s['moved_children']:,}")
    cols[2].metric(T("col.mean_m"), f"{s['mean_m']:,.0f}")
    cols[3].metric(T("col.within_radius"), f"{s['within_radius']:.1%}")
    cols[4].metric(T("opt.row.islands"), f"{s['islands']:,}")
    said = _said("_edit_error", (sid, stored.version))
    if said is not None:
        key_, params = said
        st.error(inert_t(key_, lang, **params), icon=":material/warning:")
    loaded = list(inputs.warnings)  # what the data set's files say: in a few words, the list in an expander
    warnings_summary([w for w in result.warnings if w in loaded], lang)
    for key_, params in result.warnings:  # a half-finished plan is allowed: warn, never block
        if (key_, params) not in loaded:
            st.warning(inert_t(key_, lang, **params), icon=":material/warning:")

    left, right = st.columns([3, 2])
    with left:
        st.radio(T("edit.click_mode"), CLICK_MODES, format_func=lambda k: T(f"edit.click.{k}"), horizontal=True,
                 key="click_mode")
        # The base map is rendered once; an edit or a click only swaps the plan's layers over it (show_map).
        sel = selection()
        key = f"edit_map_{sid}_{level}"
        out = show_map(map_key(digest, lang, "edit"), lambda: plan_base_map(inputs, lang, draw=True), key=key,
                       height=600, returned_objects=MAP_RETURNS, layer_control=True,
                       layers=lambda: zoning_layers(result, lang=lang, selected=sel, base_schools=inputs.schools),
                       layers_key=f"{rkey}|{sel}")
        handle_map(out, key, db, sid, history, level, lang)
    with right:
        selection_panel(db, sid, history, result, level, lang)
        school_panel(db, sid, history, result, inputs, level, lang)

    st.subheader(T("app.table"))
    school_table(result, lang)
    compare_panel(db, dkey, sid, result, inputs, lang, digest)
    export_panel(stored.name, result, level, lang, rkey)


def selection_panel(db: Store, sid: int, history, result, level: str, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    a = result.assignments
    labels = {str(c): f"{n} ({c}) → {s}" for c, n, s in zip(a["compound_id"], a["name"], a["school_name"])}
    sel = [c for c in selection() if c in labels]
    # The browser keeps a list widget's chips as their texts while its key stands, and sends those texts back on
    # every rerun: once an edit changes a compound's school, the old text matches no option and the selection
    # would be dropped without a word. The key names the texts, so a plan that changes them draws a new widget,
    # whose chips are the selection with its schools as they are now.
    digest = zlib.crc32("\x1f".join(labels.values()).encode())
    key = f"selection_{st.session_state.get('sel_version', 0)}_{digest:08x}"
    chosen = st.multiselect(T("edit.selection"), list(labels), default=sel, format_func=lambda c: labels.get(c, str(c)),
                            key=key, placeholder=T("app.choose"),
                            help=T("edit.selection.help"), on_change=_selection_widget_changed, args=(key,))
    sel = [str(c) for c in chosen if str(c) in labels]  # the caption and the buttons say what the chips show
    st.session_state["sel"] = sel
    kids = int(a.loc[a["compound_id"].isin(sel), "children"].sum())
    st.caption(T("edit.selected", count=len(sel), children=kids))
    schools = {str(k): str(v) for k, v in zip(result.table["school_id"], result.table["name"])}
    target = st.selectbox(T("edit.target"), list(schools), format_func=lambda s: f"{schools.get(s, s)} ({s})",
                          key="target_school")
    b1, b2, b3, b4 = st.columns(4)
    current = dict(zip(a["compound_id"], a["school_id"]))

    def chosen_now() -> list[str]:  # in a click's callback: the chips as the click found them
        return [str(c) for c in st.session_state.get(key, sel) if str(c) in labels]

    def reassign() -> Edit | None:
        now, to = chosen_now(), st.session_state.get("target_school")
        return Edit(REASSIGN, level=level, pairs=tuple((c, to) for c in now)) if now and to is not None else None

    def lock() -> Edit | None:
        now = chosen_now()
        return Edit(LOCK, level=level, pairs=tuple((c, current[c]) for c in now)) if now else None

    def unlock() -> Edit | None:
        now = chosen_now()
        return Edit(UNLOCK, level=level, compounds=tuple(now)) if now else None

    # Each edit is stored in the click's callback, before the page runs: the page runs once for it, not twice.
    b1.button(T("edit.reassign"), key="do_reassign", disabled=not sel or target is None, on_click=_edit_clicked,
              args=(db, sid, reassign))
    b2.button(T("edit.lock"), key="do_lock", disabled=not sel, on_click=_edit_clicked, args=(db, sid, lock))
    b3.button(T("edit.unlock"), key="do_unlock", disabled=not sel, on_click=_edit_clicked, args=(db, sid, unlock))
    b4.button(T("edit.clear"), key="do_clear", disabled=not sel, on_click=set_selection, args=([],))


def school_panel(db: Store, sid: int, history, result, inputs, level: str, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    with st.expander(T("edit.schools"), expanded=st.session_state.get("click_mode") != "select"):
        schools = {str(k): str(v) for k, v in zip(result.table["school_id"], result.table["name"])}
        seats = dict(zip(result.table["school_id"], result.table["seats"]))
        pick = st.selectbox(T("edit.school"), list(schools), format_func=lambda s: f"{schools.get(s, s)} ({s})",
                            key="school_pick", help=T("edit.move.help"))
        c1, c2 = st.columns(2)
        raw = inputs.schools.set_index(inputs.schools["school_id"].astype(str))
        cap_now = int(raw.at[pick, "capacity"]) if pick in raw.index else int(seats.get(pick, 1))
        cap = c1.number_input(T("edit.capacity"), 1, MAX_SEATS, min(cap_now, MAX_SEATS), step=45, key=f"cap_{pick}")
        if c1.button(T("edit.set_capacity"), key="do_capacity", disabled=pick is None):
            if push(db, sid, history, Edit(SET_CAPACITY, school=pick, capacity=int(cap)), lang):
                st.rerun()
        if c2.button(T("edit.close"), key="do_close", disabled=pick is None):
            if push(db, sid, history, Edit(CLOSE_SCHOOL, school=pick), lang):
                st.rerun()
        st.divider()
        st.markdown(T("edit.add"))
        if st.session_state.pop("_school_added", False):  # set before the field is drawn: the browser shows it
            st.session_state["new_school_name"] = ""
        name = st.text_input(T("edit.add.name"), key="new_school_name", max_chars=60)
        a1, a2 = st.columns(2)
        kind = a1.selectbox(T("app.level"), SCHOOL_LEVELS, format_func=lambda k: T(f"level.{k}"),
                            index=SCHOOL_LEVELS.index(level), key="new_school_level")
        new_cap = a2.number_input(T("edit.capacity"), 1, MAX_SEATS, 1080, step=45, key="new_school_capacity")
        centre = inputs.compounds.total_bounds
        st.session_state.setdefault("new_lon", round(float((centre[0] + centre[2]) / 2), 6))
        st.session_state.setdefault("new_lat", round(float((centre[1] + centre[3]) / 2), 6))
        a1.number_input(T("edit.lon"), -180.0, 180.0, step=0.001, format="%.6f", key="new_lon")
        a2.number_input(T("edit.lat"), -90.0, 90.0, step=0.001, format="%.6f", key="new_lat",
                        help=T("edit.add.help"))
        all_ids = set(inputs.schools["school_id"].astype(str)) | {e.school for e in history.edits}
        n = 1
        while f"NEW{n:02d}" in all_ids:
            n += 1
        if st.button(T("edit.add.go"), key="do_add", disabled=not name.strip()):
            edit = Edit(ADD_SCHOOL, school=f"NEW{n:02d}", name=name.strip(), school_level=kind, capacity=int(new_cap),
                        lon=float(st.session_state["new_lon"]), lat=float(st.session_state["new_lat"]))
            if push(db, sid, history, edit, lang):
                st.session_state["_school_added"] = True  # the name is cleared: a second click adds nothing
                st.rerun()


def compare_panel(db: Store, dkey: str, sid: int, result, inputs, lang: str, digest: str) -> None:
    """This plan beside another (or beside the base zoning): two maps, the changed compounds, the differences."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    st.subheader(T("edit.compare"))
    if not st.toggle(T("edit.compare.show"), key="show_compare"):
        return
    others = [s for s in db.list(dkey) if s.id != sid]
    options = [0] + [s.id for s in others]
    names = {0: T("edit.base")} | {s.id: s.name for s in others}
    other_id = st.selectbox(T("edit.compare_with"), options, format_func=names.get, key="compare_with")
    ed, lock = st.session_state["_editor"]
    with lock:
        other = ed.result(db.get(other_id).history.active if other_id else ())
    a, b = other.assignments, result.assignments
    changed = (a["school_id"].to_numpy() != b["school_id"].to_numpy())
    kids = b["children"].to_numpy()
    st.caption(inert_t("edit.compare.moved", lang, compounds=int(changed.sum()), children=int(kids[changed].sum()),
                       other=names[other_id]))
    c1, c2 = st.columns(2)
    for col, res, label, k in ((c1, other, names[other_id], "cmp_a"), (c2, result, T("edit.this"), "cmp_b")):
        with col:
            st.markdown(f"**{inert(label)}**")
            compare_map(res, inputs, lang, digest, f"{k}_{other_id}", 380)
    st.markdown(T("edit.changed_map"))
    compare_map(result, inputs, lang, digest, f"cmp_changed_{other_id}", 420, changed=changed)
    diff = other.table[["school_id", "name", "seats", "children", "utilisation", "mean_m", "within_radius"]].merge(
        result.table[["school_id", "seats", "children", "utilisation", "mean_m", "within_radius"]], on="school_id",
        how="outer", suffixes=("_a", "_b"))
    diff["name"] = diff["name"].fillna(diff["school_id"].map(dict(zip(result.table["school_id"],
                                                                       result.table["name"]))))
    diff["delta"] = diff["children_b"].fillna(0) - diff["children_a"].fillna(0)
    for c in ("utilisation_a", "utilisation_b", "within_radius_a", "within_radius_b"):
        diff[c] = diff[c] * 100
    num = st.column_config.NumberColumn
    cfg = {"school_id": None, "seats_a": None,
           "name": st.column_config.TextColumn(T("col.school_name")),
           "seats_b": num(T("col.capacity"), format="%d"),
           "children_a": num(T("edit.col.children_a"), format="%d"),
           "children_b": num(T("edit.col.children_b"), format="%d"),
           "delta": num(T("edit.col.delta"), format="%+d"),
           "utilisation_a": num(T("edit.col.util_a"), format="%.0f%%"),
           "utilisation_b": num(T("edit.col.util_b"), format="%.0f%%"),
           "mean_m_a": num(T("edit.col.mean_a"), format="%.0f"),
           "mean_m_b": num(T("edit.col.mean_b"), format="%.0f"),
           "within_radius_a": num(T("edit.col.within_a"), format="%.0f%%"),
           "within_radius_b": num(T("edit.col.within_b"), format="%.0f%%")}
    diff, cfg = dash_missing(diff, cfg)  # a school open in one plan only: "—" in the other's columns, never "None"
    st.dataframe(diff, column_config=cfg, hide_index=True, width="stretch", key="compare_table")


# Export files are made when the plan changes (about 0.2 s on the demo), once per plan, and handed to the
# buttons as bytes: a file made on click is lost when the page reruns between drawing and click (app.common).
EXPORTS = {
    "catchments.geojson": lambda r: export.catchments_geojson(r).encode(),
    "assignments.geojson": lambda r: export.assignments_geojson(r).encode(),
    "plan.gpkg": export.geopackage,
    "schools.csv": lambda r: export.table_csv(r.table),
    "schools.xlsx": lambda r: export.school_table_xlsx(r.table),
    "units.csv": export.unit_csv,
}
MIME = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export_panel(name: str, result, level: str, lang: str, rkey: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    st.subheader(T("app.downloads"))
    stem = f"{export.safe_filename(name)}-{level}"
    data = plan_files(EXPORTS, result, "edit:" + rkey)
    download_row([(T(f"edit.download.{file}"), data[file], f"{stem}-{file}",
                   MIME[file.rsplit(".", 1)[1]], "dl_" + file.replace(".", "_", 1)) for file in EXPORTS])
