"""School strength (办学水平) for multi-school zones and alliances: a figure per school and which schools are strong.

A school's strength is an audit indicator of :mod:`geo.equity.audit` (by default county-level-or-above backbone
teachers per 100 students) or any numeric column; *strong* schools are the top ``k``, those at or above a
threshold, or (default) those above the median. :mod:`geo.equity.access` asks how likely a family is to get a place
at one; :mod:`geo.equity.alliances` mixes strong and weak schools.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.equity.audit import BY_KEY, school_parts
from geo.errors import InputError

DEFAULT_MEASURE = "backbone_per100"


def school_strength(schools: pd.DataFrame, level: str, measure: str = DEFAULT_MEASURE, *,
                    file: str = "schools") -> np.ndarray:
    """Strength of every school (in table order) for ``level``.

    ``measure`` is an audit indicator key of :mod:`geo.equity.audit` (per 100 students or per student, from raw
    columns; a nine-year school is judged by its ``level`` part), or any numeric column taken as it is. The
    default, **county-level-or-above backbone teachers per 100 students** (县级以上骨干教师/百名学生), is the
    indicator that tells lead schools of education groups apart in practice (in the demo the groups' leads
    have 2.4 and 2.9 against about 1 elsewhere); ``qualified_per100`` is the other natural choice.

    Parameters
    ----------
    schools
        The schools table.
    level
        "primary" or "junior".
    measure
        An audit indicator key or a numeric column.
    file
        The schools file's name, for messages.

    Returns
    -------
    strength
        One per school (NaN where the school does not teach ``level``).

    Raises
    ------
    InputError
        If ``measure`` is neither an indicator nor a column, a value is not a number, or a column the
        indicator needs is missing or bad.
    """
    df = pd.DataFrame(schools).reset_index(drop=True)
    ind = BY_KEY.get(measure)
    if ind is None:
        if measure not in df:
            raise InputError("lottery.unknown_measure", measure=measure, known=", ".join(BY_KEY))
        values = pd.to_numeric(df[measure], errors="coerce").to_numpy(float)
        if np.isnan(values).any():
            i = int(np.flatnonzero(np.isnan(values))[0])
            raise InputError("err.bad_value", file=file, row=i + 1, field=measure, value=df[measure].iloc[i],
                             hint="@equity.hint.nonneg")
        return values
    parts = school_parts(df, ("students", ind.column), file=file)
    parts = parts[parts["level"] == level]
    value = dict(zip(parts["school_id"], ind.per * parts[ind.column] / parts["students"]))
    ids = df["school_id"].astype(str).str.strip() if "school_id" in df else df.iloc[:, 0].astype(str)
    return np.array([value.get(i, np.nan) for i in ids], float)


def strong_schools(strength: npt.ArrayLike, *, threshold: float | None = None, top_k: int | None = None
                   ) -> np.ndarray:
    """Which schools are strong: the ``top_k`` by strength, or those at or above ``threshold``, or (default)
    those strictly above the median. NaN strength is never strong.

    Parameters
    ----------
    strength
        Per school (:func:`school_strength`).
    threshold
        The least strength of a strong school.
    top_k
        How many strong schools (wins over ``threshold``).

    Returns
    -------
    strong
        A mask per school.
    """
    x = np.asarray(strength, float)
    if top_k is not None:
        order = np.argsort(-np.where(np.isnan(x), -np.inf, x), kind="stable")
        out = np.zeros(x.size, bool)
        out[order[:max(0, int(top_k))]] = True
        return out & ~np.isnan(x)
    if threshold is None:
        threshold = np.nanmedian(x) if np.isfinite(x).any() else np.inf
        return x > threshold
    return x >= threshold


# Columns of a schools table that every school has, whatever its data: a school opened in the editing view has
# only these, so its resource figures (and its strength) are unknown.
_IDENTITY_COLUMNS = ("school_id", "id", "name", "level", "capacity", "capacity_estimated", "capacity_primary",
                     "capacity_junior", "seats", "geometry", "lon", "lat")


def known_strength(schools: pd.DataFrame, level: str, measure: str = DEFAULT_MEASURE, *,
                   file: str = "schools") -> np.ndarray:
    """:func:`school_strength`, with NaN (never strong) for schools that have no figures at all beyond their
    identity and seats (e.g. a school opened in the editing view) instead of an error for the whole table.

    Parameters
    ----------
    schools, level, measure, file
        As :func:`school_strength`.

    Returns
    -------
    strength
        One per school.

    Raises
    ------
    InputError
        As :func:`school_strength`, for the schools that have figures.
    """
    df = pd.DataFrame(schools).reset_index(drop=True)
    rest = [c for c in df.columns if str(c) not in _IDENTITY_COLUMNS]
    bare = df[rest].isna().all(axis=1).to_numpy() if rest else np.zeros(len(df), bool)
    out = np.full(len(df), np.nan)
    if (~bare).any():
        out[~bare] = school_strength(df[~bare], level, measure, file=file)
    return out
