"""Official zone lists (划片范围) in and out.

District education bureaus publish catchments as text: for each school a list of streets, with
qualifiers. This module reads such lists (Markdown sections or tables, CSV, pasted text), matches their
street names to a network (:mod:`geo.official.names`), turns them into an assignment of network edges, and from
there into node labels, a school per compound, a comparison with nearest-school zoning and polygons.
It also writes any plan back as a zone list that reads back to the same edges.

Entries (one per street mention) have a qualifier ``kind``:

- ``all``: the whole street;
- ``odd`` / ``even`` (单号 / 双号): one side's house numbers. OSM has no house numbers and one line per
  street, so the whole street is used and the entry is flagged;
- ``segment`` (``东大街（红星路四段街口至清安街口）``): the stretch of the street between its junctions
  with the two named streets, along its own edges;
- ``side`` (``西侧``): the whole street, flagged;
- ``address`` (``文家路155号``): no house numbers in OSM: the whole street (or nothing, on request), flagged.

Nothing is silently dropped: every piece of text that is not a street entry is an *issue* with its file
and line.

One list can never hold the server: parsing takes time linear in the text (no pattern backtracks over
more than a bounded stretch, nothing rescans what it has read), and a list over
:data:`MAX_ZONE_TEXT_BYTES` (files by their size, pasted text by its UTF-8 size) is refused with an
:class:`~geo.errors.InputError` naming its size and the limit, by the library itself (``max_bytes=None``
lifts it for callers that have their own). A piece between separators longer than :data:`MAX_ITEM_CHARS`,
or a clause with more than :data:`MAX_LABELS` labels (``包括：``), is an issue, not an entry.
"""

from __future__ import annotations

import csv
import io as _io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from geo.network.graph import Network
from geo.official.names import (
    LOOSE,
    MATCHED,
    NUMERALS,
    UNMATCHED,
    NameIndex,
    chinese_numeral,
    match_schools,
    normalise_name,
    normalise_school,
)

ALL, ODD, EVEN, SEGMENT, SIDE, ADDRESS = "all", "odd", "even", "segment", "side", "address"
KINDS = (ALL, ODD, EVEN, SEGMENT, SIDE, ADDRESS)

ENTRY_COLUMNS = ["school", "street", "kind", "from_street", "to_street", "side", "house_number", "parity",
                 "aliases", "note", "text", "source", "line"]
ISSUE_COLUMNS = ["source", "line", "school", "text", "reason"]

# Issue reasons (stable codes; geo.render.i18n has their text under ``zone.reason.<code>``).
R_NOT_STREET = "not_street"        # a compound, village group, institution or dormitory
R_REGION = "region"                # an area described by its bounding streets
R_NO_STREET = "no_street"          # house numbers with no street before them
R_NO_SCHOOL = "no_school"          # a line before any school
R_BAD_NAME = "bad_name"            # too short, too long or not Chinese
R_STRAY_BRACKET = "stray_bracket"  # OCR: a bracket closed that never opened (the rest is parsed)
R_UNCLOSED_BRACKET = "unclosed_bracket"
R_FORMAT = "format"                # a table or CSV without a school or range column
R_TOO_LONG = "too_long"            # a piece longer than MAX_ITEM_CHARS: not a street entry
R_TOO_MANY_LABELS = "too_many_labels"  # more than MAX_LABELS labels (包括：) in one clause: the rest not read
R_ENCODING = "encoding_guessed"    # the file's encoding was guessed (line 0: the whole file)

# Limits that keep one list from holding the server (see the module docstring).
# 1 MB: over twenty times the largest district list we know (the Chenghua list, 44 KB); read in 1-1.5 s at most.
MAX_ZONE_TEXT_BYTES = 2**20
MAX_ITEM_CHARS = 500             # the longest real piece is 97 characters (a street with a list of compounds)
MAX_LABELS = 10                  # labels in one clause: real lists have at most two (…区域，含以下街巷：…)
MAX_ZONE_PIECES = 50_000         # lines and pieces of one list: a district's has at most 1,600
MAX_ISSUE_TEXT = 200             # an issue quotes at most this much of its text
ZONE_SUFFIXES = (".md", ".csv", ".txt")


@dataclass(frozen=True)
class ZoneText:
    """A parsed zone list: ``entries`` (one row per street mention) and ``issues`` (what was not parsed)."""

    entries: pd.DataFrame
    issues: pd.DataFrame

    def __add__(self, other: ZoneText) -> ZoneText:
        return ZoneText(pd.concat([self.entries, other.entries], ignore_index=True),
                        pd.concat([self.issues, other.issues], ignore_index=True))


# --- reading ---------------------------------------------------------------------------------------------

def read_zone_file(path: str | Path, *, data: bytes | None = None, name: str | None = None,
                   max_bytes: int | None = MAX_ZONE_TEXT_BYTES) -> ZoneText:
    """Parse a zone list file (``.md``, ``.csv`` or ``.txt``), decoded as every text file of the project
    (:func:`geo.inputs.io.decode_text`: UTF-8 with or without BOM, GB18030, UTF-16 / UTF-32; another encoding
    is guessed and said so in an ``encoding_guessed`` issue on line 0; bytes that are not text are an
    InputError naming the file). A file over ``max_bytes`` is refused before it is read."""
    from geo.inputs.io import decode_text

    label = name or Path(path).name
    if data is None:
        _check_zone_size(label, Path(path).stat().st_size, max_bytes)
        data = Path(path).read_bytes()
    _check_zone_size(label, len(data), max_bytes)
    warns: list = []
    text = decode_text(data, label, warns)
    fmt = "csv" if label.lower().endswith(".csv") else None
    # The file's size was checked; its text may be larger in UTF-8 (GB18030 and UTF-16 hold CJK in 2 bytes).
    zone = parse_zone_text(text, source=label, fmt=fmt, max_bytes=None)
    if warns:
        guessed = [_issue(label, 0, "", p.get("encoding", ""), R_ENCODING) for _, p in warns]
        zone = ZoneText(zone.entries, pd.concat([pd.DataFrame(guessed, columns=ISSUE_COLUMNS), zone.issues],
                                                ignore_index=True).astype({"line": int}))
    return zone


def read_zone_dir(path: str | Path) -> dict[str, ZoneText]:
    """Every ``.md`` / ``.csv`` / ``.txt`` zone list in a folder, by file name."""
    files = sorted(p for p in Path(path).iterdir() if p.suffix.lower() in ZONE_SUFFIXES)
    return {p.name: read_zone_file(p) for p in files}


def text_size(text: str) -> int:
    """The size of ``text`` in bytes, as UTF-8 (what the zone-list limit counts)."""
    return len(text.encode("utf-8", "surrogatepass"))


def _check_zone_size(label: str, size: int, max_bytes: int | None) -> None:
    from geo.errors import InputError

    if max_bytes is not None and size > max_bytes:
        raise InputError("err.zone_too_large", file=label, size_mb=size / 2**20, limit_mb=max_bytes / 2**20)


def parse_zone_text(text: str, source: str = "<text>", fmt: str | None = None,
                    max_bytes: int | None = MAX_ZONE_TEXT_BYTES) -> ZoneText:
    """Parse a zone list: Markdown (``## N. 学校`` sections or ``| 学校 | 范围 |`` tables), CSV
    (a school column and a 范围 column), or plain text (``学校：街道、街道`` per line, or a school name on
    a line of its own followed by its streets). ``fmt`` is "csv", "markdown" or None (guess).

    Text over ``max_bytes`` (UTF-8) is refused with an InputError (``err.zone_too_large``) naming
    ``source``, its size and the limit; ``None`` lifts the limit (parsing is linear in the text). A list of
    more than :data:`MAX_ZONE_PIECES` lines and pieces is refused too (``err.zone_too_many``, with the row),
    as soon as they are counted."""
    if max_bytes is not None and len(text) > max_bytes // 4:  # shorter text cannot be over: skip the encoding
        _check_zone_size(source, text_size(text), max_bytes)
    text = text.lstrip("\ufeff")
    if fmt is None:
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        fmt = "csv" if ("," in first and re.search(r"范围|名称|学校", first) and "|" not in first) else "markdown"
    budget = _Budget(source)
    records, issues = (_csv_records if fmt == "csv" else _markdown_records)(text, source, budget)
    entries: list[dict] = []
    for school, line, body in records:
        e, i = parse_range(body, school=school, source=source, line=line, budget=budget)
        entries += e
        issues += i
    return ZoneText(pd.DataFrame(entries, columns=ENTRY_COLUMNS).astype({"line": int}),
                    pd.DataFrame(issues, columns=ISSUE_COLUMNS).astype({"line": int}))


class _Budget:
    """How many more lines and pieces (between 、 and ，) one list may have: :data:`MAX_ZONE_PIECES` in
    all. Each costs tens of microseconds; a text of tiny pieces (``a,a,a,…``) is refused by their number
    long before its size would refuse it."""

    __slots__ = ("left", "source")

    def __init__(self, source: str) -> None:
        self.left = MAX_ZONE_PIECES
        self.source = source

    def spend(self, n: int, line: int) -> None:
        self.left -= n
        if self.left < 0:
            from geo.errors import InputError

            raise InputError("err.zone_too_many", file=self.source, row=int(line), limit=MAX_ZONE_PIECES)


_SCHOOL_RE = re.compile(r"(小学|学校|中学|初中|小学校|校区|分校|附小|学院|学校（小学）|学校\(小学\))([(（][^)）]*[)）])?$")
# The name runs to the end of the (stripped) line: ``.+?\s*$`` would retry ``\s*`` at every character.
_HEADING_RE = re.compile(r"^#{2,6}\s*(?:\d+\s*[.、．]\s*)?(?P<name>.+)")
_LIST_MARK_RE = re.compile(r"^(?:[-*+•]\s+|\d+\s*[.、．)]\s*)")


def _looks_like_school(s: str) -> bool:
    s = s.strip()
    if not 2 < len(s) <= 40 or re.search(r"[、，,；;]", s):
        return False
    return bool(_SCHOOL_RE.search(s)) or (bool(re.search(r"小学|学校|中学|初中|附小|学院|校区|分校", s))
                                          and not re.search(r"[路街巷道]$", s))


