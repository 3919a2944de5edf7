"""What every view of the page shares: the cached stages of the data flow, the scenario store, errors."""

from __future__ import annotations

import hashlib
import numbers
import re
import threading
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import streamlit as st

from app.assets import ensure_leaflet
from app.state import Dataset
from geo.errors import InputError, XuequError
from geo.inputs import (
    Inputs,
    boundary_from_file,
    boundary_from_osm,
    cache_dir,
    check_upload_size,
    clip_inputs,
    inputs_from_place,
    load_inputs,
    write_bytes,
)
from geo.plans.editor import Editor
from geo.plans.store import Store
from geo.render import export
from geo.render.i18n import t, word
from geo.render.notes import summarise
from geo.render.streets import StreetLayer, street_basemap
from geo.zoning.scenario import Scenario, ZoningResult, run_scenario

# --- cached stages -------------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=8)
def load_dataset(ds: Dataset, digest: str) -> Inputs:
    """The inputs of a dataset, shared read-only by every session (``digest`` keys file contents)."""
    if ds.kind == "place":
        return inputs_from_place(ds.place, ds.mode)
    name = t("app.dataset.demo", "en") if ds.kind == "demo" else Path(ds.network or ds.compounds).name
    bar = st.empty()  # the OSM file's reading progress, cleared when read
    label = t("cli.reading_osm", st.session_state.get("lang", "zh"))
    try:
        inputs = load_inputs(ds.network or None, ds.schools or None, ds.compounds or None, ds.mode, name=name,
                             schools_coords=ds.schools_coords, compounds_coords=ds.compounds_coords,
                             schools_mapping=dict(ds.schools_mapping) or None,
                             compounds_mapping=dict(ds.compounds_mapping) or None,
                             default_seats=ds.default_seats or None,
                             progress=lambda fraction, objects: bar.progress(min(max(fraction, 0.0), 1.0), text=label))
    finally:
        bar.empty()
    if ds.boundary:  # the district's edge clips every view
        return clip_inputs(inputs, boundary_from_file(ds.boundary), Path(ds.boundary).name)
    if ds.boundary_name:
        if not ds.network:
            raise InputError("err.boundary_needs_osm", name=ds.boundary_name)
        return clip_inputs(inputs, boundary_from_osm(ds.network, ds.boundary_name), ds.boundary_name)
    return inputs


class Interrupted(Exception):
    """A solve the planner cut short: its best plan so far is shown once and never cached."""

    def __init__(self, result: ZoningResult) -> None:
        super().__init__("interrupted")
        self.result = result


@st.cache_data(show_spinner=False, max_entries=32)
def zoning(_inputs: Inputs, data_key: str, scenario: Scenario, _should_stop=None, start_key: str = "",
           _start=None) -> ZoningResult:
    result = run_scenario(_inputs, scenario, should_stop=_should_stop, start=_start)
    if result.summary.get("solver") == "interrupted":
        raise Interrupted(result)
    return result


