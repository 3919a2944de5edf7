"""The zoning view: zones of the chosen method on the map, the school table, the distance chart, downloads."""

from __future__ import annotations

import dataclasses
import time

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app.common import (
    DASH,
    Interrupted,
    basemap,
    dash_missing,
    dataset_digest,
    download_row,
    downloads,
    leaflet_assets,
    load_dataset,
    page_header,
    prefetch_basemap,
    rerun_requested,
    result_key,
    show_error,
    show_map,
    warnings_summary,
    zoning,
)
from app.equity_view import state_key
from app.state import Dataset, scenario_from_state
from geo.equity.audit import balance
from geo.equity.stats import has_audit_columns, join_statistics
from geo.errors import XuequError
from geo.inputs.schools import LEVELS
from geo.render.i18n import t
from geo.render.maps import map_detail, utilisation_colour, zoning_map
from geo.render.report import report_pdf
from geo.zoning.assignment import NETWORK, OPTIMAL, STRAIGHT, nearest_method
from geo.zoning.metrics import RADIUS_M
from geo.zoning.result import radius_phrase
from geo.zoning.scenario import Scenario, ZoningResult, groups_from_file


def distance_chart(result: ZoningResult, lang: str) -> alt.LayerChart:
    a = result.assignments
    radius = float(result.summary.get("radius_m", RADIUS_M[result.scenario.level]))
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


def _school_labels(names: pd.Series, ids: pd.Series) -> list[str]:
    """School names for a chart axis, the id added where two schools share a name."""
    names = names.astype(str)
    dup = names.duplicated(keep=False).to_numpy()
    return [f"{n} ({i})" if d else n for n, i, d in zip(names, ids.astype(str), dup, strict=True)]


def utilisation_chart(result: ZoningResult, lang: str) -> alt.LayerChart:
    """Utilisation by school as bars in the map's utilisation colours, with the 100% line."""
    tab = result.table
    u = tab["utilisation"].to_numpy(float) * 100
    df = pd.DataFrame({"school": _school_labels(tab["name"], tab["school_id"]), "u": np.round(u, 1),
                       "children": tab["children"].to_numpy(), "seats": tab["seats"].to_numpy(),
                       "colour": [utilisation_colour(v / 100) for v in u]})
    x_title = t("chart.utilisation.x", lang)
    bars = alt.Chart(df).mark_bar().encode(
        y=alt.Y("school:N", sort="-x", title=None, axis=alt.Axis(labelLimit=240)), x=alt.X("u:Q", title=x_title),
        color=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("school:N", title=t("col.school_name", lang)), alt.Tooltip("u:Q", title=x_title),
                 alt.Tooltip("children:Q", title=t("col.children", lang)),
                 alt.Tooltip("seats:Q", title=t("col.capacity", lang))])
    rule = alt.Chart(pd.DataFrame({"x": [100.0]})).mark_rule(color="#222", strokeDash=[6, 3]).encode(
        x="x:Q", tooltip=[alt.Tooltip("x:Q", title=t("chart.full", lang))])
    return (bars + rule).properties(height=alt.Step(22), title=t("chart.utilisation", lang))


def distance_by_school_chart(result: ZoningResult, lang: str) -> alt.LayerChart:
    """The walks of each school's compounds (a box per school: quartiles, whiskers to min and max), with the
    standard radius."""
    a = result.assignments
    d = a["distance_m"].to_numpy(float)
    keep = np.isfinite(d) & a["school_id"].notna().to_numpy()
    labels = dict(zip(result.table["school_id"].astype(str),
                      _school_labels(result.table["name"], result.table["school_id"]), strict=True))
    df = pd.DataFrame({"school": a["school_id"].astype(str).map(labels).to_numpy()[keep],
                       "d": np.round(d[keep], 0)}).dropna()
    x_title = t("chart.by_school.x", lang)
    boxes = alt.Chart(df).mark_boxplot(extent="min-max", color="#4e79a7").encode(
        y=alt.Y("school:N", title=None, sort=alt.EncodingSortField("d", op="median", order="descending"),
                axis=alt.Axis(labelLimit=240)),
        x=alt.X("d:Q", title=x_title))
    radius = float(result.summary.get("radius_m", RADIUS_M[result.scenario.level]))
    rule = alt.Chart(pd.DataFrame({"r": [radius]})).mark_rule(color="#c62828", strokeDash=[6, 3]).encode(
        x="r:Q", tooltip=[alt.Tooltip("r:Q", title=t("chart.radius", lang))])
    return (boxes + rule).properties(height=alt.Step(22), title=t("chart.by_school", lang))


