"""The alliances and multi-school zones view (学区制 / 多校划片): strong and weak schools, alliances suggested by
geo.equity.alliance_mip or drawn by hand, and what the lottery of geo.equity.lottery gives every compound against
single-school zoning (geo.equity.access). The page only wires widgets to geo/ and caches the heavy steps."""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app.common import (
    basemap,
    dataset_digest,
    editor,
    inert_t,
    leaflet_assets,
    load_dataset,
    page_header,
    show_error,
    store,
    zoning,
)
from app.state import Dataset, dataset_key
from geo.equity import access, lottery
from geo.equity import alliance_plan as al
from geo.equity.alliances import AllianceRules
from geo.equity.audit import BY_KEY, INDICATOR_KEYS
from geo.equity.strength import DEFAULT_MEASURE, known_strength, strong_schools
from geo.errors import XuequError
from geo.inputs.schools import LEVELS
from geo.network.distances import distance_matrix, snap
from geo.render.i18n import t
from geo.render.maps import access_layer, access_legend, alliance_layers, alliance_legend, base_map
from geo.zoning.assignment import nearest_method
from geo.zoning.scenario import Scenario

RULES = ("median", "top_k", "threshold")
NEIGHBOURS = ("catchments", "network", "distance")
MODES = ("suggest", "hand")
DRAWS = (500, 1000, 4000, 16000)
DEFAULT_DRAWS = 1000
SEED = 0
TOP_CHANGES = 20
_SKIP_COLUMNS = {"geometry", "capacity_estimated", "lon", "lat"}


# --- cached steps ----------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=32)
def _strength(_result, key: str, measure: str) -> np.ndarray:
    return known_strength(_result.schools, _result.scenario.level, measure)


@st.cache_data(show_spinner=False, max_entries=32)
def _context(_inputs, _result, key: str, measure: str, threshold, top_k, neighbours: str, radius_m: float):
    return al.alliance_context(_inputs, _result, measure=measure, threshold=threshold, top_k=top_k,
                               neighbours=neighbours, radius_m=radius_m)


@st.cache_data(show_spinner=False, max_entries=32)
def _suggest(_inputs, _result, _ctx, key: str, rules: AllianceRules):
    """The suggested plan, or the reason there is none (kept too, so an infeasible MIP is not solved again)."""
    try:
        return al.suggest_plan(_inputs, _result, _ctx, rules), None
    except XuequError as err:
        return None, (err.key, err.params)


@st.cache_data(show_spinner=False, max_entries=16)
def _walks(_inputs, _result, key: str) -> np.ndarray:
    """Walk from every compound to every school of the plan (schools x compounds), once per dataset and plan."""
    xy = _result.schools.geometry.get_coordinates().to_numpy()
    node, off = snap(_inputs.network, xy)
    return distance_matrix(_inputs.network, node, off, *_inputs.compound_snap)


@st.cache_data(show_spinner=False, max_entries=16)
def _lottery(_zones, _children, _seats, key: str, draws: int) -> lottery.Probabilities:
    return lottery.probabilities(_zones, _children, _seats, draws=draws, seed=SEED)


# --- the plan to start from ----------------------------------------------------------------------------------

