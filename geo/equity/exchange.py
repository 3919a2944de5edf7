"""Teacher exchange (教师交流轮岗): apply moves of teachers between schools, and suggest the fewest moves.

Teachers move by category: ``qualified`` (above the required qualification), ``backbone`` (county-level or
above) and ``pe_art`` (PE, music, fine art). The categories are counted separately, as the audit counts
them; a backbone teacher who is also counted among the qualified teachers is two moves here (one per
column), so give both when applying real moves.

**Fewest moves.** For one category and one level, with enrolment p_i, teachers t_i, P = sum p_i and
T = sum t_i, the indicator is x_i = 100 t_i / p_i and its student-weighted mean xbar = 100 T / P. Moving
teachers keeps T, so xbar is fixed and the coefficient-of-variation limit c is the convex quadratic
constraint

    sum_i (t_i + d_i - p_i T / P)^2 / p_i  <=  c^2 T^2 / P

in the net changes d_i (integers, summing to 0 inside every group that may exchange; t_i + d_i >= 0). Any
set of moves with net changes d moves at least sum_i max(d_i, 0) teachers, and exactly that many can always
be arranged (senders to receivers inside each group), so the fewest moves are found by minimising
sum_i max(d_i, 0). This is solved exactly as a MIP with HiGHS by outer approximation: the quadratic is
replaced by variables s_i bounded below by tangent planes of e^2 / p_i; after each solve the true quadratic is
checked at the integer solution and, where it is violated, the tangents at that solution are added (Kelley's
cutting planes). The tangents only under-estimate a convex function, so every MIP is a relaxation, and the
first integer solution that satisfies the true constraint is optimal. Among equally few moves the one with
the lowest coefficient is preferred. The result is then verified by applying the moves and recomputing the
coefficients with :mod:`geo.equity.audit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import highspy
import numpy as np
import pandas as pd

from geo.equity.audit import CV_LIMITS, Balance, balance, part_values, school_parts, weighted_cv
from geo.equity.stats import blank
from geo.errors import InputError
from geo.inputs.columns import find_column
from geo.inputs.schools import ID_ALIASES, LEVEL_ALIASES, LEVELS, NINE_YEAR, parse_level
from geo.render.i18n import t as translate

CATEGORIES = {"qualified": "qualified_teachers", "backbone": "backbone_teachers", "pe_art": "pe_art_teachers"}
INDICATOR_OF = {"qualified": "qualified_per100", "backbone": "backbone_per100", "pe_art": "pe_art_per100"}
TEACHER_KEYS = tuple(INDICATOR_OF.values())  # the audit indicators teacher moves change
MOVE_COLUMNS = ("from_school", "to_school", "category", "teachers", "level")

Moves: TypeAlias = "pd.DataFrame | Iterable[Mapping[str, Any]]"  # a moves table, or its rows as dicts
Group: TypeAlias = "str | Mapping[str, Any] | pd.Series | None"  # a column naming groups, or school id -> group


# --- applying moves -------------------------------------------------------------------------------------

def _moves_frame(moves: Moves) -> pd.DataFrame:
    m = pd.DataFrame(moves).copy() if not isinstance(moves, pd.DataFrame) else moves.copy()
    if len(m) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in MOVE_COLUMNS})
    for c in ("from_school", "to_school", "category", "teachers"):
        if c not in m:
            raise InputError("err.missing_column", file="moves", field=c, aliases=c)
    if "level" not in m:
        m["level"] = None
    return m.reset_index(drop=True)


def apply_moves(schools: pd.DataFrame, moves: Moves, *, file: str = "schools") -> pd.DataFrame:
    """The schools table after ``moves``.

    A nine-year school that sends or receives gets explicit ``<column>_primary`` / ``<column>_junior``
    columns (from its current split) so the moved teachers land in the right part.

    Parameters
    ----------
    schools
        The schools table with the teacher columns of :data:`CATEGORIES`.
    moves
        A DataFrame or list of dicts with ``from_school``, ``to_school``, ``category`` (qualified / backbone /
        pe_art), ``teachers`` and, where a nine-year school is involved, ``level``: which part the teachers
        teach; it defaults to the other school's level.
    file
        The schools file's name, for messages.

    Returns
    -------
    schools
        A new table.

    Raises
    ------
    InputError
        For unknown schools or categories, non-positive counts, a move between two nine-year schools with no
        level, and moves that would leave a school with fewer than 0 teachers.
    """
    df = pd.DataFrame(schools).copy().reset_index(drop=True)
    m = _moves_frame(moves)
    if len(m) == 0:
        return df
    id_col = find_column(df, ("school_id",) + ID_ALIASES)
    ids = df[id_col].astype(str).str.strip() if id_col else pd.Series([f"S{i + 1}" for i in range(len(df))])
    row_of = pd.Series(np.arange(len(df)), index=ids.to_numpy())
    levels = df[find_column(df, LEVEL_ALIASES)].map(parse_level).to_numpy()
    names = df[find_column(df, ("name", "school_name", "学校名称"))].astype(str).to_numpy() \
        if find_column(df, ("name", "school_name", "学校名称")) else ids.to_numpy()

    for k, r in m.iterrows():  # validation only; the changes below are vectorised
        for end in ("from_school", "to_school"):
            if str(r[end]) not in row_of.index:
                raise InputError("exchange.unknown_school", school=r[end], row=k + 1)
        if r["category"] not in CATEGORIES:
            raise InputError("exchange.unknown_category", category=r["category"], row=k + 1,
                             categories=", ".join(CATEGORIES))
        n = pd.to_numeric(pd.Series([r["teachers"]]), errors="coerce").iloc[0]
        if not (n > 0 and float(n).is_integer()):
            raise InputError("err.bad_value", file="moves", row=k + 1, field="teachers", value=r["teachers"],
                             hint="@hint.positive_int")
    src = row_of.loc[m["from_school"].astype(str)].to_numpy()
    dst = row_of.loc[m["to_school"].astype(str)].to_numpy()
    n = pd.to_numeric(m["teachers"]).to_numpy(dtype=float)
    lv = m["level"].to_numpy(dtype=object)
    # Default level: the level of the one-level school at either end.
    lv = np.where(pd.isna(lv), np.where(levels[dst] != NINE_YEAR, levels[dst], levels[src]), lv)
    if (lv == NINE_YEAR).any():
        k = int(np.flatnonzero(lv == NINE_YEAR)[0])
        raise InputError("exchange.level_needed", a=m["from_school"].iloc[k], b=m["to_school"].iloc[k], row=k + 1)
    lv = np.array([parse_level(v) or v for v in lv], dtype=object)

    for cat, col in CATEGORIES.items():
        sel = (m["category"] == cat).to_numpy()
        if not sel.any():
            continue
        col_name = find_column(df, (col,)) or col
        total = pd.to_numeric(df[col_name], errors="coerce").to_numpy(dtype=float)
        delta = np.bincount(dst[sel], weights=n[sel], minlength=len(df)) - np.bincount(
            src[sel], weights=n[sel], minlength=len(df))
        nine_touched = np.zeros(len(df), dtype=bool)
        nine_touched[np.concatenate([src[sel], dst[sel]])] = True
        nine_touched &= levels == NINE_YEAR
        new_total = total + delta
        if nine_touched.any():
            for level in LEVELS:
                pc = f"{col}_{level}"
                part = part_values(df, col, level, file=file)
                cur = pd.to_numeric(df[pc], errors="coerce").to_numpy(dtype=float) if pc in df else \
                    np.full(len(df), np.nan)
                cur = np.where(nine_touched & np.isnan(cur), part, cur)
                s_l = sel & (lv == level)
                cur = cur + np.where(levels == NINE_YEAR, np.bincount(dst[s_l], weights=n[s_l], minlength=len(df))
                                     - np.bincount(src[s_l], weights=n[s_l], minlength=len(df)), 0.0)
                bad = (levels == NINE_YEAR) & (cur < -1e-9)
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise InputError("exchange.not_enough", school=names[i], category=f"@exchange.cat.{cat}",
                                     have=_fmt(cur[i] + _sent(src, s_l, n, i)), send=_fmt(_sent(src, s_l, n, i)))
                df[pc] = np.where(levels == NINE_YEAR, cur, df.get(pc, np.nan))
        bad = new_total < -1e-9
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError("exchange.not_enough", school=names[i], category=f"@exchange.cat.{cat}",
                             have=_fmt(total[i]), send=_fmt(_sent(src, sel, n, i)))
        df[col_name] = _tidy(new_total)
    return df


def _sent(src, sel, n, i) -> float:
    return float(n[sel & (src == i)].sum())


def _fmt(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


def _tidy(x: np.ndarray) -> np.ndarray:
    """Whole numbers back as integers where every value is whole (keeps CSV output tidy)."""
    r = np.round(x)
    return r.astype(np.int64) if np.allclose(x, r, atol=1e-9) else x


@dataclass(frozen=True)
class ExchangeEffect:
    """Schools after the moves, and the audit and coefficients before and after (per level).

    Attributes
    ----------
    schools
        The schools table after the moves.
    before, after
        Level -> :class:`~geo.equity.audit.Balance`.
    table
        One row per level and indicator: ``level``, ``indicator``, ``cv_before``, ``cv_after``, ``limit``,
        ``passes_before``, ``passes_after``.
    """

    schools: pd.DataFrame
    before: dict[str, Balance]
    after: dict[str, Balance]
    table: pd.DataFrame


def exchange_effect(schools: pd.DataFrame, moves: Moves, *, standard: str = "2017", file: str = "schools"
                    ) -> ExchangeEffect:
    """Apply ``moves`` and recompute every level's coefficients of the teacher indicators (and the rest).

    Parameters
    ----------
    schools
        The schools table with every audit column.
    moves
        As :func:`apply_moves` takes them.
    standard
        "2017" or "2012": whose coefficient limits.
    file
        The schools file's name, for messages.

    Returns
    -------
    effect

    Raises
    ------
    InputError
        As :func:`apply_moves`, or when an audit column is missing or bad.
    """
    after_schools = apply_moves(schools, moves, file=file)
    present = set(school_parts(schools, file=file)["level"])
    before = {lv: balance(schools, lv, file=file) for lv in LEVELS if lv in present}
    after = {lv: balance(after_schools, lv, file=file) for lv in before}
    rows = []
    for lv, bal in before.items():
        for key in bal.table.index:
            limit = CV_LIMITS[standard][lv]
            b, a = bal.table.loc[key, "cv"], after[lv].table.loc[key, "cv"]
            rows.append({"level": lv, "indicator": key, "cv_before": b, "cv_after": a, "limit": limit,
                         "passes_before": b <= limit * (1 + 1e-9), "passes_after": a <= limit * (1 + 1e-9)})
    return ExchangeEffect(after_schools, before, after, pd.DataFrame(rows))


# --- suggesting moves ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    """The fewest teacher moves for one level, or why there are none.

    Attributes
    ----------
    level, standard
        What was asked for.
    limit
        The coefficient limit used.
    moves
        One row per move: ``from_school``, ``from_name``, ``to_school``, ``to_name``, ``category``,
        ``teachers``, ``level``.
    feasible
        Every requested category ends within the limit.
    optimal
        The fewest moves are proven (no time limit hit).
    teachers_moved
        The total of ``moves["teachers"]``.
    table
        Per category its ``teachers``, ``cv_before``, ``cv_after`` (recomputed from the moved table),
        ``limit``, ``moved`` and ``passes_after``.
    schools_after
        The schools table after the moves.
    balance_after
        The level's full audit after the moves (None when an audit column is missing).
    reasons
        ``(translation key, params)`` explaining each category that cannot be brought under.
    """

    level: str
    standard: str
    limit: float
    moves: pd.DataFrame
    feasible: bool
    optimal: bool
    teachers_moved: int
    table: pd.DataFrame
    schools_after: pd.DataFrame
    balance_after: Balance | None = None
    reasons: tuple[tuple[str, dict[str, Any]], ...] = field(default_factory=tuple)

    def messages(self, lang: str = "zh") -> list[str]:
        """The reasons as text.

        Parameters
        ----------
        lang
            "zh" or "en".

        Returns
        -------
        messages
            One per reason.
        """
        return [translate(k, lang, **p) for k, p in self.reasons]


def _group_codes(parts: pd.DataFrame, group: Group) -> np.ndarray:
    """Integer group per school part; schools outside every group are each a group of their own."""
    n = len(parts)
    if group is None:
        return np.zeros(n, dtype=np.int64)
    if isinstance(group, str):
        if group not in parts:
            raise InputError("err.missing_column", file="schools", field=group, aliases=group)
        labels = parts[group]
    else:
        labels = parts["school_id"].map(pd.Series(group).rename(index=str))
    labels = labels.astype(object).where(labels.notna(), None).to_numpy(dtype=object, copy=True)
    lone = pd.isna(labels)
    labels[lone] = [f"\x00{i}" for i in np.flatnonzero(lone)]
    codes, _ = pd.factorize(pd.Series(labels), sort=False)
    return codes


@dataclass
class _Solve:
    d: np.ndarray | None
    status: str  # "optimal", "time_limit", "infeasible"
    value: float = float("nan")  # min-CV mode: the lower bound of sum e^2/(p R)


def _solve(t: np.ndarray, p: np.ndarray, codes: np.ndarray, radius: float, *, minimise_cv: bool,
           time_limit: float, max_rounds: int = 200) -> _Solve:
    """Cutting-plane MIP over net changes d (see the module docstring). ``radius`` = c^2 T^2 / P.

    With ``minimise_cv`` the objective is the quadratic itself (no limit): its optimum tells how low the
    coefficient can go at all.
    """
    n = len(t)
    T, P = t.sum(), p.sum()
    c0 = t - p * T / P                       # e_i = c0_i + u_i - v_i
    scale = 1.0 / (p * radius)               # s_i >= e_i^2 * scale_i, and sum s_i <= 1
    group_tot = np.bincount(codes, weights=t)
    u_hi = np.floor(group_tot[codes] - t + 1e-9)
    v_hi = np.floor(t + 1e-9)
    reach = np.sqrt(1.0 / scale)             # |e_i| beyond this alone breaks the limit
    cuts: list[tuple[int, float]] = []
    for i in range(n):
        for e0 in {round(float(x), 9) for x in (c0[i], 0.5 * c0[i], 0.0, reach[i], -reach[i], 0.5 * reach[i],
                                                -0.5 * reach[i])}:
            cuts.append((i, e0))
    best_ub, best_d = np.inf, None
    for _ in range(max_rounds):
        h = _model(n, codes, c0, scale, u_hi, v_hi, cuts, minimise_cv, time_limit)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return _Solve(None, "infeasible")
        if h.getInfo().primal_solution_status != 2:
            return _Solve(best_d, "time_limit")
        x = np.asarray(h.getSolution().col_value)
        d = np.round(x[:n] - x[n:2 * n])
        e = c0 + d
        true = e * e * scale
        lb = float(h.getInfo().mip_dual_bound) if minimise_cv else np.nan
        if minimise_cv:
            if true.sum() < best_ub:
                best_ub, best_d = float(true.sum()), d
            if best_ub <= max(lb, 0) * (1 + 1e-7) + 1e-12:
                return _Solve(best_d, "optimal", best_ub)
        elif true.sum() <= 1 + 1e-9:
            done = "optimal" if status == highspy.HighsModelStatus.kOptimal else "time_limit"
            return _Solve(d, done)
        s = x[2 * n:]
        new = [(i, float(e[i])) for i in range(n) if true[i] > s[i] + 1e-12]
        if not new:  # cannot happen with exact tangents; guard against an endless loop
            break
        cuts += new
    return _Solve(best_d, "time_limit", best_ub)


def _model(n, codes, c0, scale, u_hi, v_hi, cuts, minimise_cv, time_limit) -> highspy.Highs:
    """Columns u (n, received), v (n, sent), s (n, quadratic share)."""
    inf = highspy.kHighsInf
    n_groups = int(codes.max()) + 1
    rows_idx, rows_val, lo, hi = [], [], [], []

    def row(idx, val, low, high):
        rows_idx.append(np.asarray(idx, dtype=np.int32))
        rows_val.append(np.asarray(val, dtype=float))
        lo.append(low)
        hi.append(high)

    for g in range(n_groups):  # every group keeps its teachers
        members = np.flatnonzero(codes == g)
        row(np.concatenate([members, n + members]), np.concatenate([np.ones(len(members)), -np.ones(len(members))]),
            0.0, 0.0)
    # Teachers never go below zero: v_i <= floor(t_i) is a column bound (a sender never also receives).
    if not minimise_cv:
        row(np.arange(2 * n, 3 * n), np.ones(n), -inf, 1.0)
    for i, e0 in cuts:  # s_i >= scale_i (2 e0 e_i - e0^2), e_i = c0_i + u_i - v_i
        k = 2 * e0 * scale[i]
        row([2 * n + i, i, n + i], [1.0, -k, k], scale[i] * (2 * e0 * c0[i] - e0 * e0), inf)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("mip_abs_gap", 1e-7)
    lp = highspy.HighsLp()
    lp.num_col_ = 3 * n
    lp.num_row_ = len(lo)
    if minimise_cv:
        lp.col_cost_ = np.concatenate([np.zeros(2 * n), np.ones(n)])
    else:  # fewest moves first; the quadratic (<= 1, weighted 0.5) only breaks ties
        lp.col_cost_ = np.concatenate([np.ones(n), np.zeros(n), np.full(n, 0.5)])
    lp.col_lower_ = np.zeros(3 * n)
    lp.col_upper_ = np.concatenate([u_hi, v_hi, np.full(n, inf)])
    lp.row_lower_ = np.asarray(lo, dtype=float)
    lp.row_upper_ = np.asarray(hi, dtype=float)
    starts = np.concatenate([[0], np.cumsum([len(r) for r in rows_idx])]).astype(np.int32)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = np.concatenate(rows_idx).astype(np.int32)
    lp.a_matrix_.value_ = np.concatenate(rows_val)
    lp.a_matrix_.num_col_ = 3 * n
    lp.a_matrix_.num_row_ = len(lo)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * (2 * n) + [highspy.HighsVarType.kContinuous] * n
    h.passModel(lp)
    return h


def _pair_moves(d: np.ndarray, codes: np.ndarray) -> list[tuple[int, int, int]]:
    """Senders to receivers inside each group, largest first: (from, to, teachers), sum = sum of d > 0."""
    out: list[tuple[int, int, int]] = []
    for g in np.unique(codes):
        idx = np.flatnonzero(codes == g)
        give = sorted(([int(-d[i]), int(i)] for i in idx if d[i] < 0), key=lambda x: (-x[0], x[1]))
        take = sorted(([int(d[i]), int(i)] for i in idx if d[i] > 0), key=lambda x: (-x[0], x[1]))
        gi = ti = 0
        while gi < len(give) and ti < len(take):
            k = min(give[gi][0], take[ti][0])
            out.append((give[gi][1], take[ti][1], k))
            give[gi][0] -= k
            take[ti][0] -= k
            gi += give[gi][0] == 0
            ti += take[ti][0] == 0
    return out


def suggest_moves(schools: pd.DataFrame, level: str, *, standard: str = "2017", group: Group = None,
                  categories: Sequence[str] = tuple(CATEGORIES), limit: float | None = None,
                  time_limit: float = 30.0, file: str = "schools") -> Suggestion:
    """The fewest teacher moves that bring every teacher indicator's coefficient of ``level`` within the
    ``standard``'s limit (``"2017"``: 0.50 primary / 0.45 junior; ``"2012"``: 0.65 / 0.55).

    Categories whose coefficient cannot be brought under the limit are explained in ``reasons`` (no teachers
    at all; too few teachers to spread evenly enough; groups too uneven). The result is verified: the moves
    are applied and the coefficients recomputed.

    Parameters
    ----------
    schools
        The schools table with ``students`` and the teacher columns.
    level
        "primary" or "junior".
    standard
        "2017" or "2012".
    group
        A column of ``schools`` naming each school's group (alliance, education group), or a mapping /
        Series school_id -> group (e.g. from ``groups.csv``): teachers then move only inside a group, and
        schools in no group keep their teachers. Default: one group, the whole district.
    categories
        Keys of :data:`CATEGORIES` to balance.
    limit
        Overrides the standard's limit (e.g. a district's own, stricter target).
    time_limit
        Seconds per category's solve.
    file
        The schools file's name, for messages.

    Returns
    -------
    suggestion

    Raises
    ------
    ValueError
        If ``level`` is unknown.
    InputError
        If no school teaches ``level``, a column is missing or bad, or ``group`` names a missing column.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    limit = CV_LIMITS[standard][level] if limit is None else float(limit)
    parts = school_parts(schools, ("students",) + tuple(CATEGORIES[c] for c in categories), file=file)
    parts = parts[parts["level"] == level].reset_index(drop=True)
    if len(parts) == 0:
        raise InputError("err.no_schools_level", level=f"@level.{level}")
    p = parts["students"].to_numpy(dtype=float)
    codes = _group_codes(parts, group)
    P = p.sum()
    rows, reasons, all_moves, optimal = [], [], [], True
    for cat in categories:
        t = parts[CATEGORIES[cat]].to_numpy(dtype=float)
        T = t.sum()
        if T <= 0:
            rows.append({"category": cat, "teachers": T, "cv_before": np.nan, "limit": limit, "moved": 0})
            reasons.append(("exchange.no_teachers", {"category": f"@exchange.cat.{cat}", "level": f"@level.{level}"}))
            continue
        cv0 = float(np.sqrt(P * np.sum((t - p * T / P) ** 2 / p)) / T)
        rows.append({"category": cat, "teachers": T, "cv_before": cv0, "limit": limit, "moved": 0})
        if cv0 <= limit * (1 + 1e-9):
            continue
        radius = limit ** 2 * T ** 2 / P
        sol = _solve(t, p, codes, radius, minimise_cv=False, time_limit=time_limit)
        if sol.d is None:
            optimal &= sol.status != "time_limit"
            reasons.append(_why(t, p, codes, radius, limit, cat, level, group is not None, time_limit,
                                sol.status))
            continue
        optimal &= sol.status == "optimal"
        rows[-1]["moved"] = int(np.maximum(sol.d, 0).sum())
        for a, b, k in _pair_moves(sol.d, codes):
            all_moves.append({"from_school": parts["school_id"].iloc[a], "from_name": parts["name"].iloc[a],
                              "to_school": parts["school_id"].iloc[b], "to_name": parts["name"].iloc[b],
                              "category": cat, "teachers": k, "level": level})
    moves = pd.DataFrame(all_moves, columns=["from_school", "from_name", "to_school", "to_name", "category",
                                             "teachers", "level"])
    after = apply_moves(schools, moves, file=file)
    try:  # the full balance needs every audit column; the teacher columns alone are enough below
        bal = balance(after, level, file=file)
    except InputError:
        bal = None
    table = pd.DataFrame(rows).set_index("category")
    after_parts = school_parts(after, ("students",) + tuple(CATEGORIES[c] for c in categories), file=file)
    after_parts = after_parts[after_parts["level"] == level]
    table["cv_after"] = [weighted_cv(100 * after_parts[CATEGORIES[c]] / after_parts["students"],
                                     after_parts["students"]) for c in table.index]
    table["passes_after"] = table["cv_after"] <= limit * (1 + 1e-9)
    feasible = bool(table["passes_after"].all()) and not reasons
    return Suggestion(level, standard, limit, moves, feasible, optimal, int(moves["teachers"].sum()), table,
                      after, bal, tuple(reasons))


