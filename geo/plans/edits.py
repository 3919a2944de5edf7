"""What-if edits: a plan is the base data plus an ordered list of edits, with undo and redo.

An :class:`Edit` is a small, JSON-serialisable record of one planner action: reassign compounds to a
school, lock or unlock them, add / move / close a school or change its capacity. :class:`History` holds
the list and a cursor (the edits before it are in force; those after it can be redone). Applying edits
to the base data is pure (:func:`school_changes`, :func:`plan_overrides`); the incremental recomputation
lives in :mod:`geo.plans.editor` and the durable store in :mod:`geo.plans.store`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.inputs.schools import LEVELS, MAX_SEATS, NINE_YEAR, SCHOOL_LEVELS

REASSIGN = "reassign"
LOCK = "lock"
UNLOCK = "unlock"
ADD_SCHOOL = "add_school"
MOVE_SCHOOL = "move_school"
CLOSE_SCHOOL = "close_school"
SET_CAPACITY = "set_capacity"
KINDS = (REASSIGN, LOCK, UNLOCK, ADD_SCHOOL, MOVE_SCHOOL, CLOSE_SCHOOL, SET_CAPACITY)
SCHOOL_KINDS = (ADD_SCHOOL, MOVE_SCHOOL, CLOSE_SCHOOL, SET_CAPACITY)


@dataclass(frozen=True)
class Edit:
    """One planner action.

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    level
        The school level the edit is about (``primary`` / ``junior``; compound edits).
    pairs
        ``(compound_id, school_id)`` for reassign and lock (the school a locked compound keeps).
    compounds
        Compound ids to unlock.
    school, name, school_level, capacity, lon, lat
        The school edited or added: its id, name, level (``primary`` / ``junior`` / ``nine_year``), seats and
        place (WGS-84).

    Raises
    ------
    InputError
        If the kind is unknown or a field the kind needs is missing or out of range.
    """

    kind: str
    level: str = ""
    pairs: tuple[tuple[str, str], ...] = ()
    compounds: tuple[str, ...] = ()
    school: str = ""
    name: str = ""
    school_level: str = ""
    capacity: int = 0
    lon: float = math.nan
    lat: float = math.nan

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError("err.edit_kind", value=self.kind)
        if self.kind in (REASSIGN, LOCK, UNLOCK) and self.level not in LEVELS:
            raise InputError("err.edit_field", kind=self.kind, field="level", value=self.level)
        if self.kind in (SCHOOL_KINDS) and not str(self.school).strip():
            raise InputError("err.edit_field", kind=self.kind, field="school", value=self.school)
        if self.kind in (ADD_SCHOOL, SET_CAPACITY) and not (isinstance(self.capacity, int)
                                                             and 0 < self.capacity <= MAX_SEATS):
            raise InputError("err.edit_field", kind=self.kind, field="capacity", value=self.capacity)
        if self.kind == ADD_SCHOOL:
            if self.school_level not in SCHOOL_LEVELS:
                raise InputError("err.edit_field", kind=self.kind, field="school_level", value=self.school_level)
            if not str(self.name).strip():
                raise InputError("err.edit_field", kind=self.kind, field="name", value=self.name)
        if self.kind in (ADD_SCHOOL, MOVE_SCHOOL) and not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise InputError("err.edit_field", kind=self.kind, field="lon/lat", value=f"{self.lon}, {self.lat}")

    def to_json(self) -> str:
        """The edit as compact JSON (fields left at their defaults are left out).

        Returns
        -------
        text
        """
        d = {k: v for k, v in asdict(self).items() if v not in ((), "", 0) and not (isinstance(v, float)
                                                                                    and math.isnan(v))}
        return json.dumps(d, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Edit:
        """The edit written by :meth:`to_json`.

        Parameters
        ----------
        text
            JSON.

        Returns
        -------
        edit

        Raises
        ------
        InputError
            If the edit is not valid.
        ValueError, TypeError
            If the text is not JSON or has unknown fields.
        """
        d = json.loads(text)
        d["pairs"] = tuple(tuple(p) for p in d.get("pairs", ()))
        d["compounds"] = tuple(d.get("compounds", ()))
        return cls(**d)


@dataclass(frozen=True)
class History:
    """Edits with a cursor: ``edits[:cursor]`` are in force, ``edits[cursor:]`` can be redone.

    Attributes
    ----------
    edits
        Every edit, in order.
    cursor
        How many of them are in force.
    """

    edits: tuple[Edit, ...] = ()
    cursor: int = 0

    @property
    def active(self) -> tuple[Edit, ...]:
        """The edits in force."""
        return self.edits[: self.cursor]

    @property
    def can_undo(self) -> bool:
        """Whether an edit is in force."""
        return self.cursor > 0

    @property
    def can_redo(self) -> bool:
        """Whether an undone edit can be redone."""
        return self.cursor < len(self.edits)

    def push(self, edit: Edit) -> History:
        """The history with ``edit`` in force after the active edits.

        A new edit drops whatever could have been redone, as in every editor.

        Parameters
        ----------
        edit
            The new edit.

        Returns
        -------
        history
        """
        return History(self.edits[: self.cursor] + (edit,), self.cursor + 1)

    def undo(self) -> History:
        """The history with the last edit in force undone (the same history when there is none).

        Returns
        -------
        history
        """
        return replace(self, cursor=max(self.cursor - 1, 0))

    def redo(self) -> History:
        """The history with the next undone edit in force again (the same history when there is none).

        Returns
        -------
        history
        """
        return replace(self, cursor=min(self.cursor + 1, len(self.edits)))


@dataclass(frozen=True)
class Overrides:
    """What the active edits say about one level's compounds: forced schools and locks.

    Attributes
    ----------
    assigned
        Compound id -> school id (reassigned by hand).
    locked
        Compound id -> school id it keeps.
    """

    assigned: dict[str, str] = field(default_factory=dict)
    locked: dict[str, str] = field(default_factory=dict)


def plan_overrides(edits: tuple[Edit, ...] | list[Edit], level: str) -> Overrides:
    """Fold the compound edits of ``level``, in order: the last word on each compound wins.

    Parameters
    ----------
    edits
        The edits in force.
    level
        "primary" or "junior".

    Returns
    -------
    overrides
    """
    assigned: dict[str, str] = {}
    locked: dict[str, str] = {}
    for e in edits:
        if e.level != level:
            continue
        if e.kind == REASSIGN:
            for cid, sid in e.pairs:
                assigned[cid] = sid
                if cid in locked:
                    locked[cid] = sid
        elif e.kind == LOCK:
            locked.update(dict(e.pairs))
        elif e.kind == UNLOCK:
            for cid in e.compounds:
                locked.pop(cid, None)
    return Overrides(assigned, locked)


def check_edits(schools: gpd.GeoDataFrame, edits: tuple[Edit, ...] | list[Edit],
                outside: Callable[[Edit], InputError | None] | None = None) -> list[InputError | None]:
    """Why each edit cannot apply (an :class:`InputError`), or None where it can, in order: each edit is
    checked against the schools as the edits before it *that can apply* left them.

    A school edit must name an open school (an added one, a new id); closing the last open school that
    admits a level is refused (every zoning of that level would have no school at all); ``outside(edit)``,
    if given, is called for a new or moved school and returns the error when its place is off the street
    network (see :meth:`geo.plans.editor.Editor.check`). Compound edits always apply (a compound sent to a closed
    school goes back to its nearest one, with a warning).

    Parameters
    ----------
    schools
        The schools table before the edits.
    edits
        The edits, in order.
    outside
        Checks the place of a new or moved school.

    Returns
    -------
    errors
        One per edit: the error, or None.
    """
    ids = schools["school_id"].astype(str).tolist()
    kinds = schools["level"].astype(str).tolist()
    names = schools["name"].astype(str).tolist() if "name" in schools else ids
    open_ = {i: (k, n) for i, k, n in zip(ids, kinds, names)}
    counts = {lv: int(pd.Series(kinds).isin((lv, NINE_YEAR)).sum()) for lv in LEVELS}
    out: list[InputError | None] = []
    for e in edits:
        err = None
        if e.kind in SCHOOL_KINDS:
            if e.kind == ADD_SCHOOL:
                err = InputError("err.edit_school_exists", value=e.school) if e.school in open_ else None
            elif e.school not in open_:
                err = InputError("err.edit_no_school", value=e.school)
            if err is None and e.kind in (ADD_SCHOOL, MOVE_SCHOOL) and outside is not None:
                err = outside(e)
            if err is None and e.kind == CLOSE_SCHOOL:
                kind, name = open_[e.school]
                last = [lv for lv in LEVELS if kind in (lv, NINE_YEAR) and counts[lv] <= 1]
                if last:
                    err = InputError("err.edit_last_school", school=e.school, name=name, level=f"@level.{last[0]}")
            if err is None and e.kind == ADD_SCHOOL:
                open_[e.school] = (e.school_level, e.name)
                for lv in LEVELS:
                    counts[lv] += e.school_level in (lv, NINE_YEAR)
            elif err is None and e.kind == CLOSE_SCHOOL:
                kind, _ = open_.pop(e.school)
                for lv in LEVELS:
                    counts[lv] -= kind in (lv, NINE_YEAR)
        out.append(err)
    return out


def school_changes(schools: gpd.GeoDataFrame, edits: tuple[Edit, ...] | list[Edit]) -> gpd.GeoDataFrame:
    """The schools table (WGS-84) after the school edits: added, moved, closed, capacity changed.

    Parameters
    ----------
    schools
        The schools table (WGS-84).
    edits
        The edits, in order (compound edits are skipped).

    Returns
    -------
    schools
        A new table.

    Raises
    ------
    InputError
        If an edit names a school that does not exist (any more), or adds one that does; the app checks
        an edit this way before it is stored, so a stored plan always applies.
    """
    out = schools.copy()
    ids = out["school_id"].astype(str)
    for e in edits:
        if e.kind not in SCHOOL_KINDS:
            continue
        hit = (ids == e.school).to_numpy()
        if e.kind == ADD_SCHOOL:
            if hit.any():
                raise InputError("err.edit_school_exists", value=e.school)
            row = {c: pd.NA for c in out.columns if c != out.geometry.name}
            row.update({"school_id": e.school, "name": e.name, "level": e.school_level, "capacity": e.capacity,
                        "capacity_estimated": False})
            if "capacity_primary" in out.columns and e.school_level == "nine_year":
                row.update({"capacity_primary": pd.NA, "capacity_junior": pd.NA})
            new = gpd.GeoDataFrame([row], geometry=[shapely.Point(e.lon, e.lat)], crs=out.crs)
            out = pd.concat([out, new.astype({c: out[c].dtype for c in ("capacity",) if c in out})],
                            ignore_index=True)
            ids = out["school_id"].astype(str)
            continue
        if not hit.any():
            raise InputError("err.edit_no_school", value=e.school)
        i = int(np.flatnonzero(hit)[0])
        if e.kind == MOVE_SCHOOL:
            out.loc[out.index[i], out.geometry.name] = shapely.Point(e.lon, e.lat)
        elif e.kind == CLOSE_SCHOOL:
            out = out.drop(index=out.index[i]).reset_index(drop=True)
            ids = out["school_id"].astype(str)
        else:
            out.loc[out.index[i], "capacity"] = e.capacity
            out.loc[out.index[i], "capacity_estimated"] = False
            for c in ("capacity_primary", "capacity_junior"):  # a new total splits by the years again
                if c in out.columns:
                    out.loc[out.index[i], c] = pd.NA
    return gpd.GeoDataFrame(out, geometry=out.geometry.name, crs=schools.crs)


def assignment_edit(table: pd.DataFrame, level: str, compound_ids: Iterable[object], school_ids: Iterable[object],
                    file: str) -> Edit:
    """A unit-to-school table (``compound_id``, ``school_id``: the exchange format of redistricting tools)
    as one reassign edit, checked row by row against the known compounds and schools.

    Parameters
    ----------
    table
        The table read from the file (column names in any case).
    level
        "primary" or "junior".
    compound_ids, school_ids
        The known compounds and schools.
    file
        The file's name, for messages.

    Returns
    -------
    edit
        A reassign edit.

    Raises
    ------
    InputError
        If a column is missing, an id is unknown or a compound is listed twice (naming the row).
    """
    cols = {str(c).strip().lower(): c for c in table.columns}
    for need in ("compound_id", "school_id"):
        if need not in cols:
            raise InputError("err.unit_csv", file=file, row=1, problem=f"no column {need}")
    cid = table[cols["compound_id"]].astype(str).str.strip().to_numpy()
    sid = table[cols["school_id"]].astype(str).str.strip().to_numpy()
    known_c, known_s = set(map(str, compound_ids)), set(map(str, school_ids))
    for i, (c, s) in enumerate(zip(cid, sid)):
        if c not in known_c:
            raise InputError("err.unit_csv", file=file, row=i + 2, problem=f"unknown compound_id {c!r}")
        if s not in known_s:
            raise InputError("err.unit_csv", file=file, row=i + 2, problem=f"unknown school_id {s!r}")
    dup = pd.Series(cid).duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError("err.unit_csv", file=file, row=i + 2, problem=f"compound_id {cid[i]!r} twice")
    return Edit(REASSIGN, level=level, pairs=tuple(zip(cid.tolist(), sid.tolist())))
