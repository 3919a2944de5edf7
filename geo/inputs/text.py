"""Text in: the one decoder of the project, for CSV tables and official zone lists.

UTF-8 (with or without BOM), else GB18030 (a superset of GBK), strictly; UTF-16 and UTF-32 by their byte-order
mark or NUL-byte pattern; anything else detected by charset-normalizer, with a warning. Binary data is refused.
"""

from __future__ import annotations

import codecs

import numpy as np
from charset_normalizer import from_bytes

from geo.errors import InputError


def _wide_encoding(data: bytes) -> tuple[str, bool] | None:
    """``(codec, has_bom)`` for UTF-32 or UTF-16 text (little- or big-endian), by its byte-order mark or,
    without one, by where its NUL bytes fall; ``None`` when the data is not wide text.

    Every character of UTF-32 text has a NUL top byte. In UTF-16, each ASCII character (the commas, digits
    and line ends of every table and list) has a NUL high byte, on the odd bytes when little-endian, the
    even ones when big-endian; a CJK character fills both bytes (only the rare U+xx00 ones, such as 一, put
    a NUL on the other side); binary data puts about 1 byte in 256 anywhere."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", True
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True
    head = data[:1 << 16]
    if b"\x00" not in head:
        return None
    if len(data) % 4 == 0 and len(head) >= 4:
        quads = np.frombuffer(head[: len(head) // 4 * 4], np.uint8).reshape(-1, 4) == 0
        share = quads.mean(axis=0)  # how often each byte of a 4-byte unit is NUL
        if share[3] == 1 and share[2] >= 0.9 and share[0] < 0.5:  # code points < 0x110000: top byte 0
            return "utf-32-le", False
        if share[0] == 1 and share[1] >= 0.9 and share[3] < 0.5:
            return "utf-32-be", False
    if len(data) % 2 == 0:
        pairs = np.frombuffer(head[: len(head) // 2 * 2], np.uint8).reshape(-1, 2) == 0
        even, odd = (int(n) for n in pairs.sum(axis=0))
        least = max(1, len(pairs) // 100)
        if odd >= least and odd >= 2 * even:
            return "utf-16-le", False
        if even >= least and even >= 2 * odd:
            return "utf-16-be", False
    return None


# Code point ranges of the text tables and zone lists hold: ASCII and Latin, general punctuation, CJK
# (radicals to unified ideographs, with its punctuation and extension A), full-width forms.
_COMMON_TEXT = ((0x09, 0x0D), (0x20, 0x24F), (0x2000, 0x206F), (0x2E80, 0x9FFF), (0xF900, 0xFAFF),
                (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3134F))


def _plausible_text(text: str) -> bool:
    """Whether text decoded from a guessed wide encoding reads as text: binary data decoded as UTF-16
    spreads over every block of Unicode, text stays in a few."""
    cp = np.frombuffer(text[:1 << 15].encode("utf-32-le", "surrogatepass"), np.uint32)
    if cp.size == 0:
        return False
    common = np.zeros(cp.size, bool)
    for lo, hi in _COMMON_TEXT:
        common |= (cp >= lo) & (cp <= hi)
    return common.mean() >= 0.95


def decode_text(data: bytes, label: str, warns: list | None = None) -> str:
    """Text of a CSV upload or a zone list.

    UTF-8 (with or without BOM), else GBK/GB18030, strictly; UTF-16 and UTF-32 (Excel's "Unicode text",
    with or without BOM) by their BOM or NUL-byte pattern; other encodings are detected (charset-normalizer)
    with a warning. GBK text is never read as latin-1: GB18030, a superset of GBK, is tried before any guess.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    label : str
        The file name, for messages.
    warns : list, optional
        ``("warn.encoding_guessed", params)`` is appended to it when the encoding was guessed.

    Returns
    -------
    str
        The text, without a byte-order mark.

    Raises
    ------
    InputError
        ``err.not_text`` for binary data (NUL bytes outside wide text, control characters, wide text that
        does not read as text); ``err.encoding`` for text with a UTF-16/32 byte-order mark that does not
        decode.
    """
    wide = _wide_encoding(data)
    if wide is not None:
        codec, bom = wide
        try:
            text = data.decode(codec).lstrip("\ufeff")
        except UnicodeDecodeError as exc:  # with a BOM it meant to be text; without, it is binary
            raise InputError("err.encoding" if bom else "err.not_text", file=label) from exc
        if not bom and not _plausible_text(text):
            raise InputError("err.not_text", file=label)
        return _text_or_binary(text, label)
    if b"\x00" in data:
        raise InputError("err.not_text", file=label)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return _text_or_binary(data.decode(enc), label)
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise InputError("err.not_text", file=label)
    text = _text_or_binary(str(best), label)
    if warns is not None:
        warns.append(("warn.encoding_guessed", {"file": label, "encoding": best.encoding}))
    return text


def _text_or_binary(text: str, label: str) -> str:
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n")
    if controls > max(2, len(text) // 200):
        raise InputError("err.not_text", file=label)
    return text
