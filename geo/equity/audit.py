"""Resource equity between schools: the county audits' indicators and coefficients of variation, class sizes.

Pure functions over a schools table (a DataFrame, e.g. the normalised table of :mod:`geo.inputs.schools` with its
kept resource columns, or a plain CSV read with pandas). Every figure is computed from RAW columns (teachers,
square metres, yuan, rooms, students), never from typed-in ratios. Gini, Theil and Lorenz of the same
resources are in :mod:`geo.equity.inequality`.

**The 2017 audit** (教育部《县域义务教育优质均衡发展督导评估办法》, 教督〔2017〕6号) judges seven
indicators per school, per 100 students unless stated (primary / junior):

=================================================== ============== =========================
indicator (key)                                     raw column     standard
=================================================== ============== =========================
teachers above the required qualification per 100   qualified_teachers   >= 4.2 / 5.3
county-level-or-above backbone teachers per 100     backbone_teachers    >= 1 / 1
PE and art (music, fine art) teachers per 100       pe_art_teachers      >= 0.9 / 0.9
teaching and auxiliary floor area per student (m2)  floor_area_m2        >= 4.5 / 5.8
sports ground area per student (m2)                 sports_ground_m2     >= 7.5 / 10.2
teaching equipment value per student (yuan)         equipment_value_cny  >= 2,000 / 2,500
networked multimedia classrooms per 100             multimedia_rooms     >= 2.3 / 2.4
=================================================== ============== =========================

A school passes when at least 6 of the 7 meet their standard and the others reach at least 85 % of theirs.
Across the schools of a level each indicator's coefficient of variation (差异系数) must be <= 0.50 (primary)
and <= 0.45 (junior).

The 2012 basic-balance audit (《县域义务教育发展基本均衡督导评估暂行办法》, 2012) used eight other
indicators and judged their *composite* coefficient (综合差异系数, the mean of the eight coefficients):
<= 0.65 primary, <= 0.55 junior. Here it is applied to the mean of the seven 2017 coefficients (and, for
information, to each coefficient). Sources looked up (stored public pages, not the Ministry's own text): the
2017 figures (7 indicators, 6-of-7 and 85 % rule, CV <= 0.50 / 0.45) are restated by provincial rules, e.g.
the Hebei 《县域义务教育优质均衡发展督导评估具体办法》 (m.zixin.com.cn/doc/2278587.html) and
www.fudaoke.com/exam/3242393.html; the audits' worked example of the coefficient (five primary schools, books
per student, coefficient 0.52) is at m.777doc.com/doc-2019910.html, and 2012-era county tables of the eight
coefficients and their composite are at max.book118.com/html/2015/0816/23463879.shtm. The 2012 limits
0.65 / 0.55 themselves were NOT found in the stored pages; they are the commonly quoted figures and should
be checked against the 2012 Measures before being relied on.

**The coefficient of variation** is weighted by students, as in the audits: with enrolment p_i, P = sum p_i,
xbar = sum p_i x_i / P, CV = sqrt(sum p_i (x_i - xbar)^2 / P) / xbar.

**Nine-year schools** (level ``nine_year``) are split into a primary and a junior part, each judged by its
level's standards. Students come from ``students_primary`` / ``students_junior`` where given (one of them is
enough: the other is the rest), else the school's students are split by the years of schooling, 6:3. Any
other raw column ``X`` is split by ``X_primary`` / ``X_junior`` where given, else in proportion to the parts'
students, so both parts keep the school's per-student figure (with no split columns at all, every column is
split 6:3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.errors import InputError
from geo.inputs.columns import find_column
from geo.inputs.schools import (
    ID_ALIASES,
    JUNIOR,
    LEVEL_ALIASES,
    LEVELS,
    NAME_ALIASES,
    NINE_YEAR,
    PRIMARY,
    YEARS,
    parse_level,
)


@dataclass(frozen=True)
class Indicator:
    """One audit indicator: ``per`` x raw ``column`` / students, and its standard per level.

    Attributes
    ----------
    key : str
        The indicator's name, e.g. ``qualified_per100``.
    column : str
        The raw column (canonical name, see :data:`RAW_ALIASES`).
    per : float
        100 for a figure per 100 students, 1 per student.
    standard : dict of str to float
        Level (primary / junior) -> the 2017 standard.
    """

    key: str
    column: str
    per: float
    standard: dict[str, float]


INDICATORS: tuple[Indicator, ...] = (
    Indicator("qualified_per100", "qualified_teachers", 100.0, {PRIMARY: 4.2, JUNIOR: 5.3}),
    Indicator("backbone_per100", "backbone_teachers", 100.0, {PRIMARY: 1.0, JUNIOR: 1.0}),
    Indicator("pe_art_per100", "pe_art_teachers", 100.0, {PRIMARY: 0.9, JUNIOR: 0.9}),
    Indicator("floor_area_per_student", "floor_area_m2", 1.0, {PRIMARY: 4.5, JUNIOR: 5.8}),
    Indicator("sports_ground_per_student", "sports_ground_m2", 1.0, {PRIMARY: 7.5, JUNIOR: 10.2}),
    Indicator("equipment_per_student", "equipment_value_cny", 1.0, {PRIMARY: 2000.0, JUNIOR: 2500.0}),
    Indicator("multimedia_per100", "multimedia_rooms", 100.0, {PRIMARY: 2.3, JUNIOR: 2.4}),
)
INDICATOR_KEYS = tuple(i.key for i in INDICATORS)
BY_KEY = {i.key: i for i in INDICATORS}

# Raw columns: canonical English name first, then accepted aliases (Chinese included).
RAW_ALIASES: dict[str, tuple[str, ...]] = {
    "students": ("students", "在校生数", "学生数", "enrolment", "enrollment"),
    "qualified_teachers": ("qualified_teachers", "高于规定学历教师数", "高学历教师数"),
    "backbone_teachers": ("backbone_teachers", "县级以上骨干教师数", "骨干教师数"),
    "pe_art_teachers": ("pe_art_teachers", "体育艺术专任教师数", "音体美专任教师数", "音体美教师数"),
    "floor_area_m2": ("floor_area_m2", "教学及辅助用房面积", "教学及辅助用房面积_m2"),
    "sports_ground_m2": ("sports_ground_m2", "体育运动场馆面积", "运动场面积"),
    "equipment_value_cny": ("equipment_value_cny", "教学仪器设备值", "教学仪器设备值_元"),
    "multimedia_rooms": ("multimedia_rooms", "网络多媒体教室数", "多媒体教室数"),
    "classes": ("classes", "班级数", "班数"),
}
AUDIT_COLUMNS = ("students",) + tuple(i.column for i in INDICATORS)

# Coefficient-of-variation limits per standard and level.
CV_LIMITS = {"2017": {PRIMARY: 0.50, JUNIOR: 0.45}, "2012": {PRIMARY: 0.65, JUNIOR: 0.55}}
MIN_MET = 6          # of the 7 indicators, at least this many meet the standard ...
FLOOR_SHARE = 0.85   # ... and every other one reaches this share of its standard.
_EPS = 1e-9          # relative tolerance of ">= standard" and "<= limit" comparisons (float noise only)

# Class sizes (GB 50099-2011 standard sizes; 大班额 56-65, 超大班额 66 and above) and school sizes.
STANDARD_CLASS_SIZE = {PRIMARY: 45, JUNIOR: 50}
LARGE_CLASS, SUPER_LARGE_CLASS = 56, 66
MAX_SCHOOL_STUDENTS = {PRIMARY: 2000, JUNIOR: 2000, NINE_YEAR: 2500}


# --- reading the table ------------------------------------------------------------------------------------

def _numbers(df: pd.DataFrame, col: str, file: str, field: str) -> np.ndarray:
    """A column as floats (blank -> NaN); a negative or non-numeric cell raises naming its row."""
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    given = raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    bad = given & ~(num >= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("err.bad_value", file=file, row=i + 1, field=field, value=raw.iloc[i],
                         hint="@equity.hint.nonneg")
    return np.where(given, num, np.nan)


def _require(df: pd.DataFrame, col: str, file: str, need: str) -> str:
    """The name ``df`` gives raw column ``col`` (any alias); a missing one raises."""
    found = find_column(df, RAW_ALIASES[col])
    if found is None:
        raise InputError("equity.missing_column", file=file, field=col, aliases=", ".join(RAW_ALIASES[col]),
                         need=need)
    return found


def school_parts(schools: pd.DataFrame, columns: tuple[str, ...] = AUDIT_COLUMNS, *,
                 file: str = "schools") -> pd.DataFrame:
    """One row per school and level: primary and junior schools as they are, nine-year schools split in two.

    Parameters
    ----------
    schools : pandas.DataFrame
        The schools table: a level column and the raw ``columns`` (any alias of :data:`RAW_ALIASES`).
    columns : tuple of str
        The raw columns to keep (``students`` is always kept).
    file : str
        The table's name, for messages.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``name``, ``level`` (primary / junior), ``school_level`` (the school's own level),
        ``school_students`` (the whole school's), the raw ``columns`` (canonical names, floats; nine-year parts
        split as the module docstring says) and every other column of ``schools`` as given. Parts with no
        students are left out.

    Raises
    ------
    InputError
        If the level column (``err.missing_column``) or a raw column (``equity.missing_column``) is missing, or
        a level is unknown or a raw value blank, negative or not a number (``err.bad_value``).
    """
    df = pd.DataFrame(schools).reset_index(drop=True)
    columns = tuple(dict.fromkeys(("students",) + tuple(columns)))
    id_col = find_column(df, ("school_id",) + ID_ALIASES)
    name_col = find_column(df, NAME_ALIASES)
    level_col = find_column(df, LEVEL_ALIASES)
    if level_col is None:
        raise InputError("err.missing_column", file=file, field=LEVEL_ALIASES[0], aliases=", ".join(LEVEL_ALIASES))
    levels = df[level_col].map(parse_level)
    if levels.isna().any():
        i = int(np.flatnonzero(levels.isna().to_numpy())[0])
        raise InputError("err.bad_value", file=file, row=i + 1, field=level_col, value=df[level_col].iloc[i],
                         hint="@hint.level")
    levels = levels.to_numpy()
    ids = (df[id_col].astype(str).str.strip() if id_col else pd.Series([f"S{i + 1}" for i in range(len(df))]))
    names = df[name_col].astype(str) if name_col else ids
    found = {c: _require(df, c, file, f"@equity.need.{c}") for c in columns}
    total = {c: _numbers(df, found[c], file, found[c]) for c in columns}
    for c in columns:  # a blank cell is a missing number, not zero
        blank = np.isnan(total[c])
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise InputError("err.bad_value", file=file, row=i + 1, field=found[c], value="",
                             hint="@equity.hint.nonneg")

    nine = levels == NINE_YEAR
    part = {lv: _split(df, "students", total["students"], None, lv, file) for lv in LEVELS}
    share = {lv: np.divide(part[lv], total["students"], out=np.full(len(df), YEARS[lv] / sum(YEARS.values())),
                           where=total["students"] > 0) for lv in LEVELS}
    values = {lv: {c: part[lv] if c == "students" else _split(df, c, total[c], share[lv], lv, file)
                   for c in columns} for lv in LEVELS}

    used = {id_col, name_col, level_col} | set(found.values()) | {
        f"{c}_{lv}" for c in columns for lv in LEVELS}
    rest = [c for c in df.columns if c not in used and c not in ("school_id", "name", "level", "school_level",
                                                                 "school_students")]
    frames = []
    for lv in LEVELS:
        rows = np.flatnonzero((levels == lv) | nine)
        out = pd.DataFrame({"school_id": ids.to_numpy()[rows], "name": names.to_numpy()[rows], "level": lv,
                            "school_level": levels[rows], "school_students": total["students"][rows]})
        for c in columns:
            out[c] = np.where(nine[rows], values[lv][c][rows], total[c][rows])
        for c in rest:
            out[c] = df[c].to_numpy()[rows]
        out["_row"] = rows
        frames.append(out)
    parts = pd.concat(frames, ignore_index=True)
    parts = parts[parts["students"] > 0].sort_values(["_row", "level"], kind="stable")
    return parts.drop(columns="_row").reset_index(drop=True)


def _split(df: pd.DataFrame, col: str, total: np.ndarray, share: np.ndarray | None, level: str,
           file: str) -> np.ndarray:
    """The ``level`` part of a nine-year school's ``col``: given, the rest of the other part, or by ``share``."""
    other = JUNIOR if level == PRIMARY else PRIMARY
    own_col, other_col = f"{col}_{level}", f"{col}_{other}"
    default = total * (YEARS[level] / sum(YEARS.values()) if share is None else share)
    own = _numbers(df, own_col, file, own_col) if own_col in df else np.full(len(df), np.nan)
    oth = _numbers(df, other_col, file, other_col) if other_col in df else np.full(len(df), np.nan)
    return np.where(~np.isnan(own), own, np.where(~np.isnan(oth), np.maximum(total - oth, 0.0), default))