def rerun_requested():
    """A function that says whether the page has been asked to run again (a click on Cancel or on any
    widget, or Streamlit's Stop) while a long solve runs, so the solver can stop instead of finishing a
    plan nobody will see. It reads Streamlit's script-request state, which has no public API; if that
    changes, solves simply run to their time limit."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

    requests = getattr(get_script_run_ctx(), "script_requests", None)

    def asked() -> bool:
        state = getattr(requests, "_state", ScriptRequestType.CONTINUE)
        return state != ScriptRequestType.CONTINUE

    return asked


@st.cache_data(show_spinner=False, max_entries=32)
def downloads(_result: ZoningResult, key: str) -> tuple[str, str, bytes]:
    return export.catchments_geojson(_result), export.assignments_geojson(_result), export.table_csv(_result.table)


# --- downloads -------------------------------------------------------------------------------------------
# Every download button gets its bytes when it is drawn, and a click does not rerun the page. A button given
# a function instead (Streamlit's deferred file, made on click) is registered under a new id on every run, and
# the old id is dropped: a click that reaches the server after a rerun has begun (the rerun of a previous
# download click, say) finds "Deferred file … not found" and its button stays greyed. Bytes are stored under
# their content hash, so a rerun registers the very same file again, and one made from an unchanged plan is
# taken from the cache below.

_RESULT_KEYS: weakref.WeakKeyDictionary[ZoningResult, str] = weakref.WeakKeyDictionary()  # results hash by identity


def result_key(result: ZoningResult) -> str:
    """A key of what a plan's files hold: its assignments, school table and catchment outlines (worked out once
    per result: the map, the files and the report of a run all ask)."""
    key = _RESULT_KEYS.get(result)
    if key is None:
        key = _RESULT_KEYS[result] = _result_key(result)
    return key


def _result_key(result: ZoningResult) -> str:
    import geopandas as gpd
    import shapely

    h = hashlib.sha256()
    for df in (result.assignments, result.table, result.catchments, result.schools):
        for name, col in df.items():
            h.update(f"\x1e{name}\x1f".encode())
            if isinstance(df, gpd.GeoDataFrame) and name == df.geometry.name:
                h.update(b"\x1f".join(g or b"" for g in shapely.to_wkb(col.to_numpy())))
            elif col.dtype.kind in "biuf":
                h.update(col.to_numpy().tobytes())
            else:
                h.update("\x1f".join(map(str, col)).encode())
    return h.hexdigest()


@st.cache_data(show_spinner=False, max_entries=16)
def plan_files(_makers: dict, _result: ZoningResult, key: str) -> dict[str, bytes]:
    """Each file of ``_makers`` (file name -> function of the result) made from ``_result``, once per ``key``
    (which must name the plan and the files)."""
    out = {}
    for name, make in _makers.items():
        data = make(_result)
        out[name] = data.encode() if isinstance(data, str) else data
    return out


def download_row(files: list[tuple[str, bytes | str, str, str, str]]) -> None:
    """One row of download buttons, ``(label, data, file name, mime type, widget key)`` each: data given as
    bytes, and a click downloads without running the page again (see above)."""
    for col, (label, data, name, mime, key) in zip(st.columns(len(files)), files):
        col.download_button(label, data, name, mime, key=key, on_click="ignore")


@st.cache_resource(show_spinner=False)
def leaflet_assets() -> tuple[str, str]:
    return ensure_leaflet()


# The street layer of each loaded data set, made once, in a thread of its own: started as soon as the data set is
# loaded (prefetch_basemap), it is drawn while the zoning runs (a 500k-node city's basemap takes seconds).
_STREETS: weakref.WeakKeyDictionary[Inputs, Future[StreetLayer]] = weakref.WeakKeyDictionary()  # by identity
_STREETS_LOCK = threading.Lock()
_STREETS_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xuequ-basemap")


def _street_future(inputs: Inputs) -> Future[StreetLayer]:
    with _STREETS_LOCK:
        future = _STREETS.get(inputs)
        if future is None:
            future = _STREETS[inputs] = _STREETS_POOL.submit(street_basemap, inputs.network, inputs.boundary)
    return future


def prefetch_basemap(inputs: Inputs) -> None:
    """Start making the data set's street basemap now, if the sidebar draws it (:func:`basemap` collects it)."""
    if st.session_state.get("basemap", "streets") == "streets":
        _street_future(inputs)


def basemap(inputs: Inputs) -> dict:
    """The map builders' basemap arguments for the sidebar's choice: OpenStreetMap tiles (online), the loaded
    streets drawn offline (the default: no tile server needed), or nothing. The street layer is made once per
    loaded data set (kept as long as its inputs are)."""
    choice = st.session_state.get("basemap", "streets")
    if choice == "osm":
        return {"tiles": "OpenStreetMap", "streets": None}
    if choice != "streets":
        return {"tiles": None, "streets": None}
    future = _street_future(inputs)
    try:
        layer = future.result()
    except Exception:
        with _STREETS_LOCK:  # not kept: the next run tries again
            if _STREETS.get(inputs) is future:
                del _STREETS[inputs]
        raise
    return {"tiles": None, "streets": layer}


