"""The forecast view (学位预警): the school-age population ten years ahead against each school's seats, under the
base zoning or a stored plan, with dated events; a year slider over the map (zones coloured by warning level),
per-school lines of demand against seats, the district total, the table of warnings and downloads."""

from __future__ import annotations

import re
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app.common import (
    basemap,
    dataset_digest,
    download_row,
    editor,
    inert,
    inert_t,
    leaflet_assets,
    load_dataset,
    page_header,
    save_upload,
    show_error,
    store,
    warnings_summary,
    zoning,
)
from app.state import DEMO, Dataset, dataset_key
from geo.errors import InputError, XuequError
from geo.forecast.cohort import COUNT_DATE, CUTOFF
from geo.forecast.load import (
    communities_in_polygons,
    communities_of,
    forecast_mappings,
    join_communities,
    load_forecast_inputs,
)
from geo.forecast.model import EVENT_KINDS, Event, compare_plans
from geo.forecast.run import forecast_zoning
from geo.inputs.schools import LEVELS
from geo.render import export
from geo.render.forecast_map import LEVEL_STYLE, district_frame, forecast_geojson, forecast_map, level_text
from geo.render.i18n import t
from geo.zoning.assignment import nearest_method
from geo.zoning.scenario import Scenario

KINDS = ("ages", "births", "history", "housing", "ratios")
DEMO_FILES = {"ages": DEMO / "ages.csv", "history": DEMO / "enrolment_history.csv", "housing": DEMO / "housing.csv"}
EVENT_COLUMNS = ["year", "kind", "school", "seats", "target", "compounds"]
TEXT_COLUMNS = ("kind", "school", "target", "compounds")
FILE_KEYS = {"ages": "forecast.file.ages", "births": "forecast.file.births", "history": "forecast.file.history",
             "housing": "forecast.file.housing", "ratios": "forecast.file.ratios"}


def _stored(ds: Dataset, level: str) -> dict[int, str]:
    """The stored scenarios of this dataset and level, id -> name (none when the store cannot be used)."""
    try:
        return {s.id: s.name for s in store().list(dataset_key(ds)) if s.level == level}
    except XuequError:  # no usable store: the base zoning only
        return {}


def _result_of(inputs, digest: str, level: str, sid: int):
    """A plan's zoning: the base (nearest-school) zoning for 0, else the stored scenario's, through the editor."""
    if not sid:
        return zoning(inputs, digest, Scenario(level, nearest_method(inputs.network)))
    history = store().get(sid).history  # the listing carries no edits
    ed, lock = editor(inputs, digest, level)
    with lock:
        return ed.result(history.active)


def _plan_choice(ds: Dataset, level: str, lang: str) -> tuple[int, dict[int, str]]:
    """The plan the forecast runs under, chosen in the page: its id (0: the base zoning) and every plan's name."""
    names = {0: t("forecast.plan.base", lang)} | _stored(ds, level)
    sid = st.selectbox(t("forecast.plan", lang), list(names), format_func=lambda i: names.get(i, str(i)),
                       key="fc_plan")
    return (sid if sid in names else 0), names


