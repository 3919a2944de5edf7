"""Street and school names: normalisation and matching against the names a network or table knows.

Pure functions on strings. A name is normalised (full/half-width, whitespace, quotes, English glosses,
province / city / district / 街道 prefixes, Arabic numerals to Chinese) and then matched:

- ``matched``: its normalised form is a network name's normalised form;
- ``loose``, with a ``reason`` (:data:`LOOSE_REASONS`): a section suffix differs (``section``: ``红星路`` vs
  ``红星路二段``), a street is mapped only as its named parts (``part``: ``蜀都大道`` vs ``蜀都大道少城路``), only
  the street type differs (``street_type``: ``纯阳观`` vs ``纯阳观街``), a type is appended to a name that has
  one (``suffix``: ``大井巷`` vs ``大井巷街``), one name is the other with a street before it (``prefix``:
  ``东大街上东大街段`` vs ``上东大街段``), a direction or numeral written in another place (``order``:
  ``北纱帽街`` vs ``纱帽北街``), a homophone or OCR slip of the same length, toneless pinyin and
  direction / numeral characters (``pinyin``: ``奎星楼街`` vs ``魁星楼街``), or a fuzzy match (``fuzzy``,
  rapidfuzz) that changes no direction or numeral character (``园园南一路`` vs ``圃园南一路``, but never
  ``天涯石南街`` vs ``天涯石北街``);
- ``unmatched``: none of these; the nearest candidates and their scores are still reported.

School names (:func:`match_schools`) are matched by their key, then by a bracketed campus qualifier dropped
(``campus``), 实验 inserted or dropped (``experimental``), 附属小学 written 附小 (``affiliated``), or a fuzzy match
of at least :data:`SCHOOL_LINK_MIN` (``fuzzy``); a branch (分校, or 校区 outside brackets) is never its main school.

The place names stripped as prefixes (province, city, districts) are data, one file per city in
``geo/official/cities/`` (:func:`load_city`); the rules that use them are here. Chengdu's is the default.
"""

from __future__ import annotations

import bisect
import itertools
import re
import tomllib
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
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
SCHOOL_LINK_MIN = 90.0  # a school name matched only by a fuzzy score below this is not linked to the table

# Why a name matched loosely (the ``reason`` of a match; "" for an exact match or none). Streets:
R_SECTION = "section"          # 红星路二段 / 红星路, 人民南路 / 人民南路一段…
R_PART = "part"                # 蜀都大道 / 蜀都大道少城路…: a street mapped only as its named parts
R_STREET_TYPE = "street_type"  # 纯阳观 / 纯阳观街, 金沙寺街 / 金沙寺路 (only one other form)
R_SUFFIX = "suffix"            # 大井巷 / 大井巷街: a type appended to a name that already ends with one
R_PREFIX = "prefix"            # 东大街上东大街段 / 上东大街段: one name is the other with a street before it
R_ORDER = "order"              # 北纱帽街 / 纱帽北街: one direction or numeral character written elsewhere
R_PINYIN = "pinyin"            # 奎星楼街 / 魁星楼街: same toneless pinyin, length and direction / numeral characters
R_FUZZY = "fuzzy"              # 园园南一路 / 圃园南一路: rapidfuzz, no direction or numeral changed
# Schools:
R_CAMPUS = "campus"            # 建设路小学（枫林） / 建设路小学: a bracketed campus qualifier dropped
R_EXPERIMENTAL = "experimental"  # 人北小学 / 人北实验小学: 实验 inserted or dropped
R_AFFILIATED = "affiliated"    # 某大学附属小学 / 某大学附小
R_TAKEN = "taken"              # a loose school match not linked: another listed school links that table school
LOOSE_REASONS = (R_SECTION, R_PART, R_STREET_TYPE, R_SUFFIX, R_PREFIX, R_ORDER, R_PINYIN, R_FUZZY, R_CAMPUS,
                 R_EXPERIMENTAL, R_AFFILIATED, R_TAKEN)
