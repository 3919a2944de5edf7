"""One school's range text (划片范围) read into entries, one per street mention, and issues.

Entries (:data:`ENTRY_COLUMNS`) have a qualifier ``kind``:

- ``all``: the whole street;
- ``odd`` / ``even`` (单号 / 双号): one side's house numbers. OSM has no house numbers and one line per
  street, so the whole street is used and the entry is flagged;
- ``segment`` (``东大街（红星路四段街口至清安街口）``): the stretch of the street between its junctions
  with the two named streets, along its own edges;
- ``side`` (``西侧``): the whole street, flagged;
- ``address`` (``文家路155号``): no house numbers in OSM: the whole street (or nothing, on request), flagged.

A long street given by one of its named parts and a side (``蜀都大道（少城路北侧）``) is a ``side`` entry of
蜀都大道 with the alias 蜀都大道少城路 (how OSM names that part), or a ``segment`` when the bracket also gives
two junctions (``蜀都大道（少城路北侧东城根街至西御街）``).

Nothing is silently dropped: every piece of text that is not a street entry is an *issue*
(:data:`ISSUE_COLUMNS`) with a reason code (``R_*``) and its file and line: a note to the reader (页面未列出具体划片范围,
详见…, 以…为准: ``note``), a compound (names without a street type in a clause that is mostly compounds are
compounds too: 花洲绿汀、诺丁山), an area and so on. A piece between separators longer
than :data:`MAX_ITEM_CHARS`, or a clause with more than :data:`MAX_LABELS` labels (``包括：``), is an issue,
not an entry; a list of more than :data:`MAX_ZONE_PIECES` lines and pieces is refused (:class:`Budget`).
"""

from __future__ import annotations

import re
import unicodedata

from geo.errors import InputError
from geo.official.names import NUMERALS, chinese_numeral
from geo.official.scan import OPEN, exclusions, range_parts, split_colon, split_top

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
R_NOTE = "note"                    # a note, not a street: 页面未列出具体划片范围, 详见…, 以…为准

# Limits that keep one list from holding the server (see the module docstring).
MAX_ITEM_CHARS = 500             # the longest real piece is 97 characters (a street with a list of compounds)
MAX_LABELS = 10                  # labels in one clause: real lists have at most two (…区域，含以下街巷：…)
MAX_ZONE_PIECES = 50_000         # lines and pieces of one list: a district's has at most 1,600
MAX_ISSUE_TEXT = 200             # an issue quotes at most this much of its text


class Budget:
    """How many more lines and pieces (between 、 and ，) one list may have: :data:`MAX_ZONE_PIECES` in all.

    Each costs tens of microseconds; a text of tiny pieces (``a,a,a,…``) is refused by their number long
    before its size would refuse it.

    Parameters
    ----------
    source : str
        The list's name, for the message.
    """

    __slots__ = ("left", "source")

    def __init__(self, source: str) -> None:
        self.left = MAX_ZONE_PIECES
        self.source = source

    def spend(self, n: int, line: int) -> None:
        """Pay for ``n`` more lines or pieces.

        Parameters
        ----------
        n : int
            How many.
        line : int
            The line they are on, for the message.

        Raises
        ------
        InputError
            ``err.zone_too_many`` (file, row, limit) when the list has used up its budget.
        """
        self.left -= n
        if self.left < 0:
            raise InputError("err.zone_too_many", file=self.source, row=int(line), limit=MAX_ZONE_PIECES)


def make_issue(source: str, line: int, school: str, text: str, reason: str) -> dict:
    """An issue row (:data:`ISSUE_COLUMNS`): a piece of a list that was not read as a street.

    Parameters
    ----------
    source : str
        The list's file name (or the name of pasted text).
    line : int
        Its line (0: the whole file).
    school : str
        The school it was listed under ("" before any).
    text : str
        The piece; over :data:`MAX_ISSUE_TEXT` characters only its beginning is quoted.
    reason : str
        A reason code (``R_*``).

    Returns
    -------
    dict
    """
    if len(text) > MAX_ISSUE_TEXT:  # a hostile line can be megabytes long: quote its beginning
        text = text[:MAX_ISSUE_TEXT] + "…"
    return {"source": source, "line": int(line), "school": school, "text": text, "reason": reason}