def _compare(inputs, digest: str, level: str, plans: tuple, data, settings: dict, events, fc, lang: str) -> None:
    """This plan's forecast beside another plan's, year by year: short schools, shortage, idle seats, moves."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    names, current = plans
    st.subheader(T("forecast.compare"))
    others = [i for i in names if i != current]
    if not others:
        st.caption(T("forecast.compare.none"))
        return
    other_id = st.selectbox(T("forecast.compare_with"), others, format_func=lambda i: names.get(i, str(i)),
                            key="fc_compare")
    other = forecast_zoning(inputs, _result_of(inputs, digest, level, other_id), data, events=events,
                            **settings)
    table = compare_plans(other, fc)
    total = table.iloc[-1]
    st.caption(inert_t("forecast.compare.total", lang, other=names[other_id], this=names[current],
                       short_a=int(total["short_schools_a"]), short_b=int(total["short_schools_b"]),
                       moved=float(table["moved"].iloc[:-1].max()), idle_a=float(table["idle_a"].iloc[-2]),
                       idle_b=float(table["idle_b"].iloc[-2])))
    n = st.column_config.NumberColumn
    cfg = {"year": n(T("forecast.chart.year"), format="%d"),
           "short_schools_a": n(T("forecast.compare.short", plan="A"), format="%d"),
           "short_schools_b": n(T("forecast.compare.short", plan="B"), format="%d"),
           "shortage_a": n(T("forecast.compare.shortage", plan="A"), format="%.0f"),
           "shortage_b": n(T("forecast.compare.shortage", plan="B"), format="%.0f"),
           "idle_a": n(T("forecast.compare.idle", plan="A"), format="%.0f"),
           "idle_b": n(T("forecast.compare.idle", plan="B"), format="%.0f"),
           "moved": n(T("forecast.compare.moved"), format="%.0f")}
    st.dataframe(table.iloc[:-1], column_config=cfg, hide_index=True, width="stretch", key="fc_compare_table")


def _files(ds: Dataset, lang: str) -> dict[str, str]:
    """The forecast's tables: uploads, else (demo) the generated demo tables."""
    paths = {k: str(p) for k, p in DEMO_FILES.items()} if ds.kind == "demo" else {}
    with st.expander(t("forecast.files", lang), expanded=ds.kind != "demo"):
        if ds.kind == "demo":
            st.caption(t("forecast.demo_files", lang))
        cols = st.columns(len(KINDS))
        for col, kind in zip(cols, KINDS, strict=True):
            shapes = ["geojson", "json", "gpkg", "kml", "zip"] if kind == "housing" else []  # planned polygons
            up = col.file_uploader(t(FILE_KEYS[kind], lang), type=["csv", "xlsx", *shapes], key=f"fc_up_{kind}")
            if up is not None:
                paths[kind] = save_upload(up)
                if kind == "births":
                    paths.pop("ages", None)
        up = st.file_uploader(t("forecast.file.communities", lang), type=["geojson", "json", "gpkg", "kml", "zip"],
                              key="fc_up_communities", help=t("forecast.file.communities.help", lang))
        if up is not None:
            paths["communities"] = save_upload(up)
        st.text_input(t("forecast.map", lang), key="fc_map", help=t("forecast.map.help", lang))
    return paths


