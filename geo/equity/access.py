"""What a family can expect from a lottery (:mod:`geo.equity.lottery`): per compound the chance of a place at a
strong school, the expected walk if placed and the chance of no place, and how these change between two zonings
(e.g. single-school against multi-school).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.equity.lottery import Probabilities


def expected_distance(prob: Probabilities, dist: npt.ArrayLike) -> np.ndarray:
    """Expected walk (m) of a compound's child who gets a place: sum_s P(s) d(s, c) / P(placed).

    Parameters
    ----------
    prob
        The compounds' chances.
    dist
        A ``schools x compounds`` matrix in metres (e.g. :func:`geo.network.distances.distance_matrix`).

    Returns
    -------
    expected_m
        Per compound; NaN where a compound's children are never placed; ``inf`` when a possible school is out
        of reach.

    Raises
    ------
    ValueError
        If ``dist`` is not ``schools x compounds``.
    """
    p = prob.schools
    d = np.asarray(dist, float).T
    if d.shape != p.shape:
        raise ValueError("dist must be schools x compounds")
    walk = np.where(p > 0, p * np.where(p > 0, d, 0.0), 0.0).sum(axis=1)
    placed = p.sum(axis=1)
    return np.divide(walk, placed, out=np.full(placed.shape, np.nan), where=placed > 1e-12)


def strong_access(prob: Probabilities, strong: npt.ArrayLike) -> np.ndarray:
    """Per compound, its children's probability of a place at a strong school.

    Parameters
    ----------
    prob
        The compounds' chances.
    strong
        A mask per school.

    Returns
    -------
    p_strong
    """
    return prob.schools @ np.asarray(strong, bool).astype(float)


def access_table(prob: Probabilities, dist: npt.ArrayLike, strong: npt.ArrayLike,
                 compound_ids: npt.ArrayLike | None = None, children: npt.ArrayLike | None = None) -> pd.DataFrame:
    """Per compound: ``p_strong``, ``expected_m`` (walk if placed), ``p_unplaced``, ``exact``, ``error_bound``.

    Parameters
    ----------
    prob
        The compounds' chances.
    dist
        A ``schools x compounds`` matrix in metres.
    strong
        A mask per school.
    compound_ids
        The ``compound_id`` column (default: 0, 1, ...).
    children
        The ``children`` column (default: 0).

    Returns
    -------
    table
        One row per compound.
    """
    m = prob.matrix.shape[0]
    return pd.DataFrame({
        "compound_id": np.arange(m) if compound_ids is None else np.asarray(compound_ids),
        "children": np.zeros(m, np.int64) if children is None else np.asarray(children),
        "p_strong": strong_access(prob, strong),
        "expected_m": expected_distance(prob, dist),
        "p_unplaced": prob.unplaced,
        "exact": prob.exact,
        "error_bound": prob.error_bound,
    })


def compare(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Change per compound between two :func:`access_table` results (e.g. single-school vs multi-school).

    Parameters
    ----------
    before, after
        Access tables of the same compounds.

    Returns
    -------
    table
        Columns ``compound_id``, ``children``, ``p_strong_before/after``, ``delta_p_strong``,
        ``expected_m_before/after``, ``delta_expected_m``, ``p_unplaced_before/after``.
    """
    cols = ["compound_id", "p_strong", "expected_m", "p_unplaced"]
    out = before[cols + ["children"]].merge(after[cols], on="compound_id", suffixes=("_before", "_after"),
                                            validate="one_to_one")
    out["delta_p_strong"] = out["p_strong_after"] - out["p_strong_before"]
    out["delta_expected_m"] = out["expected_m_after"] - out["expected_m_before"]
    return out


def compare_summary(diff: pd.DataFrame) -> dict[str, float]:
    """Child-weighted district figures of a :func:`compare` table.

    Parameters
    ----------
    diff
        A :func:`compare` table.

    Returns
    -------
    summary
        ``children``, ``p_strong_before/after``, ``expected_m_before/after``, ``children_gaining`` and
        ``children_losing`` (their chance of a strong school up / down).
    """
    w = diff["children"].to_numpy(float)
    tot = w.sum()

    def mean(col: str) -> float:
        x = diff[col].to_numpy(float)
        ok = np.isfinite(x) & (w > 0)
        return float((w[ok] * x[ok]).sum() / w[ok].sum()) if ok.any() else float("nan")

    return {
        "children": int(tot),
        "p_strong_before": mean("p_strong_before"), "p_strong_after": mean("p_strong_after"),
        "expected_m_before": mean("expected_m_before"), "expected_m_after": mean("expected_m_after"),
        "children_gaining": int(w[diff["delta_p_strong"].to_numpy() > 1e-9].sum()),
        "children_losing": int(w[diff["delta_p_strong"].to_numpy() < -1e-9].sum()),
    }


def unplaced_children(prob: Probabilities, children: npt.ArrayLike) -> float:
    """Expected number of children left without a seat (children x each compound's chance of no place).

    Parameters
    ----------
    prob
        The compounds' chances.
    children
        Per compound.

    Returns
    -------
    children
    """
    c = np.asarray(children, float)
    return float(c @ np.nan_to_num(prob.unplaced)) if c.size else 0.0