def part_values(schools: pd.DataFrame, column: str, level: str, *, file: str = "schools") -> np.ndarray:
    """For every row of ``schools``: its ``level`` part of a raw column. Used to write split columns explicitly.

    Parameters
    ----------
    schools : pandas.DataFrame
        The schools table, with a level column.
    column : str
        A raw column (canonical name).
    level : str
        ``primary`` or ``junior``.
    file : str
        The table's name, for messages.

    Returns
    -------
    numpy.ndarray
        The nine-year schools' ``level`` part (split as :func:`school_parts` does), the whole value for a
        one-level school of that level, 0 for a school of the other level.

    Raises
    ------
    InputError
        If ``students`` or ``column`` is missing, or a value is negative or not a number.
    """
    df = pd.DataFrame(schools).reset_index(drop=True)
    levels = df[find_column(df, LEVEL_ALIASES)].map(parse_level).to_numpy()
    s_col = _require(df, "students", file, "@equity.need.students")
    c_col = _require(df, column, file, f"@equity.need.{column}")
    students = _numbers(df, s_col, file, s_col)
    part_students = _split(df, "students", students, None, level, file)
    share = np.divide(part_students, students, out=np.full(len(df), YEARS[level] / sum(YEARS.values())),
                      where=students > 0)
    total = _numbers(df, c_col, file, c_col)
    split = part_students if column == "students" else _split(df, column, total, share, level, file)
    return np.where(levels == NINE_YEAR, split, np.where(levels == level, total, 0.0))


