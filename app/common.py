"""What every view of the page shares: the cached stages of the data flow, the scenario store, errors."""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

import streamlit as st

from app.assets import ensure_leaflet
from app.state import Dataset
from geo import export, io
from geo.editor import Editor
from geo.errors import InputError, XuequError
from geo.i18n import t
from geo.scenario import Inputs, Scenario, ZoningResult, run_scenario
from geo.store import Store

# --- cached stages -------------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=8)
def load_dataset(ds: Dataset, digest: str) -> Inputs:
    """The inputs of a dataset, shared read-only by every session (``digest`` keys file contents)."""
    if ds.kind == "place":
        return io.inputs_from_place(ds.place, ds.mode)
    name = t("app.dataset.demo", "en") if ds.kind == "demo" else Path(ds.network).name
    return io.load_inputs(ds.network, ds.schools or None, ds.compounds or None, ds.mode, name=name,
                          schools_coords=ds.schools_coords, compounds_coords=ds.compounds_coords,
                          schools_mapping=dict(ds.schools_mapping) or None,
                          compounds_mapping=dict(ds.compounds_mapping) or None)


class Interrupted(Exception):
    """A solve the planner cut short: its best plan so far is shown once and never cached."""

    def __init__(self, result: ZoningResult) -> None:
        super().__init__("interrupted")
        self.result = result


@st.cache_data(show_spinner=False, max_entries=32)
def zoning(_inputs: Inputs, data_key: str, scenario: Scenario, _should_stop=None) -> ZoningResult:
    result = run_scenario(_inputs, scenario, should_stop=_should_stop)
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
    """An uploaded file, kept on disk under its content hash (so the network cache can key on it).

    A file over ``geo.io.MAX_UPLOAD_BYTES`` (the app's upload limit) is refused with an InputError naming it.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > io.MAX_UPLOAD_BYTES:  # refused by its size, before its bytes are read
        raise InputError("err.too_large", file=upload.name, size_mb=size / 2**20, limit_mb=io.MAX_UPLOAD_BYTES / 2**20)
    data = upload.getvalue()
    if len(data) > io.MAX_UPLOAD_BYTES:
        raise InputError("err.too_large", file=upload.name, size_mb=len(data) / 2**20,
                         limit_mb=io.MAX_UPLOAD_BYTES / 2**20)
    # Kept under its own name (in a folder named by its content hash), so messages name the user's file.
    name = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", "_", upload.name.replace("\\", "/").rsplit("/", 1)[-1])
    name = name.lstrip(".")[-80:] or "upload"
    path = io.cache_dir() / "uploads" / hashlib.sha256(data).hexdigest()[:16] / name
    if not path.is_file():
        io.write_bytes(path, data)
    return str(path)


@st.cache_resource(show_spinner=False, max_entries=8)
def editor(_inputs: Inputs, data_key: str, level: str) -> tuple[Editor, threading.Lock]:
    """The incremental editor of a dataset and level, shared by sessions (its caches are plan-independent)."""
    return Editor(_inputs, level), threading.Lock()


def page_header(ds: Dataset | None, lang: str, title: str, caption: str) -> bool:
    """A view's title and caption, and the dataset notes; False when there is no dataset to show yet."""
    st.title(t(title, lang))
    st.caption(t(caption, lang))
    if ds is None:
        st.info(t("app.nothing", lang))
        return False
    if ds.kind == "demo":
        st.info(t("app.demo_note", lang), icon=":material/info:")
    return True


def store() -> Store:
    return Store()


def show_error(err: Exception, lang: str) -> None:
    if isinstance(err, XuequError):
        st.error(err.message(lang), icon=":material/warning:")
    else:
        st.error(f"{type(err).__name__}: {err}", icon=":material/warning:")


