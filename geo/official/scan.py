"""Linear-time scans of zone-list text: splitting outside brackets, exclusions, ranges of lanes.

Every scan here takes time linear in its text. Each replaces a regular expression that was right but could
retry a run of characters from each of its positions (a 5 MB line took minutes, holding the interpreter lock);
tests/test_geo_zonetext.py checks each against the pattern it replaces:

- exclusions, ``(不含|除了|除)[^,，;；]*|[^,，;；(]*除外`` (:func:`exclusions`);
- ranges of lanes, ``^(.+?)(\\d+|[一…十]+)\\s*[-—–~至]\\s*(\\d+|[一…十]+)(巷|街|路)$`` (:func:`range_parts`).

Bracket depth over a long text is computed with numpy (:func:`top_level`: one pass in C instead of one Python
step per bracket; 2 MB of brackets took seconds); short texts, the usual case, are scanned in Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from geo.official.names import NUMERALS

OPEN, CLOSE = "(", ")"  # brackets as the parser sees them (full-width ones are folded to these by NFKC)
_COLON_SCAN_RE = re.compile(r"[(（)）:：]")
_SPLIT_SCAN_RE: dict[str, re.Pattern] = {}
# Texts at least this long have their bracket depth computed with numpy.
_VECTOR_MIN_CHARS = 4096


def top_level(s: str, opens: str, closes: str, targets: str) -> np.ndarray:
    """Positions of the characters of ``targets`` outside brackets.

    Depth is counted as the scans below count it: +1 at an opening bracket, -1 at a closing one, never
    below 0.

    Parameters
    ----------
    s : str
        The text.
    opens, closes : str
        The opening and the closing bracket characters.
    targets : str
        The characters to find.

    Returns
    -------
    ndarray of int
        Their positions in ``s``, in order.
    """
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


def split_colon(s: str) -> tuple[str, str, str]:
    """Split at the first colon (``:`` or ``：``) outside brackets.

    Parameters
    ----------
    s : str
        The text.

    Returns
    -------
    tuple of (str, str, str)
        The text before the colon, the colon and the text after it; ``(s, "", "")`` when there is none.
    """
    if len(s) >= _VECTOR_MIN_CHARS:
        at = top_level(s, "(（", ")）", ":：")
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


def split_top(s: str, seps: str) -> list[str]:
    """Split at separators outside brackets.

    Parameters
    ----------
    s : str
        The text (brackets as :data:`OPEN` and :data:`CLOSE`).
    seps : str
        The separator characters.

    Returns
    -------
    list of str
        The pieces, stripped, empty ones left out.
    """
    if len(s) >= _VECTOR_MIN_CHARS:
        cuts = top_level(s, OPEN, CLOSE, seps).tolist()
        parts = [s[i + 1:j] for i, j in zip([-1, *cuts], [*cuts, len(s)], strict=True)]
        return [p.strip() for p in parts if p.strip()]
    scan = _SPLIT_SCAN_RE.get(seps)
    if scan is None:
        scan = _SPLIT_SCAN_RE[seps] = re.compile("[" + re.escape(OPEN + CLOSE + seps) + "]")
    out, depth, start = [], 0, 0
    for m in scan.finditer(s):
        c = m.group()
        if c == OPEN:
            depth += 1
        elif c == CLOSE:
            depth = max(depth - 1, 0)
        if c in seps and depth == 0:
            out.append(s[start:m.start()])
            start = m.end()
    out.append(s[start:])
    return [p.strip() for p in out if p.strip()]


_EXCL_STOP1 = re.compile(r"[,，;；]")
_EXCL_STOP2 = re.compile(r"[,，;；(]")
_EXCL_START = re.compile(r"不含|除")
_RANGE_SEPS = "-—–~至"


def exclusions(q: str) -> tuple[list[str], str]:
    """Exclusions (不含3号, 5号除外) in a qualifier, and the qualifier without them.

    The matches of ``(不含|除了|除)[^,，;；]*|[^,，;；(]*除外`` (as ``finditer``) and what ``sub`` leaves, in one
    pass: where the second alternative fails it fails up to the end of its run, so the scan jumps there (or
    to the next 不含 / 除, where the first may begin) instead of trying every position.

    Parameters
    ----------
    q : str
        The qualifier text.

    Returns
    -------
    tuple of (list of str, str)
        The exclusions, in order, and the rest of ``q``.
    """
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


def range_parts(base: str) -> tuple[str, str, str, str] | None:
    r"""The parts of a range of lanes (玉林1-10巷 -> 玉林, 1, 10, 巷), read from the end in linear time.

    The groups of ``^(?P<pre>.+?)(?P<a>\d+|[一…十]+)\s*(?:-|—|–|~|至)\s*(?P<b>\d+|[一…十]+)(?P<suf>巷|街|路)$``
    (its ``match``).

    Parameters
    ----------
    base : str
        A piece's text outside brackets.

    Returns
    -------
    tuple of (str, str, str, str) or None
        ``(pre, a, b, suf)``; None when it is not a range of lanes.
    """
    n = len(base)
    if n < 5 or base[-1] not in "巷街路":
        return None
    bs = number_run_start(base, n - 1)
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
    a_start = number_run_start(base, ae) if ae > 0 else None
    if a_start is None:
        return None
    a_start = max(a_start, 1)  # the prefix is at least one character
    if a_start >= ae or "\n" in base[:a_start]:
        return None
    return base[:a_start], base[a_start:ae], base[bs:n - 1], base[-1]


def number_run_start(s: str, end: int) -> int | None:
    """Where the run of digits (or of Chinese numerals) that ends at ``end`` (exclusive) begins.

    Parameters
    ----------
    s : str
        The text.
    end : int
        The position after the run's last character.

    Returns
    -------
    int or None
        The run's first position; None when ``s[end - 1]`` is neither a digit nor a Chinese numeral.
    """
    if end <= 0:
        return None
    c = s[end - 1]
    same: Callable[[str], bool]
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
