"""Street and school names: normalisation and matching against the names a network or table knows.

Pure functions on strings. A name is normalised (full/half-width, whitespace, quotes, English glosses,
province / city / district / 街道 prefixes, Arabic numerals to Chinese) and then matched:

- ``matched``: its normalised form is a network name's normalised form;
- ``loose``: a section suffix differs (``红星路`` vs ``红星路二段``), only the street type differs
  (``纯阳观`` vs ``纯阳观街``), one name is the other with a street before it
  (``东大街上东大街段`` vs ``上东大街段``), or a fuzzy match (rapidfuzz) that changes no direction or
  numeral character (``暑袜北一街`` vs ``署袜北一街``, but never ``天涯石南街`` vs ``天涯石北街``);
- ``unmatched``: none of these; the nearest candidates and their scores are still reported.

The place names stripped as prefixes (province, city, districts) are data, one file per city in
``geo/official/cities/`` (:func:`load_city`); the rules that use them are here. Chengdu's is the default.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, partial
from importlib import resources
from pathlib import PurePath

import pandas as pd
from rapidfuzz import fuzz, process

MATCHED, LOOSE, UNMATCHED = "matched", "loose", "unmatched"
STATUSES = (MATCHED, LOOSE, UNMATCHED)
FUZZY_MIN = 80.0  # one character in five (one in four is often another street: 莲花西路 / 红花西路)
N_CANDIDATES = 3

DIRECTIONS = "东西南北中正上下横前后内外大小新老"
NUMERALS = "一二三四五六七八九十"
_SKELETON = set(DIRECTIONS + NUMERALS)
STREET_SUFFIXES = ("大街", "大道", "街", "路", "巷", "道", "里")
DEFAULT_CITY = "chengdu"

_QUOTES_RE = re.compile(r"[‘’“”'\"`´]")
# Names come from user files (an OSM file's tags): every pattern here is linear in the name. Searched
# over a long name, "\s*[-–—]\s*[A-Za-z][A-Za-z0-9 .,'-]*$" and "[(（\[【][^)）\]】]*[)）\]】]" retried a
# run from each of its characters (a 20,000-character name took 5 s); _strip_gloss and _strip_brackets
# find the same matches in one pass.
_ENGLISH_GLOSS_RE = re.compile(r"(?<!\s)\s*+[-–—]\s*+[A-Za-z][A-Za-z0-9 .,'-]*+$")
_GLOSS_TAIL_RE = re.compile(r"(?<![A-Za-z0-9 .,'-])[A-Za-z0-9 .,'-]*+$")
_GLOSS_LEAD_RE = re.compile(r"(?<![\s–—-])[\s–—-]*+$")
_BRACKETS_RE = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
_CLOSERS = ")）]】"
_SUBDISTRICT_RE = re.compile(r"^[\u4e00-\u9fff]{2,3}街道(?=[\u4e00-\u9fff]{3})")
_SECTION_RE = re.compile(r"^(?P<base>.+?[路街道])(?P<section>[一二三四五六七八九十]+段|[东西南北中]段)$")
_STEM_RE = re.compile(r"^(?P<stem>.{2,}?)(大街|大道|街|路|巷|道|里)$")


@dataclass(frozen=True)
class City:
    """The place names of one city that names are written with (read from ``geo/official/cities/<key>.toml``).

    Parameters
    ----------
    key : str
        The file's name (``chengdu``).
    name : str
        The city as written before a street (成都市).
    short_name : str
        The city as school names also write it (成都).
    province : str
        The province as written before the city (四川省).
    districts : tuple of str
        The districts as written before 区 (锦江, 天府新).
    zone_files : tuple of (str, str)
        A part of a zone-list file name and the district it stands for, in the file's order.
    """

    key: str
    name: str
    short_name: str
    province: str
    districts: tuple[str, ...]
    zone_files: tuple[tuple[str, str], ...] = field(default=())

    @cached_property
    def street_prefix(self) -> re.Pattern:
        """Province, city and district before a street name: ``^(四川省)?(成都市)?((锦江|…)区)?``."""
        return re.compile(f"^(?:{re.escape(self.province)})?(?:{re.escape(self.name)})?(?:(?:{self._districts})区)?")

    @cached_property
    def school_city(self) -> re.Pattern:
        """Province and city before a school name: ``^(四川省)?(成都市|成都)``."""
        return re.compile(f"^(?:{re.escape(self.province)})?(?:{re.escape(self.name)}|{re.escape(self.short_name)})")

    @cached_property
    def school_district(self) -> re.Pattern:
        """A district before a school name that has at least four characters after it."""
        return re.compile(f"^(?:{self._districts})区(?=.{{4}})")

    @property
    def _districts(self) -> str:
        return "|".join(map(re.escape, self.districts))

    def district_of(self, file_name: str) -> str:
        """The district a zone-list file belongs to, by its name.

        Parameters
        ----------
        file_name : str
            The file's name (``2025_锦江区_小学划片.md``).

        Returns
        -------
        str
            The district of the first ``zone_files`` part found in the name, else the name without its suffix.
        """
        for part, district in self.zone_files:
            if part in file_name:
                return district
        return PurePath(file_name).stem


@cache
def load_city(key: str = DEFAULT_CITY) -> City:
    """A city's place names, from ``geo/official/cities/<key>.toml`` (shipped with the package).

    Parameters
    ----------
    key : str
        The file's name without ``.toml``.

    Returns
    -------
    City

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    KeyError
        When the file lacks ``name``, ``short_name``, ``province`` or ``districts``.
    """
    data = tomllib.loads((resources.files("geo.official") / "cities" / f"{key}.toml").read_text(encoding="utf-8"))
    return City(key, str(data["name"]), str(data["short_name"]), str(data["province"]),
                tuple(str(d) for d in data["districts"]),
                tuple((str(k), str(v)) for k, v in data.get("zone_files", {}).items()))


def chinese_numeral(n: int) -> str:
    """A number as street names write it.

    Parameters
    ----------
    n : int
        The number.

    Returns
    -------
    str
        1..99 in Chinese numerals (``10`` -> 十, ``21`` -> 二十一); any other number in digits.
    """
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return head + (NUMERALS[ones - 1] if ones else "")


def _digits_to_chinese(s: str) -> str:
    return re.sub(r"\d+", lambda m: chinese_numeral(int(m.group())), s)


def _strip_gloss(s: str) -> str:
    """``s`` without an English gloss at its end (``东城根南街 - Dongchenggen Street South``): what
    ``re.sub(r"\\s*[-–—]\\s*[A-Za-z][A-Za-z0-9 .,'-]*$", "", s)`` gives, in linear time. The gloss lies in
    the run of gloss characters that ends the name, after at most the blanks and dash before that run."""
    tail_m = _GLOSS_TAIL_RE.search(s)
    tail = tail_m.start() if tail_m else len(s)
    lead_m = _GLOSS_LEAD_RE.search(s, 0, tail)
    lead = lead_m.start() if lead_m else tail
    m = _ENGLISH_GLOSS_RE.search(s, lead)
    return s[:m.start()] + s[m.end():] if m else s


def _strip_brackets(s: str) -> str:
    """``s`` without its bracketed parts (``_BRACKETS_RE.sub``): an opening bracket with no closing one after
    it matches nothing, so only the text up to the last closing bracket is searched."""
    last = max(s.rfind(c) for c in _CLOSERS)
    return _BRACKETS_RE.sub("", s[:last + 1]) + s[last + 1:] if last >= 0 else s


def normalise_name(name: object, city: City | None = None) -> str:
    """The comparison key of a street name (see the module docstring).

    Parameters
    ----------
    name : object
        A street name as written (None and numbers are read as text).
    city : City, optional
        Whose province, city and district prefixes to strip; default: :func:`load_city` ``()`` (Chengdu).

    Returns
    -------
    str
        The key: ``"成都市锦江区红星路2段"`` -> ``"红星路二段"``; empty for an empty name.
    """
    city = city or load_city()
    s = unicodedata.normalize("NFKC", "" if name is None else str(name))
    s = _QUOTES_RE.sub("", s)
    if re.search(r"[\u4e00-\u9fff]", s):
        s = _strip_gloss(s)
        s = _strip_brackets(s)
        s = re.sub(r"[A-Za-z\s]+", "", s)
    else:
        s = re.sub(r"\s+", " ", s).strip().lower()
    s = s.replace("(", "").replace(")", "")
    stripped = city.street_prefix.sub("", s)
    if len(stripped) >= 2:
        s = stripped
    s = _SUBDISTRICT_RE.sub("", s)
    return _digits_to_chinese(s)


def normalise_school(name: object, city: City | None = None) -> str:
    """The comparison key of a school name: 成都市实验小学 and 成都实验小学校 give the same key.

    Parameters
    ----------
    name : object
        A school name as written.
    city : City, optional
        Whose province, city and district prefixes to strip; default: :func:`load_city` ``()`` (Chengdu).

    Returns
    -------
    str
        The key (no prefixes, brackets or whitespace; 小学校 as 小学; Arabic numerals as Chinese).
    """
    city = city or load_city()
    s = unicodedata.normalize("NFKC", "" if name is None else str(name))
    s = _QUOTES_RE.sub("", s)
    s = re.sub(r"\s+", "", s)
    s = city.school_city.sub("", s)
    s = city.school_district.sub("", s)
    s = s.replace("(", "").replace(")", "")
    s = re.sub(r"小学校", "小学", s)
    return _digits_to_chinese(s)


def skeleton(key: str) -> str:
    """The direction and numeral characters of a name, in order: a fuzzy match must keep them.

    Parameters
    ----------
    key : str
        A normalised name.

    Returns
    -------
    str
        ``天涯石南街`` -> ``南``.
    """
    return "".join(c for c in key if c in _SKELETON)


def section_split(key: str) -> tuple[str, str]:
    """A name and its section suffix.

    Parameters
    ----------
    key : str
        A normalised name.

    Returns
    -------
    tuple of (str, str)
        ``红星路二段`` -> (``红星路``, ``二段``); a name without a section suffix -> (name, "").
    """
    m = _SECTION_RE.match(key)
    return (m.group("base"), m.group("section")) if m else (key, "")


def stem(key: str) -> str:
    """A name without its street type.

    Parameters
    ----------
    key : str
        A normalised name.

    Returns
    -------
    str
        ``纯阳观街`` -> ``纯阳观``; a name of two characters or without a street type as it is.
    """
    m = _STEM_RE.match(key)
    return m.group("stem") if m else key


class NameIndex:
    """The names of a network (or a school table), indexed by normalised key for matching.

    Parameters
    ----------
    names : iterable
        The names as the network or table writes them (empty ones are left out).
    kind : str
        ``"street"`` (:func:`normalise_name`, loose street rules) or ``"school"`` (:func:`normalise_school`).
    city : City, optional
        Whose prefixes the keys are stripped of; default: Chengdu.
    """

    def __init__(self, names: Iterable[object], kind: str = "street", city: City | None = None) -> None:
        self.kind = kind
        city = city or load_city()
        norm = partial(normalise_name if kind == "street" else normalise_school, city=city)
        self.by_key: dict[str, set[str]] = defaultdict(set)
        for n in names:
            n = "" if n is None else str(n)
            k = norm(n)
            if k:
                self.by_key[k].add(n)
        self.keys = sorted(self.by_key)
        self.by_base: dict[str, set[str]] = defaultdict(set)
        self.by_stem: dict[str, set[str]] = defaultdict(set)
        for k in self.keys:
            base, section = section_split(k)
            if section:
                self.by_base[base].add(k)
            self.by_stem[stem(k)].add(k)
        self.normalise = norm

    def names(self, keys: Iterable[str]) -> tuple[str, ...]:
        """The names written with any of ``keys``, sorted.

        Parameters
        ----------
        keys : iterable of str
            Normalised keys.

        Returns
        -------
        tuple of str
        """
        return tuple(sorted({n for k in keys for n in self.by_key.get(k, ())}))

    def prefixed(self, key: str) -> set[str]:
        """Keys that begin with ``key`` (``一环路`` -> every section of 一环路).

        Parameters
        ----------
        key : str
            A normalised key (one of fewer than two characters begins nothing).

        Returns
        -------
        set of str
        """
        return {k for k in self.keys if k.startswith(key)} if len(key) >= 2 else set()

    def match(self, name: object) -> dict:
        """Match one name (see the module docstring).

        Parameters
        ----------
        name : object
            A name as written in a list.

        Returns
        -------
        dict
            ``name``, ``key`` (normalised), ``status`` (matched / loose / unmatched), ``names`` (the index's
            names it stands for, a tuple), ``score`` (0-100) and ``candidates`` (the nearest keys with scores).
        """
        key = self.normalise(name)
        out = {"name": "" if name is None else str(name), "key": key, "status": UNMATCHED, "names": (),
               "score": 0.0, "candidates": ""}
        if not key:
            return out
        near = process.extract(key, self.keys, scorer=fuzz.ratio, limit=N_CANDIDATES) if self.keys else []
        out["candidates"] = "; ".join(f"{self._show(k)} {s:.0f}" for k, s, _ in near)
        if key in self.by_key:
            return out | {"status": MATCHED, "names": self.names([key]), "score": 100.0}
        loose = self._loose(key)
        if loose:
            return out | {"status": LOOSE, "names": self.names(loose), "score": 90.0}
        for k, score, _ in near:
            # OCR typos replace characters: an inserted or dropped one (光华街 / 新光华街) is another street.
            if (score >= FUZZY_MIN and skeleton(k) == skeleton(key) and k[-1] == key[-1]
                    and (len(k) == len(key) or score >= 90)):
                return out | {"status": LOOSE, "names": self.names([k]), "score": float(score)}
        if near:
            out["score"] = float(near[0][1])
        return out

    def _show(self, key: str) -> str:
        return min(self.by_key[key])

    def _loose(self, key: str) -> set[str]:
        if self.kind != "street":
            return set()
        base, section = section_split(key)
        if section and base in self.by_key:  # 红星路二段 listed, only 红星路 mapped
            return {base}
        if not section and key in self.by_base:  # 人民南路 listed, its sections mapped
            return set(self.by_base[key])
        s = stem(key)
        same_stem = self.by_stem.get(s, set())
        # Only the street type differs: a listed name without one (纯阳观) takes every typed form; a
        # typed name (金沙寺街) only a single other form, since 青龙街 / 青龙路 / 青龙巷 are three streets.
        if same_stem and (s == key or len(same_stem) == 1):
            return set(same_stem)
        # One name is the other with a street before it: 东大街上东大街段 / 上东大街段, 蜀都大道东风路 / 东风路.
        if len(key) >= 4:
            for k in self.keys:
                if len(k) >= 3 and key.endswith(k) and _is_street_prefix(key[: -len(k)], self):
                    return {k}
        if len(key) >= 3:
            found = {k for k in self.keys if k.endswith(key) and len(k) > len(key)
                     and _is_street_prefix(k[: -len(key)], self)}
            if found:
                return found
        return set()


def _is_street_prefix(prefix: str, index: NameIndex) -> bool:
    return len(prefix) >= 2 and (prefix in index.by_key or prefix.endswith(STREET_SUFFIXES))


def match_names(names: Iterable[object], candidates: Iterable[object] | NameIndex, kind: str = "street"
                ) -> pd.DataFrame:
    """Match each distinct name against ``candidates`` (network street names or school names).

    Parameters
    ----------
    names : iterable
        The names as written (a list's streets or schools).
    candidates : iterable or NameIndex
        The names to match against, or an index of them.
    kind : str
        ``"street"`` or ``"school"`` (when ``candidates`` is not an index).

    Returns
    -------
    DataFrame
        One row per distinct name: ``name``, ``key`` (normalised), ``status`` (matched / loose / unmatched),
        ``names`` (the candidate names it stands for, a tuple), ``score`` (0-100) and ``candidates`` (the
        nearest candidates with their scores, for the report).
    """
    index = candidates if isinstance(candidates, NameIndex) else NameIndex(candidates, kind)
    seen: dict[str, None] = {}
    for n in names:
        seen.setdefault("" if n is None else str(n), None)
    rows = [index.match(n) for n in seen]
    return pd.DataFrame(rows, columns=["name", "key", "status", "names", "score", "candidates"])


def match_schools(names: Iterable[object], table_names: Sequence[object]) -> pd.DataFrame:
    """Match school names as written in a zone list to a schools table's names.

    Parameters
    ----------
    names : iterable
        School names as the list writes them.
    table_names : sequence
        The schools table's names, in row order.

    Returns
    -------
    DataFrame
        :func:`match_names` for schools, plus ``index``: the row of the table (its first row of that name),
        -1 when unmatched or ambiguous.
    """
    table = [str(n) for n in table_names]
    df = match_names(names, table, kind="school")
    first: dict[str, int] = {}
    for i, n in enumerate(table):
        first.setdefault(n, i)
    df["index"] = [first[m[0]] if len(m) == 1 else -1 for m in df["names"]]
    return df


def unique_labels(schools: Sequence[object]) -> list[str]:
    """School names made unique as a zone list writes them: a name whose key was used before gets ``(2)``,
    ``(3)``... (``泡桐树小学``, ``泡桐树小学(2)``), so that each reads back to one school.

    Parameters
    ----------
    schools : sequence
        School names, in order.

    Returns
    -------
    list of str
    """
    seen: dict[str, int] = {}
    out = []
    for s in schools:
        k = normalise_school(s)
        seen[k] = seen.get(k, 0) + 1
        out.append(str(s) if seen[k] == 1 else f"{s}({seen[k]})")
    return out
