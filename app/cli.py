"""The ``xuequ`` command: zone a district from files, or regenerate the demo district.

    xuequ zones --network FILE [--schools FILE] [--demand FILE] --level primary --method network --out DIR
    xuequ demo --out DIR
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from geo.i18n import t

cli = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="学区 Xuequ: school catchments from a street network.")


class Level(str, Enum):
    primary = "primary"
    junior = "junior"


class Method(str, Enum):
    network = "network"
    straight = "straight"
    optimal = "optimal"


class Solver(str, Enum):
    fast = "fast"
    exact = "exact"


class Mode(str, Enum):
    walk = "walk"
    drive = "drive"


class Lang(str, Enum):
    zh = "zh"
    en = "en"


def _fail(err: Exception, lang: str) -> None:
    from geo.errors import XuequError

    msg = err.message(lang) if isinstance(err, XuequError) else f"{type(err).__name__}: {err}"
    typer.echo(msg, err=True)
    raise typer.Exit(code=2)


@cli.command()
def zones(
    network: Path = typer.Option(..., help="OpenStreetMap file: .osm, .osm.bz2 or .osm.pbf"),
    schools: Path = typer.Option(None, help="Schools: GeoJSON / GeoPackage / CSV with lon,lat, or the OSM file"),
    demand: Path = typer.Option(None, help="Compounds: GeoJSON / GeoPackage / CSV with lon,lat, or the OSM file"),
    level: Level = typer.Option(Level.primary, help="School level"),
    method: Method = typer.Option(Method.network, help="network: nearest by walk; straight: Voronoi; "
                                                       "optimal: capacity-optimal"),
    solver: Solver = typer.Option(Solver.fast, help="optimal: fast heuristic or exact MIP (HiGHS)"),
    tolerance: float = typer.Option(0.0, help="optimal: fill seats up to (1 + tolerance), e.g. 0.05"),
    max_walk: float = typer.Option(0.0, help="optimal: longest walk allowed in metres (0: none)"),
    stability: float = typer.Option(0.0, help="optimal: metres of walk a moved child is worth"),
    contiguous: bool = typer.Option(True, help="optimal: repair islands"),
    time_limit: float = typer.Option(60.0, help="optimal, exact: time limit in seconds"),
    mode: Mode = typer.Option(Mode.walk, help="Travel mode of the network"),
    out: Path = typer.Option(Path("out"), help="Folder for catchments.geojson, assignments.geojson, schools.csv"),
    lang: Lang = typer.Option(Lang.zh, help="Language of messages"),
) -> None:
    """Catchments (nearest or capacity-optimal): writes catchments.geojson, assignments.geojson, schools.csv."""
    from geo import export, io
    from geo.scenario import Scenario, run_scenario

    try:
        inputs = io.load_inputs(network, schools, demand, mode.value)
        result = run_scenario(inputs, Scenario(level.value, method.value, solver=solver.value, tolerance=tolerance,
                                               max_walk_m=max_walk, stability=stability, contiguous=contiguous,
                                               time_limit_s=time_limit))
    except Exception as err:
        _fail(err, lang.value)
        return
    for key, params in result.warnings:
        typer.echo(t(key, lang.value, **params), err=True)
    for name, data in (("catchments.geojson", export.catchments_geojson(result)),
                       ("assignments.geojson", export.assignments_geojson(result))):
        typer.echo(t("cli.wrote", lang.value, path=io.write_text(out / name, data)))
    typer.echo(t("cli.wrote", lang.value, path=io.write_bytes(out / "schools.csv", export.table_csv(result.table))))
    s = result.summary
    typer.echo(t("app.summary", lang.value, schools=s["schools"], compounds=s["compounds"],
                 children=int(s["children"]), within=s["within_radius"]))


@cli.command()
def demo(out: Path = typer.Option(Path("data/demo"), help="Folder to write the demo district into"),
         seed: int = typer.Option(None, help="Random seed (default: the bundled demo's)"),
         lang: Lang = typer.Option(Lang.zh)) -> None:
    """Regenerate the (fictional) demo district: district.osm, schools.csv, compounds.geojson."""
    from geo import io

    typer.echo(t("cli.demo", lang.value, path=io.write_demo(out, seed)))


def main() -> None:
    cli(prog_name="xuequ")


if __name__ == "__main__":
    sys.exit(main())