# --- per-school audit -----------------------------------------------------------------------------------

def indicator_values(parts: pd.DataFrame) -> pd.DataFrame:
    """The seven indicators of every school part.

    Parameters
    ----------
    parts : pandas.DataFrame
        :func:`school_parts`.

    Returns
    -------
    pandas.DataFrame
        One column per indicator key, aligned with ``parts``.
    """
    students = parts["students"].to_numpy(dtype=float)
    return pd.DataFrame({i.key: i.per * parts[i.column].to_numpy(dtype=float) / students for i in INDICATORS},
                        index=parts.index)


def standards(level: str) -> dict[str, float]:
    """The 2017 standard of every indicator.

    Parameters
    ----------
    level : str
        ``primary`` or ``junior``.

    Returns
    -------
    dict of str to float
        Indicator key -> standard.
    """
    return {i.key: i.standard[level] for i in INDICATORS}


def audit_schools(schools: pd.DataFrame, *, file: str = "schools") -> pd.DataFrame:
    """The 2017 audit of every school part.

    Parameters
    ----------
    schools : pandas.DataFrame
        The schools table with the raw audit columns (:data:`AUDIT_COLUMNS`).
    file : str
        The table's name, for messages.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``name``, ``level``, ``school_level``, ``students``; per indicator its value (column
        named by the key), ``<key>_ratio`` (value / standard) and ``<key>_ok`` (meets the standard); ``met``
        (how many of 7 meet), ``lowest_ratio`` and ``passes`` (>= 6 met and every ratio >= 0.85).

    Raises
    ------
    InputError
        As :func:`school_parts`.
    """
    parts = school_parts(schools, file=file)
    vals = indicator_values(parts)
    out = parts[["school_id", "name", "level", "school_level", "students"]].copy()
    primary = (parts["level"] == PRIMARY).to_numpy()
    ratio_list = []
    for i in INDICATORS:
        std = np.where(primary, i.standard[PRIMARY], i.standard[JUNIOR])
        ratio = vals[i.key].to_numpy() / std
        out[i.key] = vals[i.key].to_numpy()
        out[f"{i.key}_ratio"] = ratio
        out[f"{i.key}_ok"] = ratio >= 1 - _EPS
        ratio_list.append(ratio)
    ratios = np.column_stack(ratio_list)
    out["met"] = (ratios >= 1 - _EPS).sum(axis=1)
    out["lowest_ratio"] = ratios.min(axis=1)
    out["passes"] = (out["met"].to_numpy() >= MIN_MET) & (out["lowest_ratio"].to_numpy() >= FLOOR_SHARE - _EPS)
    return out


