"""Warnings in a few words: what loading and zoning found, counted by kind, for the top of a page (the full list
goes below it, one line each)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Phrase = tuple[str, dict[str, Any]]

# warning key -> its summary phrase (None: said by another one's phrase, e.g. the standard behind the default seats)
SUMMARY: Mapping[str, str | None] = {
    "warn.ambiguous_school": "warn.summary.ambiguous_school",
    "warn.capacity_estimated": "warn.summary.capacity_estimated",
    "warn.default_seats_cn": None,
    "warn.children_estimated": "warn.summary.children_estimated",
    "opt.fill_lowered": "warn.summary.fill_lowered",
    "opt.fill_lowered_short": "warn.summary.fill_lowered_short",
    "opt.not_contiguous": "warn.summary.not_contiguous",
    "opt.empty_schools": "warn.summary.empty_schools",
}


def summarise(warnings: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Phrase]:
    """The warnings as short phrases: one per kind with a summary (its count ``n`` and the first one's
    parameters), then one counting the rest (``warn.summary.other``).

    Parameters
    ----------
    warnings
        ``(translation key, params)`` pairs, as ``Inputs.warnings`` and ``ZoningResult.warnings`` hold them.

    Returns
    -------
    phrases
        ``(translation key, params)`` pairs, in the order their kinds first appear; empty when there are no
        warnings.
    """
    items = list(warnings)
    keys = [k for k, _ in items]
    phrases: list[Phrase] = []
    for key in dict.fromkeys(keys):
        target = SUMMARY.get(key, "")
        if target:
            first = next(dict(p) for k, p in items if k == key)
            phrases.append((target, first | {"n": keys.count(key)}))
    said = {k for k in keys if k in SUMMARY and (SUMMARY[k] or _covered(k, keys))}
    rest = sum(1 for k in keys if k not in said)
    if rest:
        phrases.append(("warn.summary.other", {"n": rest}))
    return phrases


def _covered(key: str, keys: list[str]) -> bool:
    """A warning without a phrase of its own is said by the one that explains it (the default seats)."""
    return key == "warn.default_seats_cn" and "warn.capacity_estimated" in keys