_LABEL_RE = re.compile(r"^(包括|主要路牌号有|主要路牌号|含以下街巷|代招范围|代招服务范围|代招|原|另|注|备注|"
                       r"\d{4}年.*|.*调整.*|.*新增.*)$")
_NOT_STREET_RE = re.compile(r"宿舍|小区|社区|楼盘|户籍|区域|集体户|安置|大院|拆迁|组团|街坊|组$|片区")
# Compound (小区) names, unless the name ends like a street: 花园街 is a street, 中央花园 is not.
_COMPOUND_RE = re.compile(r"期$|[苑园府庭城居郡阁]$|新居|公馆|花园|别墅|广场|大厦|公寓|小镇|公司|研究所|宾馆|医院|"
                          r"学校|大学|学院")
_REGION_RE = re.compile(r"以[东西南北]|以上$|之间|区域|界$")
# A note to the reader, not a street (checked on the text outside brackets, before anything else).
_NOTE_RE = re.compile(r"未列出|未公布|未公开|暂未|尚未|详见|参见|见附件|见附表|请咨询|咨询电话|联系电话|另行(?:公布|通知|公告)|"
                      r"以(?:[^,，、;；]{0,30}?)为准|残疾|不划片|无划片|待定|暂无")
# 蜀都大道（少城路北侧…）: a named part of the street and a side.
_PART_SIDE_RE = re.compile(r"^(?P<part>[\u4e00-\u9fff]{2,8}?(?:大道|大街|路|街))(?P<side>[东西南北])侧(?P<rest>.*)$")
_PART_HEADS = ("大道", "大街")
_ETC_RE = re.compile(r"等(?:地址|门牌|路段|街道|街巷)$")   # 武兴四路等地址
_STREET_END = ("路", "街", "巷", "道", "里", "段")
# A street named only by what differs from the one before: 南街 after 高升桥北街, 二 in 万福东一、二、三街.
_FRAGMENT_RE = re.compile(r"^(?P<head>[一二三四五六七八九十东西南北中正上下横])"
                          r"(?P<suffix>街|路|巷|段)?(?P<tail>[东西南北内外]侧|单号|双号)?$")
# Every pattern below is linear in its text: none can retry a run of characters from each of its
# positions (``x+?y`` or ``x*y$`` searched over a long run without ``y`` would, and did: a 5 MB line took
# minutes, holding the interpreter lock). Where a search could start anywhere in a run, a lookbehind makes
# it start only where the run starts, which finds the same leftmost match. Two patterns could not be
# mended so and are scanned in Python instead (geo.official.scan: exclusions and range_parts).
_HOUSE_RE = re.compile(r"\d+号?(?:附\d+号?)?(?:\s*[-—–~至]+\s*\d+号?)?")
_SEGMENT_RE = re.compile(r"(?<![^\d,，、;；])(?P<a>[^\d,，、;；]+?)(?:至|到|—+|–+|-+|~)(?P<b>[^,，、;；]+)")
_HOUSE_AFTER_RE = re.compile(r"(?<!\d)\d++号")         # search only: "\d+号" retried every digit of a run
_GROUP_RE = re.compile(r"(?<!\d)\d++组")               # search only: "\d+组", likewise
_BRACKETED_RE = re.compile(r"\([^)]*\)?")
_NUMBERS_CONTINUE_RE = re.compile(r"^(新)?\d|^(单号|双号)\d")
_TRAILING_PUNCT = " \t.。．,，、;；:：等"