# --- maps: rendered once per content -----------------------------------------------------------------------
# st_folium renders the whole folium map on every run of the page — the Leaflet script, the street basemap and every
# GeoJSON layer, each compiled again as a Jinja template: about a second on the demo, paid on every click. Here a
# map is built and rendered once per content key (shared by sessions) and the browser's component is handed the
# arguments st_folium would hand it. Layers that change with each edit (``layers``: st_folium's
# feature_group_to_add) are rendered on their own, once per ``layers_key``, so an edit swaps only them and the
# browser keeps its base map. This uses streamlit-folium's module functions; without them it falls back to
# st_folium itself.

try:
    from streamlit_folium import (  # noqa: I001
        _component_func,
        _get_feature_group_string,
        _get_header,
        _get_html,
        _get_layer_control_string,
        _get_map_string,
        generate_js_hash,
        get_full_id,
    )
except ImportError:  # a streamlit-folium without them: st_folium renders every run
    _component_func = None

MAP_DEFAULTS = ("last_clicked", "last_object_clicked", "last_object_clicked_count", "last_object_clicked_tooltip",
                "last_object_clicked_popup", "all_drawings", "last_active_drawing", "bounds", "zoom",
                "last_circle_radius", "last_circle_polygon", "selected_layers", "selected_tags",
                "last_geocoder_result")


class _RenderedMap:
    """A folium map rendered as streamlit-folium's component takes it (``args``), with the map kept to render
    layers against (under ``lock``: sessions share it)."""

    def __init__(self, m) -> None:
        import branca
        import folium.elements

        m.get_root().render()
        m.render()
        html, header = _get_html(m), _get_header(m)
        script = _get_map_string(m)
        try:
            (s, w), (n, e) = m.get_bounds()
        except (AttributeError, TypeError, ValueError):
            s = w = n = e = None
        defaults = dict.fromkeys(MAP_DEFAULTS)
        defaults["bounds"] = {"_southWest": {"lat": s, "lng": w}, "_northEast": {"lat": n, "lng": e}}
        defaults["zoom"] = m.options.get("zoom") if hasattr(m, "options") else {}
        css: list[str] = []
        js: list[str] = []

        def walk(el):
            if isinstance(el, branca.colormap.ColorMap):
                js[:0] = ["https://d3js.org/d3.v4.min.js", "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js"]
            if isinstance(el, folium.elements.JSCSSMixin):
                yield el
            for child in getattr(el, "_children", {}).values():
                yield from walk(child)

        for el in walk(m):
            css.extend(href for _, href in getattr(el, "default_css", []))
            js.extend(src for _, src in getattr(el, "default_js", []))
        self.m, self.lock, self.defaults = m, threading.Lock(), defaults
        self.args = {"script": script, "header": header, "html": html, "id": get_full_id(m),
                     "css_links": list(dict.fromkeys(css)), "js_links": list(dict.fromkeys(js))}

    def layer_strings(self, groups: list, layer_control: bool) -> tuple[str, str | None]:
        """The script adding ``groups`` (and a layer control over them) to this map in the browser. The map is
        left as it was (the groups and what their rendering added to the page are taken off again)."""
        import folium

        with self.lock:
            fig = self.m.get_root()
            parts = (self.m, fig.header, fig.html, fig.script)
            before = [dict(p._children) for p in parts]
            try:
                fg = "".join(_get_feature_group_string(g, map=self.m, idx=i) for i, g in enumerate(groups))
                lc = (_get_layer_control_string(folium.LayerControl(collapsed=False), self.m) if layer_control
                      else None)
            finally:
                for p, kids in zip(parts, before, strict=True):
                    p._children.clear()
                    p._children.update(kids)
        return fg, lc


@st.cache_resource(show_spinner=False, max_entries=24)
def _rendered_map(key: str, _build) -> _RenderedMap:
    return _RenderedMap(_build())


@st.cache_resource(show_spinner=False, max_entries=32)
def _layer_strings(key: str, layers_key: str, _rendered: _RenderedMap, _layers, layer_control: bool):
    return _rendered.layer_strings(list(_layers()), layer_control)