def _why(t, p, codes, radius, limit, cat, level, grouped, time_limit, status) -> tuple[str, dict]:
    """Explain why no moves bring the coefficient under ``limit``."""
    T, P = t.sum(), p.sum()
    cat_word, level_word = f"@exchange.cat.{cat}", f"@level.{level}"
    if status == "time_limit":
        return ("exchange.time_limit", {"category": cat_word, "seconds": time_limit})
    if grouped:
        Tg, Pg = np.bincount(codes, weights=t), np.bincount(codes, weights=p)
        between = float(np.sqrt(P * np.sum(Pg * (Tg / Pg - T / P) ** 2)) / T)
        if between > limit:
            return ("exchange.groups_uneven", {"category": cat_word, "level": level_word, "best": between,
                                               "limit": limit})
    best = _solve(t, p, codes, radius, minimise_cv=True, time_limit=time_limit)
    lowest = limit * float(np.sqrt(best.value)) if np.isfinite(best.value) else float("nan")
    key = "exchange.too_few_grouped" if grouped else "exchange.too_few"
    return (key, {"category": cat_word, "level": level_word, "teachers": _fmt(T), "schools": len(t),
                  "best": lowest, "limit": limit})


# --- moves typed in a table, and the schools they change ---------------------------------------------------

def typed_moves(df: pd.DataFrame) -> pd.DataFrame:
    """The moves of a table the user edits: rows with every cell blank dropped, a blank level as None.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as edited (columns of :data:`MOVE_COLUMNS`; others are ignored, missing ones blank).

    Returns
    -------
    pandas.DataFrame
        The :data:`MOVE_COLUMNS`, as objects; ``level`` as text or None.
    """
    m = pd.DataFrame(df).reindex(columns=list(MOVE_COLUMNS))
    keep = ~m.map(blank).all(axis=1)
    m = m[keep].reset_index(drop=True).astype(object)
    m["level"] = m["level"].map(lambda v: None if blank(v) else str(v))
    return m


def moved_schools(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The school parts whose teacher indicators the moves change, before and after.

    Parameters
    ----------
    before, after : pandas.DataFrame
        :func:`geo.equity.audit.audit_schools` of the schools before and after the moves.

    Returns
    -------
    pandas.DataFrame
        The rows of ``before`` joined with ``after`` on ``school_id`` and ``level`` (the after columns suffixed
        ``_after``), only those where a :data:`TEACHER_KEYS` indicator changes.
    """
    both = before.merge(after, on=["school_id", "level"], suffixes=("", "_after"))
    changed = np.zeros(len(both), dtype=bool)
    for k in TEACHER_KEYS:
        changed |= ~np.isclose(both[k], both[f"{k}_after"])
    return both[changed].reset_index(drop=True)
