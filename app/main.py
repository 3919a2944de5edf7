"""Xuequ's Streamlit page: load a district, zone it, look at the map and the figures, download.

Run with ``make app`` (or ``streamlit run app/main.py``). The page only wires widgets to geo/ and caches.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app.assets import ensure_leaflet
from app.state import DATASETS, Dataset, demo_dataset, scenario_from_state
from geo import export, io
from geo.assignment import METHODS, NETWORK, OPTIMAL
from geo.errors import XuequError
from geo.i18n import t
from geo.maps import zoning_map
from geo.metrics import RADIUS_M
from geo.network import MODES
from geo.scenario import EXACT, FAST, Inputs, Scenario, ZoningResult, run_scenario
from geo.schools import LEVELS

st.set_page_config(page_title="学区 Xuequ", page_icon="🏫", layout="wide")


# --- cached stages -------------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=8)
def load_dataset(ds: Dataset, digest: str) -> Inputs:
    """The inputs of a dataset, shared read-only by every session (``digest`` keys file contents)."""
    if ds.kind == "place":
        return io.inputs_from_place(ds.place, ds.mode)
    name = t("app.dataset.demo", "en") if ds.kind == "demo" else Path(ds.network).name
    return io.load_inputs(ds.network, ds.schools or None, ds.compounds or None, ds.mode, name=name)


@st.cache_data(show_spinner=False, max_entries=32)
def zoning(_inputs: Inputs, data_key: str, scenario: Scenario) -> ZoningResult:
    return run_scenario(_inputs, scenario)


@st.cache_data(show_spinner=False, max_entries=32)
def downloads(_result: ZoningResult, key: str) -> tuple[str, str, bytes]:
    return export.catchments_geojson(_result), export.assignments_geojson(_result), export.table_csv(_result.table)


@st.cache_resource(show_spinner=False)
def leaflet_assets() -> tuple[str, str]:
    return ensure_leaflet()


def dataset_digest(ds: Dataset) -> str:
    h = hashlib.sha256(repr(ds).encode())
    for f in (ds.network, ds.schools, ds.compounds):
        if f and Path(f).is_file():
            st_ = Path(f).stat()
            h.update(f"{st_.st_size}:{st_.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def save_upload(upload) -> str:
    """An uploaded file, kept on disk under its content hash (so the network cache can key on it)."""
    data = upload.getvalue()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", upload.name)[-80:]
    path = io.cache_dir() / "uploads" / f"{hashlib.sha256(data).hexdigest()[:16]}-{safe}"
    if not path.is_file():
        io.write_bytes(path, data)
    return str(path)


# --- sidebar -------------------------------------------------------------------------------------------

def sidebar() -> tuple[str, Dataset | None]:
    sb = st.sidebar
    lang = sb.radio("语言 / Language", ["zh", "en"], format_func={"zh": "中文", "en": "English"}.get,
                    horizontal=True, key="lang")
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    kind = sb.radio(T("app.dataset"), DATASETS, format_func=lambda k: T(f"app.dataset.{k}"), key="dataset")
    mode = sb.radio(T("app.mode"), MODES, format_func=lambda k: T(f"mode.{k}"), horizontal=True, key="mode")
    ds: Dataset | None = None
    if kind == "demo":
        ds = demo_dataset(mode)
    elif kind == "path":
        net = sb.text_input(T("app.osm_path"), key="osm_path").strip()
        schools = sb.text_input(T("app.schools_file"), key="schools_path").strip()
        compounds = sb.text_input(T("app.demand_file"), key="compounds_path").strip()
        if net:
            ds = Dataset("path", net, schools, compounds, mode=mode)
    elif kind == "upload":
        up = sb.file_uploader(T("app.osm_upload"), type=["osm", "bz2", "pbf", "xml"], key="osm_upload")
        s_up = sb.file_uploader(T("app.schools_file"), type=["csv", "geojson", "json", "gpkg", "zip"], key="s_up")
        c_up = sb.file_uploader(T("app.demand_file"), type=["csv", "geojson", "json", "gpkg", "zip"], key="c_up")
        if up is not None:
            ds = Dataset("upload", save_upload(up), save_upload(s_up) if s_up else "",
                         save_upload(c_up) if c_up else "", mode=mode)
    else:
        place = sb.text_input(T("app.place"), key="place").strip()
        if place and sb.button(T("app.load"), key="load_place"):
            st.session_state["place_loaded"] = place
        if st.session_state.get("place_loaded"):
            ds = Dataset("place", place=st.session_state["place_loaded"], mode=mode)
    sb.divider()
    sb.radio(T("app.level"), LEVELS, format_func=lambda k: T(f"level.{k}"), horizontal=True, key="level")
    sb.radio(T("app.method"), METHODS, format_func=lambda k: T(f"method.{k}"), key="method")
    if st.session_state.get("method") == OPTIMAL:
        with sb.expander(T("opt.settings"), expanded=True):
            st.radio(T("opt.solver"), [FAST, EXACT], format_func=lambda k: T(f"opt.solver.{k}"), horizontal=True,
                     key="solver")
            st.slider(T("opt.tolerance"), 100, 120, 100, step=1, format="%d%%", key="tolerance")
            st.number_input(T("opt.max_walk"), 0, 10_000, 0, step=100, key="max_walk", help=T("opt.max_walk.help"))
            st.number_input(T("opt.stability"), 0, 5_000, 0, step=100, key="stability", help=T("opt.stability.help"))
            st.checkbox(T("opt.contiguous"), True, key="contiguous")
            st.slider(T("opt.time_limit"), 1, 60, 10, key="time_limit")
    sb.radio(T("app.basemap"), ["none", "osm"], format_func=lambda k: T(f"app.basemap.{k}"), key="basemap")
    return lang, ds


# --- main area -----------------------------------------------------------------------------------------

def distance_chart(result: ZoningResult, lang: str) -> alt.LayerChart:
    a = result.assignments
    radius = RADIUS_M[result.scenario.level]
    top = max(float(a["distance_m"].max()), radius) + 100
    bins = np.arange(0, top + 100, 100)
    counts, edges = np.histogram(a["distance_m"], bins=bins, weights=a["children"])
    df = pd.DataFrame({"from": edges[:-1], "to": edges[1:], "children": counts})
    x_title, y_title = t("chart.x", lang), t("chart.y", lang)
    bars = alt.Chart(df).mark_bar(color="#4e79a7").encode(
        x=alt.X("from:Q", title=x_title, bin="binned"), x2="to:Q", y=alt.Y("children:Q", title=y_title),
        tooltip=[alt.Tooltip("from:Q", title=x_title), alt.Tooltip("children:Q", title=y_title)])
    rule = alt.Chart(pd.DataFrame({"r": [radius]})).mark_rule(color="#c62828", strokeDash=[6, 3]).encode(
        x="r:Q", tooltip=[alt.Tooltip("r:Q", title=t("chart.radius", lang))])
    return (bars + rule).properties(height=300)


def school_table(result: ZoningResult, lang: str) -> None:
    tab = result.table.copy()
    tab["utilisation"] = tab["utilisation"] * 100
    tab["within_radius"] = tab["within_radius"] * 100
    cfg = {
        "school_id": st.column_config.TextColumn(t("col.school_id", lang)),
        "name": st.column_config.TextColumn(t("col.school_name", lang)),
        "seats": st.column_config.NumberColumn(t("col.capacity", lang), format="%d"),
        "children": st.column_config.NumberColumn(t("col.children", lang), format="%d"),
        "compounds": st.column_config.NumberColumn(t("col.compounds", lang), format="%d"),
        "utilisation": st.column_config.NumberColumn(t("col.utilisation", lang), format="%.0f%%"),
        "mean_m": st.column_config.NumberColumn(t("col.mean_m", lang), format="%.0f"),
        "median_m": st.column_config.NumberColumn(t("col.median_m", lang), format="%.0f"),
        "p90_m": st.column_config.NumberColumn(t("col.p90_m", lang), format="%.0f"),
        "within_radius": st.column_config.NumberColumn(t("col.within_radius", lang), format="%.0f%%"),
        "over_capacity": st.column_config.NumberColumn(t("opt.row.over", lang), format="%d"),
        "compactness": st.column_config.NumberColumn(t("opt.row.compactness", lang), format="%.2f"),
        "parts": st.column_config.NumberColumn(t("opt.parts", lang), format="%d"),
    }
    st.dataframe(tab, column_config=cfg, hide_index=True, width="stretch", key="school_table")


def locked_pairs(nearest: ZoningResult) -> tuple[tuple[str, str], ...]:
    """Locked compounds stay in their school of the starting plan (nearest-school zones)."""
    chosen = set(st.session_state.get("locked", []))
    a = nearest.assignments
    return tuple((c, s) for c, s in zip(a["compound_id"], a["school_id"]) if c in chosen)


def lock_panel(nearest: ZoningResult, lang: str) -> None:
    a = nearest.assignments
    labels = dict(zip(a["compound_id"], a["name"] + " → " + a["school_name"]))
    st.multiselect(t("opt.locked", lang), list(labels), format_func=labels.get, key="locked",
                   help=t("opt.locked.help", lang))


def compare_panel(nearest: ZoningResult, plan: ZoningResult, lang: str) -> None:
    """The plan beside nearest-school zoning: district figures, then seats and children per school."""
    st.subheader(t("opt.compare", lang))
    s = plan.summary
    if s.get("solver"):
        st.caption(t("opt.solved", lang, solver=t(f"opt.status.{s['solver']}", lang), gap=s["gap"],
                     seconds=s["seconds"], moved=s["moved_children"], compounds=s["moved_compounds"]))
    rows = [("opt.row.over", "over_capacity", "{:,.0f}"), ("col.mean_m", "mean_m", "{:,.0f}"),
            ("col.within_radius", "within_radius", "{:.1%}"), ("opt.row.moved", "moved_children", "{:,.0f}"),
            ("opt.row.compactness", "compactness", "{:.2f}"), ("opt.row.islands", "islands", "{:,.0f}")]
    df = pd.DataFrame({
        t("opt.figure", lang): [t(k, lang) for k, _, _ in rows],
        t("method.network", lang): [f.format(nearest.summary.get(c, 0)) for _, c, f in rows],
        t("method.optimal", lang): [f.format(plan.summary.get(c, 0)) for _, c, f in rows],
    })
    left, right = st.columns([2, 3])
    left.dataframe(df, hide_index=True, width="stretch", key="compare_summary")
    per = nearest.table[["school_id", "name", "seats", "children"]].merge(
        plan.table[["school_id", "children"]], on="school_id", suffixes=("_nearest", "_plan"))
    per["utilisation_nearest"] = per["children_nearest"] / per["seats"] * 100
    per["utilisation_plan"] = per["children_plan"] / per["seats"] * 100
    cfg = {
        "school_id": None,
        "name": st.column_config.TextColumn(t("col.school_name", lang)),
        "seats": st.column_config.NumberColumn(t("col.capacity", lang), format="%d"),
        "children_nearest": st.column_config.NumberColumn(t("opt.children_nearest", lang), format="%d"),
        "children_plan": st.column_config.NumberColumn(t("opt.children_plan", lang), format="%d"),
        "utilisation_nearest": st.column_config.NumberColumn(t("opt.util_nearest", lang), format="%.0f%%"),
        "utilisation_plan": st.column_config.NumberColumn(t("opt.util_plan", lang), format="%.0f%%"),
    }
    right.dataframe(per, column_config=cfg, hide_index=True, width="stretch", key="compare_schools")


def show_error(err: Exception, lang: str) -> None:
    if isinstance(err, XuequError):
        st.error(err.message(lang), icon="⚠️")
    else:
        st.error(f"{type(err).__name__}: {err}", icon="⚠️")


def main() -> None:
    lang, ds = sidebar()
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    st.title(T("app.title"))
    st.caption(T("app.caption"))
    if ds is None:
        st.info(T("app.nothing"))
        return
    if ds.kind == "demo":
        st.info(T("app.demo_note"), icon="ℹ️")

    digest = dataset_digest(ds)
    level = st.session_state.get("level", LEVELS[0])
    try:
        with st.status(T("app.loading_network"), expanded=False) as status:
            inputs = load_dataset(ds, digest)
            status.update(label=T("app.computing"))
            nearest = zoning(inputs, digest, Scenario(level, NETWORK))
            scenario = scenario_from_state(st.session_state, locked_pairs(nearest))
            if scenario.method == OPTIMAL:
                status.update(label=T("opt.solving"))
            result = zoning(inputs, digest, scenario)
            status.update(label=T("app.ready"), state="complete")
    except Exception as err:  # every failure is shown in the page, never as a traceback
        show_error(err, lang)
        if st.session_state.get("method") == OPTIMAL and "nearest" in locals():
            lock_panel(nearest, lang)
        return

    s = result.summary
    st.markdown(T("app.summary", schools=s["schools"], compounds=s["compounds"], children=int(s["children"]),
                  within=s["within_radius"]))

    js, css = leaflet_assets()
    m = zoning_map(result, lang=lang, tiles="OpenStreetMap" if st.session_state.get("basemap") == "osm" else None,
                   leaflet_js=js, leaflet_css=css)
    st.subheader(T("app.map"))
    st_folium(m, height=620, use_container_width=True, returned_objects=[], key="map")

    if scenario.method == OPTIMAL:
        compare_panel(nearest, result, lang)
        lock_panel(nearest, lang)

    left, right = st.columns([3, 2])
    with left:
        st.subheader(T("app.table"))
        school_table(result, lang)
    with right:
        st.subheader(T("app.chart"))
        st.altair_chart(distance_chart(result, lang), width="stretch")

    st.subheader(T("app.downloads"))
    key = f"{digest}-{hash(scenario)}"
    catch, assign, table = downloads(result, key)
    c1, c2, c3 = st.columns(3)
    stem = f"{scenario.level}-{scenario.method}"
    c1.download_button(T("app.download.catchments"), catch, f"catchments-{stem}.geojson", "application/geo+json",
                       key="dl_catchments")
    c2.download_button(T("app.download.assignments"), assign, f"assignments-{stem}.geojson", "application/geo+json",
                       key="dl_assignments")
    c3.download_button(T("app.download.table"), table, f"schools-{stem}.csv", "text/csv", key="dl_table")

    if result.warnings:
        with st.expander(f"{T('app.warnings')} ({len(result.warnings)})"):
            for key_, params in result.warnings:
                st.write("- " + t(key_, lang, **params))


main()
