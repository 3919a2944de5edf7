"""The batch of districts (see :mod:`geo.batch`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.equity.inequality import Theil, theil
from geo.errors import InputError, XuequError

# The manifest's columns: a district's name (its folder in the output), its OSM file (XML, bz2 or PBF), optional
# schools and compounds tables (default the OSM file's own), the school level and the zoning method.
MANIFEST_COLUMNS = ("name", "osm", "schools", "compounds", "level", "method")
_REQUIRED = ("name", "osm")
# Written last in a district's folder: a district with it is finished and skipped on a rerun.
DONE = "done.json"
# The indicator computed from the school table when no column of it is named: seats per child.
SEATS_PER_CHILD = "seats_per_child"
SUMMARY_COLUMNS = ("name", "status", "schools", "compounds", "children", "seats", "utilisation", "mean_m",
                   "within_radius", "error")


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` gives.

    Attributes
    ----------
    summary : DataFrame
        One row per district (:data:`SUMMARY_COLUMNS`): ``status`` is ``done``, ``skipped`` (finished before) or
        ``failed`` (with the ``error``); figures are NaN for a failed district.
    theil : Theil
        The Theil T index of the indicator over every school of the finished districts, weighted by children,
        split between and within districts.
    failed : dict
        District name -> message, for the districts that failed.
    """

    summary: pd.DataFrame
    theil: Theil
    failed: dict[str, str]