# --- coefficient of variation -------------------------------------------------------------------------

def weighted_cv(values: npt.ArrayLike, weights: npt.ArrayLike) -> float:
    """Student-weighted coefficient of variation: sqrt(sum p (x - xbar)^2 / P) / xbar, xbar = sum p x / P.

    Parameters
    ----------
    values : array-like of float
        Each school's figure x.
    weights : array-like of float
        Each school's students p.

    Returns
    -------
    float
        The coefficient; NaN when there are no students or the mean is 0.
    """
    x, p = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    total = p.sum()
    if total <= 0:
        return float("nan")
    mean = (p * x).sum() / total
    if mean == 0:
        return float("nan")
    return float(np.sqrt((p * (x - mean) ** 2).sum() / total) / mean)


def cv_shares(values: npt.ArrayLike, weights: npt.ArrayLike) -> np.ndarray:
    """Each school's share of the weighted squared deviation sum p_i (x_i - xbar)^2.

    Parameters
    ----------
    values : array-like of float
        Each school's figure x.
    weights : array-like of float
        Each school's students p.

    Returns
    -------
    numpy.ndarray
        Shares summing to 1 (all 0 when there is no deviation or no students): the schools that pull the
        coefficient up most have the largest.
    """
    x, p = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    if p.sum() <= 0:
        return np.zeros(len(x))
    dev = p * (x - (p * x).sum() / p.sum()) ** 2
    s = dev.sum()
    return dev / s if s > 0 else np.zeros(len(x))


