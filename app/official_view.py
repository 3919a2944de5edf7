"""The official zones view: a bureau's zone list (划片范围) read against the dataset's streets and schools,
drawn as zones, compared with nearest-school zoning, and any plan written back as such a list."""

from __future__ import annotations

import hashlib
import json
import re

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

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
    show_error,
    store,
    warnings_summary,
    zoning,
)
from app.state import Dataset, dataset_key
from geo.errors import XuequError
from geo.inputs import Inputs
from geo.inputs.coords import SYSTEMS
from geo.inputs.paths import check_under_roots
from geo.inputs.schools import LEVELS
from geo.official import (
    LOOSE_MAX_M,
    MAX_ZONE_TEXT_BYTES,
    REACH_M,
    ChoiceBook,
    ZoneText,
    agreement,
    load_places,
    load_zone_source,
    official_plan,
    parse_zone_text,
    places_frame,
    plan_zone_text,
    read_zone_upload,
    report_csv,
    with_listed_schools,
    zone_digest,
)
from geo.official.names import LOOSE_REASON_KEYS
from geo.plans.store import data_dir
from geo.render import export
from geo.render.i18n import t
from geo.render.maps import official_map
from geo.zoning.assignment import NETWORK, OPTIMAL
from geo.zoning.scenario import Scenario, ZoningResult

SOURCES = ("paste", "upload", "path")
FORMATS = {"text": ("txt", "text/plain"), "markdown": ("md", "text/markdown"), "csv": ("csv", "text/csv")}
DASH = "—"  # a cell with no figure (never "None" or "nan")


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
def _places_from_bytes(name: str, data: bytes, coords: str):
    return load_places(name, name=name, data=data, coords=coords)


@st.cache_data(show_spinner=False, max_entries=8)
def _official(_inputs: Inputs, data_key: str, level: str, zone_key: str, _zone: ZoneText, reach_m: float,
              loose_max_m: float, choices: tuple[tuple[str, str, bool], ...], places_key: str, _places):
    """The list as a plan, once per dataset, level, list, distances, loose-match choices and school places."""
    return official_plan(_inputs, _zone, level, reach_m=reach_m, loose_max_m=loose_max_m,
                         choices={(s, t_): a for s, t_, a in choices}, places=_places)


@st.cache_data(show_spinner=False, max_entries=16)
def _agreement(_inputs: Inputs, _report, _result: ZoningResult, key: str) -> pd.DataFrame:
    return agreement(_inputs.network, _report, _result)


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


def _book(lang: str) -> ChoiceBook | None:
    """The planner's decisions on lists (loose matches, school places), in the user's data folder; None (said in
    the page) when that folder cannot be made."""
    try:
        return ChoiceBook(data_dir() / "zone-choices")
    except XuequError as err:
        show_error(err, lang)
        return None


def _number(value: object, fmt: str) -> str:
    """A figure for a table cell, or a dash where there is none."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DASH
    return fmt.format(v) if np.isfinite(v) else DASH


def _texts(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns with every missing cell empty (a table never shows "None" or "nan")."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else v)
    return out


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


def _settings(lang: str) -> tuple[float, float]:
    """How far a compound's entrance may be from a listed street, and a loose match from the school's other
    streets or the school; both stated under the inputs."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    c1, c2 = st.columns(2)
    reach = c1.number_input(T("official.reach"), min_value=0.0, max_value=3000.0, value=float(REACH_M), step=25.0,
                            format="%.0f", key="zone_reach", help=T("official.reach.help"))
    loose = c2.number_input(T("official.loose_max"), min_value=0.0, max_value=20000.0, value=float(LOOSE_MAX_M),
                            step=50.0, format="%.0f", key="zone_loose_max", help=T("official.loose_max.help"))
    st.caption(T("official.settings.caption", reach=reach, loose=loose))
    return float(reach), float(loose)