def read_manifest(path: str | Path) -> pd.DataFrame:
    """Read a manifest CSV; relative file paths are taken from the manifest's folder.

    Parameters
    ----------
    path : str or Path
        A CSV with :data:`MANIFEST_COLUMNS` (``schools``, ``compounds``, ``level``, ``method`` may be left out or
        blank: the OSM file's own schools and compounds, ``primary``, ``network``).

    Returns
    -------
    DataFrame
        One row per district, every column present, paths absolute.

    Raises
    ------
    InputError
        ``err.file_missing``; ``err.missing_column`` for no ``name`` or ``osm`` column; ``err.duplicate_id`` for a
        name given twice; ``err.bad_value`` for a blank name or file.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("err.file_missing", file=str(path))
    table = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table.columns = [str(c).strip().lower() for c in table.columns]
    for col in _REQUIRED:
        if col not in table:
            raise InputError("err.missing_column", file=p.name, field=col, aliases=col)
    for col in MANIFEST_COLUMNS:
        if col not in table:
            table[col] = ""
        table[col] = table[col].astype(str).str.strip()
    table["level"] = table["level"].replace("", "primary")
    table["method"] = table["method"].replace("", "network")
    for col in _REQUIRED:
        blank = np.flatnonzero((table[col] == "").to_numpy())
        if blank.size:
            raise InputError("err.bad_value", file=p.name, row=int(blank[0]) + 1, field=col, value="",
                             hint="@hint.batch_blank")
    repeated = np.flatnonzero(table["name"].duplicated().to_numpy())
    if repeated.size:
        raise InputError("err.duplicate_id", file=p.name, row=int(repeated[0]) + 1,
                         value=table["name"].iloc[repeated[0]])
    for col in ("osm", "schools", "compounds"):
        table[col] = [str((p.parent / v).resolve()) if v else "" for v in table[col]]
    return table[list(MANIFEST_COLUMNS)].reset_index(drop=True)


def _folder(out: str | Path, name: str) -> Path:
    from geo.render.export import safe_filename

    return Path(out) / safe_filename(name, "district")


def zone_district(row: dict[str, Any], out: str, lang: str = "zh") -> dict[str, Any]:
    """Zone one district and write its results; a task of :func:`run_batch` (runs on a worker).

    Writes ``assignments.csv``, ``catchments.geojson`` and ``schools.csv`` in ``out/<name>/``, then
    :data:`DONE` (its summary) last.

    Parameters
    ----------
    row : dict
        A manifest row (:func:`read_manifest`).
    out : str
        The output folder.
    lang : str
        The language of an error message.

    Returns
    -------
    dict
        The district's summary row (:data:`SUMMARY_COLUMNS`); ``status`` ``failed`` with the ``error`` when the
        district cannot be zoned (the exception is not raised: the other districts go on).
    """
    from geo.inputs.files import write_bytes, write_text
    from geo.inputs.load import load_inputs
    from geo.render import export
    from geo.zoning.scenario import Scenario, run_scenario

    name = str(row["name"])
    try:
        inputs = load_inputs(row["osm"], row.get("schools") or None, row.get("compounds") or None, name=name)
        result = run_scenario(inputs, Scenario(str(row.get("level") or "primary"), str(row.get("method") or "network")))
        folder = _folder(out, name)
        write_bytes(folder / "assignments.csv", export.table_csv(result.assignments))
        write_text(folder / "catchments.geojson", export.catchments_geojson(result))
        write_bytes(folder / "schools.csv", export.table_csv(result.table))
        s = result.summary
        seats = int(result.table["seats"].sum())
        summary = {"name": name, "status": "done", "schools": int(s["schools"]), "compounds": int(s["compounds"]),
                   "children": float(s["children"]), "seats": seats,
                   "utilisation": float(s["children"]) / seats if seats else float("nan"),
                   "mean_m": float(s["mean_m"]), "within_radius": float(s["within_radius"]), "error": ""}
        write_text(folder / DONE, json.dumps(summary, ensure_ascii=False))
        return summary
    except Exception as err:  # noqa: BLE001 - a failing district is reported by name, the others go on
        reason = err.message(lang) if isinstance(err, XuequError) else f"{type(err).__name__}: {err}"
        return {"name": name, "status": "failed", "error": reason}


def _school_tables(summary: pd.DataFrame, out: Path) -> pd.DataFrame:
    frames = []
    for name in summary.loc[summary["status"] != "failed", "name"]:
        table = pd.read_csv(_folder(out, name) / "schools.csv", encoding="utf-8-sig")
        table["district"] = name
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["district", "children", "seats"])


def run_batch(manifest: pd.DataFrame, out: str | Path, client=None, *, indicator: str = SEATS_PER_CHILD,
              lang: str = "zh", progress: Callable[[int, int, str], None] | None = None) -> BatchResult:
    """Zone every district of a manifest, as tasks of a Dask client (or here, one after another, without one).

    A district whose folder holds :data:`DONE` is skipped (its summary read back), so a rerun resumes; a
    district that fails is reported and does not stop the others. Writes ``summary.csv`` and ``theil.csv`` (the
    split and the per-district rows) in ``out``.

    Parameters
    ----------
    manifest : DataFrame
        As :func:`read_manifest` gives it.
    out : str or Path
        The output folder (``out/<name>/`` per district).
    client : distributed.Client, optional
        The Dask client the districts are submitted to; ``None`` runs them in this process.
    indicator : str
        The per-school indicator of the Theil split: :data:`SEATS_PER_CHILD`, or a numeric column of the school
        table (``mean_m``, ``utilisation``...); weighted by each school's children, grouped by district.
    lang : str
        The language of error messages.
    progress : callable, optional
        ``progress(done, total, name)`` after each district (skipped ones included).

    Returns
    -------
    BatchResult
    """
    out = Path(out)
    rows = manifest.to_dict("records")
    total, finished = len(rows), 0
    results: dict[str, dict] = {}

    def record(summary: dict) -> None:
        nonlocal finished
        finished += 1
        results[summary["name"]] = summary
        if progress is not None:
            progress(finished, total, summary["name"])

    todo = []
    for row in rows:
        done = _folder(out, row["name"]) / DONE
        if done.is_file():
            record(json.loads(done.read_text(encoding="utf-8")) | {"status": "skipped"})
        else:
            todo.append(row)
    if client is None:
        for row in todo:
            record(zone_district(row, str(out), lang))
    elif todo:
        from distributed import as_completed

        futures = [client.submit(zone_district, row, str(out), lang, pure=False) for row in todo]
        for future in as_completed(futures):
            record(future.result())
    summary = pd.DataFrame([results[r["name"]] for r in rows]).reindex(columns=list(SUMMARY_COLUMNS))
    failed = {str(r["name"]): str(r["error"]) for r in results.values() if r["status"] == "failed"}
    schools = _school_tables(summary, out)
    children = pd.to_numeric(schools["children"], errors="coerce").fillna(0).to_numpy(float)
    if indicator == SEATS_PER_CHILD:
        seats = pd.to_numeric(schools["seats"], errors="coerce").fillna(0).to_numpy(float)
        values = np.divide(seats, children, out=np.zeros_like(seats), where=children > 0)
    elif indicator in schools:
        values = pd.to_numeric(schools[indicator], errors="coerce").fillna(0).to_numpy(float)
    else:
        raise InputError("err.missing_column", file="schools.csv", field=indicator,
                         aliases=", ".join([SEATS_PER_CHILD, "mean_m", "utilisation"]))
    split = theil(values, children, schools["district"].to_numpy())
    out.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out / "summary.csv", index=False, encoding="utf-8-sig")
    theil_table = split.groups.reset_index(names="district")
    head = pd.DataFrame([{"district": "(all)", "theil": split.total, "between": split.between,
                          "within": split.within, "indicator": indicator}])
    pd.concat([head, theil_table], ignore_index=True).to_csv(out / "theil.csv", index=False, encoding="utf-8-sig")
    return BatchResult(summary, split, failed)