@dataclass(frozen=True)
class Balance:
    """The balance between the schools of one level (:func:`balance`).

    Attributes
    ----------
    level : str
        ``primary`` or ``junior``.
    table : pandas.DataFrame
        One row per indicator (index: key) with ``mean`` (student-weighted), ``cv``, ``limit_2017``,
        ``passes_2017``, ``limit_2012``, ``passes_2012``.
    shares : pandas.DataFrame
        One row per school part (``school_id``, ``name``, ``students`` and the indicator values) plus
        ``share_<key>``, its share of the weighted squared deviation (:func:`cv_shares`).
    composite_cv : float
        The mean of the coefficients (综合差异系数).
    passes_2017, passes_2012 : bool
        Every coefficient within its 2017 limit; the composite within the 2012 limit.
    """

    level: str
    table: pd.DataFrame
    shares: pd.DataFrame
    composite_cv: float
    passes_2017: bool
    passes_2012: bool

    def top(self, indicator: str, n: int = 3) -> pd.DataFrame:
        """The schools that pull an indicator's coefficient up most.

        Parameters
        ----------
        indicator : str
            An indicator key.
        n : int
            How many schools.

        Returns
        -------
        pandas.DataFrame
            ``school_id``, ``name``, ``students``, ``value``, ``share`` (of the squared deviation), ``mean`` (of
            the level) and ``above_mean``, largest share first.
        """
        s = self.shares.sort_values(f"share_{indicator}", ascending=False, kind="stable").head(n)
        out = s[["school_id", "name", "students", indicator, f"share_{indicator}"]].rename(
            columns={indicator: "value", f"share_{indicator}": "share"})
        out["mean"] = self.table.loc[indicator, "mean"]
        out["above_mean"] = out["value"] > out["mean"]
        return out.reset_index(drop=True)

    @property
    def worst(self) -> str:
        """The indicator whose coefficient is farthest above (or least below) its 2017 limit.

        Returns
        -------
        str
            An indicator key.
        """
        return str(self.table["cv"].div(self.table["limit_2017"]).idxmax())