def _places_input(book: ChoiceBook | None, zdigest: str, lang: str):
    """The places given to the list's schools: clicked on the map (remembered for the list) and an uploaded
    locations table; returns them as one table (None when none) and a key of them."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    clicked = book.places(zdigest) if book is not None else {}
    with st.expander(T("official.place.table"), expanded=False):
        up = st.file_uploader(T("official.place.upload"), type=["csv", "xlsx", "geojson", "json"],
                              key="zone_places_upload", help=T("official.place.upload.help"))
        coords = st.radio(T("coords.system"), SYSTEMS, format_func=lambda k: T(f"coords.{k}"), horizontal=True,
                          key="zone_places_coords")
    parts, key = [], json.dumps(sorted(clicked.items()), ensure_ascii=False)
    if clicked:
        parts.append(places_frame(clicked))
    if up is not None:
        data = up.getvalue()
        try:
            table = _places_from_bytes(up.name, data, coords)
        except XuequError as err:
            show_error(err, lang)
        else:
            parts.append(table)
            key += "|" + coords + hashlib.sha256(data).hexdigest()
    if not parts:
        return None, ""
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return frame, hashlib.sha256(key.encode()).hexdigest()[:16]


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
    st.dataframe(_texts(df[list(cfg)]), column_config=cfg, hide_index=True, width="stretch", key="zone_issues")


def _reason(reason: object, lang: str) -> str:
    key = LOOSE_REASON_KEYS.get(str(reason or ""))
    return t(key, lang) if key else ""


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
                 matched=s["entries_matched"], loose=s["entries_loose"], unmatched=s["entries_unmatched"],
                 rejected=s.get("entries_rejected", 0)))
    order = {"unmatched": 0, "rejected": 1, "loose": 2, "matched": 3}
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
        st.dataframe(_texts(streets.reindex(columns=list(cfg))), column_config=cfg, hide_index=True,
                     width="stretch", key="zone_streets")
    found = {"table": T("official.found.table"), "unleveled": T("official.found.unleveled"),
             "placed": T("official.found.placed")}
    sch = report.schools
    schools = sch.assign(
        status=sch["status"].map(lambda k: t(f"zone.status.{k}", lang)),
        found=[found.get(str(f), T("official.found.none")) for f in sch.get("found", pd.Series("", index=sch.index))],
        reason=sch.get("reason", pd.Series("", index=sch.index)).map(lambda r: _reason(r, lang)))
    scfg = {"name": st.column_config.TextColumn(T("official.col.listed_school")),
            "status": st.column_config.TextColumn(T("official.col.status")),
            "table_name": st.column_config.TextColumn(T("official.col.table_school")),
            "found": st.column_config.TextColumn(T("official.col.found")),
            "reason": st.column_config.TextColumn(T("official.col.reason")),
            "candidates": st.column_config.TextColumn(T("official.col.candidates")),
            "entries": st.column_config.NumberColumn(T("official.col.entries"), format="%d")}
    with right:
        st.markdown(T("official.schools"))
        st.dataframe(_texts(schools.reindex(columns=list(scfg))), column_config=scfg, hide_index=True,
                     width="stretch", key="zone_schools")
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
                st.dataframe(_texts(flags.reindex(columns=list(fcfg))), column_config=fcfg, hide_index=True,
                             width="stretch", key="zone_flags")
            if len(edges.conflicts):
                ccfg = {"street": st.column_config.TextColumn(T("official.col.street")),
                        "schools": st.column_config.TextColumn(T("official.col.schools")),
                        "kept": st.column_config.TextColumn(T("official.col.kept")),
                        "length_m": st.column_config.NumberColumn(T("official.col.length_m"), format="%.0f")}
                st.dataframe(_texts(edges.conflicts.reindex(columns=list(ccfg))), column_config=ccfg,
                             hide_index=True, width="stretch", key="zone_conflicts")


def _forget_choices(book: ChoiceBook, zdigest: str, keys: list[tuple[str, str]]) -> None:
    """The reset button's callback: the distance rule decides every loose match again."""
    for school, street in keys:
        book.set(zdigest, school, street, None)
    st.session_state["zone_loose_ver"] = st.session_state.get("zone_loose_ver", 0) + 1