def _clean(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("【", "(").replace("】", ")").replace("〔", "(").replace("〕", ")")
    s = re.sub(r"\s+", "", s)
    return s


def parse_range(text: str, school: str = "", source: str = "<text>", line: int = 0, *,
                budget: Budget | None = None) -> tuple[list[dict], list[dict]]:
    """Parse one school's range text into entries and issues.

    Parameters
    ----------
    text : str
        The streets of one school (``红星路二段1-119号单号、东大街（红星路四段街口至清安街口）``).
    school : str
        The school, written on every entry and issue.
    source : str
        The list's file name, written on every entry and issue.
    line : int
        The line the text is on.
    budget : Budget, optional
        The list's budget of pieces, shared with its other schools; default: a fresh one.

    Returns
    -------
    tuple of (list of dict, list of dict)
        The entries (:data:`ENTRY_COLUMNS`) and the issues (:data:`ISSUE_COLUMNS`).

    Raises
    ------
    InputError
        ``err.zone_too_many`` when the list goes over :data:`MAX_ZONE_PIECES` pieces.
    """
    ctx = {"school": school, "source": source, "line": int(line), "budget": budget or Budget(source)}
    entries: list[dict] = []
    issues: list[dict] = []
    for clause in split_top(_clean(text), ";。"):
        if _is_note(clause) and not any(_base_of(p).strip(_TRAILING_PUNCT).endswith(_STREET_END) and not _is_note(p)
                                        for p in split_top(clause, "、,")):
            issues.append(make_issue(source, line, school, clause, R_NOTE))  # 武侯区户籍智力残疾儿童、少年
            continue
        _parse_clause(clause, ctx, entries, issues, note="")
    return entries, issues


def _is_note(text: str) -> bool:
    """Whether a clause or piece is a note to the reader (页面未列出具体划片范围, 详见公告, 以…为准)."""
    return bool(_NOTE_RE.search(_BRACKETED_RE.sub("", text)))


def _parse_clause(clause: str, ctx: dict, entries: list, issues: list, note: str) -> None:
    # Each label (``包括：``, ``红星路：``) before the rest of the clause is one turn of the loop (it was a
    # recursion: a line of 10,000 colons overflowed the stack); after MAX_LABELS the rest is an issue.
    for _ in range(MAX_LABELS + 1):
        clause = clause.strip(_TRAILING_PUNCT)
        if not clause:
            return
        head, sep, rest = split_colon(clause)
        if not sep:
            _parse_items(clause, ctx, entries, issues, note)
            return
        label = head.strip()
        label_pieces = split_top(label, "、,")
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
            houses = "、".join(_HOUSE_RE.findall(exclusions(bare)[1])) or rest
            parity = "单号" if "单号" in bare and "双号" not in bare else "双号" if "双号" in bare and "单号" not in bare \
                else ""
            for item in _complete_fragments(_list_pieces(label, ctx)):
                _add_item(item, ctx, entries, issues, note=note, houses=houses, text=clause, extra=parity)
            return
        if _GROUP_RE.search(rest) or not re.search(r"[路街巷道里]", rest):
            issues.append(make_issue(ctx["source"], ctx["line"], ctx["school"], clause, R_NOT_STREET))
            return
        clause, note = rest, (note + " " + label).strip()
    issues.append(make_issue(ctx["source"], ctx["line"], ctx["school"], clause, R_TOO_MANY_LABELS))


def _parse_items(clause: str, ctx: dict, entries: list, issues: list, note: str) -> None:
    merged: list[list[str]] = []
    for p in _list_pieces(clause, ctx):  # "大学路2、4、6号", "红星路二段119号、159号": numbers continue the street
        if merged and _NUMBERS_CONTINUE_RE.match(p):
            merged[-1].append(p)  # joined once below: "+=" on a growing string would copy it every time
        else:
            merged.append([p])
    first_entry = len(entries)
    n_streets = n_compounds = 0
    for item in _complete_fragments(["、".join(m) for m in merged]):
        ne, ni = len(entries), len(issues)
        _add_item(item, ctx, entries, issues, note=note)
        n_streets += len(entries) > ne
        n_compounds += any(i["reason"] == R_NOT_STREET for i in issues[ni:])
    # A clause of compounds (潮音小区、团结小区、花洲绿汀、诺丁山、榕苑…): its names without a street type are
    # compounds too, not streets.
    if n_compounds >= 2 and n_compounds >= n_streets:
        kept = []
        for e in entries[first_entry:]:
            if e["street"].endswith(_STREET_END):
                kept.append(e)
            else:
                issues.append(make_issue(ctx["source"], ctx["line"], ctx["school"], e["text"], R_NOT_STREET))
        entries[first_entry:] = kept


def _list_pieces(s: str, ctx: dict) -> list[str]:
    """The pieces of ``s`` between 、 and ， (outside brackets), paid for from the list's budget."""
    pieces = split_top(s, "、,")
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
            pending = [len(out) - 1] if OPEN_END_RE.search(base) and not base.endswith(
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


OPEN_END_RE = re.compile(f"[{NUMERALS}东西南北]$")
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
        if m.group() == OPEN:
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
        issues.append(make_issue(ctx["source"], ctx["line"], ctx["school"], raw, R_TOO_LONG))
        return
    if _is_note(item):
        issues.append(make_issue(ctx["source"], ctx["line"], ctx["school"], raw, R_NOTE))
        return
    item = _ETC_RE.sub("", item) or item
    base, groups, problems = _brackets(item)
    for p in problems:
        issues.append(make_issue(ctx["source"], ctx["line"], ctx["school"], raw, p))
    base = base.strip(_TRAILING_PUNCT)
    parts = range_parts(base) if not groups else None
    if parts:  # 玉林1-10巷, 泊木一至三街, 抚琴南1—4巷
        pre, a_text, b_text, suf = parts
        a, b = _numeral_value(a_text), _numeral_value(b_text)
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
        issues.append(make_issue(ctx["source"], ctx["line"], ctx["school"], raw, R_REGION))
        return
    if not name:
        reason = R_NO_STREET if re.search(r"\d", item) else R_BAD_NAME
        issues.append(make_issue(ctx["source"], ctx["line"], ctx["school"], raw, reason))
        return
    if (_NOT_STREET_RE.search(name) or _GROUP_RE.search(tail + "".join(quals))
            or (_COMPOUND_RE.search(name) and not name.endswith(("路", "街", "巷", "道")))):
        issues.append(make_issue(ctx["source"], ctx["line"], ctx["school"], raw, R_NOT_STREET))
        return
    cjk = len(_CJK_RE.findall(name))
    if cjk < 2 or len(name) > 14 or cjk < len(name):
        issues.append(make_issue(ctx["source"], ctx["line"], ctx["school"], raw, R_BAD_NAME))
        return
    quals = [_part_side(name, g, aliases) for g in quals]
    qual = "，".join([tail] + quals + [extra]).strip("，")
    entry = {"school": ctx["school"], "street": name, "kind": ALL, "from_street": "", "to_street": "",
             "side": "", "house_number": "", "parity": "", "aliases": "|".join(aliases),
             "note": note, "text": text or raw, "source": ctx["source"], "line": ctx["line"]}
    _qualify(entry, qual, houses)
    entries.append(entry)


def _part_side(name: str, g: str, aliases: list[str]) -> str:
    """A bracket that gives a named part of a long street and a side (蜀都大道（少城路北侧…）): the part's
    name as OSM writes it (蜀都大道少城路) joins the aliases, and the qualifier is rewritten so that the part
    is not read as a junction (``…东城根街至西御街，少城路段北侧``). Any other bracket is returned as it is."""
    m = _PART_SIDE_RE.match(g)
    if not m or not name.endswith(_PART_HEADS) or re.match(r"^(?:至|到|[-—–~])", m.group("rest")):
        return g
    alias = name + m.group("part")
    if alias not in aliases:
        aliases.append(alias)
    side = f"{m.group('part')}段{m.group('side')}侧"
    rest = m.group("rest").strip(_TRAILING_PUNCT + "…")
    return f"{rest}，{side}" if rest else side


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
    excl, q = exclusions(qual)
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
    side_match = side or side_word
    if side_match:
        entry["side"] = side_match.group(1)
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
