"""Xuequ's Streamlit page: load a district, zone it, edit plans, look at the map and the figures, download.

Run with ``make app`` (or ``streamlit run app/main.py``). The page only wires widgets to geo/ and caches;
each view lives in its own module (``zoning_view``, ``edit_view``).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

import streamlit as st

from app import alliance_view, edit_view, equity_view, forecast_view, official_view, zoning_view
from app.common import save_upload, show_error
from app.state import DATASETS, Dataset, demo_dataset
from app.tables import TABLE_TYPES, table_options
from geo.errors import XuequError
from geo.inputs.paths import check_under_roots
from geo.inputs.schools import LEVELS
from geo.network.graph import MODES
from geo.render.i18n import t
from geo.zoning.assignment import METHODS, OPTIMAL
from geo.zoning.scenario import EXACT, FAST

st.set_page_config(page_title="学区 Xuequ", page_icon="🏫", layout="wide")

VIEWS = ("zones", "edit", "official", "equity", "alliances", "forecast")
RENDER = {"zones": zoning_view.render, "edit": edit_view.render, "official": official_view.render,
          "equity": equity_view.render, "alliances": alliance_view.render, "forecast": forecast_view.render}


# Choices survive a change of language: their widgets' labels change with it, and a browser would otherwise
# draw them afresh with their defaults. Every plain value a widget holds (text, numbers, choices) is kept;
# check boxes are named, because buttons hold booleans too and those cannot be set.
KEPT_CHECKBOXES = ("contiguous", "show_compare", "eq_sugg_within")


def _keepable(key: str, value) -> bool:
    if key.startswith("_") or isinstance(value, bool):
        return key in KEPT_CHECKBOXES
    if isinstance(value, (list, tuple)):
        return all(isinstance(v, (str, int, float)) for v in value)
    return isinstance(value, (str, int, float))


def _keep_choices() -> None:
    st.query_params["lang"] = st.session_state["lang"]  # a reload keeps the language too
    st.session_state["_kept"] = {k: v for k, v in st.session_state.items() if k != "lang" and _keepable(k, v)}


def _restore_choices() -> None:
    for k, v in st.session_state.pop("_kept", {}).items():
        try:
            st.session_state[k] = v
        except st.errors.StreamlitAPIException:  # a widget that cannot be set: it starts afresh
            pass


def _remember_view() -> None:
    """The view is in the address, so a reload (or a shared link) opens the same one."""
    st.query_params["view"] = st.session_state["view"]


# --- sidebar -------------------------------------------------------------------------------------------

def typed_path(label: str, key: str, lang: str) -> str | None:
    """A file path typed in the sidebar: "" when none, None when it lies outside the data roots (said in the
    sidebar, naming the path and the roots), else the path with symbolic links and ``..`` resolved."""
    path = st.sidebar.text_input(label, key=key).strip()
    if not path:
        return ""
    try:
        return str(check_under_roots(path))
    except XuequError as err:
        show_error(err, lang, st.sidebar)
        return None


def sidebar() -> tuple[str, str, Dataset | None]:
    sb = st.sidebar
    lang = sb.radio("语言 / Language", ["zh", "en"], format_func={"zh": "中文", "en": "English"}.get,
                    horizontal=True, key="lang", on_change=_keep_choices)
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    view = sb.radio(T("app.view"), VIEWS, format_func=lambda k: T(f"view.{k}"), key="view",
                    on_change=_remember_view)
    sb.divider()
    kind = sb.radio(T("app.dataset"), DATASETS, format_func=lambda k: T(f"app.dataset.{k}"), key="dataset")
    mode = sb.radio(T("app.mode"), MODES, format_func=lambda k: T(f"mode.{k}"), horizontal=True, key="mode")
    ds: Dataset | None = None
    if kind == "demo":
        ds = demo_dataset(mode)
    elif kind == "path":
        net = typed_path(T("app.osm_path"), "osm_path", lang)
        schools = typed_path(T("app.schools_file"), "schools_path", lang)
        s_coords, s_map = table_options(sb, "schools", schools or "", Path(schools or "").name, lang, "s_path")
        compounds = typed_path(T("app.demand_file"), "compounds_path", lang)
        c_coords, c_map = table_options(sb, "compounds", compounds or "", Path(compounds or "").name, lang, "c_path")
        # a refused path loads nothing; without an OSM file both tables are needed (straight-line distances)
        with sb.expander(T("app.boundary")):
            b_path = typed_path(T("app.boundary_file"), "boundary_path", lang)
            b_name = st.text_input(T("app.boundary_name"), key="boundary_name", help=T("app.boundary.help")).strip()
        if (net or (schools and compounds)) and net is not None and schools is not None and compounds is not None \
                and b_path is not None:
            ds = Dataset("path", net, schools, compounds, mode=mode, schools_coords=s_coords,
                         compounds_coords=c_coords, schools_mapping=s_map, compounds_mapping=c_map,
                         boundary=b_path, boundary_name=b_name)
    elif kind == "upload":
        up = sb.file_uploader(T("app.osm_upload"), type=["osm", "bz2", "pbf", "xml"], key="osm_upload")
        s_up = sb.file_uploader(T("app.schools_file"), type=TABLE_TYPES, key="s_up")
        c_up = sb.file_uploader(T("app.demand_file"), type=TABLE_TYPES, key="c_up")
        try:  # an upload over the size limit is refused with a message naming it
            net, schools, compounds = (save_upload(u) if u is not None else "" for u in (up, s_up, c_up))
        except XuequError as err:
            show_error(err, lang, sb)
            net = schools = compounds = ""
        s_coords, s_map = table_options(sb, "schools", schools, s_up.name if s_up else "", lang, "s_up")
        c_coords, c_map = table_options(sb, "compounds", compounds, c_up.name if c_up else "", lang, "c_up")
        with sb.expander(T("app.boundary")):
            b_up = st.file_uploader(T("app.boundary_file"), type=["geojson", "json", "gpkg", "kml", "zip"],
                                    key="boundary_up")
            b_name = st.text_input(T("app.boundary_name"), key="boundary_name_up", help=T("app.boundary.help")).strip()
        try:
            b_path = save_upload(b_up) if b_up is not None else ""
        except XuequError as err:
            show_error(err, lang, sb)
            b_path = ""
        if net or (schools and compounds):  # no OSM file: the two tables, on straight-line distances
            ds = Dataset("upload", net, schools, compounds, mode=mode, schools_coords=s_coords,
                         compounds_coords=c_coords, schools_mapping=s_map, compounds_mapping=c_map,
                         boundary=b_path, boundary_name=b_name)
    else:
        place = sb.text_input(T("app.place"), key="place").strip()
        if place and sb.button(T("app.load"), key="load_place"):
            st.session_state["place_loaded"] = place
        if st.session_state.get("place_loaded"):
            ds = Dataset("place", place=st.session_state["place_loaded"], mode=mode)
    sb.divider()
    sb.radio(T("app.level"), LEVELS, format_func=lambda k: T(f"level.{k}"), horizontal=True, key="level")
    if view == "zones":
        sb.radio(T("app.method"), METHODS, format_func=lambda k: T(f"method.{k}"), key="method")
    if view == "zones" and st.session_state.get("method") == OPTIMAL:
        with sb.expander(T("opt.settings"), expanded=True):
            st.radio(T("opt.solver"), [FAST, EXACT], format_func=lambda k: T(f"opt.solver.{k}"), horizontal=True,
                     key="solver")
            st.slider(T("opt.tolerance"), 100, 120, 100, step=1, format="%d%%", key="tolerance")
            st.number_input(T("opt.max_walk"), 0, 10_000, 0, step=100, key="max_walk", help=T("opt.max_walk.help"))
            st.number_input(T("opt.stability"), 0, 5_000, 0, step=100, key="stability", help=T("opt.stability.help"))
            st.checkbox(T("opt.contiguous"), True, key="contiguous")
            st.number_input(T("opt.min_fill"), 0, 100, 60, step=5, key="min_fill", help=T("opt.min_fill.help"))
            st.number_input(T("opt.boundary_band"), 0, 10_000, 0, step=100, key="boundary_band",
                            help=T("opt.boundary_band.help"))
            st.text_input(T("opt.group_column"), "", key="group_column", help=T("opt.group_column.help"))
            st.slider(T("opt.time_limit"), 1, 60, 10, key="time_limit")
    with sb.expander(T("app.standards")):  # China's planning standards, as defaults a planner may change
        st.number_input(T("app.radius"), 0, 5_000, 0, step=50, key="radius", help=T("app.radius.help"))
        seats = st.number_input(T("app.default_seats"), 0, 20_000, 0, step=60, key="default_seats",
                                help=T("app.default_seats.help"))
    if ds is not None and seats and ds.kind != "place":
        ds = dataclasses.replace(ds, default_seats=int(seats))
    sb.radio(T("app.basemap"), ["streets", "osm", "none"], format_func=lambda k: T(f"app.basemap.{k}"), key="basemap")
    return lang, view, ds


def main() -> None:
    _restore_choices()
    if "lang" not in st.session_state and st.query_params.get("lang") in ("zh", "en"):
        st.session_state["lang"] = st.query_params["lang"]
    if "view" not in st.session_state and st.query_params.get("view") in VIEWS:
        st.session_state["view"] = st.query_params["view"]
    lang, view, ds = sidebar()
    RENDER[view](lang, ds)


if os.environ.get("XUEQU_TIMING"):  # how long each run of the page takes, on stderr (profiling the page)
    _t0 = time.perf_counter()
    try:
        main()
    finally:
        print(f"xuequ run: {st.session_state.get('view')} {time.perf_counter() - _t0:.2f} s", file=sys.stderr,
              flush=True)
else:
    main()