def show_map(content_key: str, build, *, key: str, height: int, returned_objects=(), layers=None,
             layers_key: str = "", layer_control: bool = False):
    """``st_folium(build(), …)``, rendered once per ``content_key`` (which must name everything the map shows:
    data set, plan, language, basemap). ``layers`` (a function making feature groups) are drawn over it and swapped
    in the browser without redrawing the map when ``layers_key`` changes; ``layer_control`` adds a layer control
    over them. Returns what the map sends back, as st_folium does."""
    import folium
    from streamlit_folium import st_folium

    returned = list(returned_objects)
    if _component_func is None:
        extra = {}
        if layers is not None:
            extra = {"feature_group_to_add": list(layers()),
                     "layer_control": folium.LayerControl(collapsed=False) if layer_control else None}
        return st_folium(build(), key=key, height=height, use_container_width=True, returned_objects=returned,
                         **extra)
    rendered = _rendered_map(content_key, build)
    fg = lc = None
    if layers is not None:
        fg, lc = _layer_strings(content_key, layers_key, rendered, layers, layer_control)
    hash_key = generate_js_hash(rendered.args["script"], key, False)

    def on_change() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})

    return _component_func(**rendered.args, key=hash_key, height=height, width=None, returned_objects=returned,
                           default={k: v for k, v in rendered.defaults.items() if k in returned}, zoom=None,
                           center=None, feature_group=fg, return_on_hover=False, layer_control=lc, pixelated=False,
                           on_change=on_change, wrap_longitude=False)


def dataset_digest(ds: Dataset) -> str:
    h = hashlib.sha256(repr(ds).encode())
    for f in (ds.network, ds.schools, ds.compounds, ds.boundary):
        if f and Path(f).is_file():
            st_ = Path(f).stat()
            h.update(f"{st_.st_size}:{st_.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def save_upload(upload) -> str:
    """An uploaded file, kept on disk under its content hash (so the network cache can key on it).

    A file over ``geo.inputs.tables.MAX_UPLOAD_BYTES`` (the app's upload limit) is refused with an InputError naming it.
    """
    size = getattr(upload, "size", None)
    if size is not None:
        check_upload_size(upload.name, size)  # refused by its size, before its bytes are read
    data = upload.getvalue()
    check_upload_size(upload.name, len(data))
    # Kept under its own name (in a folder named by its content hash), so messages name the user's file.
    name = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", "_", upload.name.replace("\\", "/").rsplit("/", 1)[-1])
    name = name.lstrip(".")[-80:] or "upload"
    path = cache_dir() / "uploads" / hashlib.sha256(data).hexdigest()[:16] / name
    if not path.is_file():
        write_bytes(path, data)
    return str(path)


@st.cache_resource(show_spinner=False, max_entries=8)
def editor(_inputs: Inputs, data_key: str, level: str) -> tuple[Editor, threading.Lock]:
    """The incremental editor of a dataset and level, shared by sessions (its caches are plan-independent)."""
    return Editor(_inputs, level), threading.Lock()


def page_header(ds: Dataset | None, lang: str, title: str, caption: str, **params) -> bool:
    """A view's title (``params`` fill it in) and caption, and the dataset notes; False when there is no dataset
    to show yet."""
    st.title(t(title, lang, **params))
    st.caption(t(caption, lang))
    if ds is None:
        st.info(t("app.nothing", lang))
        return False
    if ds.kind == "demo":
        st.info(t("app.demo_note", lang), icon=":material/info:")
    return True


def store() -> Store:
    return Store()


DASH = "—"  # a cell with no figure


def _printf(fmt: str | None, value: float) -> str:
    """``value`` written as a column config's printf-style format would show it (``%d``, ``%.0f%%``, ``%+d``)."""
    try:
        return fmt % value if fmt and "%" in fmt else f"{value:,.2f}".rstrip("0").rstrip(".")
    except (TypeError, ValueError):
        return str(value)


def dash_missing(df: pd.DataFrame, cfg: dict) -> tuple[pd.DataFrame, dict]:
    """A table and its column config that never show "None" or "nan": a number column with missing cells becomes
    text written in its column's format, each missing cell "—"; a text column's missing cells are empty.

    Columns without a config (or hidden, ``None``) and number columns with every cell present are left alone, so
    they still sort as numbers."""
    out, cfg = df.copy(), dict(cfg)
    for c in out.columns:
        col = out[c]
        if not col.isna().any():
            continue
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            conf = cfg.get(c)
            if not conf:
                continue
            fmt = (conf.get("type_config") or {}).get("format")
            out[c] = [DASH if pd.isna(v) else _printf(fmt, float(v)) for v in col]
            cfg[c] = st.column_config.TextColumn(conf.get("label"), help=conf.get("help"), width=conf.get("width"),
                                                 alignment="right")
        else:
            out[c] = col.astype(object).where(col.notna(), "")
    return out, cfg


def warnings_summary(warnings, lang: str) -> None:
    """What loading and zoning found, in a few words at the top of a view (``geo.render.notes.summarise``), with
    every warning in an expander below it."""
    warnings = list(warnings)
    if not warnings:
        return
    phrases = summarise(warnings)
    st.warning(" · ".join(inert_t(k, lang, **p) for k, p in phrases), icon=":material/warning:")
    with st.expander(f"{t('app.warnings', lang)} ({len(warnings)})"):
        for k, p in warnings:
            st.markdown("- " + inert_t(k, lang, **p))


# --- user text is never Markdown ---------------------------------------------------------------------------
# Streamlit renders messages, captions, labels, help texts and radio options as Markdown (with images, links,
# LaTeX, emoji shortcodes and coloured text). Text from the user's files (names, cells, file names, scenario
# names) goes through `inert` before it is embedded in any of them, so it is shown exactly as written.

_MD_ALWAYS = re.compile(r"[\\`*\[\]<>#|~$&:]")  # backslash-escaped wherever they are
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # "_" that could open or close emphasis
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))")  # a list item, heading underline, ordered list
_WORD_JOINER = "\u2060"  # invisible: breaks the bare links GFM makes of www.x, http://x and a@b.c
_MD_BARE_LINKS = re.compile(r"(?i)(?<=www)(?=\.)|(?<=:)(?=//)|(?<=@)")