def _loose_editor(report, book: ChoiceBook | None, zdigest: str, lang: str) -> None:
    """Every loose street match, where it lies and whether it is used; the planner accepts or rejects each, and
    the choice is kept for this list (the page runs again with it)."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    loose = report.loose
    s = report.summary
    rejected = int((~loose["accepted"].astype(bool)).sum()) if len(loose) else 0
    st.subheader(T("official.loose", count=len(loose), rejected=rejected))
    if loose.empty:
        st.caption(T("official.loose.none"))
        return
    st.caption(T("official.loose.caption", distance=s.get("loose_max_m", LOOSE_MAX_M)))
    by = {"auto": T("official.by.auto"), "planner": T("official.by.planner")}
    base = pd.DataFrame({
        "school": loose["school"].astype(str).to_numpy(), "street": loose["street"].astype(str).to_numpy(),
        "names": loose["names"].fillna("").astype(str).to_numpy(),
        "reason": [_reason(r, lang) for r in loose["reason"]],
        "distance": [_number(v, "{:,.0f}") for v in loose["distance_m"]],
        "accepted": loose["accepted"].astype(bool).to_numpy(),
        "by": [by.get(str(b), "") for b in loose["by"]]})
    cfg = {"school": st.column_config.TextColumn(T("col.school_name")),
           "street": st.column_config.TextColumn(T("official.col.street")),
           "names": st.column_config.TextColumn(T("official.col.network_names")),
           "reason": st.column_config.TextColumn(T("official.col.reason")),
           "distance": st.column_config.TextColumn(T("official.col.distance_m"), help=T("official.col.distance_m.help")),
           "accepted": st.column_config.CheckboxColumn(T("official.col.accepted")),
           "by": st.column_config.TextColumn(T("official.col.by"))}
    ver = st.session_state.get("zone_loose_ver", 0)
    edited = st.data_editor(base, column_config=cfg, hide_index=True, width="stretch", num_rows="fixed",
                            disabled=[c for c in cfg if c != "accepted"], key=f"zone_loose_{zdigest}_{ver}")
    if book is None:
        return
    changed = np.flatnonzero(edited["accepted"].to_numpy(bool) != base["accepted"].to_numpy(bool))
    if changed.size:
        try:
            for i in changed:
                book.set(zdigest, base["school"].iloc[i], base["street"].iloc[i], bool(edited["accepted"].iloc[i]))
        except OSError as err:
            show_error(err, lang)
            return
        st.session_state["zone_loose_ver"] = ver + 1
        st.rerun()
    mine = [(str(a), str(b)) for a, b, w in zip(loose["school"], loose["street"], loose["by"]) if w == "planner"]
    if mine:
        st.button(T("official.loose.reset", count=len(mine)), key="zone_loose_reset", on_click=_forget_choices,
                  args=(book, zdigest, mine))


def _lonlat(text: str) -> tuple[float, float] | None:
    """ "104.08, 30.66" (or "30.66, 104.08": a latitude is never over 90) as (lon, lat); None if not so."""
    nums = re.findall(r"[-+]?\d+(?:\.\d+)?", text)
    if len(nums) != 2:
        return None
    a, b = float(nums[0]), float(nums[1])
    if abs(a) <= 90 < abs(b) <= 180:
        a, b = b, a
    return (a, b) if abs(a) <= 180 and abs(b) <= 90 else None


def _place_typed(book: ChoiceBook, zdigest: str, bounds: tuple[float, float, float, float]) -> None:
    """The place button's callback: the school chosen goes where the coordinates typed say, when they are in the
    dataset's area."""
    school = st.session_state.get("zone_place_school")
    where = _lonlat(st.session_state.get("zone_place_lonlat", ""))
    minx, miny, maxx, maxy = bounds
    if school is None:
        return
    if where is None or not (minx <= where[0] <= maxx and miny <= where[1] <= maxy):
        st.session_state["zone_place_bad"] = True
        return
    book.place(zdigest, school, where)
    st.session_state["zone_place_school"] = None
    st.session_state["zone_place_lonlat"] = ""


def _unplace(book: ChoiceBook, zdigest: str, name: str) -> None:
    book.place(zdigest, name, None)


