"""The user's own school statistics (在校生数, 教师数, 面积, ...), joined to the dataset's schools for the audits.

The balanced-development audits (:mod:`geo.equity.audit`) need raw figures the OSM data never has; a district
brings them as a CSV / XLSX table keyed by school id or name. Here that table is checked row by row and joined.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.equity.audit import AUDIT_COLUMNS, RAW_ALIASES
from geo.errors import InputError
from geo.inputs.columns import LAT_ALIASES, LON_ALIASES, find_column
from geo.inputs.schools import ID_ALIASES, LEVEL_ALIASES, NAME_ALIASES


def has_audit_columns(schools: pd.DataFrame) -> bool:
    """Whether a schools table already holds every raw column the 2017 audit needs (students, teachers, ...).

    Parameters
    ----------
    schools : pandas.DataFrame
        A schools table.

    Returns
    -------
    bool
        True when every column of :data:`~geo.equity.audit.AUDIT_COLUMNS` is found under one of its names.
    """
    return all(find_column(schools, RAW_ALIASES[c]) for c in AUDIT_COLUMNS)


def blank(v: object) -> bool:
    """Whether a cell is empty: None, NaN, NA or only spaces (or the text 'nan' / 'None' a spreadsheet left).

    Parameters
    ----------
    v : object
        A cell.

    Returns
    -------
    bool
        True for an empty cell.
    """
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or str(v).strip() in ("", "nan", "None")


def join_statistics(schools: pd.DataFrame, stats: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[str]]:
    """The schools with the user's statistics joined by school id (else by name).

    A column named as an audit column (in English or Chinese, see :data:`~geo.equity.audit.RAW_ALIASES`)
    replaces the dataset's column of that meaning; any other column is added (or replaced) as it is.

    Parameters
    ----------
    schools : pandas.DataFrame
        The dataset's schools table.
    stats : pandas.DataFrame
        The user's statistics: a school id or name column and value columns.
    file : str
        The statistics file's name, for messages.

    Returns
    -------
    schools : pandas.DataFrame
        A new table with the statistics joined.
    missing : list of str
        The names of the schools the file does not cover (they keep the dataset's figures).

    Raises
    ------
    InputError
        Naming every row that matches no school (nothing is joined then), a key given twice, a file with no
        key or no value columns, or a negative / non-numeric value of an audit column.
    """
    stats = stats.reset_index(drop=True)
    id_col = find_column(stats, ("school_id",) + ID_ALIASES)
    name_col = find_column(stats, NAME_ALIASES)
    if id_col is None and name_col is None:
        raise InputError("equity.stats.no_key", file=file, aliases=", ".join(("school_id",) + ID_ALIASES
                                                                           + NAME_ALIASES))
    by_id = id_col is not None
    keys = stats[id_col if by_id else name_col].map(lambda v: "" if blank(v) else str(v).strip())
    target = schools["school_id" if by_id else "name"].astype(str).str.strip()
    lookup = dict(zip(target, schools["school_id"]))
    unknown = [(i + 1, k) for i, k in enumerate(keys) if k not in lookup]
    if unknown:
        items = [("equity.stats.row_item", {"row": r, "key": k}) for r, k in unknown[:12]]
        raise InputError("equity.stats.unknown", file=file, count=len(unknown), items=items,
                         by=f"@equity.stats.by_{'id' if by_id else 'name'}")
    dup = keys.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError("err.duplicate_id", file=file, row=i + 1, value=keys.iloc[i])
    skip = {id_col, name_col, find_column(stats, LEVEL_ALIASES), find_column(stats, LON_ALIASES),
            find_column(stats, LAT_ALIASES), "geometry"}
    values = [c for c in stats.columns if c not in skip]
    if not values:
        raise InputError("equity.stats.no_values", file=file)
    canonical = {}
    for c in values:  # a Chinese alias of an audit column replaces the dataset's column of that meaning
        canon = next((k for k, aliases in RAW_ALIASES.items()
                      if str(c).strip().lower() in (a.lower() for a in aliases)), None)
        canonical[c] = canon or c
        if canon is not None:
            num = pd.to_numeric(stats[c], errors="coerce")
            bad = stats[c].notna().to_numpy() & ~(num.to_numpy(dtype=float) >= 0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError("err.bad_value", file=file, row=i + 1, field=c, value=stats[c].iloc[i],
                                 hint="@equity.hint.nonneg")
    ids = keys.map(lookup)
    out = schools.copy()
    row_of = pd.Series(np.arange(len(stats)), index=ids.to_numpy())
    pos = out["school_id"].map(row_of)
    has = pos.notna().to_numpy()
    for c in values:
        col = canonical[c]
        given = stats[c].to_numpy(dtype=object)[pos.fillna(0).astype(int).to_numpy()]
        if col in RAW_ALIASES:
            given = pd.to_numeric(pd.Series(given), errors="coerce").to_numpy(dtype=float)
            old = (pd.to_numeric(out[find_column(out, RAW_ALIASES[col])], errors="coerce").to_numpy(float)
                   if find_column(out, RAW_ALIASES[col]) else np.full(len(out), np.nan))
            found = find_column(out, RAW_ALIASES[col]) or col
            out[found] = np.where(has, given, old)
        else:
            old = out[col].to_numpy(dtype=object) if col in out else np.full(len(out), None, dtype=object)
            out[col] = np.where(has, given, old)
    missing = out.loc[~has, "name"].astype(str).tolist()
    return out, missing