def base_plan(inputs, digest: str, ds: Dataset, level: str, lang: str):
    """Nearest-school zoning, or a stored scenario of this dataset from the editing view: (result, key)."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    listed = store().list(dataset_key(ds))
    names = {0: T("alliance.base.nearest")} | {s.id: T("alliance.base.scenario", name=s.name) for s in listed}
    pick = st.selectbox(T("alliance.base"), list(names), format_func=names.get, key="al_base",
                        help=T("alliance.base.help"))
    if not pick or pick not in names:
        return zoning(inputs, digest, Scenario(level, nearest_method(inputs.network))), f"{digest}-{level}-nearest"
    history = store().get(pick).history
    ed, lock = editor(inputs, digest, level)
    with lock:
        result = ed.result(history.active)
    return result, f"{digest}-{level}-s{pick}-{history.cursor}-{hash(history)}"


# --- 1. strength --------------------------------------------------------------------------------------------------

def strength_panel(result, key: str, lang: str) -> tuple[dict, np.ndarray, np.ndarray]:
    """Choose the measure and the rule; show every school's strength and flag. Returns the strength settings."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    st.subheader(T("alliance.strength"))
    schools = result.schools
    numeric = [str(c) for c in schools.columns if str(c) not in _SKIP_COLUMNS and str(c) not in BY_KEY
               and pd.api.types.is_numeric_dtype(schools[c]) and not pd.api.types.is_bool_dtype(schools[c])]
    choices = list(INDICATOR_KEYS) + numeric
    c1, c2, c3 = st.columns([2, 2, 1])
    default = choices.index(DEFAULT_MEASURE) if DEFAULT_MEASURE in choices else 0
    measure = c1.selectbox(T("alliance.measure"), choices, index=default, key="al_measure",
                           help=T("alliance.measure.help"),
                           format_func=lambda c: T(f"equity.ind.{c}") if c in BY_KEY else c)
    rule = c2.radio(T("alliance.rule"), RULES, format_func=lambda k: T(f"alliance.rule.{k}"), horizontal=True,
                    key="al_rule")
    strength = _strength(result, key, measure)
    known = strength[np.isfinite(strength)]
    threshold = top_k = None
    if rule == "top_k":
        top_k = int(c3.number_input(T("alliance.top_k"), 1, max(len(strength), 1), max(len(strength) // 3, 1),
                                    key="al_top_k"))
    elif rule == "threshold":
        default = round(float(np.median(known)), 2) if known.size else 0.0
        threshold = float(c3.number_input(T("alliance.threshold"), value=default, key=f"al_threshold_{measure}"))
    strong = strong_schools(strength, threshold=threshold, top_k=top_k)
    if not known.size:
        st.warning(T("alliance.no_strength"), icon=":material/warning:")
    elif not np.isfinite(strength).all():
        st.caption(T("alliance.unknown_strength", count=int((~np.isfinite(strength)).sum())))
    tab = pd.DataFrame({"school_id": schools["school_id"].astype(str).to_numpy(),
                        "name": schools["name"].astype(str).to_numpy(),
                        "seats": schools["seats"].to_numpy(), "strength": strength,
                        "strong": [T("alliance.strong") if s else T("alliance.weak") for s in strong]})
    tab = tab.sort_values("strength", ascending=False, na_position="last")
    num = st.column_config.NumberColumn
    cfg = {"school_id": st.column_config.TextColumn(T("col.school_id")),
           "name": st.column_config.TextColumn(T("col.school_name")),
           "seats": num(T("col.capacity"), format="%d"),
           "strength": num(T("alliance.col.strength"), format="%.2f"),
           "strong": st.column_config.TextColumn(T("alliance.col.strong"))}
    st.caption(T("alliance.strong_count", strong=int(strong.sum()), schools=len(strong)))
    st.dataframe(tab, column_config=cfg, hide_index=True, width="stretch", height=280, key="al_strength")
    return {"measure": measure, "threshold": threshold, "top_k": top_k}, strength, strong


# --- 2. alliances -------------------------------------------------------------------------------------------------

def rules_panel(n_schools: int, lang: str) -> tuple[AllianceRules, str, float]:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    with st.expander(T("alliance.rules"), expanded=False):
        c1, c2, c3, c4 = st.columns(4)
        top = max(n_schools, 1)
        lo = int(c1.number_input(T("alliance.min_size"), 1, top, min(3, top), key="al_min_size"))
        hi = int(c2.number_input(T("alliance.max_size"), 1, top, min(6, top), key="al_max_size"))
        n = int(c3.number_input(T("alliance.n"), 0, top, 0, key="al_n", help=T("alliance.n.help")))
        far = float(c4.number_input(T("alliance.max_distance"), 0, 50_000, 0, step=100, key="al_max_distance",
                                    help=T("alliance.max_distance.help")))
        d1, d2, d3, d4 = st.columns(4)
        min_strong = int(d1.number_input(T("alliance.min_strong"), 0, top, 1, key="al_min_strong"))
        min_weak = int(d2.number_input(T("alliance.min_weak"), 0, top, 1, key="al_min_weak"))
        neighbours = d3.radio(T("alliance.neighbours"), NEIGHBOURS, format_func=lambda k: T(f"alliance.nb.{k}"),
                              key="al_neighbours", help=T("alliance.neighbours.help"))
        radius = float(d4.number_input(T("alliance.radius"), 100, 20_000, 1500, step=100, key="al_radius",
                                       disabled=neighbours != "distance"))
    rules = AllianceRules(min_size=lo, max_size=max(hi, lo), n_alliances=n or None,
                          max_distance_m=far if far > 0 else np.inf, min_strong=min_strong, min_weak=min_weak)
    return rules, neighbours, radius


def _hand_mapping(ctx, seed: dict[str, str], lang: str) -> dict[str, str]:
    """The user's alliances: a table school -> alliance (pre-filled with ``seed``), and a box to paste
    two columns (school id, alliance) from a spreadsheet."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    base = dict(seed) | st.session_state.get("al_pasted", {})
    version = st.session_state.get("al_hand_version", 0)
    df = pd.DataFrame({"school_id": ctx.ids, "name": ctx.names,
                       "strong": [T("alliance.strong") if s else T("alliance.weak") for s in ctx.strong],
                       "alliance": [str(base.get(s, "")) for s in ctx.ids]})
    cfg = {"school_id": st.column_config.TextColumn(T("col.school_id"), disabled=True),
           "name": st.column_config.TextColumn(T("col.school_name"), disabled=True),
           "strong": st.column_config.TextColumn(T("alliance.col.strong"), disabled=True),
           "alliance": st.column_config.TextColumn(T("alliance.col.alliance"), max_chars=40)}
    edited = st.data_editor(df, column_config=cfg, hide_index=True, width="stretch", num_rows="fixed", height=320,
                            key=f"al_hand_{version}")
    mapping = dict(zip(edited["school_id"].astype(str), edited["alliance"].fillna("").astype(str)))
    with st.expander(T("alliance.paste")):
        st.text_area(T("alliance.paste.box"), key="al_paste", help=T("alliance.paste.help"), height=120)
        st.button(T("alliance.paste.apply"), key="al_paste_apply", on_click=_apply_paste)
    extra = {s: a for s, a in st.session_state.get("al_pasted", {}).items() if s not in mapping}
    return mapping | extra  # a pasted id that is not a school is kept, so the check names it


def _apply_paste() -> None:
    """Pasted lines ``school id, alliance`` (comma, tab or spaces) override those schools' alliances."""
    pasted = {}
    for line in st.session_state.get("al_paste", "").splitlines():
        parts = [p.strip() for p in line.replace("\t", ",").replace("，", ",").split(",") if p.strip()]
        if len(parts) == 1 and " " in parts[0]:
            parts = parts[0].split(None, 1)
        if len(parts) >= 2 and parts[0].lower() not in ("school_id", "id", "学校代码"):
            pasted[parts[0]] = parts[1]
    st.session_state["al_pasted"] = pasted
    st.session_state["al_hand_version"] = st.session_state.get("al_hand_version", 0) + 1


def alliances_panel(inputs, result, key: str, settings: dict, lang: str):
    """Suggested or hand-made alliances, their issues, map and table. Returns the plan (None: nothing to show)."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    st.subheader(T("alliance.alliances"))
    mode = st.radio(T("alliance.mode"), MODES, format_func=lambda k: T(f"alliance.mode.{k}"), horizontal=True,
                    key="al_mode")
    rules, neighbours, radius = rules_panel(len(result.schools), lang)
    ckey = f"{key}-{settings}-{neighbours}-{radius}"
    ctx = _context(inputs, result, ckey, settings["measure"], settings["threshold"], settings["top_k"], neighbours,
                   radius)
    suggestion, failure = _suggest(inputs, result, ctx, ckey, rules)
    if mode == "suggest":
        if failure is not None:
            st.error(inert_t(failure[0], lang, **failure[1]), icon=":material/warning:")
            return None
        s = suggestion.suggestion
        st.caption(T("alliance.solved", n=len(suggestion.names), status=T(f"alliance.status.{s.status}"),
                     objective=s.objective, gap=s.gap, seconds=s.seconds))
        plan = suggestion
    else:
        st.caption(T("alliance.hand.help"))
        seed = ({sid: suggestion.names[g] for sid, g in zip(ctx.ids, suggestion.labels)} if suggestion is not None
                else {sid: "1" for sid in ctx.ids})
        mapping = _hand_mapping(ctx, seed, lang)
        plan, issues = al.check_alliances(inputs, result, ctx, mapping, rules)
        for key_, params in issues:
            st.warning(inert_t(key_, lang, **params), icon=":material/warning:")
        if plan is None:
            return None
        if issues:
            st.caption(T("alliance.hand.shown_anyway", count=len(issues)))
        else:
            st.success(T("alliance.hand.valid"))
    alliance_map(result, plan, inputs, lang)
    alliance_table(plan, lang)
    return plan


def alliance_map(result, plan, inputs, lang: str) -> None:
    js, css = leaflet_assets()
    m = base_map(inputs.compounds.total_bounds, **basemap(inputs), leaflet_js=js, leaflet_css=css)
    for g in alliance_layers(result, plan.labels, plan.names, plan.strong, lang=lang):
        g.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(alliance_legend(plan.names, lang))
    st_folium(m, returned_objects=[], height=520, use_container_width=True, key="al_map")


def alliance_table(plan, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    tab = plan.table.copy()
    for c in ("strong_share", "utilisation"):
        if c in tab:
            tab[c] = tab[c] * 100
    num = st.column_config.NumberColumn
    cfg = {"alliance": st.column_config.TextColumn(T("alliance.col.alliance")),
           "schools": st.column_config.TextColumn(T("alliance.col.schools")),
           "school_ids": None,
           "n_schools": num(T("alliance.col.n_schools"), format="%d"),
           "seats": num(T("col.capacity"), format="%d"),
           "children": num(T("col.children"), format="%d"),
           "strong": num(T("alliance.col.n_strong"), format="%d"),
           "weak": num(T("alliance.col.n_weak"), format="%d"),
           "strong_share": num(T("alliance.col.strong_share"), format="%.0f%%"),
           "mean_strength": num(T("alliance.col.mean_strength"), format="%.2f"),
           "max_distance_m": num(T("alliance.col.max_distance"), format="%.0f"),
           "utilisation": num(T("col.utilisation"), format="%.0f%%")}
    st.dataframe(tab, column_config=cfg, hide_index=True, width="stretch", key="al_table")


# --- 3. the lottery -------------------------------------------------------------------------------------------------

def lottery_panel(inputs, result, key: str, plan, lang: str) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    st.subheader(T("alliance.lottery"))
    st.markdown(T("lottery.rule"))
    draws = st.select_slider(T("alliance.draws"), DRAWS, value=DEFAULT_DRAWS, key="al_draws",
                             help=T("alliance.draws.help"))
    a = result.assignments
    children = a["children"].to_numpy().astype(np.int64)
    seats = result.schools["seats"].to_numpy().astype(np.int64)
    pkey = f"{key}-{plan.labels.tolist()}-{plan.names}"
    prob = _lottery(plan.zones, children, seats, pkey, int(draws))
    dist = _walks(inputs, result, key)
    ids = a["compound_id"].astype(str).to_numpy()
    school_ids = result.schools["school_id"].astype(str).tolist()
    index = {s: j for j, s in enumerate(school_ids)}
    label = np.array([index.get(s, -1) for s in a["school_id"].astype(str)], np.int64)
    single = lottery.single_school(label, len(school_ids))
    before = access.access_table(single, dist, plan.strong, ids, children)
    after = access.access_table(prob, dist, plan.strong, ids, children)
    diff = access.compare(before, after)
    summary = access.compare_summary(diff)
    lost_before, lost_after = access.unplaced_children(single, children), access.unplaced_children(prob, children)

    for key_, params in prob.warnings:
        st.warning(inert_t(key_, lang, **params), icon=":material/warning:")
    n_exact = int(prob.exact.sum())
    if n_exact == len(ids):
        st.info(T("alliance.exact.all"), icon=":material/info:")
    else:
        st.info(T("alliance.exact.some", exact=n_exact, compounds=len(ids), draws=prob.draws,
                  bound=float(np.max(prob.error_bound)), confidence=1 - prob.delta), icon=":material/info:")

    def delta(x: float, fmt: str) -> str | None:  # no arrow for no change
        return fmt.format(x) if np.isfinite(x) and round(x, 1) != 0 else None

    c = st.columns(5)
    c[0].metric(T("alliance.fig.p_strong"), f"{summary['p_strong_after']:.1%}",
                delta((summary["p_strong_after"] - summary["p_strong_before"]) * 100, "{:+.1f} pp"))
    c[1].metric(T("alliance.fig.expected_m"), f"{summary['expected_m_after']:,.0f}",
                delta(summary["expected_m_after"] - summary["expected_m_before"], "{:+,.0f}"), delta_color="inverse")
    c[2].metric(T("alliance.fig.unplaced"), f"{lost_after:,.0f}", delta(lost_after - lost_before, "{:+,.0f}"),
                delta_color="inverse")
    c[3].metric(T("alliance.fig.gaining"), f"{summary['children_gaining']:,}")
    c[4].metric(T("alliance.fig.losing"), f"{summary['children_losing']:,}")
    # One column per figure, so each keeps its own unit: a chance in %, a walk in metres, children.
    figures = pd.DataFrame({
        "plan": [T("alliance.single"), T("alliance.multi"), T("alliance.change")],
        "p_strong": [summary["p_strong_before"], summary["p_strong_after"],
                     summary["p_strong_after"] - summary["p_strong_before"]],
        "expected_m": [summary["expected_m_before"], summary["expected_m_after"],
                       summary["expected_m_after"] - summary["expected_m_before"]],
        "unplaced": [lost_before, lost_after, lost_after - lost_before]})
    num = st.column_config.NumberColumn
    st.dataframe(figures, hide_index=True, width="stretch", key="al_figures",
                 column_config={"plan": st.column_config.TextColumn(T("alliance.fig")),
                                "p_strong": num(T("alliance.fig.p_strong"), format="percent"),
                                "expected_m": num(T("alliance.fig.expected_m"), format="%.0f"),
                                "unplaced": num(T("alliance.fig.unplaced"), format="%.0f")})
    st.caption(T("alliance.fig.help"))

    left, right = st.columns([3, 2])
    with left:
        which = st.radio(T("alliance.access.which"), ("multi", "single"), horizontal=True, key="al_access_which",
                         format_func=lambda k: T(f"alliance.{k}"))
        shown = after if which == "multi" else before
        js, css = leaflet_assets()
        m = base_map(inputs.compounds.total_bounds, **basemap(inputs), leaflet_js=js, leaflet_css=css)
        access_layer(result, shown["p_strong"].to_numpy(), shown["expected_m"].to_numpy(), lang=lang).add_to(m)
        alliance_layers(result, plan.labels, plan.names, plan.strong, lang=lang)[1].add_to(m)
        folium.LayerControl(collapsed=False).add_to(m)
        m.add_child(access_legend(lang))
        st.markdown(T("alliance.access.map"))
        st_folium(m, returned_objects=[], height=520, use_container_width=True, key="al_access_map")
    with right:
        compound_panel(result, plan, prob, dist, ids, lang)

    changes_table(result, plan, diff, lang)


def compound_panel(result, plan, prob, dist, ids, lang: str) -> None:
    """One compound's chances at each school of its zone (and of no place), with the walk to each."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    a = result.assignments
    labels = dict(zip(ids, a["name"].astype(str) + " (" + a["compound_id"].astype(str) + ")"))
    cid = st.selectbox(T("alliance.compound"), list(ids), format_func=labels.get, key="al_compound")
    i = list(ids).index(cid) if cid in labels else 0
    row = prob.matrix[i]
    names = result.schools["name"].astype(str).tolist()
    zone = plan.zones.names[plan.zones.zone_of_compound[i]]
    st.caption(inert_t("alliance.compound.zone", lang, alliance=zone, children=int(a["children"].iloc[i])))
    rows = [{"school": names[s], "strong": T("alliance.strong") if plan.strong[s] else T("alliance.weak"),
             "probability": float(row[s]), "walk_m": float(dist[s, i])}
            for s in np.flatnonzero(np.nan_to_num(row[:-1]) > 0)]
    if np.nan_to_num(row[-1]) > 0:
        rows.append({"school": T("alliance.unplaced"), "strong": "", "probability": float(row[-1]),
                     "walk_m": np.nan})
    tab = pd.DataFrame(rows, columns=["school", "strong", "probability", "walk_m"])
    num = st.column_config.NumberColumn
    st.dataframe(tab, hide_index=True, width="stretch", key="al_compound_probs",
                 column_config={"school": st.column_config.TextColumn(T("col.school_name")),
                                "strong": st.column_config.TextColumn(T("alliance.col.strong")),
                                "probability": num(T("alliance.col.probability"), format="percent"),
                                "walk_m": num(T("col.distance_m"), format="%.0f")})
    if np.isnan(row).any():
        st.caption(T("alliance.compound.none"))
    elif prob.exact[i]:
        st.caption(T("alliance.compound.exact"))
    else:
        st.caption(T("alliance.compound.simulated", draws=prob.draws, bound=float(prob.error_bound[i]),
                     confidence=1 - prob.delta))


def changes_table(result, plan, diff: pd.DataFrame, lang: str) -> None:
    """The compounds whose chance of a strong school (then expected walk) changes most."""
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    st.markdown(T("alliance.changes", n=TOP_CHANGES // 2))
    a = result.assignments
    out = diff.copy()
    out.insert(1, "name", a["name"].astype(str).to_numpy())
    out.insert(2, "school", a["school_name"].astype(str).to_numpy())
    out.insert(3, "alliance", [plan.zones.names[z] for z in plan.zones.zone_of_compound])
    # The largest rises and the largest falls (half each), from the largest rise down to the largest fall.
    d = out["delta_p_strong"].fillna(0)
    rises = out[d > 1e-9].sort_values("delta_p_strong", ascending=False).head(TOP_CHANGES // 2)
    falls = out[d < -1e-9].sort_values("delta_p_strong").head(TOP_CHANGES - len(rises))
    if len(falls) < TOP_CHANGES // 2:
        rises = out[d > 1e-9].sort_values("delta_p_strong", ascending=False).head(TOP_CHANGES - len(falls))
    out = pd.concat([rises, falls[::-1]])
    if out.empty:
        st.caption(T("alliance.changes.none"))
        return
    for c in ("p_strong_before", "p_strong_after", "delta_p_strong"):
        out[c] = out[c] * 100
    num = st.column_config.NumberColumn
    cfg = {"compound_id": None, "p_unplaced_before": None,
           "name": st.column_config.TextColumn(T("col.compound")),
           "school": st.column_config.TextColumn(T("alliance.col.home_school")),
           "alliance": st.column_config.TextColumn(T("alliance.col.alliance")),
           "children": num(T("col.children"), format="%d"),
           "p_strong_before": num(T("alliance.col.p_before"), format="%.0f%%"),
           "p_strong_after": num(T("alliance.col.p_after"), format="%.0f%%"),
           "delta_p_strong": num(T("alliance.col.p_delta"), format="%+.0f pp"),
           "expected_m_before": num(T("alliance.col.m_before"), format="%.0f"),
           "expected_m_after": num(T("alliance.col.m_after"), format="%.0f"),
           "delta_expected_m": num(T("alliance.col.m_delta"), format="%+.0f"),
           "p_unplaced_after": num(T("alliance.col.unplaced"), format="percent")}
    st.dataframe(out, column_config=cfg, column_order=[c for c, v in cfg.items() if v is not None],
                 hide_index=True, width="stretch", key="al_changes")


# --- the view ----------------------------------------------------------------------------------------------------

def render(lang: str, ds: Dataset | None) -> None:
    T = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    if not page_header(ds, lang, "alliance.title", "alliance.caption"):
        return
    digest = dataset_digest(ds)
    level = st.session_state.get("level", LEVELS[0])
    try:
        with st.status(T("app.loading_network"), expanded=False) as status:
            inputs = load_dataset(ds, digest)
            status.update(label=T("app.ready"), state="complete")
        result, key = base_plan(inputs, digest, ds, level, lang)
        if len(result.schools) < 2:
            st.info(T("alliance.too_few", level=T(f"level.{level}")))
            return
        settings, _, _ = strength_panel(result, key, lang)
        plan = alliances_panel(inputs, result, key, settings, lang)
        if plan is None:
            return
        lottery_panel(inputs, result, key, plan, lang)
    except Exception as err:  # every failure is shown in the page, never as a traceback
        show_error(err, lang)
