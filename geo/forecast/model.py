"""The forecast under a plan: children by age per compound, projected year by year, summed to schools and zones,
against each school's seats as dated events change them, with a warning level per school and year.

:func:`forecast` is the one entry point; :func:`compare_plans` sets two forecasts side by side, year by year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.forecast.cohort import (
    AGES,
    CARRIED,
    CLASS_SIZE,
    COUNT_DATE,
    CUTOFF,
    FIRST_GRADE,
    GRADES,
    LEVEL_NAMES,
    classes_needed,
    enrolment,
    entry_mix,
    per_age,
    progression_ratios,
    project,
    warning_level,
)
from geo.inputs.schools import JUNIOR, LEVELS, PRIMARY

VARIANTS = ("low", "central", "high")
# Pupils of a level per 100 households of new housing (每百户学生数), when the housing table gives none. DERIVED,
# not a planning standard: 2.62 persons per household (the 7th national census, 2020: 第七次全国人口普查公报 No. 2,
# 平均每个家庭户的人口为2.62人) x 1.1 % of residents per single year of age (the share the demand estimate uses,
# geo.inputs.demand.DemandParams.cohort_share) x 6 (primary) or 3 (junior) years = 17.3 and 8.6.
# A named local standard (a city's 中小学布局规划 or 公共服务设施配套标准: 千人指标 / 每百户学生数) could not be
# confirmed from a published text when this was written (searched 2026-11; the 千人指标 of GB 50180-2018 and of
# the city standards found are floor and land areas in m² per 1,000 residents, not pupils), so none is quoted. Give the local figure per
# row (每百户学生数 column) or as ForecastParams.yield_per_100; 千人指标 (pupils per 1,000 residents) converts as
# 千人指标 x 2.62 / 10 with the census household size.
YIELD_PER_100 = {PRIMARY: 17.3, JUNIOR: 8.6}
# Ratio spreads of the low and high variants when nothing measures them: 1 % per age on survival (a year's
# net migration of school-age children in a settled district) and 3 % a year on births (China's births changed
# by more in most years from 2016 to 2023). Assumptions of this tool, to be replaced by local figures.
SURVIVAL_SPREAD = 0.01
BIRTH_SPREAD = 0.03
EVENT_KINDS = ("open", "capacity", "close", "merge", "rezone")


@dataclass(frozen=True)
class Event:
    """A dated change to a plan, effective from the September of ``year``.

    Parameters
    ----------
    year : int
        The first school year it holds for.
    kind : str
        ``"open"`` (a new school with ``seats``; compounds ``compounds`` zoned to it), ``"capacity"`` (the
        school's seats become ``seats``), ``"close"`` (no seats; its compounds go to ``target``, if given),
        ``"merge"`` (the school joins ``target``: its seats and compounds go there) or ``"rezone"``
        (``compounds`` go to ``school``).
    school : str
        The school's id.
    seats : int
        Seats (open, capacity).
    target : str
        The school taking over (close, merge).
    compounds : tuple of str
        Compound (or planned housing) ids that move (open, rezone).
    name : str
        The name of a new school.
    """

    year: int
    kind: str
    school: str
    seats: int = 0
    target: str = ""
    compounds: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"event kind must be one of {EVENT_KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class ForecastParams:
    """The settings of a forecast.

    Parameters
    ----------
    base_year : int
        The year the ages are counted in; the forecast covers ``base_year + 1`` ... ``base_year + horizon``.
    level : str
        "primary" (entry at 6, grades 1-6) or "junior" (entry at 12, grades 7-9).
    horizon : int
        Years forward (default 10).
    cutoff, count_date : str
        The entry cut-off and the date the ages were counted on, ``"MM-DD"`` (see
        :func:`geo.forecast.cohort.entry_mix`).
    survival : float or sequence
        Survival/migration ratio per age (one, or 14/15 values).
    survival_spread : float or sequence, optional
        Its uncertainty (low / high variants subtract / add it); default :data:`SURVIVAL_SPREAD`.
    birth_trend : float or sequence
        Each year's births over the year before's (one, or one per forecast year).
    birth_spread : float
        The low / high variants' births trend is ``birth_trend * (1 -/+ birth_spread)``.
    share : float
        The enrolment share: the children living in a zone who attend its public school.
    class_size : int, optional
        Pupils a class (default 45 primary, 50 junior).
    yield_per_100 : float, optional
        Pupils of the level per 100 households of new housing (default :data:`YIELD_PER_100`).
    window : int
        Year pairs of enrolment history the progression ratios average (3-5).
    calibrate : bool
        Scale each school's children so that its base-year enrolment equals the enrolment history's figure for
        the base year, when the history has that year (see :func:`calibration`).
    """

    base_year: int
    level: str = PRIMARY
    horizon: int = 10
    cutoff: str = CUTOFF
    count_date: str = COUNT_DATE
    survival: float | Sequence[float] = 1.0
    survival_spread: float | Sequence[float] | None = None
    birth_trend: float | Sequence[float] = 1.0
    birth_spread: float = BIRTH_SPREAD
    share: float = 1.0
    class_size: int | None = None
    yield_per_100: float | None = None
    window: int = 5
    calibrate: bool = True

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        if not 1 <= int(self.horizon) <= 30:
            raise ValueError("horizon must be 1-30 years")
        if not 0 <= float(self.share) <= 1.5:
            raise ValueError("share must be between 0 and 1.5")


@dataclass(frozen=True, eq=False)
class Forecast:
    """A forecast: per compound, school and zone, each year of the horizon, in three variants.

    Attributes
    ----------
    params
        The settings.
    years
        The forecast years, ``(K,)``.
    compound_ids
        Compounds, then planned housing, ``(n,)``.
    intake, pupils
        ``{variant: (n, K)}`` grade-1 (7) intake and enrolment per compound.
    labels
        ``(n, K)`` each compound's school (index into ``school_ids``; -1: none) in each year.
    school_ids, school_names
        ``(S,)``.
    school_intake, school_pupils, school_classes
        ``{variant: (S, K)}``.
    seats
        ``(S, K)`` seats in each year (events applied).
    zone_of_school
        ``(S,)`` each school's zone.
    progression, progression_spread
        The grade-progression ratios used and their spread (``None``: survival ratios).
    notes
        ``(key, params)`` pairs: what the forecast assumed.
    """

    params: ForecastParams
    years: np.ndarray
    compound_ids: np.ndarray
    intake: dict[str, np.ndarray]
    pupils: dict[str, np.ndarray]
    labels: np.ndarray
    school_ids: np.ndarray
    school_names: np.ndarray
    school_intake: dict[str, np.ndarray]
    school_pupils: dict[str, np.ndarray]
    school_classes: dict[str, np.ndarray]
    seats: np.ndarray
    zone_of_school: np.ndarray
    progression: np.ndarray | None = None
    progression_spread: np.ndarray | None = None
    notes: tuple[tuple[str, dict], ...] = field(default=())

    @cached_property
    def schools(self) -> pd.DataFrame:
        """One row per school and year: ``school_id``, ``name``, ``zone``, ``year``, ``intake``, ``enrolment``
        (central), ``enrolment_low``, ``enrolment_high``, ``classes``, ``seats``, ``surplus`` (seats minus
        enrolment; negative: a shortage), ``utilisation`` and ``level`` (the warning level)."""
        return _table(self.school_ids, self.school_names, self.zone_of_school, self.years, self.school_intake,
                      self.school_pupils, self.school_classes, self.seats, "school_id")

    @cached_property
    def zones(self) -> pd.DataFrame:
        """One row per zone and year, the schools of each zone summed (columns as :attr:`schools`, ``zone``
        first)."""
        zones, inverse = np.unique(self.zone_of_school.astype(str), return_inverse=True)

        def by_zone(a: np.ndarray) -> np.ndarray:
            out = np.zeros((len(zones), a.shape[1]), dtype=a.dtype)
            np.add.at(out, inverse, a)
            return out

        return _table(zones, zones, zones, self.years, {v: by_zone(a) for v, a in self.school_intake.items()},
                      {v: by_zone(a) for v, a in self.school_pupils.items()},
                      {v: by_zone(a) for v, a in self.school_classes.items()}, by_zone(self.seats), "zone")

    @cached_property
    def compounds(self) -> pd.DataFrame:
        """One row per compound (and planned housing) and year: ``compound_id``, ``year``, ``school_id``,
        ``intake``, ``enrolment``, ``enrolment_low``, ``enrolment_high``."""
        n, k = self.labels.shape
        school = np.where(self.labels >= 0, self.school_ids[np.clip(self.labels, 0, None)], "")
        return pd.DataFrame({
            "compound_id": np.repeat(self.compound_ids, k), "year": np.tile(self.years, n),
            "school_id": school.ravel(), "intake": self.intake["central"].ravel(),
            "enrolment": self.pupils["central"].ravel(), "enrolment_low": self.pupils["low"].ravel(),
            "enrolment_high": self.pupils["high"].ravel()})

    @cached_property
    def warnings(self) -> pd.DataFrame:
        """The school-years that warn: every level but green, worst first, then by year."""
        s = self.schools
        order = {name: i for i, name in enumerate(LEVEL_NAMES)}
        w = s[s["level"] != "green"].copy()
        w["_rank"] = w["level"].map(order)
        return w.sort_values(["_rank", "year", "school_id"], ascending=[False, True, True]).drop(columns="_rank") \
            .reset_index(drop=True)

    @cached_property
    def district(self) -> pd.DataFrame:
        """The district per year: ``year``, ``intake``, ``enrolment`` (with ``_low`` / ``_high``), ``seats``,
        ``shortage`` (pupils over seats, summed over short schools) and ``idle`` (seats unused)."""
        p = self.school_pupils["central"]
        return pd.DataFrame({
            "year": self.years, "intake": self.school_intake["central"].sum(axis=0),
            "enrolment": p.sum(axis=0), "enrolment_low": self.school_pupils["low"].sum(axis=0),
            "enrolment_high": self.school_pupils["high"].sum(axis=0), "seats": self.seats.sum(axis=0),
            "shortage": np.clip(p - self.seats, 0, None).sum(axis=0),
            "idle": np.clip(self.seats - p, 0, None).sum(axis=0)})


def _table(ids, names, zones, years, intake, pupils, classes, seats, id_name: str) -> pd.DataFrame:
    s, k = seats.shape
    c = pupils["central"]
    util = np.divide(c, seats, out=np.full(c.shape, np.nan), where=seats > 0)
    frame = {id_name: np.repeat(np.asarray(ids), k)}
    if id_name != "zone":
        frame |= {"name": np.repeat(np.asarray(names), k), "zone": np.repeat(np.asarray(zones), k)}
    frame |= {"year": np.tile(years, s), "intake": np.round(intake["central"], 1).ravel(),
              "enrolment": np.round(c, 1).ravel(), "enrolment_low": np.round(pupils["low"], 1).ravel(),
              "enrolment_high": np.round(pupils["high"], 1).ravel(), "classes": classes["central"].ravel(),
              "seats": seats.ravel(), "surplus": np.round(seats - c, 1).ravel(),
              "utilisation": np.round(util, 4).ravel(), "level": warning_level(c, seats).ravel()}
    return pd.DataFrame(frame)


def housing_additions(n_existing: int, households: np.ndarray, delivery: np.ndarray, yield_per_100: np.ndarray,
                      level: str, base_year: int, horizon: int) -> np.ndarray:
    """The children new housing brings, by age, in its delivery year: a ``(K + 1, n, 16)`` array.

    ``households x yield / 100`` pupils of the level, spread evenly over the level's school years (6 primary,
    3 junior) and, at the same density per year of age, over every age 0-15: a new compound brings
    preschool children and the other level's too.

    Parameters
    ----------
    n_existing : int
        Compounds before the housing rows (their additions are zero).
    households, delivery, yield_per_100 : ndarray
        Per planned housing row.
    level : str
        The level the yield counts.
    base_year, horizon : int
        The forecast's years.

    Returns
    -------
    ndarray
        Rows ``n_existing:`` hold the housing; deliveries before ``base_year + 1`` arrive in year 1 (their
        children are not in the base counts); after the horizon, never.
    """
    m = len(households)
    out = np.zeros((horizon + 1, n_existing + m, CARRIED))
    if m == 0:
        return out
    per_age_ = np.asarray(households, dtype=float) * np.asarray(yield_per_100, dtype=float) / 100.0 / GRADES[level]
    k = np.clip(np.asarray(delivery, dtype=int) - base_year, 1, horizon + 1)
    rows = n_existing + np.flatnonzero(k <= horizon)
    out[k[k <= horizon], rows, :] = per_age_[k <= horizon, None]
    return out


def _labels_by_year(compound_ids: np.ndarray, start: np.ndarray, school_ids: list[str], events: Sequence[Event],
                    base_year: int, horizon: int) -> np.ndarray:
    """Each compound's school index in each year (base included), events applied in year order."""
    index = pd.Index(compound_ids.astype(str))  # a hash lookup of the compounds events move
    pos = {s: i for i, s in enumerate(school_ids)}
    labels = np.repeat(start[None, :], horizon + 1, axis=0)  # (K + 1, n)
    for e in sorted(events, key=lambda e: e.year):
        k = max(int(e.year) - base_year, 0)
        if k > horizon:
            continue
        if e.kind in ("open", "rezone"):
            rows = index.get_indexer(list(e.compounds))
            rows = rows[rows >= 0]  # ids the inputs do not have move nothing
            labels[k:, rows] = pos[e.school]
        elif e.kind in ("close", "merge"):
            moved = labels[k] == pos[e.school]
            labels[k:, moved] = pos[e.target] if e.target else -1
    return labels


