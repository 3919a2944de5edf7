"""Benchmark of the school-age forecast (geo.forecast): a 10-year forecast for 50,000 generated compounds.

The compounds have random children by single year of age (0-40 a year) and 300 schools; 200 planned compounds,
5 years of enrolment history and four dated events (an opening, a capacity change, a merger, a rezoning of 500
compounds) make it the page's whole computation, low / central / high variants included. Target: < 1 s (median of
5 runs, after one warm-up).

``python -m bench.forecast`` prints the section; :func:`forecast_section` returns it for ``bench/run.py``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from geo.forecast import Event, ForecastParams, forecast

N_COMPOUNDS, N_SCHOOLS, N_HOUSING, HORIZON, TARGET_S = 50_000, 300, 200, 10, 1.0


def generated_case(seed: int = 16) -> dict:
    """The benchmark's inputs (deterministic for ``seed``).

    Parameters
    ----------
    seed : int
        The random seed.

    Returns
    -------
    dict
        Keyword arguments of :func:`geo.forecast.forecast`.
    """
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:05d}" for i in range(N_COMPOUNDS)])
    school_ids = [f"S{i:03d}" for i in range(N_SCHOOLS)]
    labels = np.array(school_ids, dtype=object)[rng.integers(0, N_SCHOOLS, N_COMPOUNDS)]
    schools = pd.DataFrame({"school_id": school_ids, "seats": rng.integers(600, 2400, N_SCHOOLS)})
    housing = pd.DataFrame({"housing_id": [f"H{i:03d}" for i in range(N_HOUSING)],
                            "households": rng.integers(300, 2000, N_HOUSING),
                            "year": rng.integers(2026, 2034, N_HOUSING),
                            "school_id": np.array(school_ids)[rng.integers(0, N_SCHOOLS, N_HOUSING)]})
    history = pd.DataFrame([(s, y, g, int(rng.integers(80, 200))) for s in school_ids[:60] for y in range(2021, 2026)
                            for g in range(1, 7)], columns=["school_id", "year", "grade", "students"])
    events = [Event(2027, "open", "NEW1", seats=1800, compounds=tuple(ids[:300])),
              Event(2028, "capacity", school_ids[1], seats=2700),
              Event(2029, "merge", school_ids[2], target=school_ids[3]),
              Event(2030, "rezone", school_ids[4], compounds=tuple(ids[1000:1500]))]
    return {"compound_ids": ids, "ages": rng.integers(0, 40, (N_COMPOUNDS, 15)), "labels": labels,
            "schools": schools, "params": ForecastParams(2025, horizon=HORIZON), "housing": housing,
            "history": history, "events": events}


def forecast_section(runs: int = 5) -> tuple[list[str], list[str]]:
    """The forecast benchmark as Markdown lines and verdict lines (as ``bench/run.py``'s sections).

    Parameters
    ----------
    runs : int
        Timed runs after one warm-up; the median is the figure.

    Returns
    -------
    lines, verdicts : list of str
    """
    case = generated_case()
    forecast(**case)  # warm-up: imports, first allocations
    times, tables = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        f = forecast(**case)
        times.append(time.perf_counter() - t0)
        t1 = time.perf_counter()
        _ = f.schools, f.warnings, f.district
        tables.append(time.perf_counter() - t1)
    med, worst, tab = statistics.median(times), max(times), statistics.median(tables)
    lines = ["", f"### School-age forecast: {N_COMPOUNDS:,} compounds x {N_SCHOOLS} schools, {HORIZON} years", "",
             f"Ages 0-14 per compound, {N_HOUSING} planned compounds, 5 years of enrolment history, 4 dated events; "
             "low, central and high variants (`geo.forecast.forecast`).", "",
             "| step | median s | max s |", "|---|---:|---:|",
             f"| forecast (compounds, schools, zones, variants) | {med:.3f} | {worst:.3f} |",
             f"| school / warning / district tables | {tab:.3f} | {max(tables):.3f} |"]
    verdicts = [f"forecast: {N_COMPOUNDS:,} compounds x {HORIZON} years in {med:.2f} s "
                f"(target < {TARGET_S:.0f} s: {'PASS' if med < TARGET_S else 'FAIL'})"]
    return lines, verdicts


if __name__ == "__main__":
    out_lines, out_verdicts = forecast_section()
    print("\n".join(out_lines))
    print("\n".join(out_verdicts))
