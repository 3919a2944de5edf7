"""Column mappings: which column of a user's table holds which field, proposed from the header, applied, and
remembered per file layout (the header row) in ``cache_dir()/layouts.json``."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import InputError
from geo.inputs import demand as _demand
from geo.inputs import schools as _schools
from geo.inputs.columns import LAT_ALIASES, LON_ALIASES
from geo.inputs.files import cache_dir

# The fields of each kind of user table and the column names recognised for them (the first is the name
# the loaders use; a user's mapping renames their column to it).
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "schools": {
        "school_id": _schools.ID_ALIASES,
        "name": _schools.NAME_ALIASES,
        "level": _schools.LEVEL_ALIASES,
        "capacity": _schools.CAPACITY_ALIASES,
        "capacity_primary": ("capacity_primary", "小学学位数", "小学学位"),
        "capacity_junior": ("capacity_junior", "初中学位数", "初中学位"),
        "lon": LON_ALIASES,
        "lat": LAT_ALIASES,
    },
    "compounds": {
        "compound_id": _demand.ID_ALIASES,
        "name": _demand.NAME_ALIASES,
        "children_primary": _demand.CHILD_ALIASES["primary"],
        "children_junior": _demand.CHILD_ALIASES["junior"],
        "lon": LON_ALIASES,
        "lat": LAT_ALIASES,
    },
}


def mapping_fields(kind: str) -> dict[str, tuple[str, ...]]:
    """The fields of a kind of table and the column names recognised for each.

    Parameters
    ----------
    kind : str
        ``"schools"`` or ``"compounds"``.

    Returns
    -------
    dict
        Field name -> its aliases (the first is the field name itself), in the order the loaders list them.

    Raises
    ------
    ValueError
        For another ``kind``.
    """
    if kind not in FIELDS:
        raise ValueError(f"kind must be one of {tuple(FIELDS)}")
    return FIELDS[kind]


def _norm(name: object) -> str:
    return str(name).strip().lower().replace(" ", "").replace("_", "").replace("（", "(").replace("）", ")")


def propose_mapping(columns, kind: str) -> dict[str, str | None]:
    """For each field of ``kind`` the column that holds it, read from the header.

    Exact alias matches come first (ignoring case, spaces, underscores and full-width brackets), then headers
    that contain an alias (``学校名称（全称）``), longest alias first; each column is used once.

    Parameters
    ----------
    columns : iterable
        The table's column names.
    kind : str
        ``"schools"`` or ``"compounds"``.

    Returns
    -------
    dict
        Field -> column name, ``None`` where nothing matches.

    Raises
    ------
    ValueError
        For another ``kind``.
    """
    fields = mapping_fields(kind)
    cols = [str(c) for c in columns]
    normed = {c: _norm(c) for c in cols}
    out: dict[str, str | None] = dict.fromkeys(fields)
    used: set[str] = set()
    for field, aliases in fields.items():
        for a in aliases:
            hit = next((c for c in cols if c not in used and normed[c] == _norm(a)), None)
            if hit is not None:
                out[field] = hit
                used.add(hit)
                break
    pairs = sorted(((len(_norm(a)), field, _norm(a)) for field, aliases in fields.items() for a in aliases
                    if len(_norm(a)) >= 2 and (not _norm(a).isascii() or len(_norm(a)) >= 4)), reverse=True)
    for _, field, a in pairs:
        if out[field] is not None:
            continue
        hit = next((c for c in cols if c not in used and a in normed[c]), None)
        if hit is not None:
            out[field] = hit
            used.add(hit)
    return out


def apply_mapping(df: pd.DataFrame, mapping: dict, file: str = "") -> pd.DataFrame:
    """A table with the columns a mapping chose renamed to their fields.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        The table as read.
    mapping : dict
        Field -> column name; fields mapped to ``None`` or ``""`` are left alone.
    file : str
        The file name, for messages.

    Returns
    -------
    DataFrame or GeoDataFrame
        A copy; a column that already had a chosen field's name (and was not chosen itself) is kept as
        ``<name>_original``.

    Raises
    ------
    InputError
        ``err.mapping_column`` when the mapping names a column the table does not have.
    """
    df = df.copy()
    geom = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    chosen = {f: c for f, c in mapping.items() if c not in (None, "")}
    for field, col in chosen.items():
        if col not in df.columns:
            raise InputError("err.mapping_column", file=file, field=field, value=col,
                             columns=", ".join(str(c) for c in df.columns if c != geom))
    rename = {}
    for field, col in chosen.items():
        if col == field:
            continue
        clash = [c for c in df.columns if str(c).strip().lower() == field and c != col and c != geom]
        for c in clash:
            if c not in chosen.values():
                rename[c] = f"{c}_original"
        rename[col] = field
    return df.rename(columns=rename)


def mappings_from_text(pairs=(), schools_pairs=(), compounds_pairs=()) -> tuple[dict[str, str], dict[str, str]]:
    """The schools' and the compounds' column mappings from ``field=column`` texts (``xuequ zones --map``).

    A field of one table only (``children_primary``, ``level``...) goes to that table; a field both have
    (``name``, ``lon``, ``lat``) must be given for one: in ``schools_pairs`` / ``compounds_pairs``, or written
    ``schools.name=…`` / ``compounds.name=…``.

    Parameters
    ----------
    pairs : iterable of str
        ``field=column`` texts, each for the table whose field it is.
    schools_pairs, compounds_pairs : iterable of str
        ``field=column`` texts for that table.

    Returns
    -------
    schools, compounds : dict
        Field -> column, for :func:`apply_mapping` (through ``load_inputs``' ``schools_mapping`` and
        ``compounds_mapping``).

    Raises
    ------
    InputError
        ``err.map_form`` for a text that is not ``field=column``, ``err.map_field`` for an unknown field (listing
        each table's), ``err.map_ambiguous`` for a field both tables have, given for neither.
    """
    out: dict[str, dict[str, str]] = {"schools": {}, "compounds": {}}
    for given, items in ((None, pairs), ("schools", schools_pairs), ("compounds", compounds_pairs)):
        for item in items:
            field, sep, col = str(item).partition("=")
            field, col = field.strip(), col.strip()
            if not (sep and field and col):
                raise InputError("err.map_form", value=str(item))
            table, dot, rest = field.partition(".")
            if given is None and dot and table in FIELDS:
                field = rest.strip()
            else:
                table = given or ""
            kinds = [k for k in FIELDS if field in FIELDS[k] and table in ("", k)]
            if not kinds:
                raise InputError("err.map_field", field=field, schools=", ".join(FIELDS["schools"]),
                                 compounds=", ".join(FIELDS["compounds"]))
            if len(kinds) > 1:
                raise InputError("err.map_ambiguous", field=field)
            out[kinds[0]][field] = col
    return out["schools"], out["compounds"]


def layout_key(columns) -> str:
    """A stable key of a file layout, to remember its mapping by.

    Parameters
    ----------
    columns : iterable
        The header row.

    Returns
    -------
    str
        The first 20 hexadecimal digits of the SHA-256 of the names (trimmed, in order).
    """
    text = "\x1f".join(str(c).strip() for c in columns)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _layouts_path() -> Path:
    return cache_dir() / "layouts.json"


def _load_layouts() -> dict:
    try:
        data = json.loads(_layouts_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def recall_mapping(key: str) -> dict[str, str | None] | None:
    """The mapping remembered for a file layout.

    Parameters
    ----------
    key : str
        The layout's :func:`layout_key`.

    Returns
    -------
    dict or None
        Field -> column, or ``None`` when nothing was remembered (or the store cannot be read).
    """
    entry = _load_layouts().get(key)
    return dict(entry["mapping"]) if isinstance(entry, dict) and isinstance(entry.get("mapping"), dict) else None


def remember_mapping(key: str, mapping: dict, *, kind: str = "") -> None:
    """Keep a mapping for a file layout in ``cache_dir()/layouts.json`` (written atomically).

    Parameters
    ----------
    key : str
        The layout's :func:`layout_key`.
    mapping : dict
        Field -> column (or ``None``).
    kind : str
        ``"schools"`` or ``"compounds"``, kept with it.
    """
    layouts = _load_layouts()
    layouts[key] = {"kind": kind, "mapping": {str(k): (None if v is None else str(v)) for k, v in mapping.items()}}
    path = _layouts_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(layouts, f, ensure_ascii=False, indent=1, sort_keys=True)
    os.replace(tmp, path)