def _place_controls(report, book: ChoiceBook | None, zdigest: str, bounds, lang: str) -> str | None:
    """Placing the listed schools that no table locates: choose one, then click the map (or type its
    coordinates); the places given are listed, each with a remove button. Returns the school being placed."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    if book is None:
        return None
    unlocated = [str(n) for n, ok in zip(report.schools["name"], report.schools["linked"]) if not ok]
    placed = book.places(zdigest)
    if not unlocated and not placed:
        return None
    st.markdown(T("official.place"))
    if st.session_state.pop("zone_place_reset", False) or st.session_state.get("zone_place_school") not in (
            None, *unlocated):
        st.session_state["zone_place_school"] = None
    c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
    school = c1.selectbox(T("official.place.school"), unlocated, index=None, placeholder=T("official.place.pick"),
                          key="zone_place_school", disabled=not unlocated)
    c2.text_input(T("official.place.lonlat"), key="zone_place_lonlat", placeholder="104.0800, 30.6600",
                  disabled=school is None, help=T("official.place.lonlat.help"))
    c3.button(T("official.place.go"), key="zone_place_go", disabled=school is None, on_click=_place_typed,
              args=(book, zdigest, bounds))
    if st.session_state.pop("zone_place_bad", False):
        st.error(T("official.place.bad", west=bounds[0], south=bounds[1], east=bounds[2], north=bounds[3]),
                 icon=":material/warning:")
    if school is not None:
        st.info(inert_t("official.place.click", lang, school=school), icon=":material/ads_click:")
    if placed:
        st.caption(T("official.placed", count=len(placed)))
        for i, (name, (lon, lat)) in enumerate(sorted(placed.items())):
            a, b = st.columns([5, 1], vertical_alignment="center")
            a.markdown(f"{inert(name)} · {lon:.5f}, {lat:.5f}")
            b.button(T("official.place.remove"), key=f"zone_unplace_{i}", on_click=_unplace, args=(book, zdigest, name))
    return school


def _take_click(out: dict | None, school: str | None, book: ChoiceBook | None, zdigest: str) -> None:
    """A click on the map places the school being placed (each click once: the map keeps its last click)."""
    click = (out or {}).get("last_clicked")
    if not click:
        return
    seen = (click.get("lat"), click.get("lng"))
    if st.session_state.get("zone_click_seen") == seen:
        return
    st.session_state["zone_click_seen"] = seen
    if school is None or book is None:
        return
    book.place(zdigest, school, (float(click["lng"]), float(click["lat"])))
    st.session_state["zone_place_reset"] = True
    st.rerun()


def _share(df: pd.DataFrame) -> float:
    total = df[df["school"] == "*"]
    return float(total["share"].iloc[0]) if len(total) and bool(total["compared"].iloc[0]) else float("nan")


def _other_plan(inputs: Inputs, listed_inputs: Inputs, ds: Dataset, digest: str, added_key: str, level: str,
                report, result: ZoningResult, key: str, lang: str) -> None:
    """Any other plan measured against the list: capacity-optimal zoning that starts from the official zones (its
    moves counted away from them), or a stored plan of the editing view."""
    T = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    try:
        stored = [s for s in store().list(dataset_key(ds)) if s.level == level]
    except XuequError:  # a store problem is said in the editing view; here there is simply no stored plan
        stored = []
    options = ["", "optimal"] + [f"s{s.id}" for s in stored]
    names = {"": T("official.other.none"), "optimal": T("official.other.optimal")} | {
        f"s{s.id}": T("official.other.stored", name=inert(s.name)) for s in stored}
    choice = st.selectbox(T("official.other"), options, format_func=names.get, key="zone_other_plan")
    if not choice:
        return
    try:
        with st.spinner(T("app.computing")):
            if choice == "optimal":
                a = result.assignments
                located = set(result.table.loc[result.table["located"], "school_id"].astype(str))
                start = {str(c): str(sid) for c, sid in zip(a["compound_id"], a["school_id"], strict=True)
                         if str(sid) in located}
                stability = float(st.session_state.get("stability", 0) or 0) or 300.0
                plan = zoning(listed_inputs, f"{digest}+{added_key}", Scenario(level, OPTIMAL, stability=stability),
                              start_key=key, _start=start)
                table = _agreement(listed_inputs, report, plan, f"{key}-optimal-{stability}")
            else:
                sid = int(choice[1:])
                ed, lock = editor(inputs, digest, level)
                with lock:
                    plan = ed.result(store().get(sid).history.active)
                table = _agreement(inputs, report, plan, f"{key}-{choice}-{store().get(sid).version}")
    except Exception as err:  # every failure is shown in the page, never as a traceback
        show_error(err, lang)
        return
    share = _share(table)
    c1, c2 = st.columns(2)
    c1.metric(T("official.other.share"), _number(share * 100, "{:.1f}%"))
    if choice == "optimal":
        c2.metric(T("official.other.moved"), f"{int(plan.summary.get('moved_children', 0)):,}")
        st.caption(T("official.other.optimal.caption", stability=stability))


def _agreement_section(official: pd.DataFrame, nearest: pd.DataFrame | None, lang: str) -> None:
    """How much of each school's listed streets lie in its catchment: the official plan itself, and
    nearest-school zoning on the list's schools."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    st.subheader(T("official.agreement"))
    st.caption(T("official.agreement.caption"))
    own, near = _share(official), _share(nearest) if nearest is not None else float("nan")
    c1, c2 = st.columns(2)
    c1.metric(T("official.agreement.official"), _number(own * 100, "{:.1f}%"))
    c2.metric(T("official.agreement.nearest"), _number(near * 100, "{:.1f}%"))
    rows = official[official["school"] != "*"]
    if nearest is not None and len(nearest):
        other = nearest[nearest["school"] != "*"].set_index("school_id")["share"]
        near_share = [other.get(s, np.nan) for s in rows["school_id"]]
    else:
        near_share = [np.nan] * len(rows)
    table = pd.DataFrame({
        "school": rows["school"].astype(str).to_numpy(),
        "listed_km": [_number(v / 1000, "{:.2f}") for v in rows["listed_m"]],
        "official_share": [_number(v * 100, "{:.0f}%") for v in rows["share"]],
        "nearest_share": [_number(v * 100, "{:.0f}%") for v in near_share]})
    if not np.isfinite(near):
        st.caption(T("official.agreement_none"))
    cfg = {"school": st.column_config.TextColumn(T("official.col.listed_school")),
           "listed_km": st.column_config.TextColumn(T("official.col.listed_km")),
           "official_share": st.column_config.TextColumn(T("official.col.share_official")),
           "nearest_share": st.column_config.TextColumn(T("official.col.share_nearest"))}
    st.dataframe(table, column_config=cfg, hide_index=True, width="stretch", key="zone_agreement")
    st.altair_chart(agreement_chart(rows, near_share, lang), width="stretch")