def _seats_by_year(seats: np.ndarray, school_ids: list[str], events: Sequence[Event], base_year: int,
                   horizon: int, opened: set[str]) -> np.ndarray:
    pos = {s: i for i, s in enumerate(school_ids)}
    out = np.repeat(seats.astype(np.int64)[:, None], horizon + 1, axis=1)
    out[[pos[s] for s in opened], :] = 0  # a school opened by an event has no seats before it opens
    for e in sorted(events, key=lambda e: e.year):
        k = max(int(e.year) - base_year, 0)
        if k > horizon:
            continue
        i = pos[e.school]
        if e.kind in ("open", "capacity"):
            out[i, k:] = int(e.seats)
        elif e.kind == "merge":
            out[pos[e.target], k:] += out[i, k:]
            out[i, k:] = 0
        elif e.kind == "close":
            out[i, k:] = 0
    return out


def _sum_by_label(values: np.ndarray, labels: np.ndarray, n_schools: int) -> np.ndarray:
    """Rows of ``values`` summed per school, each year with its own labels.

    Parameters
    ----------
    values : ndarray
        ``(n, A)`` the same in every year, or ``(K, n, A)`` one per year.
    labels : ndarray
        ``(K, n)`` school indices (-1: none).
    n_schools : int
        S.

    Returns
    -------
    ndarray
        ``(K, S, A)``.
    """
    from scipy import sparse  # kept lazy: scipy.sparse is a 0.1 s import the tables never need

    k_years, n = labels.shape
    width = values.shape[-1]
    out = np.zeros((k_years, n_schools, width))
    onehot = None
    for k in range(k_years):  # one sparse product a year; a year with the same labels reuses the matrix
        same = onehot is not None and np.array_equal(labels[k], labels[k - 1])
        if same and values.ndim == 2:
            out[k] = out[k - 1]
            continue
        if not same:
            ok = labels[k] >= 0
            onehot = sparse.csr_matrix((np.ones(int(ok.sum())), (labels[k][ok], np.flatnonzero(ok))),
                                       shape=(n_schools, n))
        out[k] = onehot @ (values if values.ndim == 2 else values[k])
    return out


