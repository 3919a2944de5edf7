"""A zone list's names matched: its streets to a network's street names, its schools to a schools table.

The matching rules are :mod:`geo.official.names`; here they are applied to a list's entries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.network.graph import Network
from geo.official.names import (
    LOOSE,
    MATCHED,
    SCHOOL_LINK_MIN,
    UNMATCHED,
    City,
    NameIndex,
    match_schools,
    unique_labels,
)

__all__ = ["MATCH_COLUMNS", "SCHOOL_LINK_MIN", "link_schools", "match_entries", "match_report", "street_index"]

MATCH_COLUMNS = ["status", "names", "score", "candidates", "reason"]


def street_index(network: Network, city: City | None = None) -> NameIndex:
    """The network's street names, indexed for matching.

    Parameters
    ----------
    network : Network
        The street network.
    city : City, optional
        Whose prefixes names are stripped of; default: Chengdu.

    Returns
    -------
    NameIndex
    """
    return NameIndex(np.unique(network.edge_name.astype(str)), "street", city)


def match_entries(entries: pd.DataFrame, index: NameIndex | Network) -> pd.DataFrame:
    """The entries with their street matched.

    An alias (武成（城）大街) is tried when the written name does not match exactly; the better result is kept.

    Parameters
    ----------
    entries : DataFrame
        A list's entries (:attr:`geo.official.parse.ZoneText.entries`).
    index : NameIndex or Network
        The street names to match against (:func:`street_index`), or the network they come from.

    Returns
    -------
    DataFrame
        The entries with ``status`` (matched / loose / unmatched), ``names`` (the network names, a tuple),
        ``score``, ``candidates`` and ``reason`` (why a loose match is one:
        :data:`~geo.official.names.LOOSE_REASONS`; "" otherwise).
    """
    if isinstance(index, Network):
        index = street_index(index)
    if not len(entries):
        return entries.assign(status=pd.Series(dtype=object), names=pd.Series(dtype=object),
                              score=pd.Series(dtype=float), candidates=pd.Series(dtype=object),
                              reason=pd.Series(dtype=object))
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
    m = pd.DataFrame(rows, index=entries.index, columns=MATCH_COLUMNS)
    return pd.concat([entries, m], axis=1)


def match_report(entries: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct street name of matched entries.

    Parameters
    ----------
    entries : DataFrame
        Entries from :func:`match_entries`.

    Returns
    -------
    DataFrame
        ``street``, ``status``, ``names`` (network names), ``score``, ``candidates`` (the nearest ones),
        ``entries`` (how many entries use it) and ``reason`` (why a loose match is one).
    """
    if not len(entries):
        return pd.DataFrame(columns=["street", "status", "names", "score", "candidates", "entries", "reason"])
    if "reason" not in entries.columns:
        entries = entries.assign(reason="")
    g = entries.groupby("street", sort=False)
    out = g.agg(status=("status", "first"), names=("names", "first"), score=("score", "first"),
                candidates=("candidates", "first"), entries=("kind", "size"), reason=("reason", "first")).reset_index()
    return out


def link_schools(listed: list[str], table_names: list[str]) -> pd.DataFrame:
    """Each listed school's row in a schools table.

    The name as :func:`geo.official.write.write_zone_text` writes it (``泡桐树小学(2)``) first, then
    :func:`~geo.official.names.match_schools` (exact; a campus qualifier dropped, 实验 or 附属 variants, each
    when unique; or fuzzy with a score of at least :data:`SCHOOL_LINK_MIN`; never two listed names to one
    table school unless they are campuses of it).

    Parameters
    ----------
    listed : list of str
        The schools as the list names them, in order.
    table_names : list of str
        The schools table's names, in row order.

    Returns
    -------
    DataFrame
        One row per listed school: ``name``, ``status``, ``table_name`` ("" when not linked), ``score``,
        ``candidates``, ``index`` (the table row, -1 when not linked) and ``reason`` (why a loose link is one,
        or why a loose match is not linked: :data:`~geo.official.names.LOOSE_REASONS`; "" otherwise).
    """
    cols = ["name", "status", "table_name", "score", "candidates", "index", "reason"]
    if not listed:
        return pd.DataFrame(columns=cols)
    if not table_names:
        return pd.DataFrame([{"name": n, "status": UNMATCHED, "table_name": "", "score": 0.0, "candidates": "",
                              "index": -1, "reason": ""} for n in listed], columns=cols)
    labels = {lab: i for i, lab in enumerate(unique_labels(table_names))}
    fixed = {n: labels[n] for n in listed if n in labels}
    m = match_schools(listed, table_names, fixed=fixed).set_index("name")
    rows = []
    for name in listed:
        r = m.loc[name]
        i = int(r["index"])
        rows.append({"name": name, "status": r["status"], "table_name": table_names[i] if i >= 0 else "",
                     "score": float(r["score"]), "candidates": r["candidates"], "index": i, "reason": r["reason"]})
    return pd.DataFrame(rows, columns=cols)
