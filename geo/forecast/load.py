"""The forecast's tables as bureaus hold them, read through the same table readers as every other input
(:func:`geo.inputs.tables.read_plain_table`: CSV in UTF-8 / GBK / GB18030 / UTF-16, or XLSX) and checked row
by row, each bad row named.

- **Ages**: children by single year of age 0-14, one row per compound (``compound_id`` or its name) or per
  community (社区, joined to the compounds by a community column of the compounds table, and shared among its
  compounds in proportion to their children); age columns ``0``-``14``, ``0岁``-``14岁`` or ``age_0``-``age_14``.
- **Births**: births by year per compound or community (``year``, ``births``): the base year's age ``a`` is the
  births of ``base_year - a`` (counted at year end).
- **Enrolment history**: pupils by grade per school and year, long (``school_id``, ``year``, ``grade``,
  ``students``) or wide (a column per grade: ``1``-``9``, ``一年级``-``九年级``, ``grade_1``...).
- **Planned housing**: ``housing_id`` (or name), ``households``, ``year`` of delivery, and optionally
  ``yield_per_100`` (每百户学生数) or ``千人指标`` (pupils per 1,000 residents, x 2.62 persons a household / 10;
  每百户学生数 wins in a row giving both), ``school_id``, ``compound_id`` (an existing compound whose school it takes) or
  ``lon``/``lat`` (the school of the nearest compound).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.forecast.cohort import AGES
from geo.inputs.columns import LAT_ALIASES, LON_ALIASES, find_column, id_text, require_column, whole_numbers
from geo.inputs.demand import ID_ALIASES as COMPOUND_ID_ALIASES
from geo.inputs.demand import NAME_ALIASES as COMPOUND_NAME_ALIASES
from geo.inputs.mapping import apply_mapping, layout_key, recall_mapping, remember_mapping
from geo.inputs.schools import ID_ALIASES as SCHOOL_ID_ALIASES
from geo.inputs.schools import NAME_ALIASES as SCHOOL_NAME_ALIASES
from geo.inputs.tables import read_plain_table

COMMUNITY_ALIASES = ("community", "社区", "社区名称", "居委会", "村居")
YEAR_ALIASES = ("year", "年份", "年度", "学年", "统计年份")
BIRTH_ALIASES = ("births", "出生人口", "出生数", "出生人数")
GRADE_ALIASES = ("grade", "年级")
STUDENT_ALIASES = ("students", "pupils", "在校生数", "学生数", "人数", "enrolment")
HOUSEHOLD_ALIASES = ("households", "户数", "住户数", "套数", "dwellings")
YIELD_ALIASES = ("yield_per_100", "每百户学生数", "生源系数", "yield")
PER_1000_ALIASES = ("per_1000", "千人指标", "每千人学生数", "千人学生数")
HOUSEHOLD_SIZE = 2.62  # persons per household: 第七次全国人口普查公报 (2020), 平均每个家庭户的人口为2.62人
HOUSING_ID_ALIASES = ("housing_id", "项目编号", "编号", "id")
HOUSING_NAME_ALIASES = ("name", "项目名称", "名称", "小区名称")
DELIVERY_ALIASES = ("year", "delivery_year", "交付年份", "入住年份", "年份")
AGE_ALIASES = ("age", "年龄", "岁", "周岁")
SURVIVAL_ALIASES = ("survival", "retention", "ratio", "留存率", "留存比", "迁移留存比", "存活率")
SHARE_ALIASES = ("share", "enrolment_share", "公办就读比例", "公办入学比例", "入学比例", "就读比例")
MAX_COUNT = 100_000  # children of one age in one row, pupils of one grade: more is a district total or a typo
GRADE_WORDS = {w: i + 1 for i, w in enumerate("一二三四五六七八九")}


@dataclass(frozen=True)
class ForecastInputs:
    """What a forecast runs on, read from files.

    Attributes
    ----------
    compound_ids
        ``(n,)`` the compounds table's ids, in its order.
    ages
        ``(n, 15)`` children by age 0-14 (zeros where no row gave them).
    base_year
        The year the ages were counted in.
    history
        Enrolment by grade (``school_id``, ``year``, ``grade``, ``students``), or ``None``.
    housing
        Planned housing (``housing_id``, ``name``, ``households``, ``year``, ``yield_per_100``, ``school_id``,
        ``compound_id``, ``lon``, ``lat``), or ``None``.
    survival
        ``(15,)`` survival/migration ratio per age from a ratios table (:func:`read_ratios`), or ``None``.
    share
        ``(n,)`` enrolment share per compound from the ages table (:func:`read_shares`; NaN: the setting's), or
        ``None``.
    warnings
        ``(key, params)`` pairs.
    """

    compound_ids: np.ndarray
    ages: np.ndarray
    base_year: int
    history: pd.DataFrame | None = None
    housing: pd.DataFrame | None = None
    survival: np.ndarray | None = None
    share: np.ndarray | None = None
    warnings: tuple[tuple[str, dict], ...] = field(default=())


def _label(path: str | Path, name: str | None) -> str:
    return name or Path(path).name


def _read(path: str | Path, name: str | None, data: bytes | None, mapping: dict | None, kind: str) -> pd.DataFrame:
    """A table read, with its column mapping applied: the one given is remembered for the file's layout (its
    header), and a file of a remembered layout gets its mapping back (:mod:`geo.inputs.mapping`)."""
    df = read_plain_table(path, name=name, data=data)
    df.columns = [str(c).strip() for c in df.columns]
    key = layout_key(df.columns)
    if mapping:
        try:
            remember_mapping(key, mapping, kind="forecast_" + kind)
        except OSError:  # a cache folder that cannot be written: the mapping still applies this time
            pass
    else:
        remembered = recall_mapping(key)
        mapping = remembered if remembered and all(c in (None, "") or c in df.columns
                                                   for c in remembered.values()) else None
    return apply_mapping(df, mapping, _label(path, name)) if mapping else df


def age_columns(columns) -> dict[int, str]:
    """The columns holding each single year of age: ``0``-``14``, ``0岁``, ``age_0``, ``age0``, ``a0``.

    Parameters
    ----------
    columns : iterable of str

    Returns
    -------
    dict
        Age -> column, for the ages found.
    """
    found: dict[int, str] = {}
    for c in columns:
        m = re.fullmatch(r"(?:age_?|a)?(\d{1,2})(?:岁|周岁)?", str(c).strip().lower())
        if m and int(m.group(1)) < AGES and int(m.group(1)) not in found:
            found[int(m.group(1))] = str(c)
    return found


def _years(values: pd.Series, label: str, field: str) -> np.ndarray:
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(num) | (num < 1949) | (num > 2100) | (np.round(num) != num)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("err.bad_value", file=label, row=i + 1, field=field, value=str(values.iloc[i]),
                         hint="@hint.year")
    return num.astype(np.int64)


def _counts(values: pd.Series, label: str, field: str) -> np.ndarray:
    return whole_numbers(values, label, field, maximum=MAX_COUNT, too_large="err.forecast.too_many").to_numpy()


def _place_rows(keys: pd.Series, key_col: str, label: str, compounds: pd.DataFrame,
                communities: pd.Series | None) -> tuple[np.ndarray, np.ndarray]:
    """Which compounds each table row's counts go to, through its key: a compound id, a compound name, or a
    community shared among its compounds in proportion to their children. Returns the row of each (row,
    compound) pair and an ``(pairs, 2)`` array of the compound index and its weight."""
    ids = compounds["compound_id"].astype(str).to_numpy()
    names = compounds["name"].astype(str).to_numpy() if "name" in compounds else ids
    key = id_text(keys)
    blank = key.isna().to_numpy()
    if blank.any():
        i = int(np.flatnonzero(blank)[0])
        raise InputError("err.blank_id", file=label, row=i + 1, field=key_col)
    key = key.astype(str)
    if communities is not None and key_col.strip().lower() in {a.lower() for a in COMMUNITY_ALIASES}:
        comm = communities.astype(str).str.strip().to_numpy()
        children = compounds[[c for c in ("children_primary", "children_junior") if c in compounds]].sum(axis=1)
        weight = children.to_numpy(dtype=float)
        rows: list[int] = []
        cols: list[int] = []
        w: list[float] = []
        for i, k in enumerate(key):  # one row per community: a handful, not per compound
            members = np.flatnonzero(comm == k)
            if not len(members):
                raise InputError("err.forecast.unknown_place", file=label, row=i + 1, field=key_col, value=k)
            share = weight[members] / weight[members].sum() if weight[members].sum() > 0 else \
                np.full(len(members), 1 / len(members))
            rows += [i] * len(members)
            cols += members.tolist()
            w += share.tolist()
        return np.array(rows, dtype=np.int64), np.column_stack([np.array(cols, dtype=float), np.array(w)])
    by_id = pd.Series(np.arange(len(ids)), index=ids)
    pos = key.map(by_id)
    if pos.isna().any():  # not ids: compound names
        by_name = pd.Series(np.arange(len(names)), index=names)
        by_name = by_name[~by_name.index.duplicated()]
        pos = pos.fillna(key.map(by_name))
    if pos.isna().any():
        i = int(np.flatnonzero(pos.isna().to_numpy())[0])
        raise InputError("err.forecast.unknown_place", file=label, row=i + 1, field=key_col, value=key.iloc[i])
    return np.arange(len(key)), np.column_stack([pos.to_numpy(dtype=float), np.ones(len(key))])


def _spread(values: np.ndarray, rows: np.ndarray, cols_w: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, values.shape[1]))
    np.add.at(out, cols_w[:, 0].astype(np.int64), values[rows] * cols_w[:, 1:2])
    return out


def read_ages(path: str | Path, compounds: pd.DataFrame, *, communities: pd.Series | None = None,
              name: str | None = None, data: bytes | None = None, mapping: dict | None = None
              ) -> tuple[np.ndarray, int | None]:
    """Children by single year of age per compound, from a table per compound or per community (社区).

    Parameters
    ----------
    path : str or Path
        The table (CSV / XLSX).
    compounds : DataFrame
        The compounds (``compound_id``, ``name``, ``children_primary``, ``children_junior``).
    communities : Series, optional
        Each compound's community (aligned with ``compounds``), for a table per community.
    name, data : optional
        The file name and bytes of an upload.
    mapping : dict, optional
        Field -> column, for columns under other names.

    Returns
    -------
    ages : ndarray
        ``(n, 15)``; a compound no row names has zeros.
    year : int or None
        The table's ``year`` column's value, when it has one.

    Raises
    ------
    InputError
        No key column, no age column, a key naming no compound or community, a count that is not a whole
        number (each naming the file, row and column).
    """
    label = _label(path, name)
    df = _read(path, name, data, mapping, "ages")
    cols = age_columns(df.columns)
    if not cols:
        raise InputError("err.forecast.no_ages", file=label, columns=", ".join(map(str, df.columns[:12])))
    key_col = find_column(df, COMPOUND_ID_ALIASES) or find_column(df, COMMUNITY_ALIASES) or \
        require_column(df, COMPOUND_NAME_ALIASES + COMMUNITY_ALIASES, label)
    if key_col in [find_column(df, COMMUNITY_ALIASES)] and communities is None:
        raise InputError("err.forecast.no_community", file=label, field=key_col)
    values = np.zeros((len(df), AGES))
    for age, col in cols.items():
        values[:, age] = _counts(df[col], label, col)
    rows, cols_w = _place_rows(df[key_col], key_col, label, compounds, communities)
    year_col = find_column(df, YEAR_ALIASES)
    year = int(_years(df[year_col], label, year_col).max()) if year_col else None
    return _spread(values, rows, cols_w, len(compounds)), year


def read_shares(path: str | Path, compounds: pd.DataFrame, *, communities: pd.Series | None = None,
                name: str | None = None, data: bytes | None = None, mapping: dict | None = None
                ) -> np.ndarray | None:
    """The enrolment share per compound (the resident children who attend the public school they are zoned to),
    from an optional ``share`` (公办就读比例) column of the ages table; a community's share holds for each of its
    compounds.

    Parameters
    ----------
    path, compounds, communities, name, data, mapping
        As for :func:`read_ages`.

    Returns
    -------
    ndarray or None
        ``(n,)``, NaN where no row gives one; ``None`` when the table has no share column.

    Raises
    ------
    InputError
        A share that is not a number from 0 to 1.5 (naming the row), or a key naming no compound.
    """
    label = _label(path, name)
    df = _read(path, name, data, mapping, "ages")
    col = find_column(df, SHARE_ALIASES)
    if col is None:
        return None
    v = pd.to_numeric(df[col], errors="coerce")
    bad = (df[col].notna() & (v.isna() | (v < 0) | (v > 1.5))).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("err.bad_value", file=label, row=i + 1, field=col, value=str(df[col].iloc[i]),
                         hint="@hint.share")
    key_col = find_column(df, COMPOUND_ID_ALIASES) or find_column(df, COMMUNITY_ALIASES) or \
        require_column(df, COMPOUND_NAME_ALIASES + COMMUNITY_ALIASES, label)
    rows, cols_w = _place_rows(df[key_col], key_col, label, compounds, communities)
    out = np.full(len(compounds), np.nan)
    out[cols_w[:, 0].astype(np.int64)] = v.to_numpy(dtype=float)[rows]
    return out


def read_births(path: str | Path, compounds: pd.DataFrame, base_year: int, *, communities: pd.Series | None = None,
                name: str | None = None, data: bytes | None = None, mapping: dict | None = None) -> np.ndarray:
    """Children by age per compound from births by year: age ``a`` at the end of ``base_year`` is the births of
    ``base_year - a`` (no deaths or moves: give survival ratios to the forecast for those).

    Parameters
    ----------
    path, compounds, communities, name, data, mapping
        As for :func:`read_ages`; the table has a key column, ``year`` and ``births``.
    base_year : int
        The year the ages are wanted for.

    Returns
    -------
    ndarray
        ``(n, 15)``.

    Raises
    ------
    InputError
        As for :func:`read_ages`, and for a year that is not a year.
    """
    label = _label(path, name)
    df = _read(path, name, data, mapping, "births")
    year_col = require_column(df, YEAR_ALIASES, label)
    births_col = require_column(df, BIRTH_ALIASES, label)
    key_col = find_column(df, COMPOUND_ID_ALIASES) or find_column(df, COMMUNITY_ALIASES) or \
        require_column(df, COMPOUND_NAME_ALIASES + COMMUNITY_ALIASES, label)
    years = _years(df[year_col], label, year_col)
    births = _counts(df[births_col], label, births_col)
    age = base_year - years
    values = np.zeros((len(df), AGES))
    inside = (age >= 0) & (age < AGES)
    values[np.flatnonzero(inside), age[inside]] = births[inside]
    rows, cols_w = _place_rows(df[key_col], key_col, label, compounds, communities)
    return _spread(values, rows, cols_w, len(compounds))


def read_ratios(path: str | Path, *, name: str | None = None, data: bytes | None = None,
                mapping: dict | None = None) -> np.ndarray:
    """Survival/migration (retention) ratios per single year of age: the children of age ``a`` at a year's count
    over those of age ``a - 1`` a year before (movers in and out, deaths), as a bureau measures them from two
    years of household registration counts.

    Parameters
    ----------
    path, name, data, mapping
        As for :func:`read_ages`; the table has ``age`` (年龄, 1-14: the age reached) and ``survival`` (留存率).

    Returns
    -------
    ndarray
        ``(15,)``: element ``a`` moves age ``a - 1`` to ``a`` (element 0 unused); ages the table does not give: 1.

    Raises
    ------
    InputError
        No age or ratio column, an age not 1-14 or repeated, a ratio not between 0 and 2 (naming the row).
    """
    label = _label(path, name)
    df = _read(path, name, data, mapping, "ratios")
    age_col = require_column(df, AGE_ALIASES, label)
    r_col = require_column(df, SURVIVAL_ALIASES, label)
    age = pd.to_numeric(df[age_col].astype(str).str.replace("岁", "").str.strip(), errors="coerce")
    bad = (age.isna() | (age < 1) | (age >= AGES) | (age != age.round()) | age.duplicated()).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("err.bad_value", file=label, row=i + 1, field=age_col, value=str(df[age_col].iloc[i]),
                         hint="@hint.ratio_age")
    ratio = pd.to_numeric(df[r_col], errors="coerce")
    bad = (ratio.isna() | (ratio < 0) | (ratio > 2)).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("err.bad_value", file=label, row=i + 1, field=r_col, value=str(df[r_col].iloc[i]),
                         hint="@hint.ratio")
    out = np.ones(AGES)
    out[age.to_numpy(dtype=int)] = ratio.to_numpy(dtype=float)
    return out


def _grade_number(value: object) -> int | None:
    text = str(value).strip().lower().removeprefix("grade").removeprefix("_").strip()
    m = re.fullmatch(r"(\d)(?:年级)?", text)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"([一二三四五六七八九])年级", text) or re.fullmatch(r"(初[一二三])", text)
    if m:
        word = m.group(1)
        return {"初一": 7, "初二": 8, "初三": 9}.get(word) or GRADE_WORDS.get(word)
    return None


def read_history(path: str | Path, *, name: str | None = None, data: bytes | None = None,
                 mapping: dict | None = None, schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """Enrolment by grade per school and year, long or wide.

    Parameters
    ----------
    path, name, data, mapping
        As for :func:`read_ages`.
    schools : DataFrame, optional
        ``school_id`` and ``name``: a history keyed by school names is mapped to ids.

    Returns
    -------
    DataFrame
        ``school_id``, ``year``, ``grade`` (1-9), ``students``.

    Raises
    ------
    InputError
        No school, year or grade column, a grade that is not 1-9, a year or count that is not valid.
    """
    label = _label(path, name)
    df = _read(path, name, data, mapping, "history")
    key_col = find_column(df, SCHOOL_ID_ALIASES) or require_column(df, SCHOOL_NAME_ALIASES, label)
    year_col = require_column(df, YEAR_ALIASES, label)
    grade_col = find_column(df, GRADE_ALIASES)
    if grade_col is None:  # wide: a column per grade
        wide = {g: c for c in df.columns if c not in (key_col, year_col) and (g := _grade_number(c))}
        if not wide:
            require_column(df, GRADE_ALIASES, label)
        long = df.melt(id_vars=[key_col, year_col], value_vars=list(wide.values()), var_name="_grade",
                       value_name="students")
        long["grade"] = long["_grade"].map({c: g for g, c in wide.items()})
        long = long[long["students"].notna()].reset_index(drop=True)
        student_col = "students"
        rows_label = label
    else:
        long = df.copy()
        grades = long[grade_col].map(_grade_number)
        if grades.isna().any():
            i = int(np.flatnonzero(grades.isna().to_numpy())[0])
            raise InputError("err.bad_value", file=label, row=i + 1, field=grade_col, value=str(df[grade_col].iloc[i]),
                             hint="@hint.grade")
        long["grade"] = grades.astype(int)
        student_col = require_column(df, STUDENT_ALIASES, label)
        rows_label = label
    keys = id_text(long[key_col]).astype(str)
    if schools is not None and key_col.strip().lower() in {a.lower() for a in SCHOOL_NAME_ALIASES}:
        by_name = dict(zip(schools["name"].astype(str), schools["school_id"].astype(str), strict=False))
        keys = keys.map(lambda k: by_name.get(k, k))
    return pd.DataFrame({"school_id": keys.to_numpy(),
                         "year": _years(long[year_col], rows_label, year_col),
                         "grade": long["grade"].to_numpy(dtype=int),
                         "students": _counts(long[student_col], rows_label, student_col)})


def _housing_shapes(path: str | Path, name: str | None, data: bytes | None, mapping: dict | None) -> pd.DataFrame:
    """Planned compounds drawn as polygons (or points): their attributes, with ``lon`` / ``lat`` the
    representative point of each shape (WGS-84)."""
    from geo.inputs.tables import read_table  # the geometry reader

    gdf = read_table(path, name=name, data=data, coords="wgs84", mapping=mapping)
    pts = gdf.geometry.representative_point()
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    df.columns = [str(c).strip() for c in df.columns]
    df = df.drop(columns=[c for c in df.columns if c.lower() in {a.lower() for a in LON_ALIASES + LAT_ALIASES}])
    df["lon"] = pts.x.to_numpy()
    df["lat"] = pts.y.to_numpy()
    return df


def read_housing(path: str | Path, *, name: str | None = None, data: bytes | None = None,
                 mapping: dict | None = None) -> pd.DataFrame:
    """Planned housing: each row a new compound with its households and delivery year; a table (CSV / XLSX),
    or shapes (GeoJSON, GeoPackage, KML, zipped Shapefile: each polygon a planned compound, placed at its
    representative point).

    Parameters
    ----------
    path, name, data, mapping
        As for :func:`read_ages`.

    Returns
    -------
    DataFrame
        ``housing_id``, ``name``, ``households``, ``year``, ``yield_per_100`` (NaN: the default), and
        ``school_id``, ``compound_id``, ``lon``, ``lat`` where given (else NaN).

    Raises
    ------
    InputError
        No households or year column, a count, year or yield that is not valid, a repeated id.
    """
    label = _label(path, name)
    if label.lower().endswith((".geojson", ".json", ".gpkg", ".zip", ".kml", ".shp")):
        df = _housing_shapes(path, name, data, mapping)
    else:
        df = _read(path, name, data, mapping, "housing")
    hh_col = require_column(df, HOUSEHOLD_ALIASES, label)
    year_col = require_column(df, DELIVERY_ALIASES, label)
    id_col = find_column(df, HOUSING_ID_ALIASES)
    name_col = find_column(df, HOUSING_NAME_ALIASES)
    ids = id_text(df[id_col]).astype(str) if id_col else pd.Series([f"H{i + 1}" for i in range(len(df))])
    dup = ids.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError("err.duplicate_id", file=label, row=i + 1, value=ids.iloc[i])
    out = pd.DataFrame({"housing_id": ids.to_numpy(),
                        "name": (df[name_col].astype(str).str.strip() if name_col else ids).to_numpy(),
                        "households": whole_numbers(df[hh_col], label, hh_col, positive=True, maximum=MAX_COUNT,
                                                    too_large="err.forecast.too_many").to_numpy(),
                        "year": _years(df[year_col], label, year_col)})
    out["yield_per_100"] = np.nan
    # 每百户学生数 as given; else 千人指标 (pupils per 1,000 residents) x HOUSEHOLD_SIZE / 10 per 100 households.
    for yield_names, factor, limit in ((PER_1000_ALIASES, HOUSEHOLD_SIZE / 10, 500), (YIELD_ALIASES, 1.0, 200)):
        y_col = find_column(df, yield_names)
        if not y_col:
            continue
        y = pd.to_numeric(df[y_col], errors="coerce")
        bad = (df[y_col].notna() & (y.isna() | (y < 0) | (y > limit))).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError("err.bad_value", file=label, row=i + 1, field=y_col, value=str(df[y_col].iloc[i]),
                             hint="@hint.yield")
        given = (y * factor).to_numpy(dtype=float)
        out["yield_per_100"] = np.where(np.isfinite(given), given, out["yield_per_100"].to_numpy(dtype=float))
    for field_, aliases in (("school_id", SCHOOL_ID_ALIASES[:1] + ("学校编号", "学校")),
                            ("compound_id", ("compound_id", "小区编号")), ("lon", LON_ALIASES), ("lat", LAT_ALIASES)):
        col = find_column(df, aliases)
        if col is None:
            out[field_] = np.nan
        elif field_ in ("lon", "lat"):
            out[field_] = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        else:
            out[field_] = id_text(df[col]).to_numpy()
    return out


def place_housing(housing: pd.DataFrame, compound_ids: np.ndarray, compound_xy: np.ndarray | None,
                  labels: dict[str, str], file: str = "housing") -> pd.DataFrame:
    """Each planned compound's school: its own ``school_id``, else that of the ``compound_id`` it names, else
    that of the compound nearest its ``lon``/``lat``.

    Parameters
    ----------
    housing : DataFrame
        From :func:`read_housing`.
    compound_ids : ndarray
        The compounds' ids.
    compound_xy : ndarray, optional
        ``(n, 2)`` the compounds' longitudes and latitudes.
    labels : dict
        The plan: compound id -> school id.
    file : str
        For the message.

    Returns
    -------
    DataFrame
        ``housing`` with ``school_id`` filled.

    Raises
    ------
    InputError
        ``err.forecast.housing_unplaced`` for a row with none of the three.
    """
    out = housing.copy()
    school = out["school_id"].astype(object).where(out["school_id"].notna(), None)
    via_compound = out["compound_id"].map(lambda c: labels.get(str(c)) if pd.notna(c) else None)
    school = school.where(school.notna(), via_compound)
    need = school.isna().to_numpy() & out["lon"].notna().to_numpy() & out["lat"].notna().to_numpy()
    if need.any() and compound_xy is not None and len(compound_xy):
        xy = out.loc[need, ["lon", "lat"]].to_numpy(dtype=float)
        coslat = np.cos(np.radians(xy[:, 1:2]))
        d = ((compound_xy[None, :, 0] - xy[:, 0:1]) * coslat) ** 2 + (compound_xy[None, :, 1] - xy[:, 1:2]) ** 2
        nearest = compound_ids[np.argmin(d, axis=1)]
        school[need] = [labels.get(str(c)) for c in nearest]
    if school.isna().any():
        i = int(np.flatnonzero(school.isna().to_numpy())[0])
        raise InputError("err.forecast.housing_unplaced", file=file, row=i + 1, value=str(out["housing_id"].iloc[i]))
    out["school_id"] = school.astype(str).to_numpy()
    return out


def communities_of(path: str | Path, compound_ids: np.ndarray, *, name: str | None = None,
                   data: bytes | None = None, coords: str = "wgs84") -> pd.Series | None:
    """Each compound's community (社区), from the community column of the compounds file, when it has one.

    Parameters
    ----------
    path, name, data, coords
        The compounds file, as given to :func:`geo.inputs.load.load_inputs`.
    compound_ids : ndarray
        The loaded compounds' ids (the file's rows in order).

    Returns
    -------
    Series or None
        Aligned with ``compound_ids``; ``None`` when the file has no community column or does not match.
    """
    from geo.inputs.tables import read_table  # the geometry reader: only a community join needs it

    try:
        gdf = read_table(path, name=name, data=data, coords=coords)
    except InputError:
        return None
    col = find_column(gdf, COMMUNITY_ALIASES)
    if col is None or len(gdf) != len(compound_ids):
        return None
    return gdf[col].fillna("").astype(str).reset_index(drop=True)


COMMUNITY_NAME_ALIASES = COMMUNITY_ALIASES + ("name", "名称", "社区名")


def communities_in_polygons(compounds: pd.DataFrame, path: str | Path, *, name: str | None = None,
                            data: bytes | None = None, coords: str = "wgs84") -> pd.Series:
    """Each compound's community (社区) from community boundaries: the polygon its representative point lies in
    (a geopandas spatial join); ``""`` for a compound inside none. Where polygons overlap, the first in the file.

    Parameters
    ----------
    compounds : GeoDataFrame
        The loaded compounds (their geometry; WGS-84 unless a CRS says otherwise).
    path, name, data, coords
        The community boundaries (GeoJSON, GeoPackage, KML, zipped Shapefile), with a community column
        (``社区``, ``community``, ``name`` ...).

    Returns
    -------
    Series
        Aligned with ``compounds``.

    Raises
    ------
    InputError
        For a file that cannot be read, without polygons (``err.forecast.no_polygons``) or without a community
        column.
    """
    import geopandas as gpd

    from geo.inputs.tables import read_table  # the geometry reader

    label = _label(path, name)
    polys = read_table(path, name=name, data=data, coords=coords)
    col = require_column(polys, COMMUNITY_NAME_ALIASES, label)
    areal = polys.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not areal.any():
        raise InputError("err.forecast.no_polygons", file=label)
    polys = gpd.GeoDataFrame({"_community": polys[col].fillna("").astype(str).str.strip().to_numpy()[areal]},
                             geometry=polys.geometry.to_numpy()[areal], crs=polys.crs or "EPSG:4326")
    geom = getattr(compounds, "geometry", None)
    if geom is None or not len(compounds):
        return pd.Series([""] * len(compounds), dtype=object)
    points = gpd.GeoDataFrame({"_row": np.arange(len(compounds))}, geometry=geom.representative_point().to_numpy(),
                              crs=compounds.crs or "EPSG:4326").to_crs(polys.crs)
    joined = gpd.sjoin(points, polys, how="left", predicate="within")
    first = joined[~joined["_row"].duplicated()].sort_values("_row")  # one community a compound
    return pd.Series(first["_community"].fillna("").to_numpy(dtype=object), dtype=object)


def join_communities(by_name: pd.Series | None, by_polygon: pd.Series | None) -> pd.Series | None:
    """Each compound's community: the compounds table's community column where it names one, else the community
    polygon the compound lies in.

    Parameters
    ----------
    by_name : Series, optional
        From :func:`communities_of`.
    by_polygon : Series, optional
        From :func:`communities_in_polygons` (same length).

    Returns
    -------
    Series or None
        ``None`` when neither is given.
    """
    if by_polygon is None:
        return by_name
    if by_name is None:
        return by_polygon
    named = by_name.fillna("").astype(str).str.strip().reset_index(drop=True)
    return named.where(named != "", by_polygon.reset_index(drop=True))


FORECAST_TABLES = ("ages", "births", "history", "housing", "ratios")


def forecast_mappings(texts) -> dict[str, dict[str, str]]:
    """The forecast tables' column mappings from ``table.field=column`` texts (``xuequ forecast --map``, the
    page's mapping box), for :func:`load_forecast_inputs`' ``mappings``.

    Parameters
    ----------
    texts : iterable of str
        E.g. ``ages.compound_id=小区编号``; tables: ``FORECAST_TABLES``. Blank texts are skipped.

    Returns
    -------
    mappings : dict
        Table -> {field: column}.

    Raises
    ------
    InputError
        ``err.forecast.map_form`` for a text not of that form or naming another table.
    """
    out: dict[str, dict[str, str]] = {}
    for text in texts:
        if not str(text).strip():
            continue
        key, sep, column = str(text).partition("=")
        table, dot, name = key.strip().partition(".")
        if not (sep and dot and name.strip() and column.strip()) or table not in FORECAST_TABLES:
            raise InputError("err.forecast.map_form", value=str(text), tables=", ".join(FORECAST_TABLES))
        out.setdefault(table, {})[name.strip()] = column.strip()
    return out


def load_forecast_inputs(compounds: pd.DataFrame, *, ages: str | Path | None = None,
                         births: str | Path | None = None, history: str | Path | None = None,
                         housing: str | Path | None = None, ratios: str | Path | None = None,
                         base_year: int | None = None,
                         communities: pd.Series | None = None, schools: pd.DataFrame | None = None,
                         uploads: dict[str, tuple[str, bytes]] | None = None,
                         mappings: dict[str, dict] | None = None) -> ForecastInputs:
    """The forecast's tables read and checked against the compounds.

    Parameters
    ----------
    compounds : DataFrame
        The loaded compounds (:attr:`geo.inputs.model.Inputs.compounds`).
    ages, births : str or Path, optional
        Children by age, or births by year (one of them; ages win when both are given).
    history, housing : str or Path, optional
        Enrolment by grade per school; planned housing.
    ratios : str or Path, optional
        Survival/migration ratio per age (:func:`read_ratios`).
    base_year : int, optional
        The year the ages were counted in (default: the ages table's ``year`` column, else last year).
    communities : Series, optional
        Each compound's community (:func:`communities_of`), for tables per community.
    schools : DataFrame, optional
        ``school_id``, ``name``: a history keyed by school names.
    uploads : dict, optional
        ``{"ages" | "births" | "history" | "housing" | "ratios": (file name, bytes)}`` for uploaded files.
    mappings : dict, optional
        ``{"ages" | ...: {field: column}}``: columns under other names (remembered for the file's layout).

    Returns
    -------
    ForecastInputs

    Raises
    ------
    InputError
        For a table that fails a check (naming the file, row and column), or neither ages nor births
        (``err.forecast.no_children``).
    """
    import datetime

    up = uploads or {}
    warns: list[tuple[str, dict]] = []

    maps = mappings or {}

    def src(kind: str, path: str | Path | None) -> dict | None:
        if kind in up:
            return {"path": up[kind][0], "name": up[kind][0], "data": up[kind][1], "mapping": maps.get(kind)}
        return {"path": path, "mapping": maps.get(kind)} if path else None

    ids = compounds["compound_id"].astype(str).to_numpy()
    a_src, b_src = src("ages", ages), src("births", births)
    year_found = None
    shares = None
    if a_src is not None:
        p = a_src.pop("path")
        counts, year_found = read_ages(p, compounds, communities=communities, **a_src)
        shares = read_shares(p, compounds, communities=communities, **a_src)
    if base_year is None:
        base_year = year_found or datetime.date.today().year - 1
        if year_found is None:
            warns.append(("forecast.warn.base_year", {"year": base_year}))
    if a_src is None:
        if b_src is None:
            raise InputError("err.forecast.no_children")
        p = b_src.pop("path")
        counts = read_births(p, compounds, base_year, communities=communities, **b_src)
    h_src, g_src = src("history", history), src("housing", housing)
    hist = read_history(h_src.pop("path"), schools=schools, **h_src) if h_src else None
    plan = read_housing(g_src.pop("path"), **g_src) if g_src else None
    r_src = src("ratios", ratios)
    surv = read_ratios(r_src.pop("path"), **r_src) if r_src else None
    return ForecastInputs(compound_ids=ids, ages=counts, base_year=int(base_year), history=hist, housing=plan,
                          survival=surv, share=shares, warnings=tuple(warns))