def _markdown_records(text: str, source: str, budget: _Budget
                      ) -> tuple[list[tuple[str, int, str]], list[dict]]:
    records: list[tuple[str, int, str]] = []
    issues: list[dict] = []
    school, from_line = "", False
    lines = text.splitlines()
    budget.spend(len(lines), min(len(lines), budget.left + 1))
    in_front = bool(lines) and lines[0].strip() == "---"
    for n, raw in enumerate(lines, start=1):
        s = raw.strip()
        if in_front:
            if n > 1 and s == "---":
                in_front = False
            continue
        if not s:
            if from_line:
                school, from_line = "", False
            continue
        if s.startswith(">") or re.fullmatch(r"#\s.*", s) or re.fullmatch(r"[-=*_]{3,}", s):
            continue  # quotes (notes), the title, rules
        m = _HEADING_RE.match(s)
        if m and s.startswith("##"):
            school, from_line = m.group("name").rstrip(), False
            continue
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
                continue
            header = [c for c in cells if c and not re.fullmatch(r"序号|编号|#", c)]
            if header and all(re.search(r"名称|范围|学校$|^学校|片区", c) for c in header):
                continue  # the header: every cell names a column (小学名称 | 划片范围)
            if any(re.search(r"名称|范围", c) for c in cells) and not any(_looks_like_school(c) for c in cells):
                continue
            if cells and re.fullmatch(r"\d+", cells[0]) and len(cells) >= 3:
                cells = cells[1:]
            if len(cells) < 2 or not cells[0]:
                issues.append(_issue(source, n, "", s, R_FORMAT))
                continue
            records.append((cells[0], n, "，".join(cells[1:])))
            continue
        s = re.sub(r"\*\*(.*?)\*\*", lambda m: "" if re.search(r"[:：]\s*$", m.group(1)) else m.group(1), s)
        s = _LIST_MARK_RE.sub("", s).strip()
        if not s:
            continue
        head, sep, rest = _split_colon(s)
        if sep and _looks_like_school(head):
            school, from_line = head.strip(), True
            if rest.strip():
                records.append((school, n, rest))
            continue
        if _looks_like_school(s):
            school, from_line = s, True
            continue
        if not school:
            issues.append(_issue(source, n, "", s, R_NO_SCHOOL))
            continue
        records.append((school, n, s))
    return records, issues