def inert(text: object) -> str:
    """``text`` as Markdown that Streamlit shows literally: every Markdown special backslash-escaped (``$``
    too, so nothing becomes LaTeX), bare links broken by an invisible word joiner, line breaks as spaces."""
    s = re.sub(r"\r\n|\r|\n", " ", str(text))
    s = _MD_ALWAYS.sub(lambda m: "\\" + m.group(0), s)
    s = _MD_UNDERSCORE.sub(r"\\_", s)
    s = _MD_LINE_START.sub(lambda m: m.group(1) + ("\\" + m.group(2) if not m.group(2).isdigit()
                                                   else m.group(2) + "\\"), s)
    return _MD_BARE_LINKS.sub(_WORD_JOINER, s)


def _inert_param(value: object, lang: str) -> object:
    if isinstance(value, (numbers.Number, bool)) or value is None:
        return value  # numbers keep their format specs
    if isinstance(value, str) and value.startswith("@"):  # a table entry (a kind, level or mode word)
        return inert(word(value, lang))
    if isinstance(value, list) and value and all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str)
                                                  for x in value):  # a list of (key, params) phrases
        return ("、" if lang == "zh" else ", ").join(inert_t(k, lang, **p) for k, p in value)
    return inert(value)


def inert_t(key: str, lang: str, /, **params: object) -> str:
    """``t(key, lang, **params)`` for a Markdown element: the translated text keeps its own formatting, every
    parameter (names, cells, file names from the user) is made :func:`inert`."""
    return t(key, lang, **{k: _inert_param(v, lang) for k, v in params.items()})


def error_text(err: Exception, lang: str) -> str:
    """The message of ``err`` for a Markdown element, every cell or name it quotes made :func:`inert`."""
    if isinstance(err, XuequError):
        reasons = getattr(err, "reasons", None)
        if reasons:  # several reasons (an infeasible plan): one line each
            return "\n".join(inert_t(k, lang, **p) for k, p in reasons)
        if type(err).message is XuequError.message:
            return inert_t(err.key, lang, **err.params)
        return inert(err.message(lang))
    return inert(f"{type(err).__name__}: {err}")


def show_error(err: Exception, lang: str, where=None) -> None:
    """``err`` in the page (in ``where``, e.g. the sidebar; else the main area), never as a traceback, and
    never with the user's text read as Markdown."""
    (where or st).error(error_text(err, lang), icon=":material/warning:")


