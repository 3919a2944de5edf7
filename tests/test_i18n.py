"""The translation table (geo.render.i18n): every key the code uses is in it in both languages, every key in it is
used, plurals, and a missing key is never silent."""

from __future__ import annotations

import ast
import logging
import re
import string
from pathlib import Path

import pytest

from geo.render import i18n
from geo.render.i18n import KEY_RE, TEXT, load_table, plural_one, t, word

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "geo").rglob("*.py"), *(ROOT / "app").rglob("*.py")])
NAMESPACES = {k.split(".")[0] for k in TEXT}
# Calls whose first argument is a text key: t and its local shorthands, and the errors that carry a key.
KEY_CALLS = {"t", "T", "translate", "inert_t", "XuequError", "InputError", "OfflineError", "StoreError", "StaleEdit",
             "InfeasibleError", "Cancelled"}
# Keys built at run time (f"level.{level}", "@kind." + kind), written with "{}" for the run-time part, and what that
# part may be (a word, unless said): every template must match keys of the table; the keys it matches count as used.
WORD, FILE = r"[a-z0-9_]+", r"[a-z0-9_]+\.[a-z]+"
DYNAMIC_KEYS = dict.fromkeys((
    "alliance.{}", "alliance.mode.{}", "alliance.nb.{}", "alliance.rule.{}", "alliance.status.{}", "app.{}_coords",
    "app.title.{}", "app.basemap.{}", "app.dataset.{}", "coords.{}", "edit.click.{}", "equity.band.{}", "equity.ind.{}",
    "equity.need.{}", "equity.role.{}", "equity.short.{}", "equity.stats.by_{}", "equity.std.{}", "equity.strong.{}",
    "equity.tab.{}", "exchange.cat.{}", "field.{}", "kind.{}", "level.{}", "method.{}", "mode.{}",
    "official.format.{}", "official.plan.{}", "official.source.{}", "opt.solver.{}", "opt.status.{}",
    "osm.element.{}", "view.{}", "zone.flag.{}", "zone.reason.{}", "zone.status.{}",
), WORD) | {"edit.download.{}": FILE}  # edit.download.schools.csv: a file name


def _matcher(template: str) -> re.Pattern:
    return re.compile(DYNAMIC_KEYS.get(template, WORD).join(re.escape(part) for part in template.split("{}")))


def _str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _template(node: ast.AST) -> str | None:
    """A key built at run time as a template: f"level.{x}" or "level." + x -> "level.{}"; None if not a key."""
    if isinstance(node, ast.JoinedStr):
        parts = [_str(v) if _str(v) is not None else "{}" for v in node.values]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _str(node.left) is not None:
        parts = [_str(node.left), "{}"]
    else:
        return None
    template = "".join(parts).removeprefix("@")
    if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_{}]+)+", template) or "{}" not in template:
        return None
    return template if template.split(".")[0] in NAMESPACES else None


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def scan() -> tuple[dict[str, list[str]], set[str], dict[str, list[str]]]:
    """(keys the code asks for -> where, every string constant, keys built at run time -> where), in geo/ and app/."""
    asked: dict[str, list[str]] = {}
    constants: set[str] = set()
    templates: dict[str, list[str]] = {}
    for path in SOURCES:
        where = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            s = _str(node)
            if s is not None and id(node) not in parts:
                constants.add(s)
                if s.startswith("@") and KEY_RE.fullmatch(s[1:]):  # a "@key" parameter
                    asked.setdefault(s[1:], []).append(f"{where}:{node.lineno}")
                elif KEY_RE.fullmatch(s) and s.split(".")[0] in NAMESPACES:  # a key kept in a variable or tuple
                    asked.setdefault(s, []).append(f"{where}:{node.lineno}")
            template = _template(node)
            if template is not None:
                templates.setdefault(template, []).append(f"{where}:{node.lineno}")
            if isinstance(node, ast.Call) and _callee(node) in KEY_CALLS and node.args:
                key = _str(node.args[0])
                if key is not None:
                    asked.setdefault(key, []).append(f"{where}:{node.lineno}")
            if (isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Dict)
                    and _str(node.elts[0]) is not None):  # a warning or reason: ("warn.x", {...})
                asked.setdefault(_str(node.elts[0]), []).append(f"{where}:{node.lineno}")
    return asked, constants, templates


ASKED, CONSTANTS, TEMPLATES = scan()


def test_the_scan_sees_the_code():
    assert len(SOURCES) > 40 and len(ASKED) > 400
    assert {"app.title", "err.file_missing", "warn.snap_far", "kind.rows"} <= set(ASKED)
    assert {"level.{}", "zone.reason.{}", "app.{}_coords"} <= set(TEMPLATES)


