"""Inequality of a per-student resource between schools: Lorenz curve, Gini index, Theil T index (decomposed).

Every measure is weighted by students: a school holding ``p`` students at ``x`` per student counts as ``p``
students at ``x``. :func:`resource_inequality` computes all three from a schools table, with the indicators and
raw columns of :mod:`geo.equity.audit` (nine-year schools split into their primary and junior parts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.equity.audit import BY_KEY, RAW_ALIASES, school_parts
from geo.errors import InputError


def _clean(values: npt.ArrayLike, weights: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x, p = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    if x.shape != p.shape:
        raise ValueError("values and weights must have the same length")
    if (p < 0).any() or (x < 0).any():
        raise ValueError("values and weights must be non-negative")
    keep = p > 0
    return x[keep], p[keep]


def lorenz(values: npt.ArrayLike, weights: npt.ArrayLike) -> pd.DataFrame:
    """Lorenz curve points of a per-student resource ``values`` held by ``weights`` students.

    Parameters
    ----------
    values : array-like of float
        Each school's resource per student (non-negative).
    weights : array-like of float
        Each school's students (non-negative; schools with none are left out).

    Returns
    -------
    pandas.DataFrame
        Schools sorted by their per-student value, from (0, 0) to (1, 1): ``student_share`` (cumulative share of
        students) and ``resource_share`` (cumulative share of the resource, students x value).

    Raises
    ------
    ValueError
        If ``values`` and ``weights`` differ in length or hold a negative number.
    """
    x, p = _clean(values, weights)
    order = np.argsort(x, kind="stable")
    x, p = x[order], p[order]
    r = p * x
    cp = np.concatenate([[0.0], np.cumsum(p)]) / p.sum()
    cr = np.concatenate([[0.0], np.cumsum(r)]) / r.sum() if r.sum() > 0 else cp
    cp[-1], cr[-1] = 1.0, 1.0
    return pd.DataFrame({"student_share": cp, "resource_share": cr})


def gini(values: npt.ArrayLike, weights: npt.ArrayLike) -> float:
    """Student-weighted Gini index of a per-student resource: sum_ij p_i p_j |x_i - x_j| / (2 P^2 xbar).

    Computed as 1 minus twice the area under the Lorenz curve (exact for grouped data).

    Parameters
    ----------
    values : array-like of float
        Each school's resource per student (non-negative).
    weights : array-like of float
        Each school's students (non-negative).

    Returns
    -------
    float
        0 when every student has as much; the larger (below 1), the more unequal.

    Raises
    ------
    ValueError
        As :func:`lorenz`.
    """
    lz = lorenz(values, weights)
    cp, cr = lz["student_share"].to_numpy(), lz["resource_share"].to_numpy()
    return float(1.0 - np.sum(np.diff(cp) * (cr[1:] + cr[:-1])))


@dataclass(frozen=True)
class Theil:
    """Theil T index, split for a grouping into ``between`` and ``within`` (they add up to ``total``).

    Attributes
    ----------
    total, between, within : float
        The index and its two parts (NaN when no student holds any resource).
    groups : pandas.DataFrame
        One row per group (index: group) with ``students``, ``student_share``, ``resource_share``, ``mean``
        (per student), ``theil`` (inside the group) and ``within_part`` (resource share x theil).
    """

    total: float
    between: float
    within: float
    groups: pd.DataFrame


def _theil_t(r_share: np.ndarray, p_share: np.ndarray) -> float:
    """sum s_i ln(s_i / q_i) with 0 ln 0 = 0 (s: resource shares, q: student shares)."""
    pos = r_share > 0
    return float(np.sum(r_share[pos] * np.log(r_share[pos] / p_share[pos])))


def theil(values: npt.ArrayLike, weights: npt.ArrayLike, groups: Iterable[object] | None = None) -> Theil:
    """Student-weighted Theil T index of a per-student resource, decomposed by ``groups``.

    T = sum_i (p_i/P)(x_i/xbar) ln(x_i/xbar); with group resource shares S_g and student shares Q_g,
    T = sum_g S_g ln(S_g/Q_g) (between) + sum_g S_g T_g (within).

    Parameters
    ----------
    values : array-like of float
        Each school's resource per student (non-negative).
    weights : array-like of float
        Each school's students (non-negative).
    groups : iterable, optional
        One group label per school. Without it everything is "within" one group; a NaN label makes the school
        a group on its own.

    Returns
    -------
    Theil

    Raises
    ------
    ValueError
        If ``groups`` has not one label per school, or as :func:`lorenz`.
    """
    x, p = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    labels = pd.Series(["all"] * len(x) if groups is None else list(groups), dtype=object)
    if len(labels) != len(x):
        raise ValueError("groups must have one label per school")
    lone = labels.isna().to_numpy()
    labels[lone] = [f"#{i}" for i in np.flatnonzero(lone)]
    keep = p > 0
    _clean(x, p)
    x, p, labels = x[keep], p[keep], labels[keep].reset_index(drop=True)
    r = p * x
    if r.sum() <= 0:
        empty = pd.DataFrame(columns=["students", "student_share", "resource_share", "mean", "theil",
                                      "within_part"])
        return Theil(float("nan"), float("nan"), float("nan"), empty)
    s, q = r / r.sum(), p / p.sum()
    total = _theil_t(s, q)
    codes, uniq = pd.factorize(labels, sort=False)
    S = np.bincount(codes, weights=s)
    Q = np.bincount(codes, weights=q)
    # within group g: resource shares s_i / S_g against student shares q_i / Q_g
    s_in = np.divide(s, S[codes], out=np.zeros_like(s), where=S[codes] > 0)
    q_in = q / Q[codes]
    pos = s_in > 0
    term = np.zeros_like(s)
    term[pos] = s_in[pos] * np.log(s_in[pos] / q_in[pos])
    T_g = np.bincount(codes, weights=term)
    between = _theil_t(S, Q)
    within = float(np.sum(S * T_g))
    P_g = np.bincount(codes, weights=p)
    R_g = np.bincount(codes, weights=r)
    table = pd.DataFrame({"students": P_g, "student_share": Q, "resource_share": S, "mean": R_g / P_g,
                          "theil": T_g, "within_part": S * T_g}, index=pd.Index(uniq, name="group"))
    return Theil(total, between, within, table)


@dataclass(frozen=True)
class Inequality:
    """Gini, Theil (with its decomposition) and Lorenz points of one per-student resource.

    Attributes
    ----------
    resource : str
        The indicator key or raw column measured.
    gini : float
        :func:`gini`.
    theil : Theil
        :func:`theil`, by the grouping asked for.
    lorenz : pandas.DataFrame
        :func:`lorenz`.
    """

    resource: str
    gini: float
    theil: Theil
    lorenz: pd.DataFrame


def resource_inequality(schools: pd.DataFrame, resource: str, *, level: str | None = None,
                        group: str | None = None, file: str = "schools") -> Inequality:
    """Inequality of a per-student resource between school parts, weighted by students.

    Parameters
    ----------
    schools : pandas.DataFrame
        The schools table with the raw columns (:func:`geo.equity.audit.school_parts`).
    resource : str
        An indicator key (e.g. ``floor_area_per_student``) or a raw column (divided by students).
    level : str, optional
        Keep the parts of this level only.
    group : str, optional
        A column (district, alliance, education group) to decompose the Theil index by.
    file : str
        The table's name, for messages.

    Returns
    -------
    Inequality

    Raises
    ------
    ValueError
        If ``resource`` is neither an indicator key nor a raw column.
    InputError
        If ``group`` is not a column, or as :func:`geo.equity.audit.school_parts`.
    """
    ind = BY_KEY.get(resource)
    column, per = (ind.column, ind.per) if ind else (resource, 1.0)
    if column not in RAW_ALIASES:
        raise ValueError(f"unknown resource {resource!r}")
    parts = school_parts(schools, ("students", column), file=file)
    if level is not None:
        parts = parts[parts["level"] == level]
    if group is not None and group not in parts:
        raise InputError("err.missing_column", file=file, field=group, aliases=group)
    x = per * parts[column].to_numpy(dtype=float) / parts["students"].to_numpy(dtype=float)
    p = parts["students"].to_numpy(dtype=float)
    g = parts[group].to_numpy() if group is not None else None
    return Inequality(resource, gini(x, p), theil(x, p, g), lorenz(x, p))


def group_columns(schools: pd.DataFrame, skip: Iterable[str] = ()) -> list[str]:
    """The columns that can group schools for the Theil decomposition (a district, a type of school, ...).

    Parameters
    ----------
    schools : pandas.DataFrame
        The schools table.
    skip : iterable of str
        Columns not to offer, besides the id, name, level and geometry.

    Returns
    -------
    list of str
        The text columns with at least two distinct values and fewer values than schools, in table order.
    """
    skip = {"school_id", "name", "level", "geometry", *skip}
    out = []
    for c in schools.columns:
        if c in skip or pd.api.types.is_numeric_dtype(schools[c]) or pd.api.types.is_bool_dtype(schools[c]):
            continue
        if 2 <= schools[c].nunique(dropna=True) < len(schools):
            out.append(str(c))
    return out
