"""The official zones view: a bureau's zone list (划片范围) read against the dataset's streets and schools,
drawn as zones, compared with nearest-school zoning, and any plan written back as such a list."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app.common import (
    dataset_digest,
    download_row,
    inert_t,
    leaflet_assets,
    load_dataset,
    page_header,
    show_error,
    zoning,
)
from app.state import Dataset
from geo.inputs import Inputs
from geo.inputs.paths import check_under_roots
from geo.inputs.schools import LEVELS
from geo.official import (
    MAX_ZONE_TEXT_BYTES,
    ZoneText,
    load_zone_source,
    official_plan,
    parse_zone_text,
    plan_zone_text,
    read_zone_upload,
    report_csv,
)
from geo.render import export
from geo.render.i18n import t
from geo.render.maps import official_map
from geo.zoning.assignment import NETWORK
from geo.zoning.scenario import Scenario, ZoningResult

SOURCES = ("paste", "upload", "path")
FORMATS = {"text": ("txt", "text/plain"), "markdown": ("md", "text/markdown"), "csv": ("csv", "text/csv")}


# --- cached glue -----------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=8)
def _zone_from_bytes(name: str, data: bytes) -> ZoneText:
    return read_zone_upload(name, data)


@st.cache_data(show_spinner=False, max_entries=8)
def _zone_from_path(path: str, stamp: str) -> ZoneText:
    return load_zone_source(path)


@st.cache_data(show_spinner=False, max_entries=8)
def _zone_from_text(text: str, source: str) -> ZoneText:
    return parse_zone_text(text, source=source)


@st.cache_data(show_spinner=False, max_entries=8)
def _official(_inputs: Inputs, data_key: str, level: str, zone_key: str, _zone: ZoneText):
    return official_plan(_inputs, _zone, level)


@st.cache_data(show_spinner=False, max_entries=8)
def _files(_result: ZoningResult, _report, key: str) -> tuple[str, str, bytes, bytes]:
    return (export.catchments_geojson(_result), export.assignments_geojson(_result), report_csv(_report.streets),
            report_csv(_report.comparison))


@st.cache_data(show_spinner=False, max_entries=16)
def _written(_inputs: Inputs, _result: ZoningResult, key: str, fmt: str):
    return plan_zone_text(_inputs.network, _result, fmt)


def _stamp(path: str) -> str:
    from pathlib import Path

    p = Path(path)
    if p.is_file():
        s = p.stat()
        return f"{s.st_size}:{s.st_mtime_ns}"
    if p.is_dir():
        return ";".join(f"{q.name}:{q.stat().st_mtime_ns}" for q in sorted(p.iterdir()) if q.is_file())
    return "missing"


def _use_text(text: str) -> None:
    """The button's callback: the nearest-school plan's zone text becomes the pasted input."""
    st.session_state["zone_source"] = "paste"
    st.session_state["zone_paste"] = text


# --- pieces of the page ----------------------------------------------------------------------------------

def _zone_input(lang: str) -> tuple[ZoneText | None, str]:
    """The zone list the user gave (path, upload or paste) and a key of its content; None when none yet."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    source = st.radio(T("official.source"), SOURCES, format_func=lambda k: T(f"official.source.{k}"),
                      horizontal=True, key="zone_source")
    if source == "path":
        path = st.text_input(T("official.path"), key="zone_path", help=T("official.path.help")).strip()
        if not path:
            return None, ""
        path = str(check_under_roots(path))  # only inside the data roots (geo.inputs.paths)
        stamp = _stamp(path)
        return _zone_from_path(path, stamp), f"path:{path}:{stamp}"
    if source == "upload":
        up = st.file_uploader(T("official.upload"), type=["md", "csv", "txt"], key="zone_upload",
                              help=T("official.limit", limit_mb=MAX_ZONE_TEXT_BYTES / 2**20))
        if up is None:
            return None, ""
        data = up.getvalue()
        return _zone_from_bytes(up.name, data), "upload:" + hashlib.sha256(data).hexdigest()
    text = st.text_area(T("official.paste"), key="zone_paste", height=180, placeholder=T("official.paste.help"),
                        help=T("official.limit", limit_mb=MAX_ZONE_TEXT_BYTES / 2**20))  # over it: said in the page
    if not text.strip():
        return None, ""
    source_name = T("official.pasted")
    return _zone_from_text(text, source_name), "paste:" + hashlib.sha256((source_name + text).encode()).hexdigest()