# Their text in geo/render/text.toml, for the report: t(LOOSE_REASON_KEYS[reason], lang).
LOOSE_REASON_KEYS = {
    R_SECTION: "zone.loose.section", R_PART: "zone.loose.part", R_STREET_TYPE: "zone.loose.street_type",
    R_SUFFIX: "zone.loose.suffix", R_PREFIX: "zone.loose.prefix", R_ORDER: "zone.loose.order",
    R_PINYIN: "zone.loose.pinyin",
    R_FUZZY: "zone.loose.fuzzy", R_CAMPUS: "zone.loose.campus", R_EXPERIMENTAL: "zone.loose.experimental",
    R_AFFILIATED: "zone.loose.affiliated", R_TAKEN: "zone.loose.taken",
}
MAX_READINGS = 8  # pinyin readings of one name indexed (polyphonic characters: 长 zhang / chang)

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
_PART_HEAD = ("大道", "大街", "路", "街")      # a street that may be mapped as named parts (蜀都大道)
_PART_TAIL = ("大道", "大街", "路", "街", "巷", "段")  # a part's own type (少城路, 二仙桥西路段)
_CJK_NAME_RE = re.compile(r"[\u4e00-\u9fff]+")
# Schools: the level word a name ends its school part with, and campus words.
_SCHOOL_WORD_RE = re.compile(r"小学|中学|学校|附小|附中|学院|幼儿园")
_BRANCH_RE = re.compile(r"分校|校区")
_END_BRACKET_RE = re.compile(r"\(([^()]*)\)$")
_AFFILIATED_RE = re.compile(r"附属(实验)?(小|中)学")


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


@cache
def _char_readings(c: str) -> tuple[str, ...]:
    """The toneless pinyin readings of one character (itself for a character that is not Chinese)."""
    if not _CJK_NAME_RE.fullmatch(c):
        return (c,)
    from pypinyin import Style, pinyin  # imported on first use: its dictionaries take a third of a second

    return tuple(dict.fromkeys(pinyin(c, style=Style.NORMAL, heteronym=True)[0])) or (c,)


