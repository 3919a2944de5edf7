"""Zone lists (划片范围) read: files, uploads, folders and pasted text, in Markdown, CSV or plain text.

District education bureaus publish catchments as text: for each school a list of streets, with qualifiers.
A list is read into a :class:`ZoneText`: its entries, one per street mention (:mod:`geo.official.entries`), and
its issues, every piece of text that is not a street entry, with its file and line.

One list can never hold the server: parsing takes time linear in the text (no pattern backtracks over
more than a bounded stretch, nothing rescans what it has read), and a list over
:data:`MAX_ZONE_TEXT_BYTES` (files by their size, pasted text by its UTF-8 size) is refused with an
:class:`~geo.errors.InputError` naming its size and the limit, by the library itself (``max_bytes=None``
lifts it for callers that have their own). Files are decoded by the project's one decoder
(:func:`geo.inputs.text.decode_text`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo.errors import InputError
from geo.inputs.text import decode_text
from geo.official.entries import (
    ENTRY_COLUMNS,
    ISSUE_COLUMNS,
    R_ENCODING,
    R_FORMAT,
    R_NO_SCHOOL,
    Budget,
    make_issue,
    parse_range,
)
from geo.official.scan import split_colon

# 1 MB: over twenty times the largest district list we know (the Chenghua list, 44 KB); read in 1-1.5 s at most.
MAX_ZONE_TEXT_BYTES = 2**20
ZONE_SUFFIXES = (".md", ".csv", ".txt")


@dataclass(frozen=True)
class ZoneText:
    """A parsed zone list.

    Attributes
    ----------
    entries : DataFrame
        One row per street mention (:data:`~geo.official.entries.ENTRY_COLUMNS`).
    issues : DataFrame
        What was not read as a street, with file and line (:data:`~geo.official.entries.ISSUE_COLUMNS`).

    Two lists added (``a + b``) are one list with both's entries and issues.
    """

    entries: pd.DataFrame
    issues: pd.DataFrame

    def __add__(self, other: ZoneText) -> ZoneText:
        return ZoneText(pd.concat([self.entries, other.entries], ignore_index=True),
                        pd.concat([self.issues, other.issues], ignore_index=True))


def read_zone_file(path: str | Path, *, data: bytes | None = None, name: str | None = None,
                   max_bytes: int | None = MAX_ZONE_TEXT_BYTES) -> ZoneText:
    """Parse a zone list file (``.md``, ``.csv`` or ``.txt``).

    The file is decoded as every text file of the project (:func:`geo.inputs.text.decode_text`: UTF-8 with
    or without BOM, GB18030, UTF-16 / UTF-32); another encoding is guessed and said so in an
    ``encoding_guessed`` issue on line 0.

    Parameters
    ----------
    path : str or Path
        The file (only its name is used when ``data`` is given).
    data : bytes, optional
        The file's content, when it is already read (an upload).
    name : str, optional
        The name to report; default: the file's name.
    max_bytes : int or None
        Files over this size are refused before they are read; None: no limit.

    Returns
    -------
    ZoneText

    Raises
    ------
    InputError
        ``err.zone_too_large`` over ``max_bytes``; bytes that are not text, naming the file; a CSV that
        cannot be read, or a list of too many pieces, naming the file and row.
    """
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
        guessed = [make_issue(label, 0, "", p.get("encoding", ""), R_ENCODING) for _, p in warns]
        zone = ZoneText(zone.entries, pd.concat([pd.DataFrame(guessed, columns=ISSUE_COLUMNS), zone.issues],
                                                ignore_index=True).astype({"line": int}))
    return zone


def read_zone_dir(path: str | Path) -> dict[str, ZoneText]:
    """Every ``.md`` / ``.csv`` / ``.txt`` zone list in a folder.

    Parameters
    ----------
    path : str or Path
        The folder.

    Returns
    -------
    dict of str to ZoneText
        Each list by its file name, in name order.

    Raises
    ------
    InputError
        As :func:`read_zone_file`, for the first file that cannot be read.
    """
    files = sorted(p for p in Path(path).iterdir() if p.suffix.lower() in ZONE_SUFFIXES)
    return {p.name: read_zone_file(p) for p in files}


def text_size(text: str) -> int:
    """The size of ``text`` in bytes, as UTF-8 (what the zone-list limit counts).

    Parameters
    ----------
    text : str
        The text.

    Returns
    -------
    int
    """
    return len(text.encode("utf-8", "surrogatepass"))


def _check_zone_size(label: str, size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise InputError("err.zone_too_large", file=label, size_mb=size / 2**20, limit_mb=max_bytes / 2**20)


def parse_zone_text(text: str, source: str = "<text>", fmt: str | None = None,
                    max_bytes: int | None = MAX_ZONE_TEXT_BYTES) -> ZoneText:
    """Parse a zone list given as text.

    Markdown (``## N. 学校`` sections or ``| 学校 | 范围 |`` tables), CSV (a school column and a 范围
    column), or plain text (``学校：街道、街道`` per line, or a school name on a line of its own followed by
    its streets).

    Parameters
    ----------
    text : str
        The list.
    source : str
        Its name, written on every entry and issue and named in messages.
    fmt : str or None
        ``"csv"``, ``"markdown"`` (Markdown and plain text) or None: guessed from the first line.
    max_bytes : int or None
        Text over this many bytes (UTF-8) is refused; None lifts the limit (parsing is linear in the text).

    Returns
    -------
    ZoneText

    Raises
    ------
    InputError
        ``err.zone_too_large`` (naming ``source``, its size and the limit); ``err.zone_too_many`` (with the
        row) for more than :data:`~geo.official.entries.MAX_ZONE_PIECES` lines and pieces, as soon as they are
        counted; a CSV that cannot be read, with its line.
    """
    if max_bytes is not None and len(text) > max_bytes // 4:  # shorter text cannot be over: skip the encoding
        _check_zone_size(source, text_size(text), max_bytes)
    text = text.lstrip("\ufeff")
    if fmt is None:
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        fmt = "csv" if ("," in first and re.search(r"范围|名称|学校", first) and "|" not in first) else "markdown"
    budget = Budget(source)
    records, issues = (_csv_records if fmt == "csv" else _markdown_records)(text, source, budget)
    entries: list[dict] = []
    for school, line, body in records:
        e, i = parse_range(body, school=school, source=source, line=line, budget=budget)
        entries += e
        issues += i
    return ZoneText(pd.DataFrame(entries, columns=ENTRY_COLUMNS).astype({"line": int}),
                    pd.DataFrame(issues, columns=ISSUE_COLUMNS).astype({"line": int}))



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


def _markdown_records(text: str, source: str, budget: Budget
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
                issues.append(make_issue(source, n, "", s, R_FORMAT))
                continue
            records.append((cells[0], n, "，".join(cells[1:])))
            continue
        s = re.sub(r"\*\*(.*?)\*\*", lambda m: "" if re.search(r"[:：]\s*$", m.group(1)) else m.group(1), s)
        s = _LIST_MARK_RE.sub("", s).strip()
        if not s:
            continue
        head, sep, rest = split_colon(s)
        if sep and _looks_like_school(head):
            school, from_line = head.strip(), True
            if rest.strip():
                records.append((school, n, rest))
            continue
        if _looks_like_school(s):
            school, from_line = s, True
            continue
        if not school:
            issues.append(make_issue(source, n, "", s, R_NO_SCHOOL))
            continue
        records.append((school, n, s))
    return records, issues


def _csv_records(text: str, source: str, budget: Budget) -> tuple[list[tuple[str, int, str]], list[dict]]:
    records: list[tuple[str, int, str]] = []
    issues: list[dict] = []
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    except csv.Error as exc:
        raise _csv_error(exc, source, reader.line_num) from exc
    school_col = next((i for i, h in enumerate(header) if re.search(r"学校|小学名称|名称", h)), None)
    range_col = next((i for i, h in enumerate(header) if "范围" in h), None)
    if school_col is None or range_col is None:
        return [], [make_issue(source, 1, "", ",".join(header), R_FORMAT)]
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
            issues.append(make_issue(source, line, "", ",".join(row), R_FORMAT))
            continue
        records.append((row[school_col].strip(), line, row[range_col]))
    return records, issues


def _csv_error(exc: csv.Error, source: str, line: int):
    """A CSV the reader cannot go on with (a field over the csv module's limit, mostly an unclosed quote
    that swallowed the rest of the file), as an InputError naming the file and line."""
    if "field larger than field limit" in str(exc):
        return InputError("err.zone_csv_field", file=source, row=line, limit=csv.field_size_limit())
    return InputError("err.file_unreadable", file=source, reason=f"line {line}: {exc}", formats=" / ".join(ZONE_SUFFIXES))


def load_zone_source(path: str | Path) -> ZoneText:
    """A zone list from a file (``.md`` / ``.csv`` / ``.txt``) or every list in a folder, as one list.

    Parameters
    ----------
    path : str or Path
        A file or a folder.

    Returns
    -------
    ZoneText

    Raises
    ------
    InputError
        Naming the file or folder: missing, over :data:`MAX_ZONE_TEXT_BYTES` (a folder's lists together
        too), not a ``.md`` / ``.csv`` / ``.txt`` file (or a folder with none), or unreadable.
    """
    p = Path(path)
    if p.is_dir():
        sizes = [q.stat().st_size for q in p.iterdir() if q.suffix.lower() in ZONE_SUFFIXES and q.is_file()]
        _check_zone_size(p.name, sum(sizes), MAX_ZONE_TEXT_BYTES)
        files = read_zone_dir(p)
        if not files:
            raise InputError("err.format", file=p.name, formats=".md / .csv / .txt")
        parts = list(files.values())
        out = parts[0]
        for z in parts[1:]:
            out = out + z
        return out
    if not p.is_file():
        raise InputError("err.file_missing", file=str(path))
    if p.suffix.lower() not in ZONE_SUFFIXES:
        raise InputError("err.format", file=p.name, formats=".md / .csv / .txt")
    return read_zone_file(p)  # refused by its size before it is read


def read_zone_upload(name: str, data: bytes) -> ZoneText:
    """A zone list given as bytes (an upload).

    Parameters
    ----------
    name : str
        The file's name (its suffix says its format).
    data : bytes
        Its content.

    Returns
    -------
    ZoneText

    Raises
    ------
    InputError
        Naming it: over :data:`MAX_ZONE_TEXT_BYTES`, not a ``.md`` / ``.csv`` / ``.txt`` file, or unreadable.
    """
    if Path(name).suffix.lower() not in ZONE_SUFFIXES:
        raise InputError("err.format", file=name, formats=".md / .csv / .txt")
    return read_zone_file(name, data=data, name=name)