def agreement_chart(rows: pd.DataFrame, near_share: list, lang: str) -> alt.Chart:
    """A bar per school of the share of its listed streets inside its catchment (the official plan; beside it
    nearest-school zoning where measured)."""
    schools = rows["school"].astype(str).to_numpy()
    plan_own, plan_near = t("official.agreement.official", lang), t("official.agreement.nearest", lang)
    df = pd.DataFrame({"school": np.concatenate([schools, schools]),
                       "plan": [plan_own] * len(schools) + [plan_near] * len(schools),
                       "share": np.round(np.concatenate([rows["share"].to_numpy(float),
                                                         np.asarray(near_share, float)]) * 100, 1)})
    df = df[np.isfinite(df["share"])]
    x_title = t("chart.agreement.x", lang)
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y("school:N", title=None, axis=alt.Axis(labelLimit=240)), yOffset="plan:N", x=alt.X("share:Q", title=x_title,
                                                                   scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("plan:N", title=t("chart.plan", lang),
                        scale=alt.Scale(range=["#4e79a7", "#bab0ac"]), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("school:N", title=t("official.col.listed_school", lang)),
                 alt.Tooltip("plan:N", title=t("chart.plan", lang)), alt.Tooltip("share:Q", title=x_title)],
    ).properties(height=alt.Step(12), title=t("chart.agreement", lang))


