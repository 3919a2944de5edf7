"""The balanced-development view (优质均衡): the 2017 audit, coefficients of variation, Gini / Theil / Lorenz,
class sizes, education groups and teacher exchange, on the dataset's schools and the user's own statistics.

Every figure and rule comes from :mod:`geo.equity` (:mod:`~geo.equity.audit`, :mod:`~geo.equity.stats`,
:mod:`~geo.equity.groups`, :mod:`~geo.equity.exchange`); this module wires widgets to them, caches, and keeps the
user's statistics, education groups and teacher moves in ``st.session_state`` per dataset.
"""

from __future__ import annotations

import hashlib
import json

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app.common import (
    basemap,
    dataset_digest,
    inert_t,
    leaflet_assets,
    load_dataset,
    page_header,
    show_error,
    zoning,
)
from app.state import DEMO, Dataset, dataset_key
from geo.equity import audit as equity
from geo.equity import exchange
from geo.equity.exchange import MOVE_COLUMNS, TEACHER_KEYS, moved_schools, typed_moves
from geo.equity.groups import (
    ROLES,
    STRENGTH_BY,
    check_groups,
    default_threshold,
    empty_groups,
    group_shares,
    groups_table,
    school_groups,
    strength_columns,
    strength_values,
    strong_leads,
)
from geo.equity.inequality import Inequality, group_columns, resource_inequality
from geo.equity.stats import has_audit_columns, join_statistics
from geo.errors import XuequError
from geo.inputs import tables as input_tables
from geo.inputs.schools import LEVELS
from geo.render.i18n import t
from geo.render.maps import base_map, groups_layer, groups_legend
from geo.zoning.assignment import nearest_method
from geo.zoning.scenario import Scenario

TABS = ("audit", "cv", "inequality", "classes", "groups", "exchange")
GROUP_COL = "_education_group"  # the education group of each school, added for the Theil decomposition
FORMAT = {"qualified_per100": "%.2f", "backbone_per100": "%.2f", "pe_art_per100": "%.2f",
          "floor_area_per_student": "%.2f", "sports_ground_per_student": "%.2f", "equipment_per_student": "%.0f",
          "multimedia_per100": "%.2f"}
# Background colours of an indicator cell: meets the standard / reaches 85 % of it / below 85 %.
MET, NEAR, BELOW = "#e3f2e1", "#fff3cd", "#f8d7da"
BAND_COLOUR = {"standard": "", "above_standard": "#fff8e1", "large": "#ffe0b2", "super_large": "#f8d7da"}


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()[:12]


def state_key(ds: Dataset) -> str:
    """What the user's statistics, groups and moves belong to: the dataset (whatever the mode) and the
    column mapping of its schools file."""
    return _digest(dataset_key(ds), getattr(ds, "schools_mapping", ()))


def _frame_digest(df: pd.DataFrame | None) -> str:
    if df is None or len(df) == 0:
        return "-"
    return hashlib.sha256(pd.util.hash_pandas_object(df.astype(str), index=False).to_numpy().tobytes()).hexdigest()[:12]


# --- cached computations (geo/) ------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=64)
def _audit(_schools: pd.DataFrame, key: str) -> pd.DataFrame:
    return equity.audit_schools(_schools)


@st.cache_data(show_spinner=False, max_entries=64)
def _balance(_schools: pd.DataFrame, key: str, level: str) -> equity.Balance:
    return equity.balance(_schools, level)


@st.cache_data(show_spinner=False, max_entries=64)
def _class_sizes(_schools: pd.DataFrame, key: str) -> pd.DataFrame:
    return equity.class_sizes(_schools)


@st.cache_data(show_spinner=False, max_entries=64)
def _inequality(_schools: pd.DataFrame, key: str, resource: str, level: str, group: str | None) -> Inequality:
    return resource_inequality(_schools, resource, level=level, group=group)


@st.cache_data(show_spinner=False, max_entries=64)
def _effect(_schools: pd.DataFrame, key: str, moves: str) -> exchange.ExchangeEffect:
    return exchange.exchange_effect(_schools, json.loads(moves))


# --- reading the user's tables --------------------------------------------------------------------------

def read_plain_table(name: str, data: bytes) -> pd.DataFrame:
    """A user's CSV / XLSX table read by geo.inputs.tables (encodings, XLSX); coordinates are not needed here."""
    return input_tables.read_plain_table(name, name=name, data=data)


# --- state kept per dataset -------------------------------------------------------------------------------