def _settings(lang: str) -> dict:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    with st.expander(T("forecast.settings")):
        c1, c2, c3 = st.columns(3)
        years = c1.slider(T("forecast.years"), 3, 15, 10, key="fc_years")
        cutoff = c2.text_input(T("forecast.cutoff"), CUTOFF, key="fc_cutoff", help=T("forecast.cutoff.help"))
        count = c3.text_input(T("forecast.count_date"), COUNT_DATE, key="fc_count", help=T("forecast.count.help"))
        survival = c1.number_input(T("forecast.survival"), 0.5, 1.5, 1.0, step=0.01, key="fc_survival",
                                   help=T("forecast.survival.help"))
        trend = c2.number_input(T("forecast.birth_trend"), 0.5, 1.5, 1.0, step=0.01, key="fc_trend",
                                help=T("forecast.birth_trend.help"))
        share = c3.number_input(T("forecast.share"), 0.0, 1.5, 1.0, step=0.01, key="fc_share",
                                help=T("forecast.share.help"))
    return {"horizon": int(years), "cutoff": cutoff.strip(), "count_date": count.strip(), "survival": float(survival),
            "birth_trend": float(trend), "share": float(share)}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _events(schools: list[str], compounds: set[str], lang: str) -> tuple[Event, ...]:
    """Dated events typed in a table: a bad row is named, and left out."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    with st.expander(T("forecast.events")):
        st.caption(T("forecast.events.help"))
        table = st.data_editor(
            pd.DataFrame({c: pd.Series(dtype="object" if c in TEXT_COLUMNS else "Int64") for c in EVENT_COLUMNS}),
            num_rows="dynamic", hide_index=True, key="fc_events", width="stretch",
            column_config={
                "year": st.column_config.NumberColumn(T("forecast.event.year"), min_value=2000, max_value=2100,
                                                      step=1, format="%d"),
                "kind": st.column_config.SelectboxColumn(T("forecast.event.kind"), options=list(EVENT_KINDS)),
                "school": st.column_config.TextColumn(T("forecast.event.school")),
                "seats": st.column_config.NumberColumn(T("forecast.event.seats"), min_value=0, step=1, format="%d"),
                "target": st.column_config.TextColumn(T("forecast.event.target")),
                "compounds": st.column_config.TextColumn(T("forecast.event.compounds"),
                                                         help=T("forecast.event.compounds.help"))})
    out: list[Event] = []
    for i, r in enumerate(table.itertuples(index=False), start=1):
        school, target, kind = _text(r.school), _text(r.target), _text(r.kind)
        moved = tuple(c for c in re.split(r"[,，、;；\s]+", _text(r.compounds)) if c)
        if pd.isna(r.year) and not kind and not school:
            continue  # an empty row
        known = set(schools) | {e.school for e in out if e.kind == "open"}
        ok = (pd.notna(r.year) and kind in EVENT_KINDS and bool(school)
              and (school not in known if kind == "open" else school in known)
              and (target in known if kind == "merge" else not target or target in known)
              and all(c in compounds for c in moved))
        if not ok:
            st.warning(inert_t("forecast.event.bad", lang, row=i), icon=":material/warning:")
            continue
        out.append(Event(int(r.year), kind, school, seats=int(r.seats) if pd.notna(r.seats) else 0,
                         target=target, compounds=moved, name=school))
    return tuple(out)


def _school_chart(fc, chosen: list[str], lang: str) -> alt.Chart:
    s = fc.schools[fc.schools["school_id"].isin(chosen)]
    demand, seats = t("forecast.chart.enrolment", lang), t("forecast.chart.seats", lang)
    long = pd.concat([s.assign(series=demand, value=s["enrolment"]), s.assign(series=seats, value=s["seats"])])
    # Solid: the children forecast; dashed: the seats. The legend draws both as grey strokes (colour is the school).
    dash = alt.StrokeDash("series:N", title="", scale=alt.Scale(domain=[demand, seats], range=[[1, 0], [6, 4]]),
                          legend=alt.Legend(symbolType="stroke", symbolStrokeColor="#444444", symbolStrokeWidth=2,
                                            symbolFillColor="transparent"))
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("year:O", title=t("forecast.chart.year", lang)),
        y=alt.Y("value:Q", title=t("forecast.chart.pupils", lang)),
        color=alt.Color("name:N", title=t("col.school_name", lang)),
        strokeDash=dash,
        tooltip=["name:N", "year:O", "series:N", alt.Tooltip("value:Q", format=",.0f")]).properties(height=340)


def _district_chart(fc, lang: str) -> alt.LayerChart:
    d = district_frame(fc)
    d["series"] = d["series"].map({"enrolment": t("forecast.chart.enrolment", lang),
                                   "seats": t("forecast.chart.seats", lang)})
    x = alt.X("year:O", title=t("forecast.chart.year", lang))
    colour = alt.Color("series:N", title="", scale=alt.Scale(
        domain=[t("forecast.chart.enrolment", lang), t("forecast.chart.seats", lang)], range=["#1565c0", "#c62828"]))
    band = alt.Chart(d).mark_area(opacity=0.2).encode(x=x, y="low:Q", y2="high:Q", color=colour)
    line = alt.Chart(d).mark_line(point=True).encode(
        x=x, y=alt.Y("value:Q", title=t("forecast.chart.pupils", lang)), color=colour,
        tooltip=["year:O", "series:N", alt.Tooltip("value:Q", format=",.0f"), alt.Tooltip("low:Q", format=",.0f"),
                 alt.Tooltip("high:Q", format=",.0f")])
    return (band + line).properties(height=300)


def _table_cfg(lang: str) -> dict:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    n = st.column_config.NumberColumn
    return {"school_id": None, "zone": None, "name": st.column_config.TextColumn(T("col.school_name")),
            "year": n(T("forecast.chart.year"), format="%d"), "intake": n(T("forecast.col.intake"), format="%.0f"),
            "enrolment": n(T("forecast.chart.enrolment"), format="%.0f"),
            "enrolment_low": n(T("forecast.col.low"), format="%.0f"),
            "enrolment_high": n(T("forecast.col.high"), format="%.0f"),
            "classes": n(T("forecast.col.classes"), format="%d"), "seats": n(T("forecast.chart.seats"), format="%d"),
            "surplus": n(T("forecast.col.surplus"), format="%+.0f"),
            "utilisation": n(T("col.utilisation"), format="%.0f%%"),
            "level": st.column_config.TextColumn(T("forecast.col.level"))}


def render(lang: str, ds: Dataset | None) -> None:
    """The forecast view of the chosen dataset and level."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    if not page_header(ds, lang, "forecast.title", "forecast.caption"):
        return
    assert ds is not None  # page_header said there is one
    digest = dataset_digest(ds)
    level = st.session_state.get("level", LEVELS[0])
    sid, names = _plan_choice(ds, level, lang)
    try:
        with st.status(T("app.loading_network"), expanded=False) as status:
            inputs = load_dataset(ds, digest)
            status.update(label=T("app.computing"))
            result = _result_of(inputs, digest, level, sid)
            status.update(label=T("app.ready"), state="complete")
        files = _files(ds, lang)
        settings = _settings(lang)
        events = _events(result.schools["school_id"].astype(str).tolist(),
                         set(inputs.compounds["compound_id"].astype(str)), lang)
        if "ages" not in files and "births" not in files:
            st.info(T("forecast.need_ages"), icon=":material/info:")
            return
        comms = communities_of(ds.compounds, inputs.compounds["compound_id"].to_numpy(),
                               coords=ds.compounds_coords) if ds.compounds else None
        if "communities" in files:
            comms = join_communities(comms, communities_in_polygons(inputs.compounds, files["communities"]))
        data = load_forecast_inputs(inputs.compounds, ages=files.get("ages"), births=files.get("births"),
                                    history=files.get("history"), housing=files.get("housing"),
                                    ratios=files.get("ratios"), communities=comms,
                                    schools=inputs.schools,
                                    mappings=forecast_mappings(st.session_state.get("fc_map", "").split(";")) or None)
        try:
            fc = forecast_zoning(inputs, result, data, events=events, housing_file=Path(files.get("housing", "")).name,
                                 **settings)
        except ValueError as err:  # a setting the forecast refuses (a date not written MM-DD, ...)
            raise InputError("forecast.bad_setting", reason=str(err)) from err
    except Exception as err:  # every failure is shown in the page, never as a traceback
        show_error(err, lang)
        return

    warnings_summary(data.warnings, lang)
    for key, params in fc.notes:
        st.caption(inert_t(key, lang, **params))
    d = fc.district
    st.markdown(inert_t("forecast.summary", lang, plan=names[sid], first=int(fc.years[0]), last=int(fc.years[-1]),
                        peak=float(d["enrolment"].max()), peak_year=int(d.loc[d["enrolment"].idxmax(), "year"]),
                        seats=int(d["seats"].iloc[0])))

    year = st.select_slider(T("forecast.year"), options=[int(y) for y in fc.years], key="fc_year")
    counts = fc.schools[fc.schools["year"] == year]["level"].value_counts()
    for col, lv in zip(st.columns(len(LEVEL_STYLE)), LEVEL_STYLE, strict=True):
        col.metric(level_text(lv, lang), int(counts.get(lv, 0)))
    js, css = leaflet_assets()
    m = forecast_map(result, fc, year, lang=lang, leaflet_js=js, leaflet_css=css, **basemap(inputs))
    st_folium(m, height=560, use_container_width=True, returned_objects=[], key="fc_map")

    st.subheader(T("forecast.per_school"))
    worst = fc.warnings[fc.warnings["level"] == "red"]["school_id"].drop_duplicates().tolist()[:5]
    school_names = dict(zip(fc.school_ids, fc.school_names, strict=True))
    chosen = st.multiselect(T("forecast.schools"), list(fc.school_ids), default=worst or list(fc.school_ids[:3]),
                            format_func=lambda s: school_names.get(s, s), key="fc_schools")
    if chosen:
        st.altair_chart(_school_chart(fc, chosen, lang), width="stretch")
    st.subheader(T("forecast.district"))
    st.altair_chart(_district_chart(fc, lang), width="stretch")

    st.subheader(T("forecast.warnings"))
    w = fc.warnings.copy()
    w["utilisation"] = w["utilisation"] * 100
    w["level"] = w["level"].map(lambda lv: level_text(lv, lang))
    st.caption(inert(T("forecast.warnings.help")))
    st.dataframe(w, column_config=_table_cfg(lang), hide_index=True, width="stretch", key="fc_warnings")

    _compare(inputs, digest, level, (names, sid), data, settings, events, fc, lang)

    st.subheader(T("app.downloads"))
    table = fc.schools
    download_row([
        (T("forecast.download.csv"), export.table_csv(table), f"forecast-{level}.csv", "text/csv", "fc_dl_csv"),
        (T("forecast.download.xlsx"), export.school_table_xlsx(table, "forecast"), f"forecast-{level}.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "fc_dl_xlsx"),
        (T("forecast.download.warnings"), export.table_csv(fc.warnings), f"warnings-{level}.csv", "text/csv",
         "fc_dl_warn"),
        (T("forecast.download.geojson", year=year), forecast_geojson(result, fc, year).encode("utf-8"),
         f"forecast-{level}-{year}.geojson", "application/geo+json", "fc_dl_geojson"),
        (T("forecast.download.geojson_all", first=int(fc.years[0]), last=int(fc.years[-1])),
         forecast_geojson(result, fc).encode("utf-8"), f"forecast-{level}-{int(fc.years[0])}-{int(fc.years[-1])}.geojson",
         "application/geo+json", "fc_dl_geojson_all")])