def _csv_records(text: str, source: str, budget: _Budget) -> tuple[list[tuple[str, int, str]], list[dict]]:
    records: list[tuple[str, int, str]] = []
    issues: list[dict] = []
    reader = csv.reader(_io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    except csv.Error as exc:
        raise _csv_error(exc, source, reader.line_num) from exc
    school_col = next((i for i, h in enumerate(header) if re.search(r"学校|小学名称|名称", h)), None)
    range_col = next((i for i, h in enumerate(header) if "范围" in h), None)
    if school_col is None or range_col is None:
        return [], [_issue(source, 1, "", ",".join(header), R_FORMAT)]
    start = reader.line_num + 1
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _csv_error(exc, source, start) from exc
        line, start = start, reader.line_num + 1
        budget.spend(1, line)
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(school_col, range_col) or not row[school_col].strip():
            issues.append(_issue(source, line, "", ",".join(row), R_FORMAT))
            continue
        records.append((row[school_col].strip(), line, row[range_col]))
    return records, issues


def _csv_error(exc: csv.Error, source: str, line: int):
    """A CSV the reader cannot go on with (a field over the csv module's limit, mostly an unclosed quote
    that swallowed the rest of the file), as an InputError naming the file and line."""
    from geo.errors import InputError

    if "field larger than field limit" in str(exc):
        return InputError("err.zone_csv_field", file=source, row=line, limit=csv.field_size_limit())
    return InputError("err.file_unreadable", file=source, reason=f"line {line}: {exc}", formats=" / ".join(ZONE_SUFFIXES))


def _issue(source: str, line: int, school: str, text: str, reason: str) -> dict:
    if len(text) > MAX_ISSUE_TEXT:  # a hostile line can be megabytes long: quote its beginning
        text = text[:MAX_ISSUE_TEXT] + "…"
    return {"source": source, "line": int(line), "school": school, "text": text, "reason": reason}


# --- one school's range text -----------------------------------------------------------------------------

_OPEN, _CLOSE = "(", ")"
_LABEL_RE = re.compile(r"^(包括|主要路牌号有|主要路牌号|含以下街巷|代招范围|代招服务范围|代招|原|另|注|备注|"
                       r"\d{4}年.*|.*调整.*|.*新增.*)$")
_NOT_STREET_RE = re.compile(r"宿舍|小区|社区|楼盘|户籍|区域|集体户|安置|大院|拆迁|组团|街坊|组$|片区")
# Compound (小区) names, unless the name ends like a street: 花园街 is a street, 中央花园 is not.
_COMPOUND_RE = re.compile(r"期$|[苑园府庭城居郡阁]$|新居|公馆|花园|别墅|广场|大厦|公寓|小镇|公司|研究所|宾馆|医院|"
                          r"学校|大学|学院")
_REGION_RE = re.compile(r"以[东西南北]|以上$|之间|区域|界$")
# A street named only by what differs from the one before: 南街 after 高升桥北街, 二 in 万福东一、二、三街.
_FRAGMENT_RE = re.compile(r"^(?P<head>[一二三四五六七八九十东西南北中正上下横])"
                          r"(?P<suffix>街|路|巷|段)?(?P<tail>[东西南北内外]侧|单号|双号)?$")
# Every pattern below is linear in its text: none can retry a run of characters from each of its
# positions (``x+?y`` or ``x*y$`` searched over a long run without ``y`` would, and did: a 5 MB line took
# minutes, holding the interpreter lock). Where a search could start anywhere in a run, a lookbehind makes
# it start only where the run starts, which finds the same leftmost match. Two patterns could not be
# mended so and are scanned in Python instead: exclusions, ``(不含|除了|除)[^,，;；]*|[^,，;；(]*除外``
# (:func:`_exclusions`), and ranges of lanes, ``^(.+?)(\d+|[一…十]+)\s*[-—–~至]\s*(\d+|[一…十]+)(巷|街|路)$``
# (:func:`_range_parts`); tests/test_geo_zonetext.py checks each against the pattern it replaces.
_HOUSE_RE = re.compile(r"\d+号?(?:附\d+号?)?(?:\s*[-—–~至]+\s*\d+号?)?")
_SEGMENT_RE = re.compile(r"(?<![^\d,，、;；])(?P<a>[^\d,，、;；]+?)(?:至|到|—+|–+|-+|~)(?P<b>[^,，、;；]+)")
_HOUSE_AFTER_RE = re.compile(r"(?<!\d)\d++号")         # search only: "\d+号" retried every digit of a run
_GROUP_RE = re.compile(r"(?<!\d)\d++组")               # search only: "\d+组", likewise
_BRACKETED_RE = re.compile(r"\([^)]*\)?")
_NUMBERS_CONTINUE_RE = re.compile(r"^(新)?\d|^(单号|双号)\d")
_TRAILING_PUNCT = " \t.。．,，、;；:：等"

_COLON_SCAN_RE = re.compile(r"[(（)）:：]")
_SPLIT_SCAN_RE: dict[str, re.Pattern] = {}


# Bracket depth over a long text is computed with numpy (one pass in C instead of one Python step per
# bracket: 2 MB of brackets took seconds); short texts, the usual case, with the scan below.
_VECTOR_MIN_CHARS = 4096


def _top_level(s: str, opens: str, closes: str, targets: str) -> np.ndarray:
    """Positions in ``s`` of the characters of ``targets`` outside brackets, as the scans below count
    depth: +1 at an opening bracket, -1 at a closing one, never below 0."""
    a = np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    step = np.zeros(a.size, np.int32)
    for c in opens:
        step[a == ord(c)] = 1
    for c in closes:
        step[a == ord(c)] = -1
    total = np.cumsum(step, dtype=np.int32)  # |total| <= len(s): a list is far under 2**31 characters
    depth = total - np.minimum(np.minimum.accumulate(total), 0)  # the walk reflected at 0
    hit = np.zeros(a.size, bool)
    for c in targets:
        hit |= a == ord(c)
    return np.flatnonzero(hit & (depth == 0))


def _split_colon(s: str) -> tuple[str, str, str]:
    """Split at the first colon outside brackets."""
    if len(s) >= _VECTOR_MIN_CHARS:
        at = _top_level(s, "(（", ")）", ":：")
        if not at.size:
            return s, "", ""
        i = int(at[0])
        return s[:i], s[i], s[i + 1:]
    depth = 0
    for m in _COLON_SCAN_RE.finditer(s):
        c = m.group()
        if c in "(（":
            depth += 1
        elif c in ")）":
            depth = max(depth - 1, 0)
        elif depth == 0:
            i = m.start()
            return s[:i], c, s[i + 1:]
    return s, "", ""


def _split_top(s: str, seps: str) -> list[str]:
    """Split at separators outside brackets."""
    if len(s) >= _VECTOR_MIN_CHARS:
        cuts = _top_level(s, _OPEN, _CLOSE, seps).tolist()
        parts = [s[i + 1:j] for i, j in zip([-1, *cuts], [*cuts, len(s)], strict=True)]
        return [p.strip() for p in parts if p.strip()]
    scan = _SPLIT_SCAN_RE.get(seps)
    if scan is None:
        scan = _SPLIT_SCAN_RE[seps] = re.compile("[" + re.escape(_OPEN + _CLOSE + seps) + "]")
    out, depth, start = [], 0, 0
    for m in scan.finditer(s):
        c = m.group()
        if c == _OPEN:
            depth += 1
        elif c == _CLOSE:
            depth = max(depth - 1, 0)
        if c in seps and depth == 0:
            out.append(s[start:m.start()])
            start = m.end()
    out.append(s[start:])
    return [p.strip() for p in out if p.strip()]


def _exclusions(q: str) -> tuple[list[str], str]:
    """Exclusions (不含3号, 5号除外) in ``q`` and ``q`` without them: the matches of
    ``(不含|除了|除)[^,，;；]*|[^,，;；(]*除外`` (as ``finditer``) and what ``sub`` leaves, in one pass: where
    the second alternative fails it fails up to the end of its run, so the scan jumps there (or to the next
    不含 / 除, where the first may begin) instead of trying every position."""
    found: list[str] = []
    kept: list[str] = []
    pos, n = 0, len(q)
    while pos < n:
        if q.startswith(("不含", "除"), pos):  # (不含|除了|除)[^,，;；]*
            m = _EXCL_STOP1.search(q, pos)
            end = m.start() if m else n
            found.append(q[pos:end])
            pos = end
            continue
        m = _EXCL_STOP2.search(q, pos)
        run_end = m.start() if m else n
        if run_end == pos:  # a separator or "(": nothing starts here
            kept.append(q[pos])
            pos += 1
            continue
        last = q.rfind("除外", pos, run_end)  # [^,，;；(]*除外: greedy, so to the run's last 除外
        if last >= 0:
            found.append(q[pos:last + 2])
            pos = last + 2
            continue
        m = _EXCL_START.search(q, pos + 1, run_end)
        nxt = m.start() if m else run_end
        kept.append(q[pos:nxt])
        pos = nxt
    return found, "".join(kept)


_EXCL_STOP1 = re.compile(r"[,，;；]")
_EXCL_STOP2 = re.compile(r"[,，;；(]")
_EXCL_START = re.compile(r"不含|除")
_RANGE_SEPS = "-—–~至"


def _range_parts(base: str) -> tuple[str, str, str, str] | None:
    r"""``(pre, a, b, suf)`` of a range of lanes (玉林1-10巷 -> 玉林, 1, 10, 巷), as the groups of
    ``^(?P<pre>.+?)(?P<a>\d+|[一…十]+)\s*(?:-|—|–|~|至)\s*(?P<b>\d+|[一…十]+)(?P<suf>巷|街|路)$`` (its
    ``match``), read from the end in linear time; None when it does not match."""
    n = len(base)
    if n < 5 or base[-1] not in "巷街路":
        return None
    bs = _number_run_start(base, n - 1)
    if bs is None:
        return None
    j = bs
    while j > 0 and base[j - 1].isspace():
        j -= 1
    if j == 0 or base[j - 1] not in _RANGE_SEPS:
        return None
    ae = j - 1
    while ae > 0 and base[ae - 1].isspace():
        ae -= 1
    a_start = _number_run_start(base, ae) if ae > 0 else None
    if a_start is None:
        return None
    a_start = max(a_start, 1)  # the prefix is at least one character
    if a_start >= ae or "\n" in base[:a_start]:
        return None
    return base[:a_start], base[a_start:ae], base[bs:n - 1], base[-1]


def _number_run_start(s: str, end: int) -> int | None:
    """Where the run of digits (or of Chinese numerals) that ends at ``end`` (exclusive) begins; None
    when ``s[end - 1]`` is neither."""
    if end <= 0:
        return None
    c = s[end - 1]
    if c.isdecimal():
        same = str.isdecimal
    elif c in NUMERALS:
        same = NUMERALS.__contains__
    else:
        return None
    i = end - 1
    while i > 0 and same(s[i - 1]):
        i -= 1
    return i


def _clean(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("【", "(").replace("】", ")").replace("〔", "(").replace("〕", ")")
    s = re.sub(r"\s+", "", s)
    return s


def parse_range(text: str, school: str = "", source: str = "<text>", line: int = 0, *,
                budget: _Budget | None = None) -> tuple[list[dict], list[dict]]:
    """Parse one school's range text into entries and issues (see :func:`parse_zone_text`); more than
    :data:`MAX_ZONE_PIECES` pieces (shared with the rest of the list through ``budget``) are refused."""
    ctx = {"school": school, "source": source, "line": int(line), "budget": budget or _Budget(source)}
    entries: list[dict] = []
    issues: list[dict] = []
    for clause in _split_top(_clean(text), ";。"):
        _parse_clause(clause, ctx, entries, issues, note="")
    return entries, issues


def _parse_clause(clause: str, ctx: dict, entries: list, issues: list, note: str) -> None:
    # Each label (``包括：``, ``红星路：``) before the rest of the clause is one turn of the loop (it was a
    # recursion: a line of 10,000 colons overflowed the stack); after MAX_LABELS the rest is an issue.
    for _ in range(MAX_LABELS + 1):
        clause = clause.strip(_TRAILING_PUNCT)
        if not clause:
            return
        head, sep, rest = _split_colon(clause)
        if not sep:
            _parse_items(clause, ctx, entries, issues, note)
            return
        label = head.strip()
        label_pieces = _split_top(label, "、,")
        last = label_pieces[-1] if label_pieces else ""
        if _LABEL_RE.match(last) or last.endswith(("有", "括", "街巷")):
            if len(label_pieces) > 1:  # "...以北区域，含以下街巷：簇桥上街、..."
                _parse_clause("，".join(label_pieces[:-1]), ctx, entries, issues, note)  # no colon: no loop
            clause, note = rest, (note + " " + last).strip()
            continue
        if label.endswith("全部"):
            for item in _complete_fragments(_list_pieces(label[:-2], ctx)):
                _add_item(item, ctx, entries, issues, note=(note + " 全部").strip())
            return
        bare = _BRACKETED_RE.sub("", rest)
        if (re.match(r"^(单号|双号)?(新)?\d|^(单号|双号)", bare) and not re.match(r"^\d+组", bare)) or (
                _HOUSE_AFTER_RE.search(bare) and label.endswith(("路", "街", "巷", "道", "里"))):
            houses = "、".join(_HOUSE_RE.findall(_exclusions(bare)[1])) or rest
            parity = "单号" if "单号" in bare and "双号" not in bare else "双号" if "双号" in bare and "单号" not in bare \
                else ""
            for item in _complete_fragments(_list_pieces(label, ctx)):
                _add_item(item, ctx, entries, issues, note=note, houses=houses, text=clause, extra=parity)
            return
        if _GROUP_RE.search(rest) or not re.search(r"[路街巷道里]", rest):
            issues.append(_issue(ctx["source"], ctx["line"], ctx["school"], clause, R_NOT_STREET))
            return
        clause, note = rest, (note + " " + label).strip()
    issues.append(_issue(ctx["source"], ctx["line"], ctx["school"], clause, R_TOO_MANY_LABELS))


def _parse_items(clause: str, ctx: dict, entries: list, issues: list, note: str) -> None:
    merged: list[list[str]] = []
    for p in _list_pieces(clause, ctx):  # "大学路2、4、6号", "红星路二段119号、159号": numbers continue the street
        if merged and _NUMBERS_CONTINUE_RE.match(p):
            merged[-1].append(p)  # joined once below: "+=" on a growing string would copy it every time
        else:
            merged.append([p])
    for item in _complete_fragments(["、".join(m) for m in merged]):
        _add_item(item, ctx, entries, issues, note=note)


def _list_pieces(s: str, ctx: dict) -> list[str]:
    """The pieces of ``s`` between 、 and ， (outside brackets), paid for from the list's budget."""
    pieces = _split_top(s, "、,")
    ctx["budget"].spend(len(pieces), ctx["line"])
    return pieces


def _base_of(item: str) -> str:
    return _BRACKETED_RE.sub("", item)


def _complete_fragments(items: list[str]) -> list[str]:
    """``高升桥北街、南街`` -> 高升桥北街, 高升桥南街; ``万福东一、二、三街`` -> 万福东一街, 万福东二街, ...;
    ``建华南、北巷`` -> 建华南巷, 建华北巷."""
    out: list[str] = []
    pending: list[int] = []  # items still waiting for a street type (万福东一, 建华南)
    for item in items:
        base = _base_of(item)
        m = _FRAGMENT_RE.match(base)
        if not out or not m:
            out.append(item)
            pending = [len(out) - 1] if _OPEN_END_RE.search(base) and not base.endswith(
                ("路", "街", "巷", "段", "道", "里")) else []
            continue
        if len(out[-1]) > MAX_ITEM_CHARS:
            # Completed from a piece too long to be a street, the fragment is too long as well; only the
            # piece's beginning is copied (copying all of it for each of many fragments is quadratic).
            out.append(out[-1][:MAX_ITEM_CHARS + 1] + item)
            pending = []
            continue
        prev = _base_of(out[-1])
        head, suffix = m.group("head"), m.group("suffix") or ""
        kind_chars = NUMERALS if head[0] in NUMERALS else "东西南北中正上下横"
        prev_core = re.sub(r"(大街|街|路|巷|段)?([东西南北内外]侧|单号|双号)?$", "", prev)
        prefix = re.sub(f"[{kind_chars}]{{1,{len(head)}}}$", "", prev_core)
        if not prefix or prefix == prev_core:
            out.append(item)
            pending = []
            continue
        out.append(prefix + item)
        if suffix:
            for j in pending:
                out[j] = _base_of(out[j]) + suffix + out[j][len(_base_of(out[j])):]
            pending = []
        else:
            pending.append(len(out) - 1)
    return out


_OPEN_END_RE = re.compile(f"[{NUMERALS}东西南北]$")
_PAREN_RE = re.compile(r"[()]")


def _brackets(item: str) -> tuple[str, list[tuple[int, str]], list[str]]:
    """Text outside brackets, the bracketed texts (with the position they stood at in the base text),
    and problems (stray or unclosed brackets; each once)."""
    base: list[str] = []
    groups: list[tuple[int, str]] = []
    problems: list[str] = []
    size = depth = pos = start = 0  # size: of the base so far; pos: where base text resumes; start: of a group
    for m in _PAREN_RE.finditer(item):
        i = m.start()
        if m.group() == _OPEN:
            if depth == 0:
                base.append(item[pos:i])
                size += i - pos
                start = i + 1
            depth += 1
        elif depth == 0:
            if R_STRAY_BRACKET not in problems:
                problems.append(R_STRAY_BRACKET)
            if groups:
                base.append(item[pos:i])
                size += i - pos
            else:
                base, size = [], 0  # OCR debris before a stray ")": "小区）蜀蓉路双号"
            pos = i + 1
        else:
            depth -= 1
            if depth == 0:
                groups.append((size, item[start:i]))
                pos = i + 1
    if depth:
        problems.append(R_UNCLOSED_BRACKET)
        groups.append((size, item[start:]))
    else:
        base.append(item[pos:])
    return "".join(base), groups, problems


_QUALIFIER_WORDS = re.compile(r"单号|双号|侧|至|含|除|不|段|以|部分|全部|原|\d|号|—|-")
_DIGITS_IN_NAME_RE = re.compile(r"(?<=[\u4e00-\u9fff])(\d+)(?=[巷街路])")
_CUT_RE = re.compile(r"[东西南北内外]侧|单号|双号|以[东西南北上下后前]|之后|以后|以前|全部|部分|\d")
_SIDE_RE = re.compile(r"([东西南北内外])侧")
_SIDE_WORD_RE = re.compile(r"以([东西南北])")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_PART_SPLIT_RE = re.compile(r"[,，、;；]")
_QUALIFIER_REST_RE = re.compile(r"[东西南北内外]侧|单号|双号|\d+号?|[-—–~至,，、]")


def _add_item(item: str, ctx: dict, entries: list, issues: list, note: str = "", houses: str = "",
              text: str | None = None, extra: str = "") -> None:
    raw = item
    item = item.strip(_TRAILING_PUNCT)
    if not item:
        return
    if len(item) > MAX_ITEM_CHARS:
        issues.append(_issue(ctx["source"], ctx["line"], ctx["school"], raw, R_TOO_LONG))
        return
    base, groups, problems = _brackets(item)
    for p in problems:
        issues.append(_issue(ctx["source"], ctx["line"], ctx["school"], raw, p))
    base = base.strip(_TRAILING_PUNCT)
    parts = _range_parts(base) if not groups else None
    if parts:  # 玉林1-10巷, 泊木一至三街, 抚琴南1—4巷
        pre, a, b, suf = parts
        a, b = _numeral_value(a), _numeral_value(b)
        if a and b and a < b <= 30:
            ctx["budget"].spend(b - a, ctx["line"])  # up to 30 entries from one piece: each counts
            for k in range(a, b + 1):
                _add_item(f"{pre}{chinese_numeral(k)}{suf}", ctx, entries, issues, note, houses, text or raw)
            return
    aliases, quals = [], []
    for pos, g in groups:
        alias = _alias(base, pos, g)
        if alias:
            aliases += alias
        else:
            quals.append(g)
    # The street name is everything before the first qualifier in the text outside brackets.
    base = _DIGITS_IN_NAME_RE.sub(lambda m: chinese_numeral(int(m.group(1))), base)
    cut = _CUT_RE.search(base)
    name = base[: cut.start()] if cut else base
    tail = base[cut.start():] if cut else ""
    name = name.strip(_TRAILING_PUNCT)
    if _SIDE_WORD_RE.search(tail) or _REGION_RE.search(name):
        issues.append(_issue(ctx["source"], ctx["line"], ctx["school"], raw, R_REGION))
        return
    if not name:
        reason = R_NO_STREET if re.search(r"\d", item) else R_BAD_NAME
        issues.append(_issue(ctx["source"], ctx["line"], ctx["school"], raw, reason))
        return
    if (_NOT_STREET_RE.search(name) or _GROUP_RE.search(tail + "".join(quals))
            or (_COMPOUND_RE.search(name) and not name.endswith(("路", "街", "巷", "道")))):
        issues.append(_issue(ctx["source"], ctx["line"], ctx["school"], raw, R_NOT_STREET))
        return
    cjk = len(_CJK_RE.findall(name))
    if cjk < 2 or len(name) > 14 or cjk < len(name):
        issues.append(_issue(ctx["source"], ctx["line"], ctx["school"], raw, R_BAD_NAME))
        return
    qual = "，".join([tail] + quals + [extra]).strip("，")
    entry = {"school": ctx["school"], "street": name, "kind": ALL, "from_street": "", "to_street": "",
             "side": "", "house_number": "", "parity": "", "aliases": "|".join(aliases),
             "note": note, "text": text or raw, "source": ctx["source"], "line": ctx["line"]}
    _qualify(entry, qual, houses)
    entries.append(entry)


def _numeral_value(s: str) -> int:
    if s.isdigit():
        return int(s)
    for k in range(1, 31):
        if chinese_numeral(k) == s:
            return k
    return 0


def _alias(base: str, pos: int, g: str) -> list[str]:
    """A bracket that gives another spelling of the name: 武成（城）大街, 金沙寺（街）, 傥扒街（镗钯街、镋钯街）,
    前锋街（原前锋路）."""
    g = g.strip()
    if not g or _QUALIFIER_WORDS.search(g.replace("原", "", 1) if g.startswith("原") else g):
        return []
    g = g.removeprefix("原")
    if not re.fullmatch(r"[\u4e00-\u9fff、]+", g):
        return []
    if len(g) == 1:
        if 0 < pos < len(base):  # 武成（城）大街
            return [base[: pos - 1] + g + base[pos:]]
        if pos == len(base):  # 金沙寺（街）
            return [base + g]
        return []
    names = [p for p in g.split("、") if p]
    if all(len(p) >= 2 and p.endswith(("路", "街", "巷", "道", "里")) for p in names):
        return names
    return []


def _qualify(entry: dict, qual: str, houses: str) -> None:
    """Set kind, junctions, side, parity and house numbers from the qualifier text."""
    notes = [entry["note"]] if entry["note"] else []
    excl, q = _exclusions(qual)
    excl = [x for x in excl if x]
    if excl:
        notes.append("，".join(excl))
    segment = None
    for part in _PART_SPLIT_RE.split(q):
        m = _SEGMENT_RE.search(part)
        if not m:
            continue
        a, b = _junction(m.group("a")), _junction(m.group("b"))
        if len(_CJK_RE.findall(a)) >= 2 and len(_CJK_RE.findall(b)) >= 2:
            segment = (a, b)
            break
    side = _SIDE_RE.search(q)
    side_word = _SIDE_WORD_RE.search(q)
    parity = ""
    if "单号" in q and "双号" not in q:
        parity = ODD
    elif "双号" in q and "单号" not in q:
        parity = EVEN
    elif "单号" in q:
        notes.append("单双号")
    found = _HOUSE_RE.findall(q)
    house = "、".join(h for h in found if h) or houses
    entry["parity"] = parity
    entry["house_number"] = house
    if side or side_word:
        entry["side"] = (side or side_word).group(1)
    if segment:
        entry["kind"], entry["from_street"], entry["to_street"] = SEGMENT, *segment
    elif entry["side"]:
        entry["kind"] = SIDE
    elif parity:
        entry["kind"] = parity
    elif house:
        entry["kind"] = ADDRESS
    rest = _QUALIFIER_REST_RE.sub("", q).strip()
    if rest and not segment:
        notes.append(rest)
    entry["note"] = "；".join(n for n in notes if n)


def _junction(s: str) -> str:
    """``清安街口双号`` -> 清安街; ``一环路口`` -> 一环路; ``红星路四段街口`` -> 红星路四段."""
    s = _JUNCTION_TAIL_RE.sub("", s)
    s = _JUNCTION_START_RE.sub("", s)
    s = _JUNCTION_END_RE.sub("", s).strip(_TRAILING_PUNCT + "()")
    s = _JUNCTION_MOUTH_RE.sub("", s)
    return s.removesuffix("口")


# "[\d号附—–~-]+$" retried every position of a run that does not reach the end; the same match, from the
# run's start only.
_JUNCTION_END_RE = re.compile(r"(?<![\d号附—–~-])[\d号附—–~-]++$")
_JUNCTION_TAIL_RE = re.compile(r"(单号|双号|[东西南北内外]侧|以[东西南北]).*$")
_JUNCTION_START_RE = re.compile(r"^(单号|双号)?[\d号附—–~-]+")
_JUNCTION_MOUTH_RE = re.compile(r"(?<=[路街巷道段])(街口|路口|巷口)$")


# --- matching --------------------------------------------------------------------------------------------

def street_index(network: Network) -> NameIndex:
    """The network's street names, indexed for matching."""
    return NameIndex(np.unique(network.edge_name.astype(str)), "street")


def match_entries(entries: pd.DataFrame, index: NameIndex | Network) -> pd.DataFrame:
    """The entries with their street matched: ``status`` (matched / loose / unmatched), ``names`` (the
    network names, a tuple), ``score`` and ``candidates``. An alias (武成（城）大街) is tried when the
    written name does not match exactly; the better result is kept."""
    if isinstance(index, Network):
        index = street_index(index)
    rank = {MATCHED: 0, LOOSE: 1, UNMATCHED: 2}
    cache: dict[str, dict] = {}

    def one(name: str) -> dict:
        if name not in cache:
            cache[name] = index.match(name)
        return cache[name]

    rows = []
    for street, aliases in zip(entries["street"], entries["aliases"], strict=True):
        best = one(street)
        for a in (x for x in str(aliases).split("|") if x):
            m = one(a)
            if rank[m["status"]] < rank[best["status"]]:
                best = m
        rows.append(best)
    m = pd.DataFrame(rows, index=entries.index, columns=["status", "names", "score", "candidates"])
    return pd.concat([entries, m], axis=1)


def match_report(entries: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct street name of matched entries (from :func:`match_entries`): status,
    network names, score, nearest candidates and how many entries use it."""
    g = entries.groupby("street", sort=False)
    out = g.agg(status=("status", "first"), names=("names", "first"), score=("score", "first"),
                candidates=("candidates", "first"), entries=("kind", "size")).reset_index()
    return out


# --- streets -> edges ------------------------------------------------------------------------------------

_PRIORITY = {SEGMENT: 0, SIDE: 1, ODD: 2, EVEN: 2, ADDRESS: 3, ALL: 4}


@dataclass(frozen=True, eq=False)
class EdgeAssignment:
    """Network edges listed for each school.

    edge_school: per directed edge, the school index (into ``schools``), -1 where not listed.
    schools: school names in index order.
    flags: entries used in a looser way than written (odd/even, side, address, an unresolved segment),
    one row each with a ``flag`` code. conflicts: edges listed for more than one school, per street and
    pair of schools, with the length in metres and the school the edges went to. skipped: entries not
    used (street not matched, school not in the table).
    """

    edge_school: np.ndarray
    schools: tuple[str, ...]
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)


F_PARITY = "parity_whole_street"
F_SIDE = "side_whole_street"
F_ADDRESS = "address_whole_street"
F_ADDRESS_SKIPPED = "address_skipped"
F_JUNCTION = "junction_not_found"
F_NO_PATH = "no_path_between_junctions"
F_LOOSE = "loose_match"


class _Streets:
    """Per-name edge lookups on one network (undirected street pieces, junction nodes, stretches)."""

    def __init__(self, network: Network, index: NameIndex | None = None) -> None:
        self.net = network
        self.index = index or street_index(network)
        names = network.edge_name.astype(str)
        self.name_codes, self.name_of_edge = np.unique(names, return_inverse=True)
        self.key_of_code = np.array([normalise_name(n) for n in self.name_codes], dtype=object)
        self.key_of_edge = self.key_of_code[self.name_of_edge]
        order = np.argsort(self.name_of_edge, kind="stable")
        bounds = np.searchsorted(self.name_of_edge[order], np.arange(self.name_codes.size + 1))
        self._edges_by_code = {str(n): order[bounds[i]:bounds[i + 1]] for i, n in enumerate(self.name_codes)}

    def edges(self, names) -> np.ndarray:
        parts = [self._edges_by_code.get(str(n), np.zeros(0, np.int64)) for n in names]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def nodes(self, edges: np.ndarray) -> np.ndarray:
        return np.unique(np.concatenate([self.net.edge_u[edges], self.net.edge_v[edges]]))

    def junction_names(self, written: str) -> tuple[str, ...]:
        """Network names a junction written as ``written`` stands for: its match, plus every name
        beginning with it (一环路 -> each section of 一环路)."""
        m = self.index.match(written)
        keys = {self.index.normalise(n) for n in m["names"]} if m["status"] != UNMATCHED else set()
        keys |= self.index.prefixed(self.index.normalise(written))
        return self.index.names(keys)

    def stretch(self, street_edges: np.ndarray, from_nodes: np.ndarray, to_nodes: np.ndarray
                ) -> np.ndarray | None:
        """Edges of the street between a node of ``from_nodes`` and one of ``to_nodes``: the shortest
        way along the street's own edges (both directions of each). None when there is none."""
        if street_edges.size == 0 or from_nodes.size == 0 or to_nodes.size == 0:
            return None
        net = self.net
        u, v, w = net.edge_u[street_edges], net.edge_v[street_edges], net.edge_length[street_edges]
        g = sp.csr_matrix((np.maximum(w, 1e-6), (u, v)), shape=(net.n_nodes, net.n_nodes))
        g = g.maximum(g.T)
        dist, pred, _ = dijkstra(g, directed=False, indices=from_nodes, min_only=True, return_predecessors=True)
        d_to = dist[to_nodes]
        ok = np.isfinite(d_to) & (d_to > 0)
        if not ok.any():
            return None
        t = int(to_nodes[ok][np.argmin(d_to[ok])])
        path = [t]
        while pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        a, b = np.array(path[1:]), np.array(path[:-1])
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        pair = lo.astype(np.int64) * net.n_nodes + hi
        want = np.minimum(a, b).astype(np.int64) * net.n_nodes + np.maximum(a, b)
        return street_edges[np.isin(pair, want)]

    def junction_nodes(self, street_edges: np.ndarray, written: str, own_names: tuple[str, ...]) -> np.ndarray:
        names = tuple(n for n in self.junction_names(written) if n not in set(own_names))
        if not names:
            return np.zeros(0, np.int64)
        return np.intersect1d(self.nodes(street_edges), self.nodes(self.edges(names)))

    def segment(self, names: tuple[str, ...], a: str, b: str) -> tuple[np.ndarray | None, str]:
        street_edges = self.edges(names)
        fa = self.junction_nodes(street_edges, a, names)
        fb = self.junction_nodes(street_edges, b, names)
        if fa.size == 0 or fb.size == 0:
            return None, F_JUNCTION
        got = self.stretch(street_edges, fa, fb)
        return (got, "") if got is not None else (None, F_NO_PATH)


def assign_edges(network: Network, entries: pd.DataFrame, schools: list[str] | None = None,
                 address: str = "street", index: NameIndex | None = None) -> EdgeAssignment:
    """Turn matched entries (from :func:`match_entries`) into an edge assignment.

    ``schools``: the school names in index order (e.g. a schools table's names); entries' schools are
    matched to them by name (成都市实验小学 = 成都实验小学). Default: the entries' own schools in order
    of appearance. ``address``: "street" (an address entry takes its whole street, flagged) or "skip".

    An edge listed for several schools goes to the most specific entry (segment, then side, then
    odd/even, then address, then whole street), then to the first listed; every such edge is reported
    in ``conflicts``.
    """
    streets = _Streets(network, index)
    if "status" not in entries.columns:
        entries = match_entries(entries, streets.index)
    if schools is None:
        schools = list(dict.fromkeys(entries["school"]))
        school_of = {s: i for i, s in enumerate(schools)}
    else:
        sm = match_schools(entries["school"].unique(), schools)
        school_of = dict(zip(sm["name"], sm["index"], strict=True))
    flags, skipped = [], []
    cand_edge, cand_school, cand_rank, cand_entry = [], [], [], []
    for k, (i, e) in enumerate(entries.iterrows()):
        s = school_of.get(e["school"], -1)
        if s < 0:
            skipped.append(_row(e, "school_not_found"))
            continue
        if e["status"] == UNMATCHED:
            skipped.append(_row(e, "street_not_matched"))
            continue
        names = tuple(e["names"])
        kind = e["kind"]
        if e["status"] == LOOSE:
            flags.append(_row(e, F_LOOSE))
        edges = None
        if kind == SEGMENT:
            edges, why = streets.segment(names, e["from_street"], e["to_street"])
            if edges is None:
                flags.append(_row(e, why))
        elif kind in (ODD, EVEN):
            flags.append(_row(e, F_PARITY))
        elif kind == SIDE:
            flags.append(_row(e, F_SIDE))
        elif kind == ADDRESS:
            if address == "skip":
                flags.append(_row(e, F_ADDRESS_SKIPPED))
                continue
            flags.append(_row(e, F_ADDRESS))
        if edges is None:
            edges = streets.edges(names)
        cand_edge.append(edges)
        cand_school.append(np.full(edges.size, s))
        cand_rank.append(np.full(edges.size, _PRIORITY[kind] * 1_000_000 + k))
        cand_entry.append(np.full(edges.size, i))
    edge_school = np.full(network.n_edges, -1, np.int64)
    conflicts = pd.DataFrame(columns=["street", "schools", "kept", "length_m", "edges"])
    if cand_edge:
        ce, cs, cr = (np.concatenate(x) for x in (cand_edge, cand_school, cand_rank))
        order = np.lexsort((cr, ce))
        ce, cs, cr = ce[order], cs[order], cr[order]
        first = np.ones(ce.size, bool)
        first[1:] = ce[1:] != ce[:-1]
        edge_school[ce[first]] = cs[first]
        kept = np.repeat(cs[first], np.diff(np.append(np.flatnonzero(first), ce.size)))
        clash = cs != kept
        if clash.any():
            df = pd.DataFrame({"edge": ce[clash], "other": cs[clash], "kept": kept[clash]})
            df["street"] = network.edge_name[df["edge"]].astype(str)
            df["length_m"] = network.edge_length[df["edge"]] / (2 if network.mode == "walk" else 1)
            g = df.groupby(["street", "kept", "other"], sort=True).agg(length_m=("length_m", "sum"),
                                                                         edges=("edge", "size")).reset_index()
            conflicts = pd.DataFrame({
                "street": g["street"],
                "schools": [f"{schools[a]} / {schools[b]}" for a, b in zip(g["kept"], g["other"], strict=True)],
                "kept": [schools[a] for a in g["kept"]],
                "length_m": g["length_m"].round(1),
                "edges": g["edges"],
            })
    return EdgeAssignment(edge_school, tuple(schools), pd.DataFrame(flags), conflicts, pd.DataFrame(skipped))


def _row(e: pd.Series, flag: str) -> dict:
    return {"school": e["school"], "street": e["street"], "kind": e["kind"], "text": e["text"],
            "source": e["source"], "line": int(e["line"]), "flag": flag}


# --- edges -> nodes, compounds, comparison, polygons ----------------------------------------------------

def node_labels_from_edges(network: Network, edge_school: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every node's school: that of the nearest listed edge over the network.

    One multi-source Dijkstra (:func:`geo.network.distances.nearest_source`) from the end nodes of the listed
    edges. A node where edges of several schools meet goes to the school with the most listed length
    there (ties: the lower index). Returns ``(node_label, node_dist)``; -1 / inf where nothing is listed
    within reach.
    """
    from geo.network.distances import nearest_source

    edge_school = np.asarray(edge_school, np.int64)
    listed = edge_school >= 0
    if not listed.any():
        return np.full(network.n_nodes, -1, np.int64), np.full(network.n_nodes, np.inf)
    k = int(edge_school.max()) + 1
    nodes = np.concatenate([network.edge_u[listed], network.edge_v[listed]]).astype(np.int64)
    school = np.concatenate([edge_school[listed], edge_school[listed]])
    weight = np.concatenate([network.edge_length[listed]] * 2)
    key, inv = np.unique(nodes * k + school, return_inverse=True)
    total = np.bincount(inv, weights=weight)
    kn, ks = key // k, key % k
    order = np.lexsort((ks, -total, kn))
    first = np.ones(order.size, bool)
    first[1:] = kn[order][1:] != kn[order][:-1]
    src_node, src_school = kn[order][first], ks[order][first]
    dist, src = nearest_source(network, src_node)
    label = np.where(src >= 0, src_school[np.maximum(src, 0)], -1)
    return label.astype(np.int64), dist


def compound_schools(network: Network, edge_school: np.ndarray, compound_xy: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The school each compound goes to under the listed edges (compounds snapped to their nearest node
    with :func:`geo.network.distances.snap`), and its walk to the nearest listed street (snap included)."""
    from geo.network.distances import snap

    label, dist = node_labels_from_edges(network, edge_school)
    node, off = snap(network, compound_xy)
    return label[node], dist[node] + off


def compare_with_nearest(official: np.ndarray, dist: np.ndarray, names: list[str] | None = None,
                         school_names: list[str] | None = None) -> pd.DataFrame:
    """Where the official zones send a compound farther than its nearest school, and by how much.

    ``official``: the school index per compound (-1 = not covered); ``dist``: a schools x compounds walk
    matrix (:func:`geo.network.distances.distance_matrix`, same school order). One row per compound: official
    and nearest school, both walks, ``extra_m`` (official - nearest, NaN when not covered) and ``farther``.
    """
    official = np.asarray(official, np.int64)
    dist = np.asarray(dist, float)
    n = dist.shape[1]
    nearest = np.argmin(np.where(np.isfinite(dist), dist, np.inf), axis=0)
    cols = np.arange(n)
    nearest_m = dist[nearest, cols]
    covered = official >= 0
    official_m = np.where(covered, dist[np.maximum(official, 0), cols], np.nan)
    extra = official_m - nearest_m
    out = pd.DataFrame({
        "compound": names if names is not None else np.arange(n),
        "official": official, "nearest": nearest,
        "official_m": official_m, "nearest_m": nearest_m, "extra_m": extra,
        "farther": covered & (extra > 1e-6),
    })
    if school_names is not None:
        sn = np.asarray(school_names, dtype=object)
        out.insert(2, "official_name", np.where(covered, sn[np.maximum(official, 0)], ""))
        out.insert(4, "nearest_name", sn[nearest])
    return out


def comparison_summary(table: pd.DataFrame, children: np.ndarray | None = None) -> dict:
    """Totals of :func:`compare_with_nearest`: compounds covered, sent farther, the mean and largest
    extra walk (child-weighted too when ``children`` is given)."""
    covered = table["official"].to_numpy() >= 0
    far = table["farther"].to_numpy()
    extra = table["extra_m"].to_numpy()
    out = {"compounds": len(table), "covered": int(covered.sum()), "farther": int(far.sum()),
           "mean_extra_m": float(np.nanmean(extra[covered])) if covered.any() else float("nan"),
           "max_extra_m": float(np.nanmax(extra[covered])) if covered.any() else float("nan")}
    if children is not None:
        c = np.asarray(children, float)
        out["children_farther"] = float(c[far].sum())
        out["child_mean_extra_m"] = float(np.sum(c[covered] * extra[covered]) / max(c[covered].sum(), 1e-9))
    return out


def catchment_polygons(network: Network, node_label: np.ndarray, node_dist: np.ndarray, n_schools: int,
                       area=None) -> np.ndarray:
    """One (multi)polygon per school from node labels, as :mod:`geo.zoning.catchments` draws them (street
    samples, Voronoi cells dissolved by school). ``area`` defaults to the labelled nodes' study area."""
    from geo.zoning.catchments import edge_samples, polygons_from_sites, study_area

    xy, lab = edge_samples(network, node_label, np.where(np.isfinite(node_dist), node_dist, 1e12))
    if area is None:
        area = study_area(network.xy[node_label >= 0], network.xy)
    return polygons_from_sites(xy, lab, n_schools, area)


# --- plans -> zone text ----------------------------------------------------------------------------------

def plan_edges(network: Network, node_label: np.ndarray, node_dist: np.ndarray | None = None) -> np.ndarray:
    """An edge assignment from node labels: each edge goes with its end nearer to a school (by
    ``node_dist``; ties to the lower node index), the same for both directions of a street."""
    u, v = network.edge_u.astype(np.int64), network.edge_v.astype(np.int64)
    d = np.zeros(network.n_nodes) if node_dist is None else np.asarray(node_dist, float)
    du, dv = d[u], d[v]
    pick_u = (du < dv) | ((du == dv) & (u < v))
    label = np.asarray(node_label, np.int64)
    return np.where(pick_u, label[u], label[v])


@dataclass(frozen=True, eq=False)
class WrittenZones:
    """A plan written as a zone list.

    text: the zone list; edge_school: the assignment the text stands for (what reading it back gives);
    unwritten: streets or stretches that could not be written (unnamed streets are left out silently:
    they have no name to write), with school, length and reason; moved_m: length of named street whose
    school changed because a street was cut only where a named street crosses it; schools: the school
    names as written (a name used by two schools gets "(2)", "(3)"... so that each reads back to one).
    """

    text: str
    edge_school: np.ndarray
    unwritten: pd.DataFrame
    moved_m: float
    schools: tuple[str, ...] = ()


def write_zone_text(network: Network, edge_school: np.ndarray, schools: list[str], fmt: str = "text",
                    index: NameIndex | None = None) -> WrittenZones:
    """Write each school's streets in the official style: a street wholly in one catchment by name,
    a street split between catchments as ``街道(A口至B口)`` stretches between named junctions.

    A street is cut only where another named street meets it, so each stretch takes the school of most
    of its length; every entry is checked by reading it back, and one that would not read back to the
    same edges is reported in ``unwritten`` instead. ``fmt``: "text" (``学校：街道、街道`` per line),
    "markdown" (``## N. 学校`` sections) or "csv".
    """
    streets = _Streets(network, index)
    net = network
    edge_school = np.asarray(edge_school, np.int64)
    n = net.n_nodes
    lo = np.minimum(net.edge_u, net.edge_v).astype(np.int64)
    hi = np.maximum(net.edge_u, net.edge_v).astype(np.int64)
    _, rep, pair_of_edge = np.unique(lo * n + hi, return_index=True, return_inverse=True)
    pu, pv = lo[rep], hi[rep]
    plen = net.edge_length[rep]
    pschool = edge_school[rep]
    pkey = streets.key_of_edge[rep]
    key_codes, pkc = np.unique(pkey.astype(str), return_inverse=True)
    named = pkey != ""
    # Which named streets meet at each node.
    node_keys: dict[int, set[int]] = {}
    for a, b, c in zip(pu[named], pv[named], pkc[named], strict=True):
        node_keys.setdefault(int(a), set()).add(int(c))
        node_keys.setdefault(int(b), set()).add(int(c))

    written = np.full(rep.size, -1, np.int64)
    items: dict[int, list[str]] = {s: [] for s in range(len(schools))}
    unwritten = []
    order = np.argsort(pkc, kind="stable")
    bounds = np.searchsorted(pkc[order], np.arange(key_codes.size + 1))
    for c in range(key_codes.size):
        key = key_codes[c]
        if not key:
            continue
        P = order[bounds[c]:bounds[c + 1]]
        names = streets.index.names([key]) or tuple(sorted(set(net.edge_name[rep[P]].astype(str))))
        shown = names[0]
        ps = pschool[P]
        if (ps == ps[0]).all():
            if ps[0] >= 0:
                _write_whole(streets, shown, names, int(ps[0]), P, items, written, unwritten, plen)
            continue
        nodes = np.unique(np.concatenate([pu[P], pv[P]]))
        cut = np.array([len(node_keys.get(int(x), set()) - {c}) > 0 for x in nodes])
        piece = _pieces(pu[P], pv[P], nodes, cut)
        npieces = int(piece.max()) + 1
        piece_school = np.full(npieces, -1, np.int64)
        for p in range(npieces):
            m = piece == p
            s_all, inv = np.unique(ps[m], return_inverse=True)
            piece_school[p] = s_all[np.argmax(np.bincount(inv, weights=plen[P][m]))]
        want = piece_school[piece]
        if (want == want[0]).all():
            if want[0] >= 0:
                _write_whole(streets, shown, names, int(want[0]), P, items, written, unwritten, plen)
            continue
        for s in np.unique(want[want >= 0]):
            mine = np.flatnonzero(want == s)
            for run in _runs(pu[P][mine], pv[P][mine]):
                run_pairs = P[mine[run]]
                if _write_stretch(streets, shown, names, int(s), run_pairs, pu, pv, node_keys, key_codes, c,
                                  items, written, rep):
                    continue
                for p in np.unique(piece[mine[run]]):  # each piece on its own
                    pp = P[(piece == p)]
                    if not _write_stretch(streets, shown, names, int(s), pp, pu, pv, node_keys, key_codes, c,
                                          items, written, rep):
                        unwritten.append({"street": shown, "school": schools[s], "length_m": float(plen[pp].sum()),
                                          "reason": "no_named_junctions"})
    edge_written = written[pair_of_edge]
    named_edge = streets.key_of_edge != ""
    moved = named_edge & (edge_written != edge_school) & (edge_written >= 0)
    moved_m = float(net.edge_length[moved].sum()) / (2 if net.mode == "walk" else 1)
    labels = _unique_labels(schools)
    text = _format(items, labels, fmt)
    return WrittenZones(text, edge_written, pd.DataFrame(unwritten, columns=["street", "school", "length_m", "reason"]),
                        moved_m, tuple(labels))


def _unique_labels(schools: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for s in schools:
        k = normalise_school(s)
        seen[k] = seen.get(k, 0) + 1
        out.append(str(s) if seen[k] == 1 else f"{s}({seen[k]})")
    return out


def _pieces(u: np.ndarray, v: np.ndarray, nodes: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """Stretches of one street between the nodes where other named streets meet it: edges joined
    through every node that is not such a junction."""
    m = u.size
    ui, vi = np.searchsorted(nodes, u), np.searchsorted(nodes, v)
    rows, cols = [], []
    for end in (ui, vi):
        keep = ~cut[end]
        rows.append(np.flatnonzero(keep))
        cols.append(m + end[keep])
    r, c = np.concatenate(rows), np.concatenate(cols)
    g = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(m + nodes.size, m + nodes.size))
    _, lab = connected_components(g, directed=False)
    _, piece = np.unique(lab[:m], return_inverse=True)
    return piece


def _runs(u: np.ndarray, v: np.ndarray) -> list[np.ndarray]:
    """Connected runs of edges (through any shared node)."""
    nodes, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    m = u.size
    r = np.concatenate([np.arange(m), np.arange(m)])
    g = sp.csr_matrix((np.ones(2 * m), (r, m + inv)), shape=(m + nodes.size, m + nodes.size))
    _, lab = connected_components(g, directed=False)
    return [np.flatnonzero(lab[:m] == k) for k in np.unique(lab[:m])]


def _read_item(streets: _Streets, item: str) -> tuple[dict | None, tuple[str, ...]]:
    entries, issues = parse_range(item)
    if len(entries) != 1 or issues:
        return None, ()
    m = streets.index.match(entries[0]["street"])
    return entries[0], (m["names"] if m["status"] == MATCHED else ())


def _write_whole(streets, shown, names, s, P, items, written, unwritten, plen) -> None:
    e, got = _read_item(streets, shown)
    if e is None or e["kind"] != ALL or set(got) != set(names):
        unwritten.append({"street": shown, "school": "", "length_m": float(plen[P].sum()), "reason": "name_not_writable"})
        return
    items[s].append(shown)
    written[P] = s


def _write_stretch(streets, shown, names, s, run_pairs, pu, pv, node_keys, key_codes, c, items, written, rep
                   ) -> bool:
    """Write one stretch as ``街道(A口至B口)`` if some pair of junction names reads back to exactly it."""
    u, v = pu[run_pairs], pv[run_pairs]
    ends, counts = np.unique(np.concatenate([u, v]), return_counts=True)
    ends = ends[counts == 1]
    if ends.size != 2:
        return False
    cand = []
    for x in ends:
        ks = sorted(node_keys.get(int(x), set()) - {c}, key=lambda k: (len(key_codes[k]), key_codes[k]))
        cand.append([streets.index.names([key_codes[k]])[0] for k in ks[:3] if streets.index.names([key_codes[k]])])
    for a in cand[0]:
        for b in cand[1]:
            item = f"{shown}({a}口至{b}口)"
            e, got = _read_item(streets, item)
            if e is None or e["kind"] != SEGMENT or set(got) != set(names):
                continue
            edges, _ = streets.segment(got, e["from_street"], e["to_street"])
            if edges is None:
                continue
            lo = np.minimum(streets.net.edge_u[edges], streets.net.edge_v[edges]).astype(np.int64)
            hi = np.maximum(streets.net.edge_u[edges], streets.net.edge_v[edges]).astype(np.int64)
            got_pairs = set((lo * streets.net.n_nodes + hi).tolist())
            want_pairs = set((pu[run_pairs] * streets.net.n_nodes + pv[run_pairs]).tolist())
            if got_pairs == want_pairs:
                items[s].append(item)
                written[run_pairs] = s
                return True
    return False


def _format(items: dict[int, list[str]], schools: list[str], fmt: str) -> str:
    rows = [(schools[s], items[s]) for s in range(len(schools)) if items[s]]
    if fmt == "markdown":
        parts = ["# 划片范围", ""]
        for i, (name, its) in enumerate(rows, start=1):
            parts += [f"## {i}. {name}", "", "、".join(its), ""]
        return "\n".join(parts)
    if fmt == "csv":  # formula-safe, as every CSV the project writes (geo.render.export.safe_cell)
        from geo.render.export import csv_text

        return csv_text([["学校名称", "划片范围"]] + [[name, "、".join(its)] for name, its in rows])
    if fmt != "text":
        raise ValueError("fmt must be 'text', 'markdown' or 'csv'")
    return "".join(f"{name}：{'、'.join(its)}\n" for name, its in rows)


# --- report ----------------------------------------------------------------------------------------------

DISTRICT_OF_FILE = {"chenghua": "成华", "成华": "成华", "jinniu": "金牛", "金牛": "金牛", "jinjiang": "锦江",
                    "锦江": "锦江", "wuhou": "武侯", "武侯": "武侯"}


def district_of(file_name: str) -> str:
    for k, d in DISTRICT_OF_FILE.items():
        if k in file_name:
            return d
    return Path(file_name).stem


def match_table(zone_dir: str | Path, network: Network) -> pd.DataFrame:
    """For each district (both of its files together), how many listed streets matched the network
    exactly, loosely or not at all: distinct names and entries (an entry listed in both files with the
    same school, street, qualifier and house numbers counts once), plus the issues (unparsed pieces)."""
    index = street_index(network)
    rows = []
    by_district: dict[str, list[tuple[str, ZoneText]]] = {}
    for name, z in read_zone_dir(zone_dir).items():
        by_district.setdefault(district_of(name), []).append((name, z))
    for d, files in by_district.items():
        e = pd.concat([z.entries for _, z in files], ignore_index=True)
        e = e.assign(_school=e["school"].map(normalise_school))
        e = e.drop_duplicates(["_school", "street", "kind", "from_street", "to_street", "house_number"])
        e = match_entries(e, index)
        st = e.drop_duplicates("street")
        ec, sc = e["status"].value_counts(), st["status"].value_counts()
        rows.append({
            "district": d, "files": len(files),
            "streets": len(st), "streets_matched": int(sc.get(MATCHED, 0)), "streets_loose": int(sc.get(LOOSE, 0)),
            "streets_unmatched": int(sc.get(UNMATCHED, 0)),
            "entries": len(e), "entries_matched": int(ec.get(MATCHED, 0)), "entries_loose": int(ec.get(LOOSE, 0)),
            "entries_unmatched": int(ec.get(UNMATCHED, 0)),
            "issues": int(sum(len(z.issues) for _, z in files)),
        })
    return pd.DataFrame(rows).sort_values("district", ignore_index=True)


# --- an official list as a plan --------------------------------------------------------------------------

OFFICIAL = "official"
SCHOOL_LINK_MIN = 90.0  # a school name matched only by a fuzzy score below this is not linked to the table


@dataclass(frozen=True, eq=False)
class OfficialReport:
    """What reading an official list against a dataset found.

    entries: the parsed entries with their street match (:func:`match_entries`); issues: what was not
    parsed (file and line); streets: one row per listed street name (:func:`match_report`); schools: one
    row per listed school with the table school it stands for (``school_id`` empty and ``linked`` False
    when none: its zone is drawn but it has no place to measure walks to); edges: the listed edges per
    zone school (in the order of the plan's ``catchments``); comparison: one row per compound, the
    official school against the nearest one (:func:`compare_with_nearest`, plus ``compound_id``,
    ``children``, ``zone_school`` and ``listed``: whether any listed street is within reach); summary:
    the counts.
    """

    entries: pd.DataFrame
    issues: pd.DataFrame
    streets: pd.DataFrame
    schools: pd.DataFrame
    edges: EdgeAssignment | None
    comparison: pd.DataFrame
    summary: dict


def load_zone_source(path: str | Path) -> ZoneText:
    """A zone list from a file (``.md`` / ``.csv`` / ``.txt``) or every list in a folder; a missing,
    oversized (over :data:`MAX_ZONE_TEXT_BYTES`, a folder's lists together too) or unsupported file is an
    :class:`~geo.errors.InputError` naming it."""
    from geo.errors import InputError

    p = Path(path)
    if p.is_dir():
        sizes = [q.stat().st_size for q in p.iterdir() if q.suffix.lower() in ZONE_SUFFIXES and q.is_file()]
        _check_zone_size(p.name, sum(sizes), MAX_ZONE_TEXT_BYTES)
        files = read_zone_dir(p)
        if not files:
            raise InputError("err.format", file=p.name, formats=".md / .csv / .txt")
        out = None
        for z in files.values():
            out = z if out is None else out + z
        return out
    if not p.is_file():
        raise InputError("err.file_missing", file=str(path))
    if p.suffix.lower() not in ZONE_SUFFIXES:
        raise InputError("err.format", file=p.name, formats=".md / .csv / .txt")
    return read_zone_file(p)  # refused by its size before it is read


def read_zone_upload(name: str, data: bytes) -> ZoneText:
    """A zone list given as bytes (an upload), refused with an InputError naming it when it is over
    :data:`MAX_ZONE_TEXT_BYTES` or not a ``.md`` / ``.csv`` / ``.txt`` file."""
    from geo.errors import InputError

    if Path(name).suffix.lower() not in ZONE_SUFFIXES:
        raise InputError("err.format", file=name, formats=".md / .csv / .txt")
    return read_zone_file(name, data=data, name=name)


def _link_schools(listed: list[str], table_names: list[str]) -> pd.DataFrame:
    """Each listed school's row in the schools table: the name as written by :func:`write_zone_text`
    (``泡桐树小学(2)``) first, then :func:`~geo.official.names.match_schools` (exact, or fuzzy with a score of at
    least :data:`SCHOOL_LINK_MIN`)."""
    labels = {lab: i for i, lab in enumerate(_unique_labels(table_names))}
    rows = []
    m = match_schools(listed, table_names).set_index("name") if listed and table_names else None
    for name in listed:
        if name in labels:
            rows.append({"name": name, "status": MATCHED, "table_name": table_names[labels[name]], "score": 100.0,
                         "candidates": "", "index": labels[name]})
            continue
        if m is None:
            rows.append({"name": name, "status": UNMATCHED, "table_name": "", "score": 0.0, "candidates": "",
                         "index": -1})
            continue
        r = m.loc[name]
        ok = int(r["index"]) >= 0 and (r["status"] == MATCHED or (r["status"] == LOOSE and r["score"] >= SCHOOL_LINK_MIN))
        rows.append({"name": name, "status": r["status"], "table_name": table_names[int(r["index"])] if ok else "",
                     "score": float(r["score"]), "candidates": r["candidates"], "index": int(r["index"]) if ok else -1})
    return pd.DataFrame(rows, columns=["name", "status", "table_name", "score", "candidates", "index"])


def official_plan(inputs, zone: ZoneText | str, level: str = "primary", address: str = "street"):
    """An official zone list read against a dataset, as a plan: ``(result, report)``.

    ``result`` is a :class:`~geo.zoning.scenario.ZoningResult` (``summary["method"] == "official"``) with one
    catchment per listed school (in order of listing; two names for one table school are one zone),
    each compound in the zone of its nearest listed street (-1 / empty where none is within reach), the
    walk to its official school where that school is in the schools table, and polygons drawn as for
    nearest-school zones; ``result.schools`` holds the listed schools found in the table. ``result`` is
    ``None`` when no listed street is on the network (the report still says why). ``report`` is an
    :class:`OfficialReport`, including the comparison with nearest-school zoning. ``zone`` is a parsed
    list or its text; ``address`` is as for :func:`assign_edges`.
    """
    import geopandas as gpd
    import shapely

    from geo.inputs.demand import children_column
    from geo.inputs.schools import schools_for_level
    from geo.network.distances import distance_matrix, snap
    from geo.zoning.assignment import NETWORK
    from geo.zoning.catchments import absorb_fragments, edge_samples, outline_samples, polygons_from_sites
    from geo.zoning.metrics import RADIUS_M, polsby_popper, school_table, summary
    from geo.zoning.scenario import Scenario, ZoningResult

    if isinstance(zone, str):
        zone = parse_zone_text(zone)
    net = inputs.network
    index = street_index(net)
    entries = match_entries(zone.entries, index) if len(zone.entries) else zone.entries.assign(
        status=pd.Series(dtype=object), names=pd.Series(dtype=object), score=pd.Series(dtype=float),
        candidates=pd.Series(dtype=object))
    streets = match_report(entries) if len(entries) else pd.DataFrame(
        columns=["street", "status", "names", "score", "candidates", "entries"])
    table = schools_for_level(inputs.schools, level)
    table_names = [str(n) for n in table["name"]]
    listed = [str(s) for s in dict.fromkeys(entries["school"])]
    links = _link_schools(listed, table_names)
    links["entries"] = links["name"].map(entries["school"].value_counts()).fillna(0).astype(int)
    links["linked"] = links["index"] >= 0
    links["school_id"] = [str(table["school_id"].iloc[i]) if i >= 0 else "" for i in links["index"]]

    # Zone schools: one per table school linked to, and one per listed school found nowhere.
    zone_of_key: dict = {}
    zone_listed = np.full(len(listed), -1, np.int64)
    for j, (name, i) in enumerate(zip(links["name"], links["index"], strict=True)):
        key = ("t", int(i)) if i >= 0 else ("n", name)
        zone_listed[j] = zone_of_key.setdefault(key, len(zone_of_key))
    zones = list(zone_of_key)
    k = len(zones)
    zone_table = np.array([i if kind == "t" else -1 for kind, i in zones], np.int64)
    zone_name = [table_names[i] if kind == "t" else i for kind, i in zones]
    taken = set(map(str, table["school_id"]))
    zone_id = []
    for z, (kind, i) in enumerate(zones):
        if kind == "t":
            zone_id.append(str(table["school_id"].iloc[i]))
        else:
            sid, n = f"zone-{z + 1}", 1
            while sid in taken:
                n += 1
                sid = f"zone-{z + 1}-{n}"
            taken.add(sid)
            zone_id.append(sid)

    children = inputs.compounds[children_column(level)].to_numpy(float)
    u_node, u_off = inputs.compound_snap
    counts = streets["status"].value_counts() if len(streets) else pd.Series(dtype=int)
    ecounts = entries["status"].value_counts() if len(entries) else pd.Series(dtype=int)
    totals = {"method": OFFICIAL, "entries": len(entries), "issues": len(zone.issues), "streets": len(streets),
              "streets_matched": int(counts.get(MATCHED, 0)), "streets_loose": int(counts.get(LOOSE, 0)),
              "streets_unmatched": int(counts.get(UNMATCHED, 0)), "entries_matched": int(ecounts.get(MATCHED, 0)),
              "entries_loose": int(ecounts.get(LOOSE, 0)), "entries_unmatched": int(ecounts.get(UNMATCHED, 0)),
              "listed_schools": len(listed), "linked_schools": int(links["linked"].sum()), "zones": k}

    if len(table):
        school_xy = shapely.get_coordinates(table.geometry.to_crs(net.crs).to_numpy())
        s_node, s_off = snap(net, school_xy)
        dist = distance_matrix(net, s_node, s_off, u_node, u_off)
    else:
        school_xy, dist = np.zeros((0, 2)), np.zeros((0, len(children)))

    edges = None
    if len(entries) and (entries["status"] != UNMATCHED).any():
        edges = assign_edges(net, entries, None, address=address, index=index)
        remap = np.append(zone_listed, -1)  # -1 stays -1
        edges = EdgeAssignment(remap[edges.edge_school], tuple(zone_name), edges.flags, edges.conflicts,
                               edges.skipped)
    if edges is None or not (edges.edge_school >= 0).any():
        comparison = pd.DataFrame(columns=["compound_id", "compound", "children", "zone_school", "listed",
                                           "official", "official_name", "nearest", "nearest_name", "official_m",
                                           "nearest_m", "extra_m", "farther"])
        return None, OfficialReport(entries, zone.issues, streets, links, edges, comparison,
                                    totals | {"compounds": len(children), "listed_compounds": 0, "covered": 0,
                                              "farther": 0, "children_farther": 0.0})

    node_label, node_dist = node_labels_from_edges(net, edges.edge_school)
    comp_zone = node_label[u_node]
    listed_m = node_dist[u_node] + u_off
    official = np.where(comp_zone >= 0, zone_table[np.maximum(comp_zone, 0)], -1)
    cols = np.arange(len(children))
    located = official >= 0
    walk = np.where(located, dist[np.maximum(official, 0), cols] if len(table) else np.nan, np.nan)
    straight = np.where(located, np.hypot(*(inputs.compound_xy - school_xy[np.maximum(official, 0)]).T)
                        if len(table) else np.nan, np.nan)

    names = inputs.compounds["name"].to_numpy()
    zone_names = np.asarray(zone_name + [""], dtype=object)
    zone_ids = np.asarray(zone_id + [""], dtype=object)
    if len(table):
        comparison = compare_with_nearest(official, dist, names=list(names), school_names=table_names)
    else:
        comparison = pd.DataFrame({"compound": names, "official": official, "official_name": "", "nearest": -1,
                                   "nearest_name": "", "official_m": np.nan, "nearest_m": np.nan, "extra_m": np.nan,
                                   "farther": False})
    comparison.insert(0, "compound_id", inputs.compounds["compound_id"].to_numpy())
    comparison.insert(2, "children", children)
    comparison.insert(3, "zone_school", zone_names[comp_zone])
    comparison.insert(4, "listed", comp_zone >= 0)
    comparison["listed_street_m"] = listed_m

    geoms = inputs.compounds_projected.to_numpy()
    assignments = gpd.GeoDataFrame({
        "compound_id": inputs.compounds["compound_id"].to_numpy(), "name": names, "children": children,
        "school_id": zone_ids[comp_zone], "school_name": zone_names[comp_zone], "distance_m": walk,
        "straight_m": straight, "snap_m": u_off, "listed_street_m": listed_m,
        "farther": comparison["farther"].to_numpy(bool), "extra_m": comparison["extra_m"].to_numpy(float),
    }, geometry=geoms, crs=net.crs)

    xy, lab = edge_samples(net, node_label, np.where(np.isfinite(node_dist), node_dist, 1e12))
    inside = comp_zone >= 0
    oxy, olab = outline_samples(geoms[inside], comp_zone[inside])
    polys = polygons_from_sites(np.concatenate([xy, oxy]), np.concatenate([lab, olab]), k, inputs.area)
    zone_xy = school_xy[zone_table[zone_table >= 0]] if len(table) else np.zeros((0, 2))
    polys = absorb_fragments(polys, np.concatenate([zone_xy, inputs.compound_xy[inside]]),
                             np.concatenate([np.flatnonzero(zone_table >= 0), comp_zone[inside]]))

    seats = np.where(zone_table >= 0, table["seats"].to_numpy(float)[np.maximum(zone_table, 0)]
                     if len(table) else np.nan, np.nan)
    radius = RADIUS_M[level]
    tab = school_table(comp_zone, np.nan_to_num(walk, nan=0.0), children, np.asarray(zone_id, dtype=object),
                       np.asarray(zone_name, dtype=object), np.nan_to_num(seats, nan=0.0), radius)
    unlocated = zone_table < 0
    tab["seats"] = pd.array(np.where(unlocated, 0, np.nan_to_num(seats)).astype(np.int64), dtype="Int64")
    tab.loc[unlocated, "seats"] = pd.NA
    for c in ("utilisation", "mean_m", "median_m", "p90_m", "within_radius"):
        tab[c] = tab[c].astype(float)
        tab.loc[unlocated, c] = np.nan
    tab.loc[unlocated, "over_capacity"] = 0
    tab["compactness"] = polsby_popper(polys)
    tab["parts"] = shapely.get_num_geometries(polys)
    tab["located"] = ~unlocated
    catchments = gpd.GeoDataFrame({"school_id": zone_id, "school_name": zone_name}, geometry=list(polys), crs=net.crs)
    catchments = catchments.merge(tab[["school_id", "children", "seats", "utilisation"]], on="school_id")
    schools = table.iloc[zone_table[zone_table >= 0]].reset_index(drop=True).to_crs(net.crs)

    comp = comparison_summary(comparison.assign(official=official), children)
    totals |= summary(np.where(located, official, -1), np.nan_to_num(walk, nan=0.0), children, radius)
    totals |= {"schools": len(schools), "compounds": len(children), "listed_compounds": int(inside.sum()),
               "unlisted_children": float(children[~inside].sum()),
               "unlocated_compounds": int((inside & ~located).sum()),
               "over_capacity": int(tab["over_capacity"].sum()),
               "compactness": float(np.nanmean(tab["compactness"])) if len(tab) else float("nan"),
               "listed_m": float(net.edge_length[edges.edge_school >= 0].sum()) / (2 if net.mode == "walk" else 1)}
    totals |= {"covered": comp["covered"], "farther": comp["farther"], "children_farther": comp["children_farther"],
               "mean_extra_m": comp["mean_extra_m"], "max_extra_m": comp["max_extra_m"],
               "child_mean_extra_m": comp["child_mean_extra_m"]}
    result = ZoningResult(Scenario(level, NETWORK), schools, assignments, catchments, tab, node_label, node_dist,
                          totals, tuple(inputs.warnings))
    return result, OfficialReport(entries, zone.issues, streets, links, edges, comparison, totals)


def plan_zone_text(network: Network, result, fmt: str = "text", index: NameIndex | None = None) -> WrittenZones:
    """Any plan (a :class:`~geo.zoning.scenario.ZoningResult`, nearest-school, optimal or official) written as a
    zone list in the bureau's style (:func:`write_zone_text`), its schools named as in its catchments."""
    edges = plan_edges(network, result.node_label, result.node_dist)
    return write_zone_text(network, edges, [str(n) for n in result.catchments["school_name"]], fmt=fmt, index=index)


def report_csv(table: pd.DataFrame) -> bytes:
    """A report table (issues, street matches, comparison) as formula-safe UTF-8 CSV with a BOM; tuples
    of names are joined with ``|``."""
    from geo.render.export import table_csv

    t = pd.DataFrame(table).copy()
    if "geometry" in t:
        t = t.drop(columns="geometry")
    for c in t.columns:
        if t[c].dtype == object:
            t[c] = t[c].map(lambda v: "|".join(map(str, v)) if isinstance(v, (tuple, list)) else v)
    return table_csv(t)