def school_table(result: ZoningResult, lang: str) -> None:
    tab = result.table.copy()
    tab["utilisation"] = tab["utilisation"] * 100
    tab["within_radius"] = tab["within_radius"] * 100
    # Long ids (osm-node-1947168653) would take the table's width: the id comes after the name, in a narrow column
    # (two schools may share a name; the whole id shows when the cell is opened or the column widened).
    cfg = {
        "name": st.column_config.TextColumn(t("col.school_name", lang)),
        "school_id": st.column_config.TextColumn(t("col.school_id", lang), width="small"),
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
    order = ["name", "school_id"] + [c for c in tab.columns if c not in ("name", "school_id")]
    tab, cfg = dash_missing(tab, cfg)  # a school with no children has no walks: "—", never "None"
    st.dataframe(tab, column_config=cfg, column_order=order, hide_index=True, width="stretch", key="school_table")


def locked_pairs(nearest: ZoningResult) -> tuple[tuple[str, str], ...]:
    """Locked compounds stay in their school of the starting plan (nearest-school zones)."""
    chosen = set(st.session_state.get("locked", []))
    a = nearest.assignments
    return tuple((c, s) for c, s in zip(a["compound_id"], a["school_id"]) if c in chosen)


def lock_panel(nearest: ZoningResult, lang: str) -> None:
    a = nearest.assignments
    labels = dict(zip(a["compound_id"], a["name"] + " → " + a["school_name"]))
    st.multiselect(t("opt.locked", lang), list(labels), format_func=lambda c: labels.get(c, str(c)), key="locked",
                   placeholder=t("app.choose", lang),
                   help=t("opt.locked.help", lang))


def compare_panel(nearest: ZoningResult, plan: ZoningResult, lang: str) -> None:
    """The plan beside nearest-school zoning: district figures, then seats and children per school."""
    st.subheader(t("opt.compare", lang))
    s = plan.summary
    if s.get("solver"):
        gap = float(s.get("gap", float("nan")))
        # A gap no bound proves is said so, never shown as a figure (0.00% would read as "optimal").
        st.caption(t("opt.solved" if np.isfinite(gap) else "opt.solved_unproven", lang,
                     solver=t(f"opt.status.{s['solver']}", lang), gap=gap,
                     seconds=s["seconds"], moved=s["moved_children"], compounds=s["moved_compounds"]))
    # (figure, summary column, format, format of the change: a share changes by percentage points)
    rows = [("opt.row.over", "over_capacity", "{:,.0f}", "{:+,.0f}"), ("col.mean_m", "mean_m", "{:,.0f}", "{:+,.0f}"),
            ("col.within_radius", "within_radius", "{:.1%}", "{:+.1f} pp"),
            ("opt.row.moved", "moved_children", "{:,.0f}", "{:+,.0f}"),
            ("opt.row.compactness", "compactness", "{:.2f}", "{:+.2f}"),
            ("opt.row.islands", "islands", "{:,.0f}", "{:+,.0f}")]

    def change(c: str, f: str) -> str:
        a, b = float(nearest.summary.get(c, 0) or 0), float(plan.summary.get(c, 0) or 0)
        d = (b - a) * (100 if f.endswith("pp") else 1)
        return f.format(d) if np.isfinite(d) else DASH

    df = pd.DataFrame({
        t("opt.figure", lang): [t(k, lang) for k, _, _, _ in rows],
        t(f"method.{nearest.scenario.method}", lang): [f.format(nearest.summary.get(c, 0)) for _, c, f, _ in rows],
        t("method.optimal", lang): [f.format(plan.summary.get(c, 0)) for _, c, f, _ in rows],
        t("edit.col.delta", lang): [change(c, f) for _, c, _, f in rows],
    })
    # one above the other: side by side, each was cut off on the right
    st.dataframe(df, hide_index=True, width="content", key="compare_summary")
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
    per, cfg = dash_missing(per, cfg)
    st.dataframe(per, column_config=cfg, hide_index=True, width="stretch", key="compare_schools")


def _elapsed(status, asked, lang: str):
    """The solver's stop question, which also says in the status label how long the solve has run."""
    start = time.perf_counter()

    def should_stop() -> bool:
        seconds = time.perf_counter() - start
        gap = should_stop.gap  # type: ignore[attr-defined]  # the exact solver writes its current gap here
        label = (t("opt.solving_gap", lang, seconds=seconds, gap=gap) if gap == gap
                 else t("opt.solving_elapsed", lang, seconds=seconds))
        status.update(label=label)
        return asked()

    should_stop.gap = float("nan")  # type: ignore[attr-defined]
    return should_stop


def render(lang: str, ds: Dataset | None) -> None:
    """The zoning view: nearest-school or capacity-optimal zones of the chosen dataset and level."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    method = st.session_state.get("method", NETWORK)
    if not page_header(ds, lang, "app.title", "app.caption", method=T(f"app.title.{method}")):
        return

    digest = dataset_digest(ds)
    level = st.session_state.get("level", LEVELS[0])
    cancel_slot = st.empty()  # the Cancel button of a long solve: on the page, not inside the collapsed status box
    try:
        with st.status(T("app.loading_network"), expanded=False) as status:
            inputs = load_dataset(ds, digest)
            prefetch_basemap(inputs)  # drawn in its own thread while the zoning runs
            status.update(label=T("app.computing"))
            nearest = zoning(inputs, digest, Scenario(level, nearest_method(inputs.network)))
            scenario = scenario_from_state(st.session_state, locked_pairs(nearest))
            if scenario.method == OPTIMAL and scenario.group_column and ds.compounds:  # groups from the file
                scenario = dataclasses.replace(scenario, group_column="", groups=groups_from_file(
                    ds.compounds, scenario.group_column, coords=ds.compounds_coords,
                    mapping=dict(ds.compounds_mapping) or None))
            if scenario.method == NETWORK and inputs.network.straight_line:  # no streets: as the crow flies
                scenario = dataclasses.replace(scenario, method=STRAIGHT)
            result = nearest
            solve_key = f"{digest}-{hash(scenario)}"
            if scenario.method == OPTIMAL and st.session_state.get("cancelled") == solve_key:
                result = st.session_state.get("interrupted", {}).get(solve_key, nearest)
            elif scenario.method == OPTIMAL:
                status.update(label=T("opt.solving"))
                cancel_slot.button(T("opt.cancel"), key="cancel_solve", on_click=st.session_state.update,
                                   kwargs={"cancelled": solve_key}, icon=":material/stop_circle:")
                try:
                    result = zoning(inputs, digest, scenario, _elapsed(status, rerun_requested(), lang))
                except Interrupted as cut:  # the planner pressed Cancel (or changed a setting) mid-solve
                    st.session_state["interrupted"] = {solve_key: cut.result}
                    result = cut.result
            else:
                result = zoning(inputs, digest, scenario)
            status.update(label=T("app.ready"), state="complete")
        cancel_slot.empty()  # Cancel is there while a solve runs, gone when it is over
    except Exception as err:  # every failure is shown in the page, never as a traceback
        cancel_slot.empty()
        show_error(err, lang)
        if st.session_state.get("method") == OPTIMAL and "nearest" in locals():
            lock_panel(nearest, lang)
        return

    s = result.summary
    st.markdown(T("app.summary", schools=s["schools"], compounds=s["compounds"], children=int(s["children"]),
                  within=s["within_radius"]) + " · " + T("app.summary_radius", radius=radius_phrase(s)))
    if inputs.network.straight_line:
        st.info(T("warn.straight_line"), icon=":material/straighten:")
    warnings_summary(result.warnings, lang)  # above the map, in a few words; the list in an expander

    js, css = leaflet_assets()
    st.subheader(T("app.map"))
    map_key = "|".join((digest, result_key(result), lang, st.session_state.get("basemap", "streets")))
    show_map(map_key, lambda: zoning_map(result, lang=lang, **basemap(inputs), leaflet_js=js, leaflet_css=css,
                                         base_schools=inputs.schools), height=620, key="map")  # once per plan
    detail = map_detail(result)
    if detail["compound_points"]:  # a city: say how the map was lightened
        st.caption(T("map.detail", points=int(detail["compound_points"]), tolerance=detail["tolerance_m"],
                     vertices=int(detail["vertices"]), drawn=int(detail["vertices_drawn"])))

    if scenario.method == OPTIMAL:
        if st.session_state.get("cancelled") == solve_key:
            st.info(T("opt.cancelled_note"), icon=":material/stop_circle:")
            st.button(T("opt.solve_again"), key="solve_again", on_click=st.session_state.pop, args=("cancelled", None))
        if result is not nearest:
            compare_panel(nearest, result, lang)
        lock_panel(nearest, lang)

    st.subheader(T("app.table"))  # the full width: the table has a dozen columns
    school_table(result, lang)
    st.altair_chart(utilisation_chart(result, lang), width="stretch")
    st.subheader(T("app.chart"))
    st.altair_chart(distance_chart(result, lang), width="stretch")
    st.altair_chart(distance_by_school_chart(result, lang), width="stretch")

    st.subheader(T("app.downloads"))
    key = f"{digest}-{hash(scenario)}"
    catch, assign, table = downloads(result, key)
    stem = f"{scenario.level}-{scenario.method}"
    download_row([
        (T("app.download.catchments"), catch, f"catchments-{stem}.geojson", "application/geo+json", "dl_catchments"),
        (T("app.download.assignments"), assign, f"assignments-{stem}.geojson", "application/geo+json",
         "dl_assignments"),
        (T("app.download.table"), table, f"schools-{stem}.csv", "text/csv", "dl_table")])
    report_panel(inputs, ds, result, nearest if result is not nearest else None, stem, lang)


@st.cache_data(show_spinner=False, max_entries=8)
def _report(_inputs, _result: ZoningResult, _other: ZoningResult | None, _balance, key: str, lang: str) -> bytes:
    return report_pdf(_result, network=_inputs.network, boundary=_inputs.boundary, other=_other,
                      other_label=t("report.nearest", lang), balance=_balance,
                      warnings=list(_inputs.warnings) + list(_result.warnings), title=_inputs.name, lang=lang,
                      base_schools=_inputs.schools)


@st.cache_data(show_spinner=False, max_entries=8)
def _balance(_inputs, _stats, level: str, key: str):
    """The balanced-development summary for the report, once per data set, statistics and level (not every run)."""
    try:
        if _stats is not None:
            return balance(join_statistics(_inputs.schools, _stats["table"], _stats["file"])[0], level)
        if has_audit_columns(_inputs.schools):
            return balance(_inputs.schools, level)
    except XuequError:  # statistics that do not fit this data set: the report goes without the summary
        pass
    return None


def report_panel(inputs, ds: Dataset, result: ZoningResult, other: ZoningResult | None, stem: str, lang: str) -> None:
    """The PDF report for a committee: made on a click (a second or two), then downloaded."""
    level = result.scenario.level
    stats = st.session_state.get(f"eq_stats_{state_key(ds)}")  # the statistics the equity view was given
    bal = _balance(inputs, stats, level, f"{dataset_digest(ds)}-{stats['digest'] if stats is not None else '-'}")
    key = "-".join([result_key(result), result_key(other) if other is not None else "-",
                    stats["digest"] if stats is not None else "-", lang])
    made = st.session_state.get("report_pdf")
    if st.button(t("report.make", lang), key="make_report", icon=":material/picture_as_pdf:"):
        try:
            made = st.session_state["report_pdf"] = (key, _report(inputs, result, other, bal, key, lang))
        except XuequError as err:
            show_error(err, lang)
    if made is not None and made[0] == key:
        st.download_button(t("report.download", lang), made[1], f"report-{stem}.pdf", "application/pdf",
                           key="dl_report", on_click="ignore", icon=":material/download:")