def _comparison(result: ZoningResult, report, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    s = report.summary
    st.subheader(T("official.compare"))
    if not s["covered"]:  # nothing measured: no zeros that look like results
        st.info(T("official.schools_unlocated", count=s.get("unlocated_schools", 0)) if s.get("unlocated_schools")
                else T("official.agreement_none"), icon=":material/info:")
        return
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
    shown, cfg = dash_missing(_texts(far.reindex(columns=list(cfg))), cfg)
    st.dataframe(shown, column_config=cfg, hide_index=True, width="stretch", key="zone_farther")


def _zone_table(result: ZoningResult, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    tab = result.table.copy()
    tab["seats"] = [_number(v, "{:,.0f}") for v in tab["seats"]]
    tab["utilisation"] = [_number(v * 100, "{:.0f}%") for v in tab["utilisation"]]
    tab["mean_m"] = [_number(v, "{:,.0f}") for v in tab["mean_m"]]
    cfg = {"name": st.column_config.TextColumn(T("col.school_name")),
           "seats": st.column_config.TextColumn(T("col.capacity")),
           "children": st.column_config.NumberColumn(T("col.children"), format="%d"),
           "compounds": st.column_config.NumberColumn(T("col.compounds"), format="%d"),
           "utilisation": st.column_config.TextColumn(T("col.utilisation")),
           "mean_m": st.column_config.TextColumn(T("col.mean_m")),
           "parts": st.column_config.NumberColumn(T("opt.parts"), format="%d")}
    st.subheader(T("official.zones"))
    shown, cfg = dash_missing(_texts(tab.reindex(columns=list(cfg))), cfg)
    st.dataframe(shown, column_config=cfg, hide_index=True, width="stretch", key="zone_table")


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
    warnings_summary(inputs.warnings, lang)  # in a few words; the list in an expander

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
    reach, loose_max = _settings(lang)
    if zone is None:
        st.info(T("official.nothing"))
        if nearest is not None:
            _downloads(inputs, digest, "", nearest, None, None, lang)
        return

    zdigest = zone_digest(zone)
    book = _book(lang)
    places, places_key = _places_input(book, zdigest, lang)
    choices = book.get(zdigest) if book is not None else {}
    chosen = tuple(sorted((s_, t_, bool(a)) for (s_, t_), a in choices.items()))
    try:
        with st.spinner(T("official.reading")):
            result, report = _official(inputs, digest, level, zone_key, zone, reach, loose_max, chosen, places_key,
                                       places)
    except Exception as err:
        show_error(err, lang)
        return

    s = report.summary
    if s.get("unlocated_schools"):  # said first, plainly: these schools are not compared
        st.warning(T("official.schools_unlocated", count=s["unlocated_schools"]), icon=":material/location_off:")
    if result is not None:
        st.markdown(T("official.summary", zones=s["zones"], listed=s["listed_compounds"], compounds=s["compounds"],
                      unlisted=s["unlisted_compounds"], km=s["listed_m"] / 1000, reach=s.get("reach_m", reach)))
    if result is None:
        st.error(T("official.nothing_on_network"), icon=":material/warning:")
        _issues_table(report.issues, lang)
        _match_tables(report, lang)
        _loose_editor(report, book, zdigest, lang)
        _downloads(inputs, digest, zone_key, nearest, None, report, lang)
        return

    st.subheader(T("app.map"))
    lonlat = pd.concat([inputs.compounds.geometry.to_crs("EPSG:4326"), inputs.schools.geometry.to_crs("EPSG:4326")])
    x0, y0, x1, y1 = lonlat.total_bounds
    bounds = (x0 - 0.02, y0 - 0.02, x1 + 0.02, y1 + 0.02)  # a school may stand a little outside the compounds
    placing = _place_controls(report, book, zdigest, bounds, lang)
    js, css = leaflet_assets()
    m = official_map(result, inputs.network, report.edges.edge_school,
                     farther=result.assignments["farther"].to_numpy(bool), lang=lang,
                     **basemap(inputs), leaflet_js=js, leaflet_css=css, base_schools=inputs.schools)
    st.caption(T("official.map.caption", reach=s.get("reach_m", reach)))
    out = st_folium(m, height=620, use_container_width=True,
                    returned_objects=["last_clicked"] if placing is not None else [], key="official_map")
    _take_click(out, placing, book, zdigest)

    # agreement: the list's own plan, and nearest-school zoning on the same schools (the list's added ones too)
    listed_inputs = with_listed_schools(inputs, report)
    added = report.added_schools
    added_key = "" if added is None or not len(added) else hashlib.sha256(
        (added[["school_id", "name"]].to_csv() + ",".join(added.geometry.to_wkt())).encode()).hexdigest()[:16]
    key = f"{digest}-{level}-{zone_key}-{reach}-{loose_max}-{chosen}-{places_key}"
    own = _agreement(inputs, report, result, key)
    near = None
    try:
        near_plan = nearest if not added_key else zoning(listed_inputs, f"{digest}+{added_key}",
                                                         Scenario(level, NETWORK))
        if near_plan is not None:
            near = _agreement(listed_inputs, report, near_plan, f"{key}-nearest-{added_key}")
    except Exception as err:
        show_error(err, lang)
    _agreement_section(own, near, lang)
    _other_plan(inputs, listed_inputs, ds, digest, added_key, level, report, result, key, lang)
    _comparison(result, report, lang)
    _issues_table(report.issues, lang)  # what was read, and how
    _match_tables(report, lang)
    _loose_editor(report, book, zdigest, lang)
    _zone_table(result, lang)
    _downloads(inputs, digest, zone_key, nearest, result, report, lang)
