"""The one translation table: every text a user sees, Chinese first, English second.

The table is the data file ``text.toml`` beside this module (one ``"key" = ["中文", "English"]`` line per
text, grouped by the part of the program that shows it), read once when this module is imported into
:data:`TEXT`. :func:`t` looks a key up and fills in its parameters.

- **Parameters** are ``str.format`` fields: ``"{file} has no '{field}' column"``. A parameter written
  ``"@key"`` is itself a table entry (a kind, level or mode word), and a list of ``(key, params)`` pairs is
  a list of phrases, translated and joined.
- **Plurals**: English text may write ``{count:school|schools}`` (or ``{count:school has|schools have}``):
  the word before ``|`` when the parameter is 1, the word after it otherwise. Chinese has no plural forms.
- **A missing key** is a bug: :func:`t` logs a warning and shows the bare key, so a page never fails over a
  text. When the environment variable ``XUEQU_STRICT_TEXT`` is set (the test suite sets it), it raises
  ``KeyError`` instead. ``tests/test_i18n.py`` checks that every key the code uses is in the table and every
  key in the table is used.
"""

from __future__ import annotations

import logging
import numbers
import os
import re
import string
import tomllib
from importlib.resources import files
from typing import TypeGuard

LANGS = ("zh", "en")
STRICT_ENV = "XUEQU_STRICT_TEXT"  # set (to anything but "" or "0"): a missing key raises KeyError
TABLE_FILE = "text.toml"

# What a table key looks like: dotted lower-case words ("err.file_missing", "equity.ind.qualified_per100").
KEY_RE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+")

log = logging.getLogger(__name__)


def load_table(text: str | None = None) -> dict[str, tuple[str, str]]:
    """Read a translation table.

    Parameters
    ----------
    text : str, optional
        The table as TOML; default: the package's ``text.toml``.

    Returns
    -------
    dict of str to (str, str)
        Key to ``(Chinese, English)``, in the file's order.

    Raises
    ------
    ValueError
        If a key is malformed or an entry is not a pair of strings (the TOML parser's own error if the file
        is not TOML).
    """
    if text is None:
        text = files(__package__).joinpath(TABLE_FILE).read_text(encoding="utf-8")
    table: dict[str, tuple[str, str]] = {}
    for key, pair in tomllib.loads(text).items():
        if not KEY_RE.fullmatch(key):
            raise ValueError(f"{TABLE_FILE}: {key!r} is not a text key (dotted lower-case words)")
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(s, str) for s in pair)):
            raise ValueError(f"{TABLE_FILE}: {key!r} must be a pair [Chinese, English] of strings")
        table[key] = (pair[0], pair[1])
    return table


TEXT: dict[str, tuple[str, str]] = load_table()


def t(key: str, lang: str = "zh", /, **params: object) -> str:
    """The text of ``key`` in ``lang``, with its parameters filled in.

    Parameters
    ----------
    key : str
        A key of :data:`TEXT`, e.g. ``"err.file_missing"``.
    lang : str
        ``"zh"`` (Chinese) or ``"en"`` (any other value is English).
    **params : object
        The text's ``{fields}``. A string ``"@key"`` is replaced by that entry's text; a list of
        ``(key, params)`` pairs by those texts, joined.

    Returns
    -------
    str
        The text; the bare key if the table has no such entry (logged as a warning).

    Raises
    ------
    KeyError
        If the table has no such entry and ``XUEQU_STRICT_TEXT`` is set.
    """
    pair = TEXT.get(key)
    if pair is None:
        return _missing(key)
    text = pair[0] if lang == "zh" else pair[1]
    if not params:
        return text
    sep = "、" if lang == "zh" else ", "
    params = {k: word(v, lang) if isinstance(v, str) and v.startswith("@")
              else sep.join(t(key, lang, **p) for key, p in v) if _phrases(v) else v
              for k, v in params.items()}
    if "|" in text:
        return _PLURAL.vformat(text, (), params)
    return text.format(**params)


def plural_one(value: object) -> bool:
    """Whether ``value`` takes the singular ("1 school"): the number 1, or a string reading "1".

    Parameters
    ----------
    value : object
        A count, as a number or as already formatted text.

    Returns
    -------
    bool
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Number):
        return value == 1
    return isinstance(value, str) and value.strip() == "1"


class _PluralFormatter(string.Formatter):
    """``str.format`` plus ``{n:one|other}``: the word for a count of one, or for any other count."""

    def format_field(self, value: object, format_spec: str) -> str:
        if "|" in format_spec:
            one, _, other = format_spec.partition("|")
            return one if plural_one(value) else other
        return format(value, format_spec)


_PLURAL = _PluralFormatter()


def word(value: str, lang: str = "zh") -> str:
    """A parameter written ``"@key"``: that entry's text; any other text (a name that starts with "@") as it is.

    Parameters
    ----------
    value : str
        The parameter, e.g. ``"@level.primary"``.
    lang : str
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
    """
    key = value[1:] if value.startswith("@") else ""
    return t(key, lang) if KEY_RE.fullmatch(key) else value


def _missing(key: str) -> str:
    if os.environ.get(STRICT_ENV, "") not in ("", "0"):
        raise KeyError(f"no text {key!r} in geo/render/{TABLE_FILE}")
    log.warning("no text %r in geo/render/%s", key, TABLE_FILE)
    return key


def _phrases(v: object) -> TypeGuard[list[tuple[str, dict]]]:
    return isinstance(v, list) and all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) for x in v)
