"""The bad-input corpus: files that users really send, and what each must do.

``CASES`` lists every case of ``manifest.csv`` (written with the files by ``make_corpus.py``):

- ``file``: the file's name in ``files/`` (or one the test makes, see :func:`materialise`);
- ``loader``: ``schools`` / ``compounds`` (:func:`geo.inputs.load.load_schools` / ``load_compounds``),
  ``network`` (:func:`geo.inputs.osm.load_network_checked`, with its warnings), ``inputs``
  (:func:`geo.inputs.load.load_inputs` with the demo network and the demo's other table) or ``zoning``
  (``inputs``, then a primary nearest-school zoning); ``store`` (:class:`geo.plans.store.Store` on the data
  folder :func:`materialise` makes of the file, then its scenarios listed: a ``.sqlite`` file is copied in as
  the folder's ``scenarios.sqlite``, read-only if its name says ``readonly``; any other file is itself given as
  the data folder); ``zonelist`` (an official zone list read by :func:`geo.official.parse.load_zone_source`,
  as the CLI and the page's path box read it; its warnings are the reasons of its issues,
  ``zone.reason.<code>``);
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
GENERATED = ("huge_upload.csv", "figures_demo_clipped.osm")
# Zone lists of megabytes (or of 40 KB of brackets), made by make_corpus.zonelist_bytes (issue 10).
GENERATED += ("zonelist_5mb_lines.txt", "zonelist_5mb_line.txt", "zonelist_nested_40k.txt", "zonelist_unclosed_40k.txt",
              "zonelist_labels.txt", "zonelist_pieces.txt", "zonelist_open_quote.csv")


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
    """The case's file on disk: committed ones where they are, generated ones written into ``tmp``; for a
    ``store`` case, a data folder in ``tmp`` (see the module's docstring), so opening it never changes the
    committed file."""
    if case.loader == "store":
        return _store_folder(case, Path(tmp))
    if case.file not in GENERATED:
        return case.path
    from geo.inputs.tables import MAX_UPLOAD_BYTES

    path = Path(tmp) / case.file
    if case.loader == "zonelist":
        from corpus.make_corpus import zonelist_bytes

        path.write_bytes(zonelist_bytes(case.file))
        return path
    if case.file == "figures_demo_clipped.osm":  # the demo as a clipped extract: as big as the demo, so made here
        from corpus.make_corpus import clipped_demo

        path.write_text(clipped_demo(), encoding="utf-8")
        return path
    with path.open("wb") as f:  # sparse: takes no disk space, and is refused before it is read
        f.write(b"id,name,level,capacity,lon,lat\n")
        f.truncate(MAX_UPLOAD_BYTES + 1)
    return path


def _store_folder(case: Case, tmp: Path) -> Path:
    import shutil

    folder = tmp / case.file
    if not case.file.endswith(".sqlite"):
        shutil.copyfile(case.path, folder)  # the data folder is this file
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "scenarios.sqlite"
    shutil.copyfile(case.path, db)
    if "readonly" in case.file:
        db.chmod(0o444)
    return folder


def run_case(case: Case, path: Path | None = None):
    """Load the case's file as its loader says; returns ``(result, warnings)``.

    Raises whatever the library raises (an :class:`~geo.errors.InputError` for bad input).
    """
    from geo.inputs import load_compounds, load_inputs, load_network_checked, load_schools

    path = Path(path or case.path)
    if case.loader == "schools":
        return load_schools(path, coords=case.coords)
    if case.loader == "store":  # ``path``: the data folder materialise made
        from geo.plans.store import FILE_NAME, Store

        return Store(path / FILE_NAME).list(), []
    if case.loader == "compounds":
        return load_compounds(path, coords=case.coords)
    if case.loader == "zonelist":
        from geo.official.parse import load_zone_source

        zone = load_zone_source(path)
        return zone, [(f"zone.reason.{r}", {}) for r in dict.fromkeys(zone.issues["reason"])]
    if case.loader == "network":
        return load_network_checked(path, use_cache=False)
    if case.loader in ("inputs", "zoning"):
        schools_file = path if _is_schools(path) else DEMO / "schools.csv"
        compounds_file = DEMO / "compounds.geojson" if _is_schools(path) else path
        inputs = load_inputs(DEMO / "district.osm", schools_file, compounds_file, coords=case.coords)
        if case.loader == "inputs":
            return inputs, list(inputs.warnings)
        from geo.zoning.scenario import Scenario, run_scenario

        result = run_scenario(inputs, Scenario("primary", "network"))
        return result, list(inputs.warnings) + list(getattr(result, "warnings", []))
    raise ValueError(f"unknown loader {case.loader!r}")


def _is_schools(path: Path) -> bool:
    return "school" in path.name.lower()