def balance(schools: pd.DataFrame, level: str, *, file: str = "schools") -> Balance:
    """Coefficients of variation of the seven indicators across the schools of one level (nine-year parts in).

    Parameters
    ----------
    schools : pandas.DataFrame
        The schools table with the raw audit columns (:data:`AUDIT_COLUMNS`).
    level : str
        ``primary`` or ``junior``.
    file : str
        The table's name, for messages.

    Returns
    -------
    Balance

    Raises
    ------
    ValueError
        If ``level`` is not ``primary`` or ``junior``.
    InputError
        If no school has a part of that level, or as :func:`school_parts`.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    parts = school_parts(schools, file=file)
    parts = parts[parts["level"] == level].reset_index(drop=True)
    if len(parts) == 0:
        raise InputError("err.no_schools_level", level=f"@level.{level}")
    vals = indicator_values(parts)
    p = parts["students"].to_numpy(dtype=float)
    rows, shares = [], parts[["school_id", "name", "students"]].copy()
    for key in INDICATOR_KEYS:
        x = vals[key].to_numpy()
        cv = weighted_cv(x, p)
        rows.append({"indicator": key, "mean": float((p * x).sum() / p.sum()), "cv": cv,
                     "limit_2017": CV_LIMITS["2017"][level], "limit_2012": CV_LIMITS["2012"][level]})
        shares[key] = x
        shares[f"share_{key}"] = cv_shares(x, p)
    table = pd.DataFrame(rows).set_index("indicator")
    for std in ("2017", "2012"):
        table[f"passes_{std}"] = table["cv"] <= table[f"limit_{std}"] * (1 + _EPS)
    composite = float(table["cv"].mean())
    return Balance(level, table, shares, composite, bool(table["passes_2017"].all()),
                   bool(composite <= CV_LIMITS["2012"][level] * (1 + _EPS)))


# --- class and school sizes ------------------------------------------------------------------------------

BANDS = ("standard", "above_standard", "large", "super_large")


def class_sizes(schools: pd.DataFrame, *, file: str = "schools") -> pd.DataFrame:
    """Average class size of every school part and its band, and the whole school's size.

    Only the number of classes and students is known, so the band is that of the smallest possible largest
    class, ceil(students / classes): a part averaging 55.3 has at least one class of 56 (大班额).

    Parameters
    ----------
    schools : pandas.DataFrame
        The schools table with ``students`` and ``classes`` (any alias of :data:`RAW_ALIASES`).
    file : str
        The table's name, for messages.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``name``, ``level``, ``school_level``, ``students``, ``classes``, ``average_class_size``,
        ``largest_class_at_least``, ``standard_class_size`` (45 primary / 50 junior, GB 50099-2011),
        ``above_standard``, ``large`` (56-65, 大班额), ``super_large`` (66+, 超大班额), ``band`` (``standard`` /
        ``above_standard`` / ``large`` / ``super_large``), ``school_students``, ``school_size_limit`` (2,000;
        2,500 for nine-year schools) and ``oversized_school``.

    Raises
    ------
    InputError
        If a part has no classes (``equity.no_classes``), or as :func:`school_parts`.
    """
    parts = school_parts(schools, ("students", "classes"), file=file)
    students, classes = parts["students"].to_numpy(dtype=float), parts["classes"].to_numpy(dtype=float)
    if (classes <= 0).any():
        i = int(np.flatnonzero(classes <= 0)[0])
        raise InputError("equity.no_classes", file=file, school=parts["name"].iloc[i])
    avg = students / classes
    largest = np.ceil(avg - 1e-9)
    std = parts["level"].map(STANDARD_CLASS_SIZE).to_numpy()
    out = parts[["school_id", "name", "level", "school_level", "students", "classes"]].copy()
    out["average_class_size"] = avg
    out["largest_class_at_least"] = largest.astype(np.int64)
    out["standard_class_size"] = std
    out["above_standard"] = largest > std
    out["large"] = (largest >= LARGE_CLASS) & (largest < SUPER_LARGE_CLASS)
    out["super_large"] = largest >= SUPER_LARGE_CLASS
    out["band"] = np.select([out["super_large"], out["large"], out["above_standard"]],
                            ["super_large", "large", "above_standard"], "standard")
    out["school_students"] = parts["school_students"].to_numpy()
    out["school_size_limit"] = parts["school_level"].map(MAX_SCHOOL_STUDENTS).to_numpy()
    out["oversized_school"] = out["school_students"] > out["school_size_limit"]
    return out
