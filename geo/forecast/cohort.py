"""The cohort arithmetic of the forecast, vectorised over compounds x single years of age.

A compound's children are an ``(n, 15)`` array of counts by single year of age 0-14, counted on a *count date*
(household registration tables: 31 December). Each year every cohort moves up one year of age, multiplied by
that age's survival/migration ratio (the children who are still there a year later, movers in and out
included); the youngest cohort follows a births trend. Internally one more age (15) is carried, so that a
junior cohort counted after the cut-off reaches grade 9.

Entry: a child starts grade 1 (primary, age 6) or grade 7 (junior, age 12) in the September after the year
they reach the entry age by the *cut-off date* (most provinces: 31 August). When the count date is ``g`` of a
year after the cut-off, the intake is ``(1 - g)`` of the cohort aged 6 at the count date plus ``g`` of the
one aged 7 (:func:`entry_mix`).

Enrolment: grade 1 (7) is the intake times the enrolment share (the children of the zone who attend its
public school); each later grade is the grade below a year earlier times its grade-progression ratio
(the cohort survival method): from historical enrolment when given (:func:`progression_ratios`), else the
population's own survival ratio at that age.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.inputs.schools import JUNIOR, LEVELS, PRIMARY

AGES = 15  # ages 0-14 in the input
CARRIED = AGES + 1  # one more carried internally: a junior cohort counted after the cut-off reaches age 15
ENTRY_AGE = {PRIMARY: 6, JUNIOR: 12}
GRADES = {PRIMARY: 6, JUNIOR: 3}
FIRST_GRADE = {PRIMARY: 1, JUNIOR: 7}
# Standard class sizes: 45 pupils a primary class, 50 a junior class (the Ministry of Education's
# 城市普通中小学校校舍建设标准 (建标102-2002) and the 2016 push to end 大班额: no class above these sizes).
CLASS_SIZE = {PRIMARY: 45, JUNIOR: 50}
CUTOFF = "08-31"  # 年满6周岁: age 6 reached by 31 August (most provinces' rule; some use 09-01 or 12-31)
COUNT_DATE = "12-31"  # year-end household registration counts (年末户籍人口)


def _day_of_year(mmdd: str) -> int:
    try:
        month, day = (int(p) for p in str(mmdd).split("-"))
        return date(2001, month, day).timetuple().tm_yday  # 2001: not a leap year
    except (ValueError, TypeError) as exc:
        raise ValueError(f"a date must be written MM-DD, e.g. 08-31 (got {mmdd!r})") from exc


def entry_mix(cutoff: str = CUTOFF, count_date: str = COUNT_DATE) -> float:
    """The share ``g`` of a year from the cut-off date forward to the count date.

    The intake of a year is ``(1 - g)`` of the cohort aged at the entry age on the count date and ``g`` of the
    cohort one year older (births assumed even through the year).

    Parameters
    ----------
    cutoff : str
        The entry cut-off, ``"MM-DD"`` (age 6 reached on or before it).
    count_date : str
        The date the ages are counted on, ``"MM-DD"``: the first such date on or after the cut-off.

    Returns
    -------
    float
        In ``[0, 1)``; 0 when the ages are counted on the cut-off date.

    Raises
    ------
    ValueError
        For a date not written ``MM-DD``.
    """
    return ((_day_of_year(count_date) - _day_of_year(cutoff)) % 365) / 365.0


def per_age(value: float | npt.ArrayLike, name: str = "ratio") -> np.ndarray:
    """A per-age ratio as an array over the carried ages: element ``a`` moves age ``a - 1`` to ``a``.

    Parameters
    ----------
    value : float or array-like
        One ratio for every age, or one per age 1-14 (14 values) or 0-14 (15; element 0 is unused), or the
        carried ages (16).
    name : str
        For the message.

    Returns
    -------
    ndarray
        Shape ``(16,)``; age 15 repeats age 14's ratio.

    Raises
    ------
    ValueError
        For another length, or a negative or non-finite ratio.
    """
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        out = np.full(CARRIED, float(a))
    elif a.shape == (AGES - 1,):
        out = np.concatenate([[1.0], a, a[-1:]])
    elif a.shape == (AGES,):
        out = np.concatenate([a, a[-1:]])
    elif a.shape == (CARRIED,):
        out = a.copy()
    else:
        raise ValueError(f"{name}: one value, or one per age (14, 15 or 16 values), not shape {a.shape}")
    if not np.isfinite(out).all() or (out < 0).any():
        raise ValueError(f"{name}: ratios must be finite and not negative")
    return out


def carried(ages: npt.ArrayLike) -> np.ndarray:
    """Children by age 0-14 as the carried ages 0-15 (age 15 at the start: age 14's count, as no table gives it).

    Parameters
    ----------
    ages : array-like
        Shape ``(n, 15)``.

    Returns
    -------
    ndarray
        Shape ``(n, 16)``, float.
    """
    a = np.asarray(ages, dtype=float)
    if a.ndim != 2 or a.shape[1] != AGES:
        raise ValueError(f"ages must have shape (n, {AGES}), not {a.shape}")
    return np.concatenate([a, a[:, -1:]], axis=1)


def project(ages: npt.ArrayLike, horizon: int, survival: float | npt.ArrayLike = 1.0,
            birth_trend: float | npt.ArrayLike = 1.0, additions: np.ndarray | None = None) -> np.ndarray:
    """Children by single year of age, year by year: the cohort-component projection.

    ``P[k + 1, :, a] = P[k, :, a - 1] * survival[a]`` for ages 1-15, ``P[k + 1, :, 0] = P[k, :, 0] *
    birth_trend[k]``, and ``additions[k]`` (new housing) joins in year ``k`` before it ages on.

    Parameters
    ----------
    ages : array-like
        ``(n, 15)`` children aged 0-14 at the count date of the base year.
    horizon : int
        Years forward.
    survival : float or array-like
        Survival/migration ratio per age (see :func:`per_age`).
    birth_trend : float or array-like
        Each year's births over the year before's: one value, or one per forecast year (``horizon``).
    additions : ndarray, optional
        ``(horizon + 1, n, 16)`` children added in each year (year 0: the base).

    Returns
    -------
    ndarray
        ``(horizon + 1, n, 16)``, year-major (each year's block contiguous); year 0 is the base.
    """
    base = carried(ages)
    s = per_age(survival, "survival")
    trend = np.broadcast_to(np.asarray(birth_trend, dtype=float), (horizon,))
    pop = np.empty((horizon + 1, base.shape[0], CARRIED))
    pop[0] = base
    if additions is not None:
        pop[0] += additions[0]
    for k in range(horizon):  # a loop over years only: each step is one array operation over compounds x ages
        np.multiply(pop[k, :, :-1], s[1:], out=pop[k + 1, :, 1:])
        np.multiply(pop[k, :, 0], trend[k], out=pop[k + 1, :, 0])
        if additions is not None:
            pop[k + 1] += additions[k + 1]
    return pop


def mixed(pop: np.ndarray, age: int, g: float) -> np.ndarray:
    """The cohort that starts school in a year: ``(1 - g) * P[..., age] + g * P[..., age + 1]``.

    Parameters
    ----------
    pop : ndarray
        ``(..., 16)``: from :func:`project` (``(K, n, 16)``), or one year's ``(n, 16)``.
    age : int
        The entry age (plus the grades already passed).
    g : float
        :func:`entry_mix`.

    Returns
    -------
    ndarray
        ``pop.shape[:-1]``.
    """
    older = pop[..., age + 1] if age + 1 < CARRIED else pop[..., age]
    return (1.0 - g) * pop[..., age] + g * older


def enrolment(pop: np.ndarray, level: str, g: float, share: float | npt.ArrayLike = 1.0,
              progression: npt.ArrayLike | None = None, survival: float | npt.ArrayLike = 1.0,
              additions: np.ndarray | None = None) -> np.ndarray:
    """Pupils by grade, year by year (the cohort survival method).

    Year 0 (the base): each grade is its cohort of the population times the share. Then grade 1 is the year's
    intake (the entry cohort times the share) and grade ``j + 1`` is grade ``j`` a year earlier times the
    progression ratio ``progression[j]``; children of new housing join their grades in the year they arrive.

    Parameters
    ----------
    pop : ndarray
        ``(K, n, 16)`` from :func:`project`.
    level : str
        "primary" or "junior".
    g : float
        :func:`entry_mix`.
    share : float or array-like
        The enrolment share (per compound: shape ``(n,)``).
    progression : array-like, optional
        Grade-progression ratios, ``GRADES[level] - 1`` values (grade 1 -> 2, ...); default: the population's
        survival ratios at those ages.
    survival : float or array-like
        The survival ratios (used when ``progression`` is not given).
    additions : ndarray, optional
        ``(K, n, 16)`` children of new housing, as given to :func:`project`.

    Returns
    -------
    ndarray
        ``(K, n, G)``; ``[..., 0]`` is the intake.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    entry, grades = ENTRY_AGE[level], GRADES[level]
    if progression is None:
        ratio = per_age(survival)[entry + 1: entry + grades]
    else:
        ratio = np.asarray(progression, dtype=float).reshape(grades - 1)
    share_ = np.asarray(share, dtype=float)
    share_ = share_[:, None] if share_.ndim == 1 else share_
    k_years, n, _ = pop.shape
    weights = np.zeros((CARRIED, grades))  # the cohort of grade j is (1 - g) of age entry + j and g of the next
    for j in range(grades):
        weights[entry + j, j] += 1.0 - g
        weights[min(entry + j + 1, CARRIED - 1), j] += g
    out = np.empty((k_years, n, grades))
    out[0] = (pop[0] @ weights) * share_
    intake = (pop[1:] @ weights[:, 0]) * share_.reshape(-1) if share_.ndim else (pop[1:] @ weights[:, 0]) * share_
    joined = None if additions is None else (additions @ weights) * share_
    for k in range(1, k_years):
        out[k, :, 0] = intake[k - 1]
        np.multiply(out[k - 1, :, :-1], ratio, out=out[k, :, 1:])
        if joined is not None:
            out[k, :, 1:] += joined[k, :, 1:]
    return out


def progression_ratios(history: pd.DataFrame, level: str, window: int = 5
                       ) -> tuple[np.ndarray, np.ndarray, int]:
    """Grade-progression ratios from historical enrolment by grade (the cohort survival method).

    For each pair of consecutive years and each grade ``j`` of the level, the ratio is the district's pupils in
    grade ``j + 1`` in the later year over its pupils in grade ``j`` in the earlier one (summed over the schools
    reported in both years); the ratios of the last ``window`` year pairs are averaged.

    Parameters
    ----------
    history : DataFrame
        Columns ``school_id``, ``year``, ``grade`` (1-9) and ``students``.
    level : str
        "primary" (grades 1-6) or "junior" (7-9).
    window : int
        Year pairs averaged (3-5 is usual).

    Returns
    -------
    mean : ndarray
        ``GRADES[level] - 1`` ratios (grade 1 -> 2, ...).
    spread : ndarray
        Their standard deviation over the years (0 with one year pair).
    pairs : int
        The year pairs used (0: no consecutive years; the ratios are then 1).
    """
    first, grades = FIRST_GRADE[level], GRADES[level]
    h = history[(history["grade"] >= first) & (history["grade"] < first + grades)]
    table = h.pivot_table(index=["school_id", "year"], columns="grade", values="students", aggfunc="sum")
    table = table.reindex(columns=range(first, first + grades))
    years = np.sort(h["year"].unique())
    pairs = [(y, y + 1) for y in years if y + 1 in set(years)][-window:]
    if not pairs:
        return np.ones(grades - 1), np.zeros(grades - 1), 0
    ratios = []
    for y0, y1 in pairs:
        a = table.xs(y0, level="year")
        b = table.xs(y1, level="year")
        both = a.index.intersection(b.index)
        lower = a.loc[both].to_numpy(dtype=float)[:, :-1]
        upper = b.loc[both].to_numpy(dtype=float)[:, 1:]
        ok = np.isfinite(lower) & np.isfinite(upper)
        den = np.where(ok, lower, 0).sum(axis=0)
        num = np.where(ok, upper, 0).sum(axis=0)
        ratios.append(np.divide(num, den, out=np.ones_like(num), where=den > 0))
    r = np.array(ratios)
    return r.mean(axis=0), (r.std(axis=0, ddof=1) if len(r) > 1 else np.zeros(grades - 1)), len(pairs)


LEVEL_NAMES = ("blue", "green", "yellow", "orange", "red")  # in order of demand over seats
# The warning bands (学位预警): red when demand exceeds the seats, orange above 95 % of them, yellow above 90 %,
# blue (under-used) below 60 %, green otherwise.
THRESHOLDS = {"red": 1.0, "orange": 0.95, "yellow": 0.90, "blue": 0.60}


def warning_level(demand: npt.ArrayLike, seats: npt.ArrayLike) -> np.ndarray:
    """The warning level of each demand against its seats.

    Parameters
    ----------
    demand, seats : array-like
        Pupils and seats (same shape).

    Returns
    -------
    ndarray of str
        ``"red"`` (demand > seats, or any demand with no seats), ``"orange"`` (> 95 %), ``"yellow"`` (> 90 %),
        ``"blue"`` (< 60 %, under-used; not when there are no seats and no demand) or ``"green"``.
    """
    d = np.asarray(demand, dtype=float)
    s = np.asarray(seats, dtype=float)
    ratio = np.divide(d, s, out=np.where(d > 0, np.inf, 0.0), where=s > 0)
    idx = np.select([ratio > THRESHOLDS["red"], ratio > THRESHOLDS["orange"], ratio > THRESHOLDS["yellow"],
                     (ratio < THRESHOLDS["blue"]) & (s > 0)], [4, 3, 2, 0], default=1)
    return np.asarray(LEVEL_NAMES, dtype=object)[idx]


def classes_needed(pupils_by_grade: np.ndarray, level: str, class_size: int | None = None) -> np.ndarray:
    """Classes needed: each grade's pupils over the standard class size, rounded up, summed over grades.

    Parameters
    ----------
    pupils_by_grade : ndarray
        ``(..., G)``.
    level : str
        "primary" (45 a class) or "junior" (50).
    class_size : int, optional
        Another class size.

    Returns
    -------
    ndarray
        ``pupils_by_grade.shape[:-1]`` integers.
    """
    size = class_size or CLASS_SIZE[level]
    return np.ceil(np.round(pupils_by_grade, 6) / size).sum(axis=-1).astype(np.int64)
