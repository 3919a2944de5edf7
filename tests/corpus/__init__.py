"""The bad-input corpus: files that users really send, and what each must do.

``CASES`` lists every case of ``manifest.csv`` (written with the files by ``make_corpus.py``):

- ``file``: the file's name in ``files/`` (or one the test makes, see :func:`materialise`);
- ``loader``: ``schools`` / ``compounds`` (:func:`geo.io.load_schools` / ``load_compounds``), ``network``
  (:func:`geo.io.load_network`), ``inputs`` (:func:`geo.io.load_inputs` with the demo network and the demo's
  other table) or ``zoning`` (``inputs``, then a primary nearest-school zoning);
- ``coords``: the coordinate system the file is loaded as (``wgs84`` / ``gcj02`` / ``bd09``);
- ``expect``: ``error`` (an :class:`~geo.errors.InputError` with ``key``, whose English message names the
  file, and ``row N`` when ``row`` is given), ``ok-with-warning`` (loads, and ``key`` is among the warnings)
  or ``ok``;
- ``note``: what the file is.

:func:`run_case` runs one case the way the library would and returns ``(result, warnings)``; the app's own
test can feed ``case.path`` to the page instead.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
MANIFEST = HERE / "manifest.csv"
DEMO = HERE.parents[1] / "data" / "demo"
GENERATED = ("huge_upload.csv",)


@dataclass(frozen=True)
class Case:
    file: str
    loader: str
    coords: str
    expect: str
    key: str
    row: int | None
    note: str

    @property
    def path(self) -> Path:
        """Where the file is (a generated file must be :func:`materialise`-d first)."""
        return FILES / self.file

    @property
    def id(self) -> str:
        return f"{self.file}-{self.loader}-{self.coords}"


def load_manifest() -> list[Case]:
    with MANIFEST.open(encoding="utf-8", newline="") as f:
        return [Case(r["file"], r["loader"], r["coords"], r["expect"], r["key"],
                     int(r["row"]) if r["row"] else None, r["note"]) for r in csv.DictReader(f)]


CASES: list[Case] = load_manifest()


def materialise(case: Case, tmp: Path) -> Path:
    """The case's file on disk: committed ones where they are, generated ones written into ``tmp``."""
    if case.file not in GENERATED:
        return case.path
    from geo.io import MAX_UPLOAD_BYTES

    path = Path(tmp) / case.file
    with path.open("wb") as f:  # sparse: takes no disk space, and is refused before it is read
        f.write(b"id,name,level,capacity,lon,lat\n")
        f.truncate(MAX_UPLOAD_BYTES + 1)
    return path


def run_case(case: Case, path: Path | None = None):
    """Load the case's file as its loader says; returns ``(result, warnings)``.

    Raises whatever the library raises (an :class:`~geo.errors.InputError` for bad input).
    """
    from geo import io

    path = Path(path or case.path)
    if case.loader == "schools":
        return io.load_schools(path, coords=case.coords)
    if case.loader == "compounds":
        return io.load_compounds(path, coords=case.coords)
    if case.loader == "network":
        net = io.load_network(path, use_cache=False)
        return net, []
    if case.loader in ("inputs", "zoning"):
        schools_file = path if _is_schools(path) else DEMO / "schools.csv"
        compounds_file = DEMO / "compounds.geojson" if _is_schools(path) else path
        inputs = io.load_inputs(DEMO / "district.osm", schools_file, compounds_file, coords=case.coords)
        if case.loader == "inputs":
            return inputs, list(inputs.warnings)
        from geo.scenario import Scenario, run_scenario

        result = run_scenario(inputs, Scenario("primary", "network"))
        return result, list(inputs.warnings) + list(getattr(result, "warnings", []))
    raise ValueError(f"unknown loader {case.loader!r}")


def _is_schools(path: Path) -> bool:
    return "school" in path.name.lower()