def pinyin_keys(name: str, limit: int = MAX_READINGS) -> list[str]:
    """A name's toneless pinyin, one string per reading (syllables joined by spaces).

    Each character is read on its own (so the same character reads the same in every name); a name with
    polyphonic characters has several readings (长 zhang / chang), at most ``limit``: the first reading of
    every character first, then the others.

    Parameters
    ----------
    name : str
        A normalised name.
    limit : int
        The most readings returned.

    Returns
    -------
    list of str
        ``奎星楼`` -> ``["kui xing lou"]``; empty for an empty name.
    """
    if not name:
        return []
    readings = [_char_readings(c) for c in name]
    return [" ".join(r) for r in itertools.islice(itertools.product(*readings), limit)]


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

    @cached_property
    def by_pinyin(self) -> dict[str, set[str]]:
        """Keys by their pinyin readings (:func:`pinyin_keys`), built on the first homophone lookup."""
        out: dict[str, set[str]] = defaultdict(set)
        for k in self.keys:
            for p in pinyin_keys(k):
                out[p].add(k)
        return out

    @cached_property
    def by_stem_pinyin(self) -> dict[str, set[str]]:
        """Typed keys (纯阳观街) by the pinyin readings of their stem (纯阳观), for a listed name without a type."""
        out: dict[str, set[str]] = defaultdict(set)
        for s, keys in self.by_stem.items():
            typed = {k for k in keys if k != s}
            if typed:
                for p in pinyin_keys(s):
                    out[p] |= typed
        return out

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
        if len(key) < 2:
            return set()
        i = bisect.bisect_left(self.keys, key)
        out = set()
        while i < len(self.keys) and self.keys[i].startswith(key):
            out.add(self.keys[i])
            i += 1
        return out

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
            names it stands for, a tuple), ``score`` (0-100), ``candidates`` (the nearest keys with scores) and
            ``reason`` (why a loose match is one, :data:`LOOSE_REASONS`; "" otherwise).
        """
        key = self.normalise(name)
        out = {"name": "" if name is None else str(name), "key": key, "status": UNMATCHED, "names": (),
               "score": 0.0, "candidates": "", "reason": ""}
        if not key:
            return out
        near = process.extract(key, self.keys, scorer=fuzz.ratio, limit=N_CANDIDATES) if self.keys else []
        out["candidates"] = "; ".join(f"{self._show(k)} {s:.0f}" for k, s, _ in near)
        if key in self.by_key:
            return out | {"status": MATCHED, "names": self.names([key]), "score": 100.0}
        loose, reason = self._loose(key)
        if loose:
            return out | {"status": LOOSE, "names": self.names(loose), "score": 90.0, "reason": reason}
        for k, score, _ in near:
            # OCR typos replace characters: an inserted or dropped one (光华街 / 新光华街) is another street.
            if (score >= FUZZY_MIN and skeleton(k) == skeleton(key) and k[-1] == key[-1]
                    and (len(k) == len(key) or score >= 90)):
                return out | {"status": LOOSE, "names": self.names([k]), "score": float(score), "reason": R_FUZZY}
        if near:
            out["score"] = float(near[0][1])
        return out

    def _show(self, key: str) -> str:
        return min(self.by_key[key])

    def _loose(self, key: str) -> tuple[set[str], str]:
        if self.kind != "street":
            return set(), ""
        base, section = section_split(key)
        if section and base in self.by_key:  # 红星路二段 listed, only 红星路 mapped
            return {base}, R_SECTION
        if not section and key in self.by_base:  # 人民南路 listed, its sections mapped
            return set(self.by_base[key]), R_SECTION
        s = stem(key)
        same_stem = self.by_stem.get(s, set())
        # Only the street type differs: a listed name without one (纯阳观) takes every typed form; a
        # typed name (金沙寺街) only a single other form, since 青龙街 / 青龙路 / 青龙巷 are three streets.
        if same_stem and (s == key or len(same_stem) == 1):
            return set(same_stem), R_STREET_TYPE
        # A type appended to a typed name: 大井巷 listed, 大井巷街 mapped, or the other way round.
        if s != key:
            longer = {k for k in self.by_stem.get(key, ()) if k != key}
            if longer:
                return longer, R_SUFFIX
            if stem(s) != s and s in self.by_key:
                return {s}, R_SUFFIX
        # A street mapped only as its named parts: 蜀都大道 -> 蜀都大道少城路, 蜀都大道东风路…
        parts = self._parts(key)
        if parts:
            return parts, R_PART
        # One name is the other with a street before it: 东大街上东大街段 / 上东大街段, 蜀都大道东风路 / 东风路.
        if len(key) >= 4:
            for k in self.keys:
                if len(k) >= 3 and key.endswith(k) and _is_street_prefix(key[: -len(k)], self):
                    return {k}, R_PREFIX
        if len(key) >= 3:
            found = {k for k in self.keys if k.endswith(key) and len(k) > len(key)
                     and _is_street_prefix(k[: -len(key)], self)}
            if found:
                return found, R_PREFIX
        named = self._named_section(key)
        if named:  # 东大街紫东楼段 listed, only 东大街 mapped
            return {named}, R_SECTION
        found = {k for m in _moved_keys(key) for k in self.by_moved.get(m, ())} - {key}
        if len(found) == 1:  # 北纱帽街 / 纱帽北街, 崔家店横二街 / 崔家店二横街
            return found, R_ORDER
        found = self._homophones(key, s)
        if found:
            return found, R_PINYIN
        return set(), ""

    @cached_property
    def by_moved(self) -> dict[tuple[str, str], set[str]]:
        """Keys by each of their direction / numeral characters taken out (:func:`_moved_keys`)."""
        out: dict[tuple[str, str], set[str]] = defaultdict(set)
        for k in self.keys:
            for m in _moved_keys(k):
                out[m].add(k)
        return out

    def _named_section(self, key: str) -> str:
        """The mapped street of a section given by name (东大街紫东楼段 -> 东大街; not 一环路东四段, a numbered
        section of another ring): the longest street key the name begins with, a named part after it."""
        if not key.endswith("段") or len(key) < 6:
            return ""
        for i in range(len(key) - 3, 2, -1):
            head, part = key[:i], key[i:-1]
            if head in self.by_key and head.endswith(_PART_HEAD) and any(c not in _SKELETON for c in part):
                return head
        return ""

    def _parts(self, key: str) -> set[str]:
        """Keys that are ``key`` followed by a named street (蜀都大道 + 少城路), not by a section or a lane
        (一环路东一段, 双桥路南六街: their own name is only direction and numeral characters)."""
        if len(key) < 3 or not key.endswith(_PART_HEAD):
            return set()
        out = set()
        for k in self.prefixed(key):
            rest = k[len(key):]
            if len(rest) >= 3 and rest.endswith(_PART_TAIL) and _CJK_NAME_RE.fullmatch(rest):
                own = stem(rest.removesuffix("段"))
                if any(c not in _SKELETON for c in own) and len(own) >= 2:
                    out.add(k)
        return out

    def _homophones(self, key: str, key_stem: str) -> set[str]:
        """Index keys that sound like ``key``: the same length, toneless pinyin and direction / numeral
        characters, one character in four at most written otherwise (at least one: 奎星楼街 / 魁星楼街, but not
        智星二路 / 致兴二路), and only one such street. A name without a type (奎星楼) is also looked up by the
        stems of typed keys (魁星楼街)."""
        if len(key) < 3 or not _CJK_NAME_RE.fullmatch(key):
            return set()
        sk = skeleton(key)
        most = max(1, (len(key) - 1) // 4)

        def close(a: str, b: str) -> bool:
            return (len(a) == len(b) and a != b and skeleton(a) == sk
                    and sum(x != y for x, y in zip(a, b, strict=True)) <= most)

        readings = pinyin_keys(key)
        found = {k for p in readings for k in self.by_pinyin.get(p, ()) if close(k, key)}
        if not found and key_stem == key:
            found = {k for p in readings for k in self.by_stem_pinyin.get(p, ()) if close(stem(k), key)}
            if len({stem(k) for k in found}) > 1:
                return set()
            return found
        return found if len(found) == 1 else set()


def _moved_keys(key: str) -> list[tuple[str, str]]:
    """A name with each of its direction / numeral characters taken out, and that character: two names with
    one such pair in common differ by where they write it (北纱帽街 and 纱帽北街 -> (纱帽街, 北)). Only for
    names of at least two other characters before their type."""
    if len(key) < 4 or sum(c not in _SKELETON for c in key) < 3:
        return []
    return [(key[:i] + key[i + 1:], c) for i, c in enumerate(key) if c in _SKELETON]


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
        ``names`` (the candidate names it stands for, a tuple), ``score`` (0-100), ``candidates`` (the
        nearest candidates with their scores, for the report) and ``reason`` (why a loose match is one).
    """
    index = candidates if isinstance(candidates, NameIndex) else NameIndex(candidates, kind)
    seen: dict[str, None] = {}
    for n in names:
        seen.setdefault("" if n is None else str(n), None)
    rows = [index.match(n) for n in seen]
    return pd.DataFrame(rows, columns=["name", "key", "status", "names", "score", "candidates", "reason"])


