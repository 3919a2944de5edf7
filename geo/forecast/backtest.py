"""Backtest: forecast primary intake from births six years earlier, from a year ``t``, and score it against the
years ``t + 1`` ... ``t + 5`` (mean absolute percentage error, MAPE).

At the origin ``t`` the births known then (years up to ``t - 1``) are the children aged 1-14 of the cohort
projection (:func:`geo.forecast.cohort.project`, survival 1, counted on the cut-off date, so a year's intake is
the cohort aged 6); the enrolment share is calibrated at ``t`` as the intake of ``t`` (and of up to
``window - 1`` years before, averaged) over the births six years before it. The forecast of ``t + h`` is that
share times the births of ``t + h - 6``: exactly what :func:`geo.forecast.model.forecast` does with births
for ages and a share.

Published series go in a CSV (:func:`read_series`): ``series`` (``births`` or ``primary_intake``), ``year``,
``value_10k`` (万人), ``status`` (``confirmed``, ``derived`` from confirmed figures, or ``unconfirmed``: left out)
and its ``source``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo.forecast.cohort import AGES, ENTRY_AGE, enrolment, project
from geo.inputs.schools import PRIMARY

SCORED = ("confirmed", "derived")


@dataclass(frozen=True)
class Backtest:
    """A backtest's forecasts and score.

    Attributes
    ----------
    table
        One row per origin and target year: ``origin``, ``year``, ``h`` (years ahead), ``share`` (calibrated at
        the origin), ``births`` (six years before the target), ``forecast``, ``actual``, ``ape`` (absolute
        percentage error, %).
    mape
        The mean of ``ape`` (%), NaN when nothing could be scored.
    by_horizon
        MAPE per ``h``.
    """

    table: pd.DataFrame
    mape: float
    by_horizon: pd.Series


def read_series(path: str | Path, statuses: Iterable[str] = SCORED) -> tuple[dict[int, float], dict[int, float]]:
    """Births and primary intake by year from a series file, the figures of the given statuses only.

    Parameters
    ----------
    path : str or Path
        The CSV (columns ``series``, ``year``, ``value_10k``, ``status``, ``source``).
    statuses : iterable of str
        The statuses kept (default confirmed and derived).

    Returns
    -------
    births, intake : dict
        Year -> value (万人).
    """
    df = pd.read_csv(path)
    keep = df[df["status"].isin(tuple(statuses)) & df["value_10k"].notna()]
    out = []
    for series in ("births", "primary_intake"):
        s = keep[keep["series"] == series]
        out.append(dict(zip(s["year"].astype(int), s["value_10k"].astype(float), strict=True)))
    return out[0], out[1]


def backtest_intake(births: Mapping[int, float], intake: Mapping[int, float], *, horizon: int = 5,
                    window: int = 1, origins: Iterable[int] | None = None) -> Backtest:
    """Forecast intake from births six years earlier from each origin and score it.

    Parameters
    ----------
    births, intake : mapping
        Year -> count (a year missing: unknown).
    horizon : int
        Years ahead scored (``t + 1`` ... ``t + horizon``).
    window : int
        Years of intake over births-six-years-before averaged for the share at the origin.
    origins : iterable of int, optional
        Default: every year with a calibration pair.

    Returns
    -------
    Backtest
    """
    entry = ENTRY_AGE[PRIMARY]
    pairs = {y: intake[y] / births[y - entry] for y in intake if (y - entry) in births and births[y - entry] > 0}
    rows = []
    for t in sorted(pairs if origins is None else origins):
        known = [pairs[y] for y in sorted(pairs) if y <= t][-window:]
        if not known or t not in pairs:
            continue
        share = float(np.mean(known))
        # Children at the end of year t by age: those born in t - a (births of t itself not yet known).
        ages = np.array([[births.get(t - a, np.nan) if a >= 1 else np.nan for a in range(AGES)]])
        pop = project(np.nan_to_num(ages, nan=0.0), horizon)
        known_mask = project(np.isfinite(ages).astype(float), horizon)  # 1 where the cohort is known
        grades = enrolment(pop, PRIMARY, 0.0, share)[:, 0, 0]  # intake by year (counted on the cut-off)
        known_intake = enrolment(known_mask, PRIMARY, 0.0, 1.0)[:, 0, 0] > 0.5
        for h in range(1, horizon + 1):
            year = t + h
            if year not in intake or not known_intake[h]:
                continue
            f, a = float(grades[h]), float(intake[year])
            rows.append((t, year, h, share, births[year - entry], f, a, abs(f - a) / a * 100))
    table = pd.DataFrame(rows, columns=["origin", "year", "h", "share", "births", "forecast", "actual", "ape"])
    mape = float(table["ape"].mean()) if len(table) else float("nan")
    return Backtest(table=table, mape=mape, by_horizon=table.groupby("h")["ape"].mean())
