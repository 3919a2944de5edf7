"""The sidebar's widgets for a schools or compounds table: its coordinate system and its column mapping.

The mapping starts from the one remembered for the file's header (``geo.inputs.mapping.recall_mapping``), else the
proposal read from the header (``geo.inputs.mapping.propose_mapping``); a choice that differs from that start is
remembered for the next file with the same header.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.common import inert_t
from geo.inputs import (
    is_osm_file,
    layout_key,
    mapping_fields,
    propose_mapping,
    recall_mapping,
    remember_mapping,
    table_columns,
)
from geo.inputs.coords import SYSTEMS, WGS84
from geo.render.i18n import t

POSITION_FIELDS = ("lon", "lat")
POINT_TABLES = (".csv", ".xlsx")


@st.cache_data(show_spinner=False, max_entries=32)
def _columns(path: str, name: str, stamp: str) -> list[str]:
    return table_columns(path, name=name)


def _stamp(path: str) -> str:
    s = Path(path).stat()
    return f"{s.st_size}:{s.st_mtime_ns}"


def table_options(container, kind: str, path: str, name: str, lang: str, key: str
                  ) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Coordinate system and column mapping widgets for one table file, in ``container`` (the sidebar).

    ``kind`` is "schools" or "compounds"; ``path`` the file on disk, ``name`` its name as the user knows
    it; ``key`` prefixes the widget keys. Returns ``(coords, mapping)``, the mapping as sorted
    ``(field, column)`` pairs. A file whose header cannot be read gets no mapping: loading it says why.
    """
    T = lambda k, **kw: t(k, lang, **kw)  # noqa: E731
    if not path or is_osm_file(path):
        return WGS84, ()
    coords = container.selectbox(T(f"app.{kind}_coords"), SYSTEMS, index=SYSTEMS.index(WGS84),
                                 format_func=lambda k: T(f"coords.{k}"), key=f"{key}_coords")
    if not Path(path).is_file():
        return coords, ()
    try:
        columns = _columns(path, name, _stamp(path))
    except Exception:  # noqa: BLE001 - the loader reports the same problem, naming the file and row
        return coords, ()
    if not columns:
        return coords, ()
    fields = [f for f in mapping_fields(kind)
              if f not in POSITION_FIELDS or name.lower().endswith(POINT_TABLES)]
    layout = layout_key(columns)
    proposed = {f: c for f, c in propose_mapping(columns, kind).items() if f in fields}
    recalled = recall_mapping(layout)
    start = {f: c for f, c in (recalled or proposed).items() if f in fields and c in columns}
    options = [""] + list(columns)
    chosen: dict[str, str | None] = {}
    with container.expander(inert_t("app.mapping", lang, file=name)):
        st.caption(T("app.mapping.help"))
        for f in fields:
            value = st.selectbox(T(f"field.{f}"), options, index=options.index(start.get(f) or ""),
                                 format_func=lambda c: c if c else T("app.mapping.none"),
                                 key=f"{key}_map_{layout}_{f}")
            chosen[f] = value or None
    if {f: c for f, c in chosen.items() if c} != {f: c for f, c in start.items() if c}:
        remember_mapping(layout, chosen, kind=kind)
    return coords, tuple(sorted((f, c) for f, c in chosen.items() if c))

# What the upload widgets accept for a schools or compounds table.
TABLE_TYPES = ["csv", "xlsx", "geojson", "json", "gpkg", "zip", "kml"]