def calibration(history: pd.DataFrame, level: str, base_year: int, modelled: np.ndarray,
                school_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per-school factors that make the base year's modelled enrolment equal the recorded one.

    Method: a school's factor is its pupils of the level's grades in the enrolment history's ``base_year``
    (summed over grades) over the pupils the forecast gives it in the base year (its compounds' children of the
    grades' ages times the enrolment share, under the plan's labels). The factor multiplies the enrolment share of
    the school's compounds, so every later year carries the school's own ratio of attending to resident children
    (private schools, children zoned elsewhere, counts that miss 人户分离). A school the history does not give for
    that year, or with no modelled pupils, keeps factor 1.

    Parameters
    ----------
    history : DataFrame
        ``school_id``, ``year``, ``grade``, ``students``.
    level : str
        "primary" (grades 1-6) or "junior" (7-9).
    base_year : int
        The year the ages were counted in.
    modelled : ndarray
        ``(S,)`` the forecast's base-year pupils per school.
    school_ids : sequence of str
        ``(S,)``.

    Returns
    -------
    factors : ndarray
        ``(S,)``.
    calibrated : ndarray
        ``(S,)`` bool: the schools given a factor from the history.
    """
    first, grades = FIRST_GRADE[level], GRADES[level]
    h = history[(history["year"] == base_year) & (history["grade"] >= first) & (history["grade"] < first + grades)]
    recorded = h.groupby(h["school_id"].astype(str))["students"].sum()
    actual = pd.Series(list(school_ids), dtype=str).map(recorded).to_numpy(dtype=float)
    ok = np.isfinite(actual) & (np.asarray(modelled, dtype=float) > 0)
    factors = np.ones(len(school_ids))
    factors[ok] = actual[ok] / np.asarray(modelled, dtype=float)[ok]
    return factors, ok


def forecast(compound_ids: npt.ArrayLike, ages: npt.ArrayLike, labels: Mapping[str, str] | Sequence[str],
             schools: pd.DataFrame, params: ForecastParams, *, housing: pd.DataFrame | None = None,
             history: pd.DataFrame | None = None, events: Sequence[Event] = (),
             zones: Mapping[str, str] | None = None, share: npt.ArrayLike | None = None) -> Forecast:
    """Forecast intake, enrolment, classes and seat warnings per compound, school and zone, year by year.

    Parameters
    ----------
    compound_ids : array-like
        ``(n,)`` compound ids.
    ages : array-like
        ``(n, 15)`` children by single year of age 0-14, counted on ``params.count_date`` of ``params.base_year``.
    labels : mapping or sequence
        Each compound's school id under the plan (a mapping compound -> school, e.g. from a
        :class:`~geo.zoning.result.ZoningResult`'s ``assignments``, or one id per compound); compounds with no
        school are left out of the school figures.
    schools : DataFrame
        ``school_id``, ``seats`` (or ``capacity``) and optionally ``name``: the schools of the level.
    params : ForecastParams
        The settings.
    housing : DataFrame, optional
        Planned housing: ``housing_id``, ``households``, ``year`` (delivery), ``school_id`` and optionally
        ``yield_per_100``. Each row is forecast as a compound of its own.
    history : DataFrame, optional
        Enrolment by grade (``school_id``, ``year``, ``grade``, ``students``): grade-progression ratios.
    events : sequence of Event
        Dated changes (openings, capacity changes, closures, mergers, rezonings).
    zones : mapping, optional
        School id -> zone (default: each school its own zone).
    share : array-like, optional
        Per compound enrolment share (default ``params.share``).

    Returns
    -------
    Forecast

    Raises
    ------
    ValueError
        For ages of the wrong shape, negative counts, or an event naming an unknown school.
    """
    p = params
    cids = np.asarray(compound_ids).astype(str)
    a = np.asarray(ages, dtype=float)
    if a.shape != (len(cids), AGES):
        raise ValueError(f"ages must have shape ({len(cids)}, {AGES}), not {a.shape}")
    if not np.isfinite(a).all() or (a < 0).any():
        raise ValueError("ages must be finite counts, not negative")
    seats_col = "seats" if "seats" in schools else "capacity"
    sids = schools["school_id"].astype(str).tolist()
    names = (schools["name"] if "name" in schools else schools["school_id"]).astype(str).tolist()
    seats = schools[seats_col].fillna(0).to_numpy(dtype=np.int64)
    opened = set()
    for e in events:  # schools an event opens join the table
        for s in (e.school, e.target):
            if s and s not in sids:
                if e.kind != "open" or s != e.school:
                    raise ValueError(f"event {e.kind} in {e.year} names an unknown school {s!r}")
                sids.append(s)
                names.append(e.name or s)
                seats = np.append(seats, 0)
                opened.add(s)
    h = housing if housing is not None else pd.DataFrame(columns=["housing_id", "households", "year", "school_id"])
    m = len(h)
    all_ids = np.concatenate([cids, h["housing_id"].astype(str).to_numpy()])
    if isinstance(labels, Mapping):
        given = pd.Series(cids).map(labels)
    else:
        given = pd.Series(list(labels), dtype=object)
        if len(given) != len(cids):
            raise ValueError("labels: one school id per compound")
    keys = pd.concat([given.reset_index(drop=True), h["school_id"].reset_index(drop=True)], ignore_index=True)
    keys = keys.astype(object)
    present = keys.notna()
    keys[present] = keys[present].astype(str)
    start = keys.map(pd.Series(np.arange(len(sids)), index=sids)).fillna(-1).to_numpy(dtype=np.int64)
    yields = (h["yield_per_100"].fillna(p.yield_per_100 or YIELD_PER_100[p.level]).to_numpy(dtype=float)
              if "yield_per_100" in h else np.full(m, p.yield_per_100 or YIELD_PER_100[p.level]))
    adds = housing_additions(0, h["households"].to_numpy(dtype=float), h["year"].to_numpy(dtype=int),
                             yields, p.level, p.base_year, p.horizon) if m else None

    notes: list[tuple[str, dict]] = []
    prog = spread_prog = None
    if history is not None and len(history):
        prog, spread_prog, pairs = progression_ratios(history, p.level, p.window)
        if pairs:
            notes.append(("forecast.note.progression", {"pairs": pairs, "ratios": ", ".join(f"{r:.3f}" for r in prog)}))
        else:
            prog = spread_prog = None
    s_mid = per_age(p.survival, "survival")
    s_spread = per_age(SURVIVAL_SPREAD if p.survival_spread is None else p.survival_spread, "survival_spread")
    trend = np.broadcast_to(np.asarray(p.birth_trend, dtype=float), (p.horizon,))
    g = entry_mix(p.cutoff, p.count_date)
    share_c = np.broadcast_to(np.asarray(p.share if share is None else share, dtype=float), (len(cids),))
    weighted = a * share_c[:, None]  # (n, 15): the projection is linear in the counts, the share a factor

    if p.calibrate and history is not None and len(history):
        # The base year's pupils per school as the forecast gives them: each child of age a counts base[a].
        base = enrolment(project(np.eye(AGES), 0), p.level, g, 1.0)[0].sum(axis=1)  # (15,)
        own = start[: len(cids)]
        modelled = np.bincount(own[own >= 0], (weighted @ base)[own >= 0], minlength=len(sids))
        factors, done = calibration(history, p.level, p.base_year, modelled, sids)
        if done.any():
            share_c = share_c * np.where(own >= 0, factors[np.clip(own, 0, None)], 1.0)
            weighted = a * share_c[:, None]
            notes.append(("forecast.note.calibrated", {"schools": int(done.sum()), "year": p.base_year,
                                                       "low": round(float(factors[done].min()), 2),
                                                       "high": round(float(factors[done].max()), 2)}))
        else:
            notes.append(("forecast.note.not_calibrated", {"year": p.base_year}))
    all_labels = _labels_by_year(all_ids, start, sids, events, p.base_year, p.horizon)[1:]  # (K, N)
    seats_y = _seats_by_year(seats, sids, events, p.base_year, p.horizon, opened)[:, 1:]
    n_s, n = len(sids), len(cids)
    # Each year's children by age summed per school (the same in every variant): (K, S, 15).
    by_school = _sum_by_label(weighted, all_labels[:, :n], n_s)
    intake, pupils, school_intake, school_pupils, school_classes = {}, {}, {}, {}, {}
    for sign, variant in zip((-1, 0, 1), VARIANTS, strict=True):
        surv = np.clip(s_mid + sign * s_spread, 0, None)
        births = trend * (1 + sign * p.birth_spread)
        ratios = None if prog is None else np.clip(prog + sign * (spread_prog if spread_prog is not None else 0),
                                                   0, None)
        # One child of each age 0-14, projected: the response of every grade in every year to each age's count.
        response = enrolment(project(np.eye(AGES), p.horizon, surv, births), p.level, g, 1.0, ratios, surv)[1:]
        intake_c = weighted @ response[:, :, 0].T  # (n, K)
        pupils_c = weighted @ response.sum(axis=2).T
        per_grade = np.einsum("ksa,kag->skg", by_school, response)  # (S, K, G)
        if m:
            assert adds is not None
            grades_h = enrolment(project(np.zeros((m, AGES)), p.horizon, surv, births, adds), p.level, g,
                                 float(p.share), ratios, surv, adds)[1:]  # (K, m, G)
            intake_c = np.concatenate([intake_c, grades_h[:, :, 0].T])
            pupils_c = np.concatenate([pupils_c, grades_h.sum(axis=2).T])
            per_grade += _sum_by_label(grades_h, all_labels[:, n:], n_s).transpose(1, 0, 2)
        intake[variant], pupils[variant] = intake_c, pupils_c
        school_intake[variant] = per_grade[:, :, 0]
        school_pupils[variant] = per_grade.sum(axis=2)
        school_classes[variant] = classes_needed(per_grade, p.level, p.class_size)
    zone_of = np.array([str((zones or {}).get(s, s)) for s in sids], dtype=object)
    unzoned = int((start[: len(cids)] < 0).sum())
    if unzoned:  # compounds the plan gives no school (or a school not in the table): left out of the school figures
        notes.append(("forecast.note.unzoned", {"count": unzoned}))
    notes.append(("forecast.note.entry", {"cutoff": p.cutoff, "count": p.count_date, "mix": round(g, 3),
                                          "grade": FIRST_GRADE[p.level],
                                          "size": p.class_size or CLASS_SIZE[p.level]}))
    return Forecast(params=p, years=p.base_year + np.arange(1, p.horizon + 1), compound_ids=all_ids,
                    intake=intake, pupils=pupils, labels=all_labels.T, school_ids=np.asarray(sids, dtype=object),
                    school_names=np.asarray(names, dtype=object), school_intake=school_intake,
                    school_pupils=school_pupils, school_classes=school_classes, seats=seats_y,
                    zone_of_school=zone_of, progression=prog, progression_spread=spread_prog, notes=tuple(notes))


def labels_from_result(result: Any) -> dict[str, str]:
    """A plan's compound -> school mapping, from a :class:`~geo.zoning.result.ZoningResult` (its
    ``assignments``; a stored plan's result, or an editor's) or an assignments table.

    Parameters
    ----------
    result : ZoningResult or DataFrame
        Anything with ``compound_id`` and ``school_id`` (in ``.assignments`` or itself).

    Returns
    -------
    dict
    """
    a = getattr(result, "assignments", result)
    ok = a["school_id"].notna()
    return dict(zip(a.loc[ok, "compound_id"].astype(str), a.loc[ok, "school_id"].astype(str), strict=True))


def compare_plans(a: Forecast, b: Forecast) -> pd.DataFrame:
    """Two forecasts of the same children under two plans, year by year.

    Parameters
    ----------
    a, b : Forecast
        Same compounds and years (two plans, or a plan with and without its events).

    Returns
    -------
    DataFrame
        One row per year: ``short_schools_a`` / ``_b`` (schools with more pupils than seats),
        ``shortage_a`` / ``_b`` (pupils over seats), ``idle_a`` / ``_b`` (seats unused), and ``moved`` (pupils
        whose school differs between the plans). A last row ``year = 0`` totals them; its short-schools
        columns count the shortage-years (school-years short).

    Raises
    ------
    ValueError
        If the forecasts' compounds or years differ.
    """
    if not (np.array_equal(a.years, b.years) and np.array_equal(a.compound_ids, b.compound_ids)):
        raise ValueError("the two forecasts must cover the same compounds and years")
    rows = {"year": a.years}
    for tag, f in (("a", a), ("b", b)):
        p = f.school_pupils["central"]
        rows[f"short_schools_{tag}"] = (p > f.seats + 1e-9).sum(axis=0)
        rows[f"shortage_{tag}"] = np.round(np.clip(p - f.seats, 0, None).sum(axis=0), 1)
        rows[f"idle_{tag}"] = np.round(np.clip(f.seats - p, 0, None).sum(axis=0), 1)
    sa = np.where(a.labels >= 0, a.school_ids[np.clip(a.labels, 0, None)], "")
    sb = np.where(b.labels >= 0, b.school_ids[np.clip(b.labels, 0, None)], "")
    rows["moved"] = np.round((a.pupils["central"] * (sa != sb)).sum(axis=0), 1)
    out = pd.DataFrame(rows)
    total = out.sum(numeric_only=True).to_frame().T
    total["year"] = 0
    return pd.concat([out, total], ignore_index=True)


run_forecast = forecast  # the public name in ``geo`` (``geo.forecast`` is this subpackage)
