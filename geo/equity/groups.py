"""Education groups (教育集团): a lead school (牵头校) and its members, as the user enters them, checked, and
what they reach.

A group's lead is *strong* when it passes the 2017 audit, or, by the user's choice, when a figure of it (an audit
indicator or any numeric column) reaches a threshold. :func:`group_shares` counts the children zoned to the
schools of each group and the share of the level's children in groups with a strong lead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.equity.audit import BY_KEY, INDICATOR_KEYS
from geo.equity.stats import blank
from geo.errors import InputError
from geo.inputs.columns import find_column

GROUP_COLUMNS = ("group_id", "group_name", "school_id", "role")
ROLES = ("lead", "member")
STRENGTH_BY = ("audit", "column")  # a lead is strong if it passes the audit, or if a figure reaches a threshold


def empty_groups() -> pd.DataFrame:
    """No groups.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`GROUP_COLUMNS`, no rows.
    """
    return pd.DataFrame({c: pd.Series(dtype=object) for c in GROUP_COLUMNS})


def groups_table(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """A groups file as text cells, blanks as None.

    Parameters
    ----------
    df : pandas.DataFrame
        The file as read, with the columns ``group_id``, ``group_name``, ``school_id`` and ``role``.
    file : str
        The file's name, for messages.

    Returns
    -------
    pandas.DataFrame
        The four columns, in :data:`GROUP_COLUMNS` order.

    Raises
    ------
    InputError
        If a column is missing.
    """
    cols = {c: find_column(df, (c,)) for c in GROUP_COLUMNS}
    for c, found in cols.items():
        if found is None:
            raise InputError("err.missing_column", file=file, field=c, aliases=", ".join(GROUP_COLUMNS))
    out = pd.DataFrame({c: df[found].map(lambda v: None if blank(v) else str(v).strip())
                        for c, found in cols.items()})
    return out.astype(object)


def check_groups(df: pd.DataFrame, schools: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, dict]]]:
    """Education groups as entered, tidied, and what is wrong with them.

    Parameters
    ----------
    df : pandas.DataFrame
        The groups as entered (a file or the page's table); rows with every cell blank are dropped.
    schools : pandas.DataFrame
        The schools table (``school_id``).

    Returns
    -------
    groups : pandas.DataFrame
        Complete rows, roles as ``lead`` / ``member`` (牵头 / 龙头 / 核心 / 成员 read too; blank: member), a
        blank group name replaced by the group id.
    problems : list of (str, dict)
        Each a translation key and its parameters: incomplete rows, unknown roles or schools, a school in two
        groups, a group without exactly one lead. The groups are usable only when this is empty.
    """
    g = pd.DataFrame(df).reindex(columns=list(GROUP_COLUMNS)).astype(object)
    g = g.map(lambda v: None if blank(v) else str(v).strip())
    g = g[g.notna().any(axis=1)].reset_index(drop=True)
    problems: list[tuple[str, dict]] = []
    incomplete = g["group_id"].isna() | g["school_id"].isna()
    if incomplete.any():
        problems.append(("equity.groups.incomplete", dict(rows=", ".join(str(i + 1) for i in np.flatnonzero(incomplete)))))
    g = g[~incomplete].reset_index(drop=True)
    g["role"] = g["role"].map(lambda r: "member" if blank(r) else str(r).lower())  # (pandas made a blank NaN)
    g["role"] = g["role"].replace({"牵头": "lead", "龙头": "lead", "核心": "lead", "成员": "member"})
    g["group_name"] = g["group_name"].fillna(g["group_id"])
    bad_role = ~g["role"].isin(ROLES)
    if bad_role.any():
        problems.append(("equity.groups.bad_role", dict(values=", ".join(sorted(set(g.loc[bad_role, "role"]))))))
    unknown = sorted(set(g["school_id"]) - set(schools["school_id"].astype(str)))
    if unknown:
        problems.append(("equity.groups.unknown", dict(ids=", ".join(unknown))))
    dup = g["school_id"].duplicated(keep=False)
    if dup.any():
        problems.append(("equity.groups.duplicate", dict(ids=", ".join(sorted(set(g.loc[dup, "school_id"]))))))
    for gid, rows in g.groupby("group_id", sort=False):
        n = int((rows["role"] == "lead").sum())
        if n != 1:
            problems.append(("equity.groups.lead_count", dict(group=rows["group_name"].iloc[0], count=n)))
    return g, problems


def school_groups(schools: pd.DataFrame, groups: pd.DataFrame) -> pd.Series:
    """Each school's group name, to group schools by (e.g. in the Theil decomposition).

    Parameters
    ----------
    schools : pandas.DataFrame
        The schools table (``school_id``).
    groups : pandas.DataFrame
        Checked groups (:func:`check_groups`).

    Returns
    -------
    pandas.Series
        Aligned with ``schools``; NaN for a school in no group.
    """
    return schools["school_id"].astype(str).map(dict(zip(groups["school_id"], groups["group_name"])))


def strength_columns(schools: pd.DataFrame) -> list[str]:
    """What a lead's strength can be measured by: the audit indicators, then the schools' numeric columns.

    Parameters
    ----------
    schools : pandas.DataFrame
        The schools table.

    Returns
    -------
    list of str
        Indicator keys (:data:`~geo.equity.audit.INDICATOR_KEYS`), then every numeric, non-boolean column but
        ``geometry`` and ``capacity_estimated``.
    """
    numeric = [str(c) for c in schools.columns if c not in ("geometry", "capacity_estimated")
               and pd.api.types.is_numeric_dtype(schools[c]) and not pd.api.types.is_bool_dtype(schools[c])]
    return list(INDICATOR_KEYS) + numeric


def strength_values(schools: pd.DataFrame, audit: pd.DataFrame, column: str, level: str) -> pd.Series:
    """Every school's figure for ``column``.

    Parameters
    ----------
    schools : pandas.DataFrame
        The schools table.
    audit : pandas.DataFrame
        :func:`geo.equity.audit.audit_schools` of ``schools``.
    column : str
        An audit indicator key (the school's ``level`` part where it has one, else its first part) or a column
        of ``schools`` (as numbers; text that is not a number counts as missing).
    level : str
        The level whose part of a nine-year school counts.

    Returns
    -------
    pandas.Series
        School id -> figure (float, NaN where unknown).

    Raises
    ------
    KeyError
        If ``column`` is neither an indicator key nor a column of ``schools``.
    """
    if column in BY_KEY:
        own = audit[audit["level"] == level].drop_duplicates("school_id").set_index("school_id")
        first = audit.drop_duplicates("school_id").set_index("school_id")
        return pd.Series({s: (own if s in own.index else first).at[s, column] for s in first.index}, dtype=float)
    return pd.to_numeric(schools.set_index(schools["school_id"].astype(str))[column], errors="coerce")


def default_threshold(values: pd.Series) -> float:
    """The threshold offered first: the median of the known figures (0 when none is known).

    Parameters
    ----------
    values : pandas.Series
        :func:`strength_values`.

    Returns
    -------
    float
        The threshold.
    """
    return float(np.nanmedian(values.to_numpy(dtype=float))) if values.notna().any() else 0.0


def strong_leads(groups: pd.DataFrame, audit: pd.DataFrame, values: pd.Series | None = None,
                 threshold: float = 0.0) -> pd.Series:
    """Whether each group's lead is strong.

    Parameters
    ----------
    groups : pandas.DataFrame
        Checked groups (:func:`check_groups`, so each has one lead).
    audit : pandas.DataFrame
        :func:`geo.equity.audit.audit_schools` of the schools.
    values : pandas.Series, optional
        School id -> figure (:func:`strength_values`). Without it, a lead is strong when every part of it
        passes the audit.
    threshold : float
        With ``values``: a lead is strong when its figure is at least this (an unknown figure is not).

    Returns
    -------
    pandas.Series
        Group id -> bool.
    """
    leads = groups[groups["role"] == "lead"].set_index("group_id")["school_id"]
    if values is None:
        passes = audit.groupby("school_id")["passes"].all()
        return leads.map(passes).fillna(False).astype(bool)
    return leads.map(values).ge(threshold).fillna(False).astype(bool)


@dataclass(frozen=True)
class GroupShares:
    """The children each education group reaches.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group: ``group_id``, ``group_name``, ``lead`` (name), ``lead_passes`` (the audit),
        ``strong``, ``schools``, ``members`` (names, joined), ``children`` (zoned to the group's schools) and
        ``share`` (percent of all children).
    children : float
        All children of the level.
    """

    table: pd.DataFrame
    children: float

    @property
    def strong_share(self) -> float | None:
        """The share of the children zoned to a school of a group with a strong lead.

        Returns
        -------
        float or None
            A fraction of 1; None when the level has no children.
        """
        return float(self.table.loc[self.table["strong"], "children"].sum()) / self.children if self.children \
            else None

    @property
    def grouped_share(self) -> float | None:
        """The share of the children zoned to a school of any group.

        Returns
        -------
        float or None
            A fraction of 1; None when the level has no children.
        """
        return float(self.table["children"].sum()) / self.children if self.children else None


def group_shares(groups: pd.DataFrame, schools: pd.DataFrame, audit: pd.DataFrame, children: pd.Series,
                 strong: pd.Series) -> GroupShares:
    """The children each group's schools take, and the shares of all children.

    Parameters
    ----------
    groups : pandas.DataFrame
        Checked groups (:func:`check_groups`).
    schools : pandas.DataFrame
        The schools table (``school_id``, ``name``).
    audit : pandas.DataFrame
        :func:`geo.equity.audit.audit_schools` of the schools.
    children : pandas.Series
        School id -> children zoned to it (e.g. a zoning result's table); schools not in it take none.
    strong : pandas.Series
        Group id -> whether its lead is strong (:func:`strong_leads`).

    Returns
    -------
    GroupShares
        One row per group, and the level's children.
    """
    total = float(children.sum())
    names = dict(zip(schools["school_id"].astype(str), schools["name"].astype(str)))
    passes = audit.groupby("school_id")["passes"].all()
    rows = []
    for gid, g in groups.groupby("group_id", sort=False):
        lead = g.loc[g["role"] == "lead", "school_id"].iloc[0]
        kids = float(children.reindex(g["school_id"]).fillna(0).sum())
        rows.append({"group_id": gid, "group_name": g["group_name"].iloc[0], "lead": names.get(lead, lead),
                     "lead_passes": bool(passes.get(lead, False)), "strong": bool(strong.get(gid, False)),
                     "schools": len(g), "members": "、".join(names.get(s, s) for s in g["school_id"] if s != lead),
                     "children": kids, "share": kids / total * 100 if total else 0.0})
    columns = ["group_id", "group_name", "lead", "lead_passes", "strong", "schools", "members", "children", "share"]
    return GroupShares(pd.DataFrame(rows, columns=columns), total)
