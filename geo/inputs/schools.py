"""Schools: the normalised table, levels read from Chinese (or English) names, seats per level.

A schools table is a GeoDataFrame in WGS-84 with the columns ``school_id``, ``name``, ``level``
(``primary``, ``junior`` or ``nine_year``), ``capacity`` (seats), ``capacity_estimated`` and point
geometry; optional ``capacity_primary`` / ``capacity_junior`` split a nine-year school's seats, and any
other (resource) columns are kept as given.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.inputs.columns import check_lonlat, find_column, point_geometry, require_column, unique_ids, whole_numbers

PRIMARY = "primary"
JUNIOR = "junior"
NINE_YEAR = "nine_year"
# The level of a school whose name does not say it (中学, 学校): kept apart from zoning (Inputs.unleveled), until a
# zone list of a level names it.
UNLEVELED = "unleveled"
LEVELS = (PRIMARY, JUNIOR)
SCHOOL_LEVELS = (PRIMARY, JUNIOR, NINE_YEAR)
# Years of schooling per level (6 primary + 3 junior), used to split a nine-year school's seats.
YEARS = {PRIMARY: 6, JUNIOR: 3}
# Seats assumed where a school has no capacity: 36 classes of 45 (primary), 30 classes of 50 (junior),
# the standard class sizes of GB 50099-2011. Chinese defaults: data from elsewhere sets its own
# (load_inputs(default_seats=...), xuequ zones --default-seats; see apply_default_seats).
DEFAULT_CAPACITY = {PRIMARY: 1620, JUNIOR: 1500, NINE_YEAR: 2700}
# The most seats a school may have: China's largest compulsory-education schools have a few thousand
# pupils, so more is a typo or a misplaced column (and a 1e20 would overflow). Refused, naming the row.
MAX_SEATS = 20_000

# NCESSCH: the US school id (NCES); URN: the English one.
ID_ALIASES = ("school_id", "id", "学校编号", "编号", "osmid", "ncessch", "urn")
NAME_ALIASES = ("name", "school_name", "学校名称", "学校", "名称")
LEVEL_ALIASES = ("level", "学段", "school_level")
CAPACITY_ALIASES = ("capacity", "seats", "学位数", "学位", "招生规模")

_LEVEL_WORDS = {
    PRIMARY: {"primary", "小学", "p"},
    JUNIOR: {"junior", "初中", "初级中学", "j", "junior_secondary"},
    NINE_YEAR: {"nine_year", "九年一贯制", "九年制", "nine-year", "both"},
}
# A table's level cells in English (compared lower-case, spaces, hyphens and underscores as one space): US and UK
# words for the same levels. "High" / "high school" (senior secondary) is none of them.
_LEVEL_WORDS_EN = {
    PRIMARY: {"elementary", "elementary school", "primary school", "grade school", "es"},
    JUNIOR: {"middle", "middle school", "junior high", "junior high school", "intermediate", "intermediate school",
             "lower secondary", "ms", "jhs"},
    NINE_YEAR: {"k 8", "k8", "k 8 school", "elementary middle", "all through", "all through school"},
}
# Level words in English school names (whole words, any case): "Lincoln Elementary School" is a primary school,
# "Jefferson Middle School" and "Oak Junior High" junior ones; "Central High School" is neither.
_NAME_LEVEL_EN = (
    (NINE_YEAR, re.compile(r"\b(k\s*-?\s*8|all[- ]through)\b", re.I)),
    (PRIMARY, re.compile(r"\b(elementary|primary)\b", re.I)),
    (JUNIOR, re.compile(r"\b(middle|junior high|intermediate school)\b", re.I)),
)
_HIGH_EN = re.compile(r"\bhigh\b", re.I)
_JUNIOR_HIGH_EN = re.compile(r"\bjunior high\b", re.I)

# Names that are clearly not compulsory-education schools: skipped without a report.
_NOT_COMPULSORY = ("大学", "学院", "幼儿园", "培训", "职业", "技校", "中专", "高中", "高级中学", "党校", "驾校", "进修", "电大")


def classify_level(name: str) -> str | None:
    """The level a school name says, in Chinese or English.

    九年一贯制 / 九年制 -> nine_year; 小学 -> primary; 初中 / 初级中学 -> junior. In English (whole words, any
    case): K-8 / all-through -> nine_year; Elementary / Primary (School) -> primary; Middle (School) /
    Junior High / Intermediate School -> junior. A high school is none of them.

    Parameters
    ----------
    name : str
        The school's name.

    Returns
    -------
    str or None
        ``"primary"``, ``"junior"`` or ``"nine_year"``; ``None`` when the name does not say (中学, 学校).
    """
    name = str(name or "")
    if "九年一贯" in name or "九年制" in name:
        return NINE_YEAR
    if "小学" in name:
        return PRIMARY
    if "初中" in name or "初级中学" in name:
        return JUNIOR
    if name.isascii() and not (_HIGH_EN.search(name) and not _JUNIOR_HIGH_EN.search(name)):
        for level, rx in _NAME_LEVEL_EN:
            if rx.search(name):
                return level
    return None


def is_compulsory_candidate(name: str) -> bool:
    """Whether a school name may be a compulsory-education school.

    Parameters
    ----------
    name : str
        The school's name.

    Returns
    -------
    bool
        False for blank names and names that are plainly universities, kindergartens, training or senior
        schools (大学, 幼儿园, 培训, 高中...).
    """
    name = str(name or "")
    return bool(name) and not any(w in name for w in _NOT_COMPULSORY)


def parse_level(value: object) -> str | None:
    """A level as written in a table's level column (``primary``, 小学, 初中, 九年一贯制, ``both``...), or in
    English (``Elementary``, ``Primary School``, ``Middle School``, ``Junior High``, ``K-8``...; not ``High``).

    Parameters
    ----------
    value : object
        The cell.

    Returns
    -------
    str or None
        ``"primary"``, ``"junior"`` or ``"nine_year"``; ``None`` for anything else.
    """
    v = str(value).strip().lower()
    for level, words in _LEVEL_WORDS.items():
        if v in words:
            return level
    en = " ".join(re.split(r"[\s_\-/]+", v)).strip()
    for level, words in _LEVEL_WORDS_EN.items():
        if en in words:
            return level
    return None


def normalise_schools(gdf: gpd.GeoDataFrame, file: str) -> gpd.GeoDataFrame:
    """Check a user's schools table and return it in the normalised form.

    Columns are found by their aliases (:data:`ID_ALIASES`, :data:`NAME_ALIASES`, :data:`LEVEL_ALIASES`,
    :data:`CAPACITY_ALIASES`); missing ids are numbered ``S1, S2...``, missing seats take the level's
    :data:`DEFAULT_CAPACITY` (``capacity_estimated``). Other columns are kept.

    Parameters
    ----------
    gdf : GeoDataFrame
        The table as read (see :func:`geo.inputs.tables.read_table`).
    file : str
        The file name, for messages.

    Returns
    -------
    GeoDataFrame
        ``school_id`` (text), ``name``, ``level``, ``capacity``, ``capacity_estimated``, the other columns, and
        a point per school, WGS-84.

    Raises
    ------
    InputError
        Naming the file, row and field of the first problem: an empty table, a missing name or level column,
        an unknown level, a blank or repeated id, seats that are not a whole number or over
        :data:`MAX_SEATS`, a missing geometry or coordinates that are not longitudes/latitudes.
    """
    if len(gdf) == 0:
        raise InputError("err.empty", file=file, kind="@kind.schools")
    check_lonlat(gdf, file)
    name_col = require_column(gdf, NAME_ALIASES, file)
    id_col = find_column(gdf, ID_ALIASES)
    level_col = require_column(gdf, LEVEL_ALIASES, file)
    cap_col = find_column(gdf, CAPACITY_ALIASES)

    names = gdf[name_col].fillna("").astype(str).str.strip()
    ids = unique_ids(gdf[id_col] if id_col else pd.Series([f"S{i + 1}" for i in range(len(gdf))]), file,
                     id_col or "school_id")
    levels = gdf[level_col].map(parse_level)
    if levels.isna().any():
        i = int(np.flatnonzero(levels.isna().to_numpy())[0])
        raise InputError("err.bad_value", file=file, row=i + 1, field=level_col, value=gdf[level_col].iloc[i],
                         hint="@hint.level")
    if cap_col:
        capacity = whole_numbers(gdf[cap_col], file, cap_col, positive=True, allow_missing=True,
                                 maximum=MAX_SEATS, too_large="err.too_many_seats")
    else:
        capacity = pd.Series(pd.NA, index=gdf.index, dtype="Int64")
    estimated = capacity.isna().to_numpy()
    capacity = capacity.fillna(levels.map(DEFAULT_CAPACITY)).astype(np.int64)

    used = {name_col, level_col, gdf.geometry.name} | ({id_col} if id_col else set()) | ({cap_col} if cap_col else set())
    extra = [c for c in gdf.columns if c not in used and c not in ("school_id", "name", "level", "capacity")]
    out = gpd.GeoDataFrame(
        {"school_id": ids.to_numpy(), "name": names.to_numpy(), "level": levels.to_numpy(),
         "capacity": capacity.to_numpy(), "capacity_estimated": estimated},
        geometry=point_geometry(gdf, file).to_numpy(), crs=gdf.crs or "EPSG:4326",
    )
    for c in extra:
        out[c] = gdf[c].to_numpy()
    for level in LEVELS:
        col = f"capacity_{level}"
        if col in out:
            out[col] = whole_numbers(out[col], file, col, allow_missing=True, maximum=MAX_SEATS,
                                     too_large="err.too_many_seats")
    return out.to_crs("EPSG:4326")


def estimated_capacity_warning(schools: gpd.GeoDataFrame, file: str) -> tuple[str, dict] | None:
    """A warning naming the rows of a user's table whose seats were estimated.

    A row is named when it gives no capacity, and no ``capacity_<level>`` for each level the school admits.

    Parameters
    ----------
    schools : GeoDataFrame
        As :func:`normalise_schools` returns them.
    file : str
        The file name, for the message.

    Returns
    -------
    tuple or None
        ``("warn.capacity_estimated_rows", params)`` (the first 20 rows shown), else ``None``.
    """
    if "capacity_estimated" not in schools or len(schools) == 0:
        return None
    need = schools["capacity_estimated"].to_numpy(dtype=bool).copy()
    given = {lv: (pd.to_numeric(schools[f"capacity_{lv}"], errors="coerce").notna().to_numpy()
                  if f"capacity_{lv}" in schools else np.zeros(len(schools), bool)) for lv in LEVELS}
    level = schools["level"].to_numpy()
    covered = np.where(level == NINE_YEAR, given[PRIMARY] & given[JUNIOR],
                       np.where(level == PRIMARY, given[PRIMARY], given[JUNIOR]))
    rows = np.flatnonzero(need & ~covered) + 1
    if rows.size == 0:
        return None
    shown = ", ".join(map(str, rows[:20].tolist())) + (" …" if rows.size > 20 else "")
    return "warn.capacity_estimated_rows", {"file": file, "count": int(rows.size), "rows": shown,
                                            "primary": DEFAULT_CAPACITY[PRIMARY], "junior": DEFAULT_CAPACITY[JUNIOR],
                                            "nine_year": DEFAULT_CAPACITY[NINE_YEAR]}


def schools_from_osm(features: gpd.GeoDataFrame, keep_unleveled: bool = False
                     ) -> tuple[gpd.GeoDataFrame, list[tuple[str, dict]]]:
    """Schools from OSM ``amenity=school`` features, with the level read from the name.

    Names whose level is unclear (中学, 学校) are reported and left out of zoning, never guessed (kept with
    level :data:`UNLEVELED` when asked: a zone list of a level that names one says its level for that list);
    universities, kindergartens and the like are left out silently (:func:`is_compulsory_candidate`).

    Parameters
    ----------
    features : GeoDataFrame
        OSM features (see :func:`geo.inputs.osm.read_osm_features`).
    keep_unleveled : bool
        Keep the schools whose name does not say their level, with level :data:`UNLEVELED` and no seats
        (``capacity`` 0, estimated), for :class:`geo.inputs.model.Inputs` ``unleveled``.

    Returns
    -------
    schools : GeoDataFrame
        As :func:`normalise_schools` returns them (ids ``osm-<type>-<id>``), a point per school.
    warnings : list of (key, params)
        Ambiguous names, implausible ``capacity`` tags, estimated seats.
    """
    warnings: list[tuple[str, dict]] = []
    if len(features) == 0 or "name" not in features:
        return _empty_schools(), warnings
    f = features[features["name"].notna()].copy()
    f = f[f["name"].map(is_compulsory_candidate)]
    level = f["name"].map(classify_level)
    for name in sorted(set(f.loc[level.isna(), "name"])):
        warnings.append(("warn.ambiguous_school", {"name": name}))
    if keep_unleveled:
        level = level.fillna(UNLEVELED)
    f, level = f[level.notna()], level[level.notna()]
    if len(f) == 0:
        return _empty_schools(), warnings
    ids = [f"osm-{t}-{i}" for t, i in _osm_index(f)]
    cap = pd.to_numeric(f["capacity"], errors="coerce") if "capacity" in f else pd.Series(np.nan, index=f.index)
    odd = (cap > MAX_SEATS).to_numpy()
    for name, value in zip(f["name"].to_numpy()[odd], f["capacity"].to_numpy()[odd] if odd.any() else []):
        warnings.append(("warn.osm_capacity_implausible", {"name": str(name), "value": str(value), "limit": MAX_SEATS}))
    estimated = ~((cap > 0) & (cap <= MAX_SEATS))
    capacity = cap.where(~estimated, level.map(DEFAULT_CAPACITY)).fillna(0).round().astype(np.int64)
    told = estimated & (level != UNLEVELED)
    if told.any():
        warnings.append(("warn.capacity_estimated", {"count": int(told.sum()), "primary": DEFAULT_CAPACITY[PRIMARY],
                                                     "junior": DEFAULT_CAPACITY[JUNIOR]}))
    geom = f.geometry.where(f.geometry.geom_type == "Point", f.geometry.representative_point())
    out = gpd.GeoDataFrame(
        {"school_id": ids, "name": f["name"].astype(str).to_numpy(), "level": level.to_numpy(),
         "capacity": capacity.to_numpy(), "capacity_estimated": estimated.to_numpy()},
        geometry=geom.to_numpy(), crs=features.crs or "EPSG:4326",
    )
    return out.drop_duplicates("school_id").reset_index(drop=True), warnings


def default_seats(seats: int | dict | None = None) -> dict[str, int]:
    """The seats assumed per level where a school has no capacity.

    Parameters
    ----------
    seats : int or dict, optional
        One number for every level, or level -> seats for some; default (and for levels not given)
        :data:`DEFAULT_CAPACITY`, China's standard class sizes.

    Returns
    -------
    dict
        Level (``primary``, ``junior``, ``nine_year``) -> seats.

    Raises
    ------
    InputError
        ``err.bad_default_seats`` for a number that is not a whole number from 1 to :data:`MAX_SEATS`, or an
        unknown level.
    """
    given = {} if seats is None else dict(seats) if isinstance(seats, dict) else dict.fromkeys(SCHOOL_LEVELS, seats)
    out = dict(DEFAULT_CAPACITY)
    for level, value in given.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if level not in SCHOOL_LEVELS or not (np.isfinite(number) and number.is_integer() and 1 <= number <= MAX_SEATS):
            raise InputError("err.bad_default_seats", level=str(level), value=str(value), limit=MAX_SEATS)
        out[level] = int(number)
    return out


def apply_default_seats(schools: gpd.GeoDataFrame, warnings: list[tuple[str, dict]], seats: int | dict | None = None
                        ) -> tuple[gpd.GeoDataFrame, list[tuple[str, dict]]]:
    """Schools whose seats were estimated given the chosen default seats, and the warnings saying so.

    The estimated rows (``capacity_estimated``) take the default of their level; the seat-estimate warnings
    (``warn.capacity_estimated``, ``warn.capacity_estimated_rows``) name the numbers used, and when those are
    China's standard class sizes (no ``seats`` given) a note ``warn.default_seats_cn`` says so: data from
    elsewhere should set its own.

    Parameters
    ----------
    schools : GeoDataFrame
        As :func:`normalise_schools` or :func:`schools_from_osm` return them.
    warnings : list of (key, params)
        What loading them found.
    seats : int or dict, optional
        See :func:`default_seats`.

    Returns
    -------
    schools : GeoDataFrame
    warnings : list of (key, params)

    Raises
    ------
    InputError
        For a bad ``seats`` (:func:`default_seats`).
    """
    defaults = default_seats(seats)
    estimated = (schools["capacity_estimated"].to_numpy(dtype=bool) if "capacity_estimated" in schools
                 else np.zeros(len(schools), bool)) & schools["level"].isin(SCHOOL_LEVELS).to_numpy()
    if not estimated.any():
        return schools, warnings
    if seats is not None:
        schools = schools.copy()
        level = schools["level"].to_numpy()
        schools.loc[estimated, "capacity"] = [defaults[lv] for lv in level[estimated]]
    named = {"primary": defaults[PRIMARY], "junior": defaults[JUNIOR], "nine_year": defaults[NINE_YEAR]}
    warnings = [(k, {**p, **{f: v for f, v in named.items() if f in p}})
                if k in ("warn.capacity_estimated", "warn.capacity_estimated_rows") else (k, p) for k, p in warnings]
    if seats is None:
        warnings.append(("warn.default_seats_cn", named))
    return schools, warnings


def _osm_index(f: gpd.GeoDataFrame) -> list[tuple[str, object]]:
    idx = f.index
    if isinstance(idx, pd.MultiIndex):
        return [(str(a), b) for a, b in idx]
    return [("x", i) for i in idx]


def _empty_schools() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"school_id": [], "name": [], "level": [], "capacity": [], "capacity_estimated": []},
                            geometry=[], crs="EPSG:4326")


def schools_for_level(schools: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """The schools that admit a level (nine-year schools admit both), with their ``seats`` for it.

    Seats come from ``capacity_<level>`` where given, else ``capacity`` (a nine-year school's capacity
    is split 6:3 between primary and junior years).

    Parameters
    ----------
    schools : GeoDataFrame
        As :func:`normalise_schools` returns them.
    level : str
        ``"primary"`` or ``"junior"``.

    Returns
    -------
    GeoDataFrame
        A copy with a ``seats`` column (int64), reindexed from 0.

    Raises
    ------
    ValueError
        For another ``level``.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    sub = schools[(schools["level"] == level) | (schools["level"] == NINE_YEAR)].copy()
    seats = sub["capacity"].astype(float)
    nine = (sub["level"] == NINE_YEAR).to_numpy()
    seats[nine] = np.round(seats[nine] * YEARS[level] / sum(YEARS.values()))
    col = f"capacity_{level}"
    if col in sub:
        given = pd.to_numeric(sub[col], errors="coerce")
        seats = given.where(given.notna(), seats)
    sub["seats"] = seats.astype(np.int64)
    return sub.reset_index(drop=True)