def statistics_panel(inputs, dkey: str, lang: str) -> tuple[pd.DataFrame, str]:
    """The uploader of the user's statistics; returns the schools table to use and its cache key part."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    state, seen_key, err_key = f"eq_stats_{dkey}", f"eq_stats_seen_{dkey}", f"eq_stats_err_{dkey}"
    stored = st.session_state.get(state)
    with st.expander(T("equity.stats.title"), expanded=stored is None and not has_audit_columns(inputs.schools)):
        st.caption(T("equity.stats.help"))
        up = st.file_uploader(T("equity.stats.upload"), type=["csv", "xlsx"], key=f"eq_stats_up_{dkey}")
        if up is not None:
            data = up.getvalue()
            h = hashlib.sha256(data).hexdigest()[:16]
            if st.session_state.get(seen_key) != h:  # each file is read once; a removed one stays removed
                st.session_state[seen_key] = h
                st.session_state.pop(err_key, None)
                try:
                    table = read_plain_table(up.name, data)
                    join_statistics(inputs.schools, table, up.name)
                    st.session_state[state] = {"file": up.name, "table": table, "digest": h}
                except XuequError as err:
                    st.session_state[err_key] = err
            if st.session_state.get(err_key) is not None:
                show_error(st.session_state[err_key], lang)
                st.caption(T("equity.stats.unchanged"))
        stored = st.session_state.get(state)
        if stored is not None:
            st.success(inert_t("equity.stats.using", lang, file=stored["file"], rows=len(stored["table"])),
                       icon=":material/check_circle:")
            if st.button(T("equity.stats.remove"), key=f"eq_stats_remove_{dkey}"):
                st.session_state.pop(state, None)
                st.rerun()
    if stored is None:
        return inputs.schools, "-"
    try:
        schools, missing = join_statistics(inputs.schools, stored["table"], stored["file"])
    except XuequError as err:  # the dataset changed under the statistics
        show_error(err, lang)
        return inputs.schools, "-"
    if missing:
        st.warning(T("equity.stats.not_covered", count=len(missing), total=len(schools)), icon=":material/warning:")
    return schools, stored["digest"]


def groups_panel(ds: Dataset, dkey: str, schools: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Load, upload or edit the education groups; returns the last valid groups (possibly none)."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    base_key, ver_key, ok_key = f"eq_groups_base_{dkey}", f"eq_groups_ver_{dkey}", f"eq_groups_ok_{dkey}"
    if base_key not in st.session_state:
        base = empty_groups()
        if ds.kind == "demo" and (DEMO / "groups.csv").is_file():
            base = groups_table(pd.read_csv(DEMO / "groups.csv", dtype=str), "groups.csv")
        st.session_state[base_key] = base
    if ds.kind == "demo":
        st.caption(T("equity.groups.demo"))
    up = st.file_uploader(T("equity.groups.upload"), type=["csv", "xlsx"], key=f"eq_groups_up_{dkey}",
                          help=T("equity.groups.upload.help"))
    if up is not None:
        data = up.getvalue()
        h = hashlib.sha256(data).hexdigest()[:16]
        if st.session_state.get(f"eq_groups_seen_{dkey}") != h:
            st.session_state[f"eq_groups_seen_{dkey}"] = h
            try:
                st.session_state[base_key] = groups_table(read_plain_table(up.name, data), up.name)
                st.session_state[ver_key] = st.session_state.get(ver_key, 0) + 1
            except XuequError as err:
                show_error(err, lang)
    ids = [str(s) for s in schools["school_id"]]
    base = st.session_state[base_key]
    options = list(dict.fromkeys(ids + [str(s) for s in base["school_id"].dropna()]))
    names = dict(zip(ids, schools["name"].astype(str)))
    edited = st.data_editor(
        base, num_rows="dynamic", hide_index=True, width="stretch",
        key=f"eq_groups_ed_{dkey}_{st.session_state.get(ver_key, 0)}",
        column_config={
            "group_id": st.column_config.TextColumn(T("equity.groups.col.group_id"), required=True),
            "group_name": st.column_config.TextColumn(T("equity.groups.col.group_name")),
            "school_id": st.column_config.SelectboxColumn(
                T("col.school_id"), options=options, required=True,
                format_func=lambda s: f"{s} {names.get(s, '?')}"),
            "role": st.column_config.SelectboxColumn(T("equity.groups.col.role"), options=list(ROLES),
                                                     format_func=lambda r: T(f"equity.role.{r}"), required=True),
        })
    groups, problems = check_groups(edited, schools)
    problems = [inert_t(key, lang, **params) for key, params in problems]
    if problems:
        for p in problems:
            st.error(p, icon=":material/warning:")
        st.caption(T("equity.groups.using_last"))
        return st.session_state.get(ok_key, empty_groups())
    st.session_state[ok_key] = groups
    return groups


# --- formatting -------------------------------------------------------------------------------------------

def _short(key: str, lang: str) -> str:
    return t(f"equity.short.{key}", lang)


def _level_word(v, lang: str) -> str:
    return t(f"level.{v}", lang)


def _indicator_columns(lang: str, level: str | None = None) -> dict:
    cfg = {}
    for ind in equity.INDICATORS:
        std = f" · {t('equity.standard', lang)} ≥ {ind.standard[level]:g}" if level else ""
        cfg[ind.key] = st.column_config.NumberColumn(_short(ind.key, lang), format=FORMAT[ind.key],
                                                     help=t(f"equity.ind.{ind.key}", lang) + std)
    return cfg


def _audit_style(df: pd.DataFrame):
    """Indicator cells coloured by met / within 85 % / below."""
    def colour(col):
        r = df[f"{col.name}_ratio"]
        return [f"background-color: {MET if x >= 1 - 1e-9 else NEAR if x >= equity.FLOOR_SHARE - 1e-9 else BELOW}"
                for x in r]
    return df.style.apply(colour, subset=list(equity.INDICATOR_KEYS))


def audit_table(a: pd.DataFrame, lang: str, level: str | None, key: str, roles: dict | None = None) -> None:
    T = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    df = a.copy().reset_index(drop=True)
    df["school_level"] = df["school_level"].map(lambda v: _level_word(v, lang))
    df["level"] = df["level"].map(lambda v: _level_word(v, lang))
    df["not_met"] = [", ".join(_short(k, lang) for k in equity.INDICATOR_KEYS if not row[f"{k}_ok"])
                     for _, row in df.iterrows()]
    df["lowest_ratio"] = df["lowest_ratio"] * 100
    cols = ["school_id", "name"] + (["role"] if roles else []) + ["school_level"] + ([] if level else ["level"]) + [
        "students"] + list(
        equity.INDICATOR_KEYS) + ["met", "lowest_ratio", "not_met", "passes"]
    if roles:
        df["role"] = df["school_id"].map(roles).map(lambda r: T(f"equity.role.{r}"))
    cfg = {
        "school_id": st.column_config.TextColumn(T("col.school_id")),
        "name": st.column_config.TextColumn(T("col.school_name")),
        "role": st.column_config.TextColumn(T("equity.groups.col.role")),
        "school_level": st.column_config.TextColumn(T("equity.col.school_type")),
        "level": st.column_config.TextColumn(T("col.level")),
        "students": st.column_config.NumberColumn(T("equity.col.students"), format="%d"),
        "met": st.column_config.NumberColumn(T("equity.col.met"), format="%d / 7", help=T("equity.col.met.help")),
        "lowest_ratio": st.column_config.NumberColumn(T("equity.col.lowest"), format="%.0f%%",
                                                      help=T("equity.col.lowest.help")),
        "not_met": st.column_config.TextColumn(T("equity.col.not_met")),
        "passes": st.column_config.CheckboxColumn(T("equity.col.passes")),
        **_indicator_columns(lang, level),
    }
    st.dataframe(_audit_style(df), column_config=cfg, column_order=cols, hide_index=True, width="stretch", key=key)


# --- the tabs ---------------------------------------------------------------------------------------------

def audit_tab(schools, skey: str, level: str, lang: str) -> pd.DataFrame | None:
    T = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    a = _audit(schools, skey)
    a_lv = a[a["level"] == level].reset_index(drop=True)
    st.markdown(T("equity.audit.intro", level=T(f"level.{level}")))
    c1, c2, c3 = st.columns(3)
    c1.metric(T("equity.audit.parts"), f"{len(a_lv)}")
    c2.metric(T("equity.audit.passing"), f"{int(a_lv['passes'].sum())}")
    c3.metric(T("equity.audit.share"), f"{a_lv['passes'].mean():.0%}" if len(a_lv) else "–")
    audit_table(a_lv, lang, level, "eq_audit")
    st.caption(T("equity.audit.colours"))
    with st.expander(T("equity.audit.legend", level=T(f"level.{level}")), expanded=False):
        legend = pd.DataFrame({
            "indicator": [T(f"equity.ind.{i.key}") for i in equity.INDICATORS],
            "standard": [i.standard[level] for i in equity.INDICATORS],
            "floor": [i.standard[level] * equity.FLOOR_SHARE for i in equity.INDICATORS],
        })
        st.dataframe(legend, hide_index=True, width="stretch", key="eq_audit_legend", column_config={
            "indicator": st.column_config.TextColumn(T("opt.figure")),
            "standard": st.column_config.NumberColumn(T("equity.standard"), format="%g"),
            "floor": st.column_config.NumberColumn(T("equity.floor"), format="%.3g"),
        })
        st.caption(T("equity.audit.rule"))
    return a


def cv_chart(table: pd.DataFrame, level: str, lang: str) -> alt.LayerChart:
    df = pd.DataFrame({"indicator": [_short(k, lang) for k in table.index], "cv": table["cv"].to_numpy(),
                       "passes": np.where(table["passes_2017"], t("equity.pass", lang), t("equity.fail", lang))})
    limits = pd.DataFrame({"limit": [equity.CV_LIMITS["2017"][level], equity.CV_LIMITS["2012"][level]],
                           "standard": [t("equity.std.2017", lang), t("equity.std.2012", lang) + " *"]})
    order = df["indicator"].tolist()
    bars = alt.Chart(df).mark_bar().encode(
        y=alt.Y("indicator:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),  # long names: bars across
        x=alt.X("cv:Q", title=t("equity.cv", lang)),
        color=alt.Color("passes:N", title=None, scale=alt.Scale(
            domain=[t("equity.pass", lang), t("equity.fail", lang)], range=["#4e79a7", "#c62828"])),
        tooltip=[alt.Tooltip("indicator:N", title=t("opt.figure", lang)),
                 alt.Tooltip("cv:Q", title=t("equity.cv", lang), format=".3f")])
    rules = alt.Chart(limits).mark_rule(strokeDash=[6, 3], size=2).encode(
        x="limit:Q", color=alt.Color("standard:N", title=t("equity.cv.limit", lang),
                                     scale=alt.Scale(range=["#c62828", "#f28e2b"])),
        tooltip=[alt.Tooltip("standard:N", title=t("equity.cv.limit", lang)),
                 alt.Tooltip("limit:Q", format=".2f")])
    return (bars + rules).resolve_scale(color="independent").properties(height=320)


def cv_tab(schools, skey: str, level: str, lang: str) -> None:
    T = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    b = _balance(schools, skey, level)
    c1, c2, c3 = st.columns(3)
    c1.metric(T("equity.cv.composite"), f"{b.composite_cv:.3f}")
    c2.metric(T("equity.std.2017"), T("equity.pass") if b.passes_2017 else T("equity.fail"),
              help=T("equity.cv.rule2017", limit=equity.CV_LIMITS["2017"][level]))
    c3.metric(T("equity.std.2012") + " *", T("equity.pass") if b.passes_2012 else T("equity.fail"),
              help=T("equity.cv.rule2012", limit=equity.CV_LIMITS["2012"][level]))
    tab = b.table.reset_index()
    tab["label"] = tab["indicator"].map(lambda k: T(f"equity.ind.{k}"))
    cfg = {
        "indicator": None,
        "label": st.column_config.TextColumn(T("opt.figure")),
        "mean": st.column_config.NumberColumn(T("equity.cv.mean"), format="%.2f"),
        "cv": st.column_config.NumberColumn(T("equity.cv"), format="%.3f"),
        "limit_2017": st.column_config.NumberColumn(T("equity.cv.limit_2017"), format="%.2f"),
        "passes_2017": st.column_config.CheckboxColumn(T("equity.cv.passes_2017")),
        "limit_2012": st.column_config.NumberColumn(T("equity.cv.limit_2012"), format="%.2f"),
        "passes_2012": st.column_config.CheckboxColumn(T("equity.cv.passes_2012")),
    }
    left, right = st.columns([3, 2])
    left.dataframe(tab, column_config=cfg, column_order=list(cfg)[1:], hide_index=True, width="stretch",
                   key="eq_cv")
    right.altair_chart(cv_chart(b.table, level, lang), width="stretch")
    st.caption(T("equity.cv.note2012"))
    st.subheader(T("equity.cv.top"))
    worst = b.worst
    pick = st.selectbox(T("opt.figure"), list(b.table.index), index=list(b.table.index).index(worst),
                        format_func=lambda k: T(f"equity.ind.{k}"), key="eq_cv_pick")
    top = b.top(pick, 5)
    top["share"] = top["share"] * 100
    st.dataframe(top, hide_index=True, width="stretch", key="eq_cv_top", column_config={
        "school_id": st.column_config.TextColumn(T("col.school_id")),
        "name": st.column_config.TextColumn(T("col.school_name")),
        "students": st.column_config.NumberColumn(T("equity.col.students"), format="%d"),
        "value": st.column_config.NumberColumn(_short(pick, lang), format=FORMAT[pick]),
        "mean": st.column_config.NumberColumn(T("equity.cv.mean"), format=FORMAT[pick]),
        "share": st.column_config.ProgressColumn(T("equity.cv.share"), format="%.0f%%", min_value=0,
                                                 max_value=100, help=T("equity.cv.share.help")),
        "above_mean": st.column_config.CheckboxColumn(T("equity.cv.above_mean")),
    })


def lorenz_chart(lz: pd.DataFrame, lang: str) -> alt.LayerChart:
    x_title, y_title = t("equity.lorenz.x", lang), t("equity.lorenz.y", lang)
    line = alt.Chart(lz).mark_line(point=True, color="#4e79a7").encode(
        x=alt.X("student_share:Q", title=x_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("resource_share:Q", title=y_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("student_share:Q", title=x_title, format=".1%"),
                 alt.Tooltip("resource_share:Q", title=y_title, format=".1%")])
    equal = alt.Chart(pd.DataFrame({"a": [0.0, 1.0], "b": [0.0, 1.0]})).mark_line(
        color="#999999", strokeDash=[5, 4]).encode(x="a:Q", y="b:Q")
    label = alt.Chart(pd.DataFrame({"a": [0.62], "b": [0.7], "text": [t("equity.lorenz.equality", lang)]})).mark_text(
        color="#777777", angle=320, fontSize=11).encode(x="a:Q", y="b:Q", text="text:N")
    return (equal + label + line).properties(height=380)


def inequality_tab(schools, skey: str, groups: pd.DataFrame, level: str, lang: str) -> None:
    T = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    c1, c2 = st.columns(2)
    resource = c1.selectbox(T("equity.ineq.resource"), list(equity.INDICATOR_KEYS),
                            format_func=lambda k: T(f"equity.ind.{k}"), key="eq_ineq_resource")
    options: list = [None] + ([GROUP_COL] if len(groups) else []) + ["school_level"] + group_columns(schools, (GROUP_COL,))
    labels = {None: T("equity.ineq.none"), GROUP_COL: T("equity.ineq.group"),
              "school_level": T("equity.col.school_type")}
    if st.session_state.get("eq_ineq_group", None) not in options:
        st.session_state.pop("eq_ineq_group", None)
    group = c2.selectbox(T("equity.ineq.grouping"), options, format_func=lambda c: labels.get(c, str(c)),
                         key="eq_ineq_group")
    data, key = schools, skey
    if group == GROUP_COL:
        data = schools.copy()
        data[GROUP_COL] = school_groups(schools, groups)
        key = f"{skey}:{_frame_digest(groups)}"
    inq = _inequality(data, key, resource, level, group)
    th = inq.theil
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(T("equity.ineq.gini"), f"{inq.gini:.3f}")
    m2.metric(T("equity.ineq.theil"), f"{th.total:.4f}")
    m3.metric(T("equity.ineq.between"), f"{th.between:.4f}",
              help=T("equity.ineq.between.help", share=th.between / th.total if th.total > 0 else 0.0))
    m4.metric(T("equity.ineq.within"), f"{th.within:.4f}")
    left, right = st.columns([3, 2])
    left.altair_chart(lorenz_chart(inq.lorenz, lang), width="stretch")
    with right:
        if group is not None:
            g = th.groups.reset_index()
            lone = g["group"].astype(str).str.startswith("#")
            if group == "school_level":
                g["group"] = g["group"].map(lambda v: _level_word(v, lang))
            shown = g[~lone].copy()
            for c in ("student_share", "resource_share"):
                shown[c] = shown[c] * 100
            st.dataframe(shown, hide_index=True, width="stretch", key="eq_ineq_groups", column_config={
                "group": st.column_config.TextColumn(T("equity.ineq.group_col")),
                "students": st.column_config.NumberColumn(T("equity.col.students"), format="%d"),
                "student_share": st.column_config.NumberColumn(T("equity.ineq.student_share"), format="%.1f%%"),
                "resource_share": st.column_config.NumberColumn(T("equity.ineq.resource_share"), format="%.1f%%"),
                "mean": st.column_config.NumberColumn(T("equity.cv.mean"), format=FORMAT[resource]),
                "theil": st.column_config.NumberColumn(T("equity.ineq.theil_in"), format="%.4f"),
                "within_part": st.column_config.NumberColumn(T("equity.ineq.within_part"), format="%.4f"),
            })
            if lone.any():
                st.caption(T("equity.ineq.lone", count=int(lone.sum())))
        st.caption(T("equity.ineq.help"))


def classes_tab(schools, skey: str, level: str, lang: str) -> None:
    T = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    cs = _class_sizes(schools, skey)
    cs = cs[cs["level"] == level].reset_index(drop=True)
    cols = st.columns(5)
    for c, band in zip(cols, equity.BANDS):
        c.metric(T(f"equity.band.{band}"), f"{int((cs['band'] == band).sum())}")
    cols[4].metric(T("equity.classes.oversized"), f"{int(cs['oversized_school'].sum())}")
    df = cs.copy()
    df["band_text"] = df["band"].map(lambda b: T(f"equity.band.{b}"))
    df["school_level"] = df["school_level"].map(lambda v: _level_word(v, lang))
    colours = df["band"].map(BAND_COLOUR).to_numpy()

    def paint(row):
        bg = colours[row.name]
        cells = [f"background-color: {bg}" if bg else "" for _ in row]
        if df.at[row.name, "oversized_school"]:
            i = list(row.index).index("school_students")
            cells[i] = "background-color: #f8d7da; font-weight: bold"
        return cells

    styled = df.style.apply(paint, axis=1).format({"average_class_size": "{:.1f}"})
    cfg = {
        "school_id": st.column_config.TextColumn(T("col.school_id")),
        "name": st.column_config.TextColumn(T("col.school_name")),
        "school_level": st.column_config.TextColumn(T("equity.col.school_type")),
        "students": st.column_config.NumberColumn(T("equity.col.students"), format="%d"),
        "classes": st.column_config.NumberColumn(T("equity.classes.classes"), format="%d"),
        "average_class_size": st.column_config.NumberColumn(T("equity.classes.average"), format="%.1f"),
        "largest_class_at_least": st.column_config.NumberColumn(T("equity.classes.largest"), format="%d",
                                                                help=T("equity.classes.largest.help")),
        "standard_class_size": st.column_config.NumberColumn(T("equity.classes.standard"), format="%d"),
        "band_text": st.column_config.TextColumn(T("equity.classes.band")),
        "school_students": st.column_config.NumberColumn(T("equity.classes.school_students"), format="%d"),
        "school_size_limit": st.column_config.NumberColumn(T("equity.classes.limit"), format="%d"),
        "oversized_school": st.column_config.CheckboxColumn(T("equity.classes.oversized")),
    }
    st.dataframe(styled, column_config=cfg, column_order=list(cfg), hide_index=True, width="stretch",
                 key="eq_classes")
    st.caption(T("equity.classes.help"))


def _strength(schools, a: pd.DataFrame, groups: pd.DataFrame, level: str, lang: str) -> pd.Series:
    """Whether each group's lead is "strong" (geo.equity.groups): it passes the audit, or a chosen figure reaches a
    threshold."""
    T = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    how = st.radio(T("equity.groups.strong"), STRENGTH_BY, format_func=lambda k: T(f"equity.strong.{k}"),
                   horizontal=True, key="eq_strong_how")
    if how == "audit":
        return strong_leads(groups, a)
    c1, c2 = st.columns(2)
    col = c1.selectbox(T("equity.strong.which"), strength_columns(schools), key="eq_strong_col",
                       format_func=lambda c: T(f"equity.ind.{c}") if c in equity.BY_KEY else c)
    values = strength_values(schools, a, col, level)
    threshold = c2.number_input(T("equity.strong.threshold"), value=round(default_threshold(values), 2),
                                key=f"eq_strong_at_{col}", help=T("equity.strong.threshold.help"))
    return strong_leads(groups, a, values, threshold)


def groups_tab(inputs, digest: str, schools, skey: str, groups: pd.DataFrame, level: str, lang: str) -> None:
    T = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    if len(groups) == 0:
        st.info(T("equity.groups.empty"))
        return
    js, css = leaflet_assets()
    pts = inputs.schools
    bounds = np.array(pts.to_crs("EPSG:4326").total_bounds)
    pad = 0.004
    m = base_map(bounds + np.array([-pad, -pad, pad, pad]),
                 **basemap(inputs), leaflet_js=js, leaflet_css=css)
    groups_layer(pts, groups, lang=lang).add_to(m)
    m.add_child(groups_legend(groups, lang))
    st_folium(m, height=480, use_container_width=True, returned_objects=[], key="eq_groups_map")

    try:
        a = _audit(schools, skey)
    except XuequError as err:
        show_error(err, lang)
        return
    strong = _strength(schools, a, groups, level, lang)
    try:
        result = zoning(inputs, digest, Scenario(level, nearest_method(inputs.network)))
    except Exception as err:  # noqa: BLE001 - shown in the page
        show_error(err, lang)
        return
    shares = group_shares(groups, schools, a, result.table.set_index("school_id")["children"], strong)
    tab = shares.table
    c1, c2 = st.columns(2)
    c1.metric(T("equity.groups.strong_share", level=T(f"level.{level}")),
              "–" if shares.strong_share is None else f"{shares.strong_share:.1%}",
              help=T("equity.groups.strong_share.help"))
    c2.metric(T("equity.groups.grouped_share"), "–" if shares.grouped_share is None else f"{shares.grouped_share:.1%}")
    st.dataframe(tab, hide_index=True, width="stretch", key="eq_groups_table", column_config={
        "group_id": st.column_config.TextColumn(T("equity.groups.col.group_id")),
        "group_name": st.column_config.TextColumn(T("equity.groups.col.group_name")),
        "lead": st.column_config.TextColumn(T("equity.role.lead")),
        "lead_passes": st.column_config.CheckboxColumn(T("equity.groups.lead_passes")),
        "strong": st.column_config.CheckboxColumn(T("equity.groups.is_strong")),
        "schools": st.column_config.NumberColumn(T("equity.groups.schools"), format="%d"),
        "members": st.column_config.TextColumn(T("equity.role.member")),
        "children": st.column_config.NumberColumn(T("equity.groups.children", level=T(f"level.{level}")),
                                                  format="%d", help=T("equity.groups.children.help")),
        "share": st.column_config.NumberColumn(T("equity.groups.share"), format="%.1f%%"),
    })
    gid = st.selectbox(T("equity.groups.detail"), tab["group_id"].tolist(), key="eq_groups_pick",
                       format_func=lambda g: str(tab.set_index("group_id").at[g, "group_name"]))
    g = groups[groups["group_id"] == gid]
    roles = dict(zip(g["school_id"], g["role"]))
    detail = a[a["school_id"].isin(g["school_id"])].copy()
    detail["_order"] = detail["school_id"].map(lambda s: 0 if roles.get(s) == "lead" else 1)
    audit_table(detail.sort_values(["_order", "school_id"], kind="stable").drop(columns="_order"), lang, None,
                "eq_groups_detail", roles=roles)


def exchange_tab(schools, skey: str, dkey: str, groups: pd.DataFrame, level: str, lang: str) -> None:
    T = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    base_key, ver_key = f"eq_moves_{dkey}", f"eq_moves_ver_{dkey}"
    base = st.session_state.get(base_key)
    if base is None:
        base = pd.DataFrame({c: pd.Series(dtype=object) for c in MOVE_COLUMNS})
        base["teachers"] = pd.Series(dtype="Int64")
    ids = [str(s) for s in schools["school_id"]]
    names = dict(zip(ids, schools["name"].astype(str)))
    st.markdown(T("equity.exchange.intro"))
    edited = st.data_editor(
        base, num_rows="dynamic", hide_index=True, width="stretch",
        key=f"eq_moves_ed_{dkey}_{st.session_state.get(ver_key, 0)}",
        column_config={
            "from_school": st.column_config.SelectboxColumn(T("equity.exchange.from"), options=ids, required=True,
                                                            format_func=lambda s: f"{s} {names.get(s, '?')}"),
            "to_school": st.column_config.SelectboxColumn(T("equity.exchange.to"), options=ids, required=True,
                                                          format_func=lambda s: f"{s} {names.get(s, '?')}"),
            "category": st.column_config.SelectboxColumn(T("equity.exchange.category"),
                                                         options=list(exchange.CATEGORIES), required=True,
                                                         format_func=lambda c: T(f"exchange.cat.{c}")),
            "teachers": st.column_config.NumberColumn(T("equity.exchange.teachers"), min_value=1, step=1,
                                                      format="%d", required=True),
            "level": st.column_config.SelectboxColumn(T("equity.exchange.level"), options=list(LEVELS),
                                                      format_func=lambda v: T(f"level.{v}"),
                                                      help=T("equity.exchange.level.help")),
        })
    moves = typed_moves(edited)
    payload = json.dumps(moves.astype(object).where(moves.notna(), None).to_dict("records"), ensure_ascii=False,
                         default=str)
    try:
        effect = _effect(schools, skey, payload)
    except XuequError as err:  # nothing else changes: the figures below stay those without the moves
        show_error(err, lang)
        effect = _effect(schools, skey, "[]")
        moves = moves.iloc[0:0]
    cv = effect.table[effect.table["level"] == level].reset_index(drop=True)
    cv["label"] = cv["indicator"].map(lambda k: T(f"equity.ind.{k}"))
    cv["change"] = cv["cv_after"] - cv["cv_before"]
    st.subheader(T("equity.exchange.cv", level=T(f"level.{level}")))
    st.dataframe(cv, hide_index=True, width="stretch", key="eq_exchange_cv",
                 column_order=["label", "cv_before", "cv_after", "change", "limit", "passes_before", "passes_after"],
                 column_config={
                     "label": st.column_config.TextColumn(T("opt.figure")),
                     "cv_before": st.column_config.NumberColumn(T("equity.exchange.before"), format="%.3f"),
                     "cv_after": st.column_config.NumberColumn(T("equity.exchange.after"), format="%.3f"),
                     "change": st.column_config.NumberColumn(T("edit.col.delta"), format="%+.3f"),
                     "limit": st.column_config.NumberColumn(T("equity.cv.limit_2017"), format="%.2f"),
                     "passes_before": st.column_config.CheckboxColumn(T("equity.exchange.passes_before")),
                     "passes_after": st.column_config.CheckboxColumn(T("equity.exchange.passes_after")),
                 })
    if len(moves):
        before = _audit(schools, skey)
        after = _audit(effect.schools, f"{skey}:{_digest(payload)}")
        both = moved_schools(before, after)
        both["level"] = both["level"].map(lambda v: _level_word(v, lang))
        cols = ["school_id", "name", "level"] + [c for k in TEACHER_KEYS for c in (k, f"{k}_after")] + [
            "met", "met_after", "passes", "passes_after"]
        cfg = {"school_id": st.column_config.TextColumn(T("col.school_id")),
               "name": st.column_config.TextColumn(T("col.school_name")),
               "level": st.column_config.TextColumn(T("col.level")),
               "met": st.column_config.NumberColumn(T("equity.col.met") + " " + T("equity.exchange.before"),
                                                    format="%d / 7"),
               "met_after": st.column_config.NumberColumn(T("equity.col.met") + " " + T("equity.exchange.after"),
                                                          format="%d / 7"),
               "passes": st.column_config.CheckboxColumn(T("equity.exchange.passes_before")),
               "passes_after": st.column_config.CheckboxColumn(T("equity.exchange.passes_after"))}
        for k in TEACHER_KEYS:
            cfg[k] = st.column_config.NumberColumn(f"{_short(k, lang)} {T('equity.exchange.before')}", format="%.2f")
            cfg[f"{k}_after"] = st.column_config.NumberColumn(f"{_short(k, lang)} {T('equity.exchange.after')}",
                                                              format="%.2f")
        st.subheader(T("equity.exchange.schools"))
        st.dataframe(both, hide_index=True, width="stretch", key="eq_exchange_schools", column_order=cols,
                     column_config=cfg)

    st.subheader(T("equity.exchange.suggest.title"))
    c1, c2, c3 = st.columns([2, 2, 1])
    standard = c1.radio(T("equity.exchange.standard"), ("2017", "2012"), horizontal=True, key="eq_sugg_std",
                        format_func=lambda s: T(f"equity.std.{s}") + (" *" if s == "2012" else ""))
    within = c2.checkbox(T("equity.exchange.within"), key="eq_sugg_within", disabled=len(groups) == 0,
                         help=T("equity.exchange.within.help"))
    within = within and len(groups) > 0
    mapping = pd.Series(groups["group_id"].to_numpy(), index=groups["school_id"].astype(str).to_numpy())
    state = f"eq_sugg_{dkey}"
    now = (skey, level, standard, within, _frame_digest(groups))
    if c3.button(T("equity.exchange.suggest"), key="eq_suggest", type="primary"):
        try:
            with st.spinner(T("equity.exchange.solving")):
                sug = exchange.suggest_moves(schools, level, standard=standard, group=mapping if within else None,
                                             time_limit=20.0)
            st.session_state[state] = (now, sug)
        except XuequError as err:
            show_error(err, lang)
    shown = st.session_state.get(state)
    if shown is None or shown[0] != now:
        return
    sug = shown[1]
    for key_, params in sug.reasons:
        st.warning(inert_t(key_, lang, **params), icon=":material/warning:")
    if len(sug.moves) == 0 and sug.feasible:
        st.success(T("equity.exchange.nothing", limit=sug.limit), icon=":material/check_circle:")
    elif len(sug.moves):
        st.success(T("equity.exchange.found", teachers=sug.teachers_moved, moves=len(sug.moves), limit=sug.limit),
                   icon=":material/check_circle:")
        mv = sug.moves.copy()
        mv["category"] = mv["category"].map(lambda c: T(f"exchange.cat.{c}"))
        mv["level"] = mv["level"].map(lambda v: _level_word(v, lang))
        st.dataframe(mv, hide_index=True, width="stretch", key="eq_sugg_moves", column_config={
            "from_school": None, "to_school": None,
            "from_name": st.column_config.TextColumn(T("equity.exchange.from")),
            "to_name": st.column_config.TextColumn(T("equity.exchange.to")),
            "category": st.column_config.TextColumn(T("equity.exchange.category")),
            "teachers": st.column_config.NumberColumn(T("equity.exchange.teachers"), format="%d"),
            "level": st.column_config.TextColumn(T("equity.exchange.level")),
        })
        if not sug.optimal:
            st.caption(T("equity.exchange.not_proven"))
        if st.button(T("equity.exchange.use"), key="eq_sugg_use"):
            st.session_state[base_key] = sug.moves[list(MOVE_COLUMNS)].astype(object).assign(
                teachers=sug.moves["teachers"].astype("Int64"))
            st.session_state[ver_key] = st.session_state.get(ver_key, 0) + 1
            st.rerun()
    table = sug.table.reset_index()
    table["label"] = table["category"].map(lambda c: T(f"exchange.cat.{c}"))
    st.dataframe(table, hide_index=True, width="stretch", key="eq_sugg_table",
                 column_order=["label", "teachers", "cv_before", "cv_after", "limit", "moved", "passes_after"],
                 column_config={
                     "label": st.column_config.TextColumn(T("equity.exchange.category")),
                     "teachers": st.column_config.NumberColumn(T("equity.exchange.teachers_total"), format="%.0f"),
                     "cv_before": st.column_config.NumberColumn(T("equity.exchange.before"), format="%.3f"),
                     "cv_after": st.column_config.NumberColumn(T("equity.exchange.after"), format="%.3f"),
                     "limit": st.column_config.NumberColumn(T("equity.cv.limit"), format="%.2f"),
                     "moved": st.column_config.NumberColumn(T("equity.exchange.moved"), format="%d"),
                     "passes_after": st.column_config.CheckboxColumn(T("equity.exchange.passes_after")),
                 })


# --- the page ---------------------------------------------------------------------------------------------

def _guarded(fn, lang: str, *args) -> None:
    """Run one tab; a failure is shown in that tab, never as a traceback, and the other tabs still work."""
    try:
        fn(*args)
    except XuequError as err:
        show_error(err, lang)
        if err.key in ("equity.missing_column", "err.missing_column"):
            st.info(t("equity.stats.hint", lang), icon=":material/info:")
    except Exception as err:  # noqa: BLE001 - every failure is shown in the page
        show_error(err, lang)


def render(lang: str, ds: Dataset | None) -> None:
    """The balanced-development view of the chosen dataset and level."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    if not page_header(ds, lang, "equity.title", "equity.caption"):
        return
    digest = dataset_digest(ds)
    level = st.session_state.get("level", LEVELS[0])
    try:
        with st.spinner(T("app.loading_network")):
            inputs = load_dataset(ds, digest)
    except Exception as err:  # noqa: BLE001 - every failure is shown in the page, never as a traceback
        show_error(err, lang)
        return
    dkey = state_key(ds)
    schools, stats_key = statistics_panel(inputs, dkey, lang)
    skey = f"{digest}:{stats_key}"
    tabs = st.tabs([T(f"equity.tab.{k}") for k in TABS])
    with tabs[4]:  # first: the groups feed the inequality and exchange tabs of this same run
        st.markdown(T("equity.groups.intro"))
        groups = groups_panel(ds, dkey, schools, lang)
        _guarded(groups_tab, lang, inputs, digest, schools, skey, groups, level, lang)
    with tabs[0]:
        _guarded(audit_tab, lang, schools, skey, level, lang)
    with tabs[1]:
        _guarded(cv_tab, lang, schools, skey, level, lang)
    with tabs[2]:
        _guarded(inequality_tab, lang, schools, skey, groups, level, lang)
    with tabs[3]:
        _guarded(classes_tab, lang, schools, skey, level, lang)
    with tabs[5]:
        _guarded(exchange_tab, lang, schools, skey, dkey, groups, level, lang)