def _issues_table(issues: pd.DataFrame, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    st.subheader(T("official.issues", count=len(issues)))
    if issues.empty:
        st.caption(T("official.no_issues"))
        return
    df = issues.assign(reason=issues["reason"].map(lambda r: t(f"zone.reason.{r}", lang)))
    cfg = {"source": st.column_config.TextColumn(T("official.col.file")),
           "line": st.column_config.NumberColumn(T("official.col.line"), format="%d"),
           "school": st.column_config.TextColumn(T("col.school_name")),
           "text": st.column_config.TextColumn(T("official.col.text")),
           "reason": st.column_config.TextColumn(T("official.col.reason"))}
    st.dataframe(df[list(cfg)], column_config=cfg, hide_index=True, width="stretch", key="zone_issues")


def _match_tables(report, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    s = report.summary
    st.subheader(T("official.matches"))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(T("zone.status.matched"), s["streets_matched"])
    c2.metric(T("zone.status.loose"), s["streets_loose"])
    c3.metric(T("zone.status.unmatched"), s["streets_unmatched"])
    c4.metric(T("official.schools_linked"), f"{s['linked_schools']} / {s['listed_schools']}")
    st.caption(T("official.matches.caption", streets=s["streets"], entries=s["entries"],
                 matched=s["entries_matched"], loose=s["entries_loose"], unmatched=s["entries_unmatched"]))
    order = {"unmatched": 0, "loose": 1, "matched": 2}
    streets = report.streets.copy()
    if len(streets):
        streets = streets.sort_values("status", key=lambda c: c.map(order), kind="stable")
        streets["names"] = streets["names"].map(lambda n: "、".join(n) if isinstance(n, (tuple, list)) else "")
        streets["status"] = streets["status"].map(lambda k: t(f"zone.status.{k}", lang))
    cfg = {"street": st.column_config.TextColumn(T("official.col.street")),
           "status": st.column_config.TextColumn(T("official.col.status")),
           "names": st.column_config.TextColumn(T("official.col.network_names")),
           "candidates": st.column_config.TextColumn(T("official.col.candidates")),
           "entries": st.column_config.NumberColumn(T("official.col.entries"), format="%d")}
    left, right = st.columns([3, 2])
    with left:
        st.markdown(T("official.streets"))
        st.dataframe(streets.reindex(columns=list(cfg)), column_config=cfg, hide_index=True, width="stretch",
                     key="zone_streets")
    schools = report.schools.assign(status=report.schools["status"].map(lambda k: t(f"zone.status.{k}", lang)))
    scfg = {"name": st.column_config.TextColumn(T("official.col.listed_school")),
            "status": st.column_config.TextColumn(T("official.col.status")),
            "table_name": st.column_config.TextColumn(T("official.col.table_school")),
            "candidates": st.column_config.TextColumn(T("official.col.candidates")),
            "entries": st.column_config.NumberColumn(T("official.col.entries"), format="%d")}
    with right:
        st.markdown(T("official.schools"))
        st.dataframe(schools.reindex(columns=list(scfg)), column_config=scfg, hide_index=True, width="stretch",
                     key="zone_schools")
    edges = report.edges
    if edges is not None and (len(edges.flags) or len(edges.conflicts)):
        with st.expander(T("official.flags", flags=len(edges.flags), conflicts=len(edges.conflicts))):
            if len(edges.flags):
                flags = edges.flags.assign(flag=edges.flags["flag"].map(lambda k: t(f"zone.flag.{k}", lang)))
                fcfg = {"source": st.column_config.TextColumn(T("official.col.file")),
                        "line": st.column_config.NumberColumn(T("official.col.line"), format="%d"),
                        "school": st.column_config.TextColumn(T("col.school_name")),
                        "text": st.column_config.TextColumn(T("official.col.text")),
                        "flag": st.column_config.TextColumn(T("official.col.reason"))}
                st.dataframe(flags.reindex(columns=list(fcfg)), column_config=fcfg, hide_index=True, width="stretch",
                             key="zone_flags")
            if len(edges.conflicts):
                ccfg = {"street": st.column_config.TextColumn(T("official.col.street")),
                        "schools": st.column_config.TextColumn(T("official.col.schools")),
                        "kept": st.column_config.TextColumn(T("official.col.kept")),
                        "length_m": st.column_config.NumberColumn(T("official.col.length_m"), format="%.0f")}
                st.dataframe(edges.conflicts.reindex(columns=list(ccfg)), column_config=ccfg, hide_index=True,
                             width="stretch", key="zone_conflicts")


def _comparison(result: ZoningResult, report, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    s = report.summary
    st.subheader(T("official.compare"))
    st.markdown(T("official.compare.summary", covered=s["covered"], compounds=s["compounds"], farther=s["farther"],
                  children=int(s["children_farther"]),
                  extra=0.0 if pd.isna(s["child_mean_extra_m"]) else s["child_mean_extra_m"],
                  max=0.0 if pd.isna(s["max_extra_m"]) else s["max_extra_m"]))
    if s.get("unlocated_compounds"):
        st.caption(T("official.unlocated", count=s["unlocated_compounds"]))
    if s["compounds"] - s["listed_compounds"]:
        st.caption(T("official.unlisted", count=s["compounds"] - s["listed_compounds"]))
    far = report.comparison[report.comparison["farther"]].sort_values("extra_m", ascending=False)
    cfg = {"compound_id": None,
           "compound": st.column_config.TextColumn(T("col.compound")),
           "children": st.column_config.NumberColumn(T("col.children"), format="%d"),
           "official_name": st.column_config.TextColumn(T("official.col.official_school")),
           "official_m": st.column_config.NumberColumn(T("official.col.official_m"), format="%.0f"),
           "nearest_name": st.column_config.TextColumn(T("official.col.nearest_school")),
           "nearest_m": st.column_config.NumberColumn(T("official.col.nearest_m"), format="%.0f"),
           "extra_m": st.column_config.NumberColumn(T("official.col.extra_m"), format="%.0f")}
    st.dataframe(far.reindex(columns=list(cfg)), column_config=cfg, hide_index=True, width="stretch",
                 key="zone_farther")


def _zone_table(result: ZoningResult, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    tab = result.table.copy()
    tab["utilisation"] = tab["utilisation"] * 100
    cfg = {"name": st.column_config.TextColumn(T("col.school_name")),
           "seats": st.column_config.NumberColumn(T("col.capacity"), format="%d"),
           "children": st.column_config.NumberColumn(T("col.children"), format="%d"),
           "compounds": st.column_config.NumberColumn(T("col.compounds"), format="%d"),
           "utilisation": st.column_config.NumberColumn(T("col.utilisation"), format="%.0f%%"),
           "mean_m": st.column_config.NumberColumn(T("col.mean_m"), format="%.0f"),
           "parts": st.column_config.NumberColumn(T("opt.parts"), format="%d")}
    st.subheader(T("official.zones"))
    st.dataframe(tab.reindex(columns=list(cfg)), column_config=cfg, hide_index=True, width="stretch",
                 key="zone_table")


def _downloads(inputs: Inputs, digest: str, zone_key: str, nearest: ZoningResult | None,
               result: ZoningResult | None, report, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    st.subheader(T("app.downloads"))
    level = (result or nearest).scenario.level if (result or nearest) is not None else LEVELS[0]
    if result is not None:
        catch, assign, matches, comparison = _files(result, report, f"{digest}-{level}-{zone_key}")
        download_row([
            (T("official.download.catchments"), catch, f"official-catchments-{level}.geojson",
             "application/geo+json", "dl_off_catchments"),
            (T("official.download.assignments"), assign, f"official-assignments-{level}.geojson",
             "application/geo+json", "dl_off_assignments"),
            (T("official.download.matches"), matches, "street-matches.csv", "text/csv", "dl_off_matches"),
            (T("official.download.comparison"), comparison, f"official-vs-nearest-{level}.csv", "text/csv",
             "dl_off_comparison")])
    plans = [p for p, r in (("nearest", nearest), ("official", result)) if r is not None]
    if not plans:
        return
    st.markdown(T("official.write"))
    c1, c2 = st.columns(2)
    plan = c1.radio(T("official.write.plan"), plans, format_func=lambda k: T(f"official.plan.{k}"), horizontal=True,
                    key="zone_write_plan")
    fmt = c2.radio(T("official.write.format"), list(FORMATS), format_func=lambda k: T(f"official.format.{k}"),
                   horizontal=True, key="zone_write_format")
    chosen = nearest if plan == "nearest" else result
    key = f"{digest}-{level}-{plan}-{zone_key if plan == 'official' else ''}"
    written = _written(inputs, chosen, key, fmt)
    ext, mime = FORMATS[fmt]
    download_row([(T("official.download.text"), written.text.encode("utf-8"), f"zones-{plan}-{level}.{ext}", mime,
                   "dl_zone_text")])
    st.caption(T("official.write.caption", schools=len([x for x in written.text.splitlines() if x.strip()]),
                 unwritten=len(written.unwritten), moved=written.moved_m))


# --- the view --------------------------------------------------------------------------------------------

def render(lang: str, ds: Dataset | None) -> None:
    """Official zones: bring a zone list, see what matched, the zones on the map, the comparison with
    nearest-school zoning, and download the zones (or any plan written as a zone list)."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    if not page_header(ds, lang, "view.official", "official.caption"):
        return
    digest = dataset_digest(ds)
    level = st.session_state.get("level", LEVELS[0])
    inputs = nearest = None
    try:
        with st.status(T("app.loading_network"), expanded=False) as status:
            inputs = load_dataset(ds, digest)
            status.update(label=T("app.computing"))
            nearest = zoning(inputs, digest, Scenario(level, NETWORK))
            status.update(label=T("app.ready"), state="complete")
    except Exception as err:  # every failure is shown in the page, never as a traceback
        show_error(err, lang)
        if inputs is None:
            return
    if inputs.warnings:
        with st.expander(f"{T('app.warnings')} ({len(inputs.warnings)})"):
            for key_, params in inputs.warnings:
                st.write("- " + inert_t(key_, lang, **params))

    st.subheader(T("official.input"))
    if nearest is not None:
        sample = _written(inputs, nearest, f"{digest}-{level}-nearest-", "text").text
        st.button(T("official.use_nearest"), key="zone_use_nearest", on_click=_use_text, args=(sample,),
                  help=T("official.use_nearest.help"))
    try:
        zone, zone_key = _zone_input(lang)
    except Exception as err:
        show_error(err, lang)
        return
    if zone is None:
        st.info(T("official.nothing"))
        if nearest is not None:
            _downloads(inputs, digest, "", nearest, None, None, lang)
        return

    try:
        with st.spinner(T("official.reading")):
            result, report = _official(inputs, digest, level, zone_key, zone)
    except Exception as err:
        show_error(err, lang)
        return

    _issues_table(report.issues, lang)
    _match_tables(report, lang)
    if result is None:
        st.error(T("official.nothing_on_network"), icon=":material/warning:")
        _downloads(inputs, digest, zone_key, nearest, None, report, lang)
        return

    s = result.summary
    st.markdown(T("official.summary", zones=s["zones"], listed=s["listed_compounds"], compounds=s["compounds"],
                  km=s["listed_m"] / 1000))
    js, css = leaflet_assets()
    m = official_map(result, inputs.network, report.edges.edge_school,
                     farther=result.assignments["farther"].to_numpy(bool), lang=lang,
                     tiles="OpenStreetMap" if st.session_state.get("basemap") == "osm" else None,
                     leaflet_js=js, leaflet_css=css)
    st.subheader(T("app.map"))
    st.caption(T("official.map.caption"))
    st_folium(m, height=620, use_container_width=True, returned_objects=[], key="official_map")
    _comparison(result, report, lang)
    _zone_table(result, lang)
    _downloads(inputs, digest, zone_key, nearest, result, report, lang)