def match_schools(names: Iterable[object], table_names: Sequence[object], *,
                  fixed: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Match school names as written in a zone list to a schools table's names, and link each to a row.

    A name is linked when its key is a table name's key (``matched``), or loosely (``loose``, with a
    ``reason``): a bracketed campus qualifier dropped (成都市建设路小学（枫林） -> the table's 成都市建设路小学 when
    the table has no 枫林 campus; ``campus``), 实验 inserted or dropped (人北小学 / 人北实验小学; ``experimental``)
    or 附属小学 written 附小 (``affiliated``), each only when it names one table school, or a fuzzy match of
    at least :data:`SCHOOL_LINK_MIN` that keeps the level word and campus (``fuzzy``). A branch (分校, or 校区
    outside brackets: 天涯石小学昭忠祠分校) is never linked to its main school. Two listed names never link to
    one table school, unless the others are campuses of it (a bracketed qualifier) or it is their exact name:
    a loose link that would share its school is dropped (reason ``taken``).

    Parameters
    ----------
    names : iterable
        School names as the list writes them.
    table_names : sequence
        The schools table's names, in row order.
    fixed : mapping of str to int, optional
        Names already linked to a row (by a label :func:`unique_labels` wrote): kept as matched.

    Returns
    -------
    DataFrame
        :func:`match_names` for schools (with ``reason``), plus ``index``: the linked row of the table (its
        first row of that name), -1 when not linked (unmatched, ambiguous, too loose or taken).
    """
    table = [str(n) for n in table_names]
    fixed = dict(fixed or {})
    index = NameIndex(table, "school")
    df = match_names(names, index)
    first: dict[str, int] = {}
    for i, n in enumerate(table):
        first.setdefault(n, i)
    variants: dict[str, set[str]] = defaultdict(set)
    for k in index.keys:
        v = _school_variant(k)
        if v:
            variants[v].add(k)

    def row_of(key: str) -> int:
        got = index.by_key.get(key, set())
        return first[next(iter(got))] if len(got) == 1 else -1

    def variant_of(key: str) -> tuple[str, str]:
        v = _school_variant(key)
        got = variants.get(v, set()) if v else set()
        if len(got) != 1:
            return "", ""
        k = next(iter(got))
        return k, (R_EXPERIMENTAL if ("实验" in k) != ("实验" in key) else R_AFFILIATED)

    out = []
    for r in df.to_dict("records"):
        name, key = r["name"], r["key"]
        link, base_key = -1, ""
        if name in fixed:
            r |= {"status": MATCHED, "names": (table[fixed[name]],), "score": 100.0, "reason": ""}
            out.append(r | {"index": int(fixed[name]), "base": ""})
            continue
        if r["status"] == MATCHED:
            link = row_of(key) if len(r["names"]) == 1 else -1
        else:
            found, reason = variant_of(key)
            base_key, campus = _campus_split(str(name), index.normalise)
            if not found and base_key:
                found, reason = _campus_link(base_key, campus, index), R_CAMPUS
                if not found:
                    found = variant_of(base_key)[0]
            if found and row_of(found) >= 0:
                link = row_of(found)
                r |= {"status": LOOSE, "names": index.names([found]), "score": 90.0, "reason": reason}
            elif r["status"] == LOOSE and len(r["names"]) == 1:  # fuzzy: strong enough, same level and campus
                k = index.normalise(r["names"][0])
                if r["score"] >= SCHOOL_LINK_MIN and _school_tail(k) == _school_tail(key) != "":
                    link = row_of(k)
        out.append(r | {"index": link, "base": base_key if r["reason"] == R_CAMPUS else ""})
    _one_link_per_school(out, index)
    cols = ["name", "key", "status", "names", "score", "candidates", "reason", "index"]
    return pd.DataFrame(out, columns=cols)


def _school_tail(key: str) -> str:
    """A school key from its last level word on: the level and the campus (小学, 小学锦绣校区)."""
    last = None
    for last in _SCHOOL_WORD_RE.finditer(key):
        pass
    return key[last.start():] if last else ""


def _school_variant(key: str) -> str:
    """A school key with 附属小学 written 附小 and without 实验 (成都理工大学附属实验小学 -> 成都理工大学附小);
    "" when that leaves fewer than two characters before the level word (实验小学)."""
    v = _AFFILIATED_RE.sub(lambda m: "附" + m.group(2), key).replace("实验", "")
    m = _SCHOOL_WORD_RE.search(v)
    return v if m and m.start() >= 2 else ""


def _campus_split(name: str, norm: Callable[[str], str]) -> tuple[str, str]:
    """The key of a name without its bracketed campus qualifier, and the qualifier: 成都市建设路小学（枫林） ->
    (建设路小学, 枫林). ("", "") when the name ends with no such bracket, or with a branch (（育贤分校）) or a
    label number ((2)), which are not campuses of the school before them."""
    s = unicodedata.normalize("NFKC", name).strip()
    m = _END_BRACKET_RE.search(s)
    if not m:
        return "", ""
    q = m.group(1).strip()
    if not _CJK_NAME_RE.search(q) or q.endswith("分校"):
        return "", ""
    base = norm(s[:m.start()])
    return (base, q) if _SCHOOL_WORD_RE.search(base) else ("", "")


def _campus_link(base_key: str, campus: str, index: NameIndex) -> str:
    """The table key of the campus (成都市人北小学东区 for (东区) / (东校区)), else the main school's key when the
    table has it; "" when neither."""
    core = re.sub(r"(校区|校|区)$", "", campus) or campus
    own = [k for k in index.prefixed(base_key) if k != base_key and core in k[len(base_key):]]
    if len(own) == 1:
        return own[0]
    return base_key if base_key in index.by_key and not own else ""


def _one_link_per_school(rows: list[dict], index: NameIndex) -> None:
    """Unlink loose links that share a table school with another listed name (reason ``taken``), unless they
    are one school: a campus of the table school (成都市蓉城小学（芙蓉校区） with 蓉城小学), or loose links that all
    name the same school (人北小学 and 人北小学（西区）)."""
    by_row: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        if r["index"] >= 0:
            by_row[r["index"]].append(r)
    for group in by_row.values():
        if len(group) < 2:
            continue
        table_keys = {index.normalise(n) for r in group for n in r["names"]}
        exact = any(r["status"] == MATCHED for r in group)
        loose = [r for r in group if r["status"] != MATCHED]
        family = {r["base"] or r["key"] for r in loose}
        for r in loose:
            if (r["base"] or r["key"]) in table_keys or (not exact and len(family) == 1):
                continue
            r |= {"index": -1, "reason": R_TAKEN}


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