def test_every_key_used_is_in_the_table_in_both_languages():
    missing = {k: where for k, where in ASKED.items() if k not in TEXT}
    assert not missing, missing
    for key in ASKED:
        zh, en = TEXT[key]
        assert zh.strip() and en.strip(), key


def test_every_key_built_at_run_time_is_known_and_names_keys():
    unknown = {k: where for k, where in TEMPLATES.items() if k not in DYNAMIC_KEYS}
    assert not unknown, f"a key built at run time: if it is one, add it to DYNAMIC_KEYS: {unknown}"
    assert not [k for k in DYNAMIC_KEYS if k not in TEMPLATES], "no code builds these keys any more"
    assert not [k for k in DYNAMIC_KEYS if not any(_matcher(k).fullmatch(key) for key in TEXT)]


def test_every_key_in_the_table_is_used():
    built = [_matcher(k) for k in DYNAMIC_KEYS]
    unused = sorted(k for k in TEXT if k not in CONSTANTS and k not in ASKED and not any(m.fullmatch(k) for m in built))
    assert not unused, unused


def _fields(text: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_take_the_same_parameters_and_format():
    for key, (zh, en) in TEXT.items():
        assert _fields(zh) == _fields(en), key
        assert "|" not in "".join(spec or "" for _, _, spec, _ in string.Formatter().parse(zh)), key  # no plurals


def test_the_table_file_is_one_pair_per_key():
    raw = (ROOT / "geo" / "render" / "text.toml").read_text(encoding="utf-8")
    keys = re.findall(r'^"([^"]+)" = \[', raw, flags=re.M)
    assert len(keys) == len(set(keys)) == len(TEXT)  # TOML refuses a key given twice; nothing else defines keys
    with pytest.raises(ValueError, match="pair"):
        load_table('"a.b" = ["only Chinese"]')
    with pytest.raises(ValueError, match="key"):
        load_table('"Not a key" = ["甲", "A"]')


# --- plurals ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("count, text", [(1, "1 school has no capacity"), (2, "2 schools have no capacity"),
                                         (0, "0 schools have no capacity")])
def test_plural_forms_follow_the_count(count, text):
    assert t("warn.capacity_estimated", "en", count=count, primary=1620, junior=1500).startswith(text)
    assert t("warn.capacity_estimated", "zh", count=count, primary=1620, junior=1500).startswith(f"{count} 所学校")


def test_plural_one():
    import numpy as np

    assert plural_one(1) and plural_one(np.int64(1)) and plural_one(1.0) and plural_one(" 1")
    assert not any(plural_one(v) for v in (0, 2, 1.5, "1,000", True, None, "one"))


def test_no_english_text_says_one_of_a_plural_noun():
    counts = {"count", "n", "schools", "compounds", "children", "edits", "total", "moves", "teachers", "rows",
              "entries", "flags", "conflicts", "unwritten", "issues", "size", "seats", "moved"}
    nouns = ("schools", "compounds", "children", "edits", "moves", "teachers", "rows", "entries", "streets",
             "stretches", "pieces", "alliances", "rules", "layers", "ways", "seats", "lotteries")
    bare = re.compile(r"\{(" + "|".join(counts) + r")(?::,)?\} (" + "|".join(nouns) + r")\b")
    found = [k for k, (_, en) in TEXT.items() if bare.search(en)]
    assert not found, found
    assert t("app.summary", "en", schools=1, compounds=1, children=1, within=1.0) == (
        "1 school · 1 compound · 1 child · 100.0% within radius")
    assert t("app.summary", "en", schools=2, compounds=1200, children=3400, within=0.5) == (
        "2 schools · 1,200 compounds · 3,400 children · 50.0% within radius")


# --- missing keys ----------------------------------------------------------------------------------------

def test_a_missing_key_raises_under_test(monkeypatch):
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    with pytest.raises(KeyError, match="no.such_key"):
        t("no.such_key", "en")


def test_a_missing_key_in_production_shows_the_key_and_warns(monkeypatch, caplog):
    monkeypatch.delenv(i18n.STRICT_ENV, raising=False)
    with caplog.at_level(logging.WARNING, logger="geo.render.i18n"):
        assert t("no.such_key", "en") == "no.such_key"
    assert "no.such_key" in caplog.text


def test_the_suite_runs_strict():
    import os

    assert os.environ.get(i18n.STRICT_ENV) == "1"  # set by tests/conftest.py


def test_words_and_phrases():
    assert word("@level.primary", "en") == "Primary" and word("@level.primary") == "小学"
    assert word("@SUM(A1:A2)", "en") == "@SUM(A1:A2)"  # a name that starts with "@" is shown as it is
    assert t("err.no_schools_level", "en", level="@level.junior").startswith("There are no Junior secondary")
    assert t("err.empty", "en", file="x.csv", kind="@kind.rows") == t("err.empty", "en", file="x.csv",
                                                                      kind=t("kind.rows", "en"))
