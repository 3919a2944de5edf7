"""The ``xuequ`` command: zone a district from files, or regenerate the demo district.

    xuequ zones --network FILE [--schools FILE] [--demand FILE] --level primary --method network --out DIR
    xuequ zones --schools FILE --demand FILE --method straight|optimal [--map field=column] \
        [--id-column COLUMN] [--radius M] [--default-seats N] --out DIR          (no streets: straight lines)
    xuequ demo --out DIR
    xuequ zonetext read --network FILE --zones FILE [--schools FILE] [--demand FILE] --out DIR
    xuequ zonetext compare --zones LIST --network FILE [--method network|straight|optimal] --out DIR
    xuequ zonetext write --network FILE --schools FILE --demand FILE --level primary --method network \
        --format text|markdown|csv --out FILE
    xuequ scenarios [--fresh-store]
    xuequ forecast --network OSM --schools F --demand F --ages F [--housing F] [--history F] --years 10 --out DIR

The choices of every option (levels, methods, solvers, travel modes, languages, coordinate systems, zone list
formats) are geo's own constants, so what the library accepts is what the command offers.
"""

from __future__ import annotations

import sys
from datetime import datetime
from enum import Enum
from pathlib import Path

import typer

from geo.errors import InputError, XuequError
from geo.forecast.cohort import COUNT_DATE as FORECAST_COUNT_DATE
from geo.forecast.cohort import CUTOFF as FORECAST_CUTOFF
from geo.forecast.load import (
    communities_in_polygons,
    communities_of,
    forecast_mappings,
    join_communities,
    load_forecast_inputs,
)
from geo.forecast.model import compare_plans
from geo.forecast.run import forecast_zoning
from geo.inputs.boundary import boundary_from_file, boundary_from_osm, clip_inputs
from geo.inputs.coords import SYSTEMS, WGS84
from geo.inputs.demo import write_demo
from geo.inputs.files import write_bytes, write_text
from geo.inputs.load import load_inputs
from geo.inputs.mapping import mappings_from_text
from geo.inputs.schools import LEVELS, PRIMARY
from geo.network.graph import MODES, WALK
from geo.official import (
    LOOSE_MAX_M,
    OFFICIAL,
    REACH_M,
    STARTS,
    WRITE_FORMATS,
    agreement,
    load_places,
    load_zone_source,
    official_plan,
    plan_zone_text,
    read_choices,
    report_csv,
    with_listed_schools,
)
from geo.plans.store import Store, StoreError
from geo.render import export
from geo.render.forecast_map import forecast_geojson
from geo.render.i18n import LANGS, t
from geo.zoning.assignment import METHODS, NETWORK, STRAIGHT, nearest_method
from geo.zoning.result import radius_phrase
from geo.zoning.scenario import FAST, SOLVERS, Scenario, groups_from_file, run_scenario

cli = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="学区 Xuequ: school catchments from a street network.")


def choices(name: str, values: tuple[str, ...]) -> type[Enum]:
    """An option's choices, made from geo's own constants, so a level or method added in geo shows here.

    Parameters
    ----------
    name : str
        The enum's name.
    values : tuple of str
        The accepted values, e.g. :data:`geo.inputs.schools.LEVELS`.

    Returns
    -------
    type of Enum
        A ``str`` enum with one member per value, named and valued as the value.
    """
    return Enum(name, [(v, v) for v in values], type=str)


Level = choices("Level", LEVELS)
Method = choices("Method", METHODS)
Solver = choices("Solver", SOLVERS)
Mode = choices("Mode", MODES)
Lang = choices("Lang", LANGS)
Coords = choices("Coords", SYSTEMS)
TextFormat = choices("TextFormat", WRITE_FORMATS)
Start = choices("Start", STARTS)

zonetext = typer.Typer(no_args_is_help=True, help="Official zone lists (划片范围): read one against a network, "
                                                  "or write a plan as one.")
cli.add_typer(zonetext, name="zonetext")


def _fail(err: Exception, lang: str) -> None:
    msg = err.message(lang) if isinstance(err, XuequError) else f"{type(err).__name__}: {err}"
    typer.echo(msg, err=True)
    raise typer.Exit(code=2)


@cli.command()
def zones(
    ctx: typer.Context,
    network: Path = typer.Option(None, help="OpenStreetMap file: .osm, .osm.bz2 or .osm.pbf; without one, "
                                            "distances are straight lines (give --schools and --demand)"),
    schools: Path = typer.Option(None, help="Schools: GeoJSON / GeoPackage / CSV with lon,lat, or the OSM file"),
    demand: Path = typer.Option(None, help="Compounds (or census blocks): GeoJSON / GeoPackage / CSV with lon,lat, "
                                           "or the OSM file"),
    level: Level = typer.Option(Level(PRIMARY), help="School level"),
    method: Method = typer.Option(Method(NETWORK), help="network: nearest by walk; straight: Voronoi; optimal: "
                                                       "capacity-optimal (without --network: straight unless given)"),
    solver: Solver = typer.Option(Solver(FAST), help="optimal: fast heuristic or exact MIP (HiGHS)"),
    tolerance: float = typer.Option(0.0, help="optimal: fill seats up to (1 + tolerance), e.g. 0.05"),
    max_walk: float = typer.Option(0.0, help="optimal: longest walk allowed in metres (0: none)"),
    stability: float = typer.Option(0.0, help="optimal: metres of walk a moved child is worth"),
    contiguous: bool = typer.Option(True, help="optimal: repair islands"),
    time_limit: float = typer.Option(60.0, help="optimal, exact: time limit in seconds"),
    min_fill: float = typer.Option(0.6, min=0.0, max=1.0, help="optimal: every school at least this share of its "
                                                               "seats, so none is left without a zone (0: off)"),
    group_column: str = typer.Option(None, help="optimal: a compounds column (e.g. 社区) whose compounds are kept "
                                                "in one school"),
    boundary_band: float = typer.Option(0.0, min=0.0, help="optimal: only compounds within this many metres of "
                                                           "their zone's boundary may move (0: any)"),
    mode: Mode = typer.Option(Mode(WALK), help="Travel mode of the network"),
    out: Path = typer.Option(Path("out"), help="Folder for catchments.geojson, assignments.geojson, schools.csv"),
    lang: Lang = typer.Option(Lang("zh"), help="Language of messages"),
    coords: Coords = typer.Option(Coords(WGS84), help="Coordinate system of the schools and compounds tables: "
                                                     "wgs84 (GPS, OSM), gcj02 (AMap, Tencent) or bd09 (Baidu)"),
    map_: list[str] = typer.Option([], "--map", help="Column of a field, field=column (repeatable), e.g. "
                                                     "children_primary=enrollment; schools.name=… or "
                                                     "compounds.name=… for a field both tables have"),
    map_schools: list[str] = typer.Option([], "--map-schools", help="Schools table: field=column (repeatable)"),
    map_compounds: list[str] = typer.Option([], "--map-compounds", help="Compounds table: field=column "
                                                                        "(repeatable)"),
    id_column: str = typer.Option(None, help="The compounds' id column (e.g. GEOID20), kept as written"),
    school_id_column: str = typer.Option(None, help="The schools' id column, kept as written"),
    radius: float = typer.Option(0.0, min=0.0, help="Service radius of the 'within' figures in metres (0: the "
                                                    "GB 50180 default, 500 primary / 1000 junior)"),
    default_seats: int = typer.Option(None, min=1, help="Seats of a school with no capacity (default: China's "
                                                        "standard class sizes, 1620 primary / 1500 junior)"),
    boundary: Path = typer.Option(None, help="District boundary: a polygon file (GeoJSON, GeoPackage, KML, zipped "
                                             "Shapefile); compounds and schools outside are left out"),
    boundary_name: str = typer.Option(None, help="District boundary: the name of an administrative boundary in the "
                                                 "OSM file (e.g. 锦江区)"),
) -> None:
    """Catchments (nearest or capacity-optimal): writes catchments.geojson, assignments.geojson, schools.csv.
    Without --network, on straight-line distances (methods straight and optimal)."""
    try:
        s_map, c_map = mappings_from_text(map_, map_schools, map_compounds)
        s_map |= {"school_id": school_id_column} if school_id_column else {}
        c_map |= {"compound_id": id_column} if id_column else {}
        with _Reading(lang.value) as reading:
            inputs = load_inputs(network, schools, demand, mode.value, coords=coords.value,
                                 schools_mapping=s_map or None, compounds_mapping=c_map or None,
                                 default_seats=default_seats, progress=reading)
        inputs = _within(inputs, network, boundary, boundary_name)
        groups = groups_from_file(demand, group_column, coords=coords.value, mapping=c_map or None) \
            if group_column and demand is not None else ()
        given = getattr(ctx.get_parameter_source("method"), "name", "DEFAULT") != "DEFAULT"
        how = method.value if network is not None or given else STRAIGHT  # no streets: as the crow flies
        result = run_scenario(inputs, Scenario(level.value, how, solver=solver.value, tolerance=tolerance,
                                               max_walk_m=max_walk, stability=stability, contiguous=contiguous,
                                               time_limit_s=time_limit, radius_m=radius, min_fill=min_fill,
                                               groups=groups, boundary_band_m=boundary_band))
    except Exception as err:
        _fail(err, lang.value)
        return
    for key, params in result.warnings:
        typer.echo(t(key, lang.value, **params), err=True)
    for name, data in (("catchments.geojson", export.catchments_geojson(result)),
                       ("assignments.geojson", export.assignments_geojson(result))):
        typer.echo(t("cli.wrote", lang.value, path=write_text(out / name, data)))
    typer.echo(t("cli.wrote", lang.value, path=write_bytes(out / "schools.csv", export.table_csv(result.table))))
    s = result.summary
    typer.echo(t("app.summary", lang.value, schools=s["schools"], compounds=s["compounds"],
                 children=int(s["children"]), within=s["within_radius"]))
    typer.echo(t("app.summary_radius", lang.value, radius=radius_phrase(s)))


@cli.command()
def report(
    network: Path = typer.Option(None, help="OpenStreetMap file: .osm, .osm.bz2 or .osm.pbf (its streets are the "
                                            "map's basemap)"),
    schools: Path = typer.Option(None, help="Schools table (default: the OSM file's schools)"),
    demand: Path = typer.Option(None, help="Compounds table (default: the OSM file's compounds)"),
    level: Level = typer.Option(Level(PRIMARY), help="School level"),
    method: Method = typer.Option(Method(NETWORK), help="The plan: network, straight or optimal"),
    solver: Solver = typer.Option(Solver(FAST), help="optimal: fast heuristic or exact MIP (HiGHS)"),
    zones: Path = typer.Option(None, help="An official zone list (.md / .csv / .txt): the changes are listed "
                                          "against its zones (default: against nearest-school zoning)"),
    statistics: Path = typer.Option(None, help="The schools' statistics (CSV / XLSX, as the equity view takes "
                                               "them): adds the balanced-development summary"),
    mode: Mode = typer.Option(Mode(WALK), help="Travel mode of the network"),
    coords: Coords = typer.Option(Coords(WGS84), help="Coordinate system of the schools and compounds tables"),
    boundary: Path = typer.Option(None, help="District boundary: a polygon file; compounds and schools outside "
                                             "are left out"),
    boundary_name: str = typer.Option(None, help="District boundary: the name of an administrative boundary in the "
                                                 "OSM file (e.g. 锦江区)"),
    out: Path = typer.Option(Path("out/report.pdf"), help="The PDF to write"),
    lang: Lang = typer.Option(Lang("zh"), help="Language of the report"),
) -> None:
    """A plan as an A4 PDF for a committee: the catchments on the street basemap, the school table, the changes
    against nearest-school zoning (or an official list), the warnings and the balanced-development summary."""
    from geo.equity.audit import balance as balance_of
    from geo.equity.stats import has_audit_columns, join_statistics
    from geo.inputs.tables import read_plain_table
    from geo.render.report import report_pdf

    try:
        inputs = _within(load_inputs(network, schools, demand, mode.value, coords=coords.value), network, boundary,
                         boundary_name)
        how = method.value if network is not None else STRAIGHT
        result = run_scenario(inputs, Scenario(level.value, how, solver=solver.value))
        other, label = None, ""
        if zones is not None:
            other, _ = _read_list(inputs, load_zone_source(zones), level.value, REACH_M, LOOSE_MAX_M, None, None)
            label = zones.name
        elif how != nearest_method(inputs.network):
            other = run_scenario(inputs, Scenario(level.value, nearest_method(inputs.network)))
            label = t("report.nearest", lang.value)
        bal = None
        if statistics is not None:
            stats_schools, _ = join_statistics(inputs.schools, read_plain_table(statistics, name=statistics.name),
                                               statistics.name)
            bal = balance_of(stats_schools, level.value, file=statistics.name)
        elif has_audit_columns(inputs.schools):
            bal = balance_of(inputs.schools, level.value)
        pdf = report_pdf(result, network=inputs.network, boundary=inputs.boundary, other=other, other_label=label,
                         balance=bal, warnings=list(inputs.warnings) + list(result.warnings),
                         title=inputs.name or (network.name if network else ""), lang=lang.value,
                         base_schools=inputs.schools)
    except Exception as err:
        _fail(err, lang.value)
        return
    typer.echo(t("cli.wrote", lang.value, path=write_bytes(out, pdf)))


@cli.command()
def demo(out: Path = typer.Option(Path("data/demo"), help="Folder to write the demo district into"),
         seed: int = typer.Option(None, help="Random seed (default: the bundled demo's)"),
         lang: Lang = typer.Option(Lang("zh"))) -> None:
    """Regenerate the (fictional) demo district: district.osm, schools.csv, compounds.geojson."""
    typer.echo(t("cli.demo", lang.value, path=write_demo(out, seed)))


@zonetext.command("read")
def zonetext_read(
    network: Path = typer.Option(..., help="OpenStreetMap file: .osm, .osm.bz2 or .osm.pbf"),
    zones: Path = typer.Option(..., help="Zone list: .md / .csv / .txt, or a folder of them"),
    schools: Path = typer.Option(None, help="Schools table (default: the OSM file's schools)"),
    demand: Path = typer.Option(None, help="Compounds table (default: the OSM file's compounds)"),
    level: Level = typer.Option(Level(PRIMARY), help="School level of the list"),
    mode: Mode = typer.Option(Mode(WALK), help="Travel mode of the network"),
    coords: Coords = typer.Option(Coords(WGS84), help="Coordinate system of the schools and compounds tables"),
    reach: float = typer.Option(REACH_M, help="Metres of walk from a listed street a compound may be and still be "
                                              "in its zone"),
    loose_max: float = typer.Option(LOOSE_MAX_M, help="Metres a loose street match may lie from the school's other "
                                                      "streets or the school"),
    choices: Path = typer.Option(None, help="Accept / reject loose matches (or keep far streets): loose-matches.csv "
                                            "or far-streets.csv with its 'choice' column filled (accept / reject)"),
    places: Path = typer.Option(None, help="Schools the list names that no table locates: name, lon, lat [, seats]"),
    boundary: Path = typer.Option(None, help="District boundary: a polygon file (GeoJSON, GeoPackage, KML, zipped "
                                             "Shapefile); compounds and schools outside are left out"),
    boundary_name: str = typer.Option(None, help="District boundary: the name of an administrative boundary in the "
                                                 "OSM file (e.g. 锦江区)"),
    out: Path = typer.Option(Path("out"), help="Folder for the reports and the official zones"),
    lang: Lang = typer.Option(Lang("zh"), help="Language of messages"),
) -> None:
    """Read a zone list against a network: writes street-matches.csv, loose-matches.csv, school-matches.csv,
    issues.csv, official-catchments.geojson, official-assignments.geojson, comparison.csv (official vs nearest)
    and agreement.csv (listed streets inside the list's own catchments)."""
    try:
        zone = load_zone_source(zones)
        inputs = _within(load_inputs(network, schools, demand, mode.value, coords=coords.value), network, boundary,
                         boundary_name)
        result, report = _read_list(inputs, zone, level.value, reach, loose_max, choices, places, coords.value)
    except Exception as err:
        _fail(err, lang.value)
        return
    _say_read(inputs, report, lang.value)
    files = {"street-matches.csv": report_csv(report.streets), "loose-matches.csv": report_csv(report.loose),
             "far-streets.csv": report_csv(report.far_parts),
             "school-matches.csv": report_csv(report.schools), "issues.csv": report_csv(report.issues)}
    if result is not None:
        files |= {"official-catchments.geojson": export.catchments_geojson(result).encode("utf-8"),
                  "official-assignments.geojson": export.assignments_geojson(result).encode("utf-8"),
                  "comparison.csv": report_csv(report.comparison),
                  "agreement.csv": report_csv(agreement(inputs.network, report, result))}
    for name, data in files.items():
        typer.echo(t("cli.wrote", lang.value, path=write_bytes(out / name, data)))
    s = report.summary
    typer.echo(t("cli.zonetext.matches", lang.value, streets=s["streets"], matched=s["streets_matched"],
                 loose=s["streets_loose"], unmatched=s["streets_unmatched"], issues=s["issues"]))
    if s["streets_rejected"]:
        typer.echo(t("cli.zonetext.loose", lang.value, rejected=s["streets_rejected"], distance=s["loose_max_m"]))
    if s.get("loose_unchecked"):
        typer.echo(t("cli.zonetext.unchecked", lang.value, count=s["loose_unchecked"]))
    if result is None:
        typer.echo(t("official.nothing_on_network", lang.value), err=True)
        raise typer.Exit(code=1)
    typer.echo(t("cli.zonetext.covered", lang.value, listed=s["listed_compounds"], compounds=s["compounds"],
                 reach=s["reach_m"]))
    if s["unlocated_schools"]:
        typer.echo(t("official.schools_unlocated", lang.value, count=s["unlocated_schools"]), err=True)
    if s["covered"]:
        typer.echo(t("cli.zonetext.compare", lang.value, covered=s["covered"], compounds=s["listed_compounds"],
                     farther=s["farther"]))


def _within(inputs, network: Path | None, boundary: Path | None, boundary_name: str | None):
    """The inputs clipped at a district boundary, when one is given (a polygon file, or a name in the OSM file)."""
    if boundary:
        return clip_inputs(inputs, boundary_from_file(boundary), Path(boundary).name)
    if boundary_name and network is None:
        raise InputError("err.boundary_needs_osm", name=boundary_name)
    if boundary_name:
        return clip_inputs(inputs, boundary_from_osm(network, boundary_name), boundary_name)
    return inputs


def _read_list(inputs, zone, level: str, reach: float, loose_max: float, choices: Path | None,
               places: Path | None, coords: str = WGS84):
    """A zone list read against inputs with the command's settings (choices and places read from their files)."""
    return official_plan(inputs, zone, level, reach_m=reach, loose_max_m=loose_max,
                         choices=read_choices(choices) if choices else None,
                         places=load_places(places, coords=coords) if places else None)


def _say_read(inputs, report, lang: str) -> None:
    """What loading and reading found, on stderr."""
    for key, params in inputs.warnings:
        typer.echo(t(key, lang, **params), err=True)
    for r in report.issues.itertuples():
        typer.echo(t("zone.issue", lang, source=r.source, line=r.line, text=r.text,
                     reason=t(f"zone.reason.{r.reason}", lang)), err=True)


@zonetext.command("compare")
def zonetext_compare(
    zones: Path = typer.Option(..., help="Zone list: .md / .csv / .txt, or a folder of them"),
    network: Path = typer.Option(..., help="OpenStreetMap file: .osm, .osm.bz2 or .osm.pbf"),
    schools: Path = typer.Option(None, help="Schools table (default: the OSM file's schools)"),
    demand: Path = typer.Option(None, help="Compounds table (default: the OSM file's compounds)"),
    level: Level = typer.Option(Level(PRIMARY), help="School level of the list"),
    method: Method = typer.Option(Method(NETWORK), help="The plan to measure: network, straight or optimal"),
    start: Start = typer.Option(Start("nearest"), help="optimal: start from (and count moves from) the nearest "
                                                      "school or the official zones"),
    stability: float = typer.Option(0.0, help="optimal: metres of walk a moved child is worth"),
    mode: Mode = typer.Option(Mode(WALK), help="Travel mode of the network"),
    coords: Coords = typer.Option(Coords(WGS84), help="Coordinate system of the schools and compounds tables"),
    reach: float = typer.Option(REACH_M, help="As for 'read'"),
    loose_max: float = typer.Option(LOOSE_MAX_M, help="As for 'read'"),
    choices: Path = typer.Option(None, help="As for 'read'"),
    places: Path = typer.Option(None, help="As for 'read'"),
    boundary: Path = typer.Option(None, help="District boundary: a polygon file (GeoJSON, GeoPackage, KML, zipped "
                                             "Shapefile); compounds and schools outside are left out"),
    boundary_name: str = typer.Option(None, help="District boundary: the name of an administrative boundary in the "
                                                 "OSM file (e.g. 锦江区)"),
    out: Path = typer.Option(Path("out"), help="Folder for agreement.csv"),
    lang: Lang = typer.Option(Lang("zh"), help="Language of messages"),
) -> None:
    """How much of each school's listed streets a plan keeps in that school's catchment (length-weighted): writes
    agreement.csv, one row per listed school and a last row '*' for the whole list."""
    try:
        zone = load_zone_source(zones)
        inputs = _within(load_inputs(network, schools, demand, mode.value, coords=coords.value), network, boundary,
                         boundary_name)
        official, report = _read_list(inputs, zone, level.value, reach, loose_max, choices, places, coords.value)
        start_plan = None
        if start.value == OFFICIAL and official is not None:
            a = official.assignments
            start_plan = dict(zip(a["compound_id"].astype(str), a["school_id"].astype(str), strict=True))
        both = with_listed_schools(inputs, report)  # the list's schools of the level, located, on both sides
        plan = run_scenario(both, Scenario(level.value, method.value, stability=stability), start=start_plan)
        table = agreement(inputs.network, report, plan)
    except Exception as err:
        _fail(err, lang.value)
        return
    _say_read(inputs, report, lang.value)
    typer.echo(t("cli.wrote", lang.value, path=write_bytes(out / "agreement.csv", report_csv(table))))
    total = table.iloc[-1] if len(table) else None
    if total is None or not bool(total["compared"]):
        typer.echo(t("official.agreement_none", lang.value), err=True)
        raise typer.Exit(code=1)
    typer.echo(t("cli.zonetext.agreement", lang.value, share=100 * float(total["share"]),
                 schools=int(table["compared"].iloc[:-1].sum()), listed=len(table) - 1))
    if report.summary["unlocated_schools"]:
        typer.echo(t("official.schools_unlocated", lang.value, count=report.summary["unlocated_schools"]), err=True)


@zonetext.command("write")
def zonetext_write(
    network: Path = typer.Option(..., help="OpenStreetMap file: .osm, .osm.bz2 or .osm.pbf"),
    schools: Path = typer.Option(None, help="Schools table (default: the OSM file's schools)"),
    demand: Path = typer.Option(None, help="Compounds table (default: the OSM file's compounds)"),
    level: Level = typer.Option(Level(PRIMARY), help="School level"),
    method: Method = typer.Option(Method(NETWORK), help="Plan to write: network, straight or optimal (fast)"),
    mode: Mode = typer.Option(Mode(WALK), help="Travel mode of the network"),
    coords: Coords = typer.Option(Coords(WGS84), help="Coordinate system of the schools and compounds tables"),
    format: TextFormat = typer.Option(TextFormat("text"), "--format", help="Layout of the zone list"),
    out: Path = typer.Option(Path("zones.txt"), help="File to write the zone list to"),
    lang: Lang = typer.Option(Lang("zh"), help="Language of messages"),
) -> None:
    """Write a plan as a zone list in the bureau's style (each school's streets, split streets as
    ``街道(A口至B口)``), which reads back to the same streets."""
    try:
        inputs = load_inputs(network, schools, demand, mode.value, coords=coords.value)
        result = run_scenario(inputs, Scenario(level.value, method.value))
        written = plan_zone_text(inputs.network, result, format.value)
    except Exception as err:
        _fail(err, lang.value)
        return
    typer.echo(t("cli.wrote", lang.value, path=write_text(out, written.text)))
    if len(written.unwritten):
        typer.echo(t("cli.zonetext.unwritten", lang.value, count=len(written.unwritten)), err=True)


@cli.command("forecast")
def forecast_cmd(
    network: Path = typer.Option(None, help="OpenStreetMap file: .osm, .osm.bz2 or .osm.pbf; without one, "
                                            "distances are straight lines"),
    schools: Path = typer.Option(None, help="Schools table (default: the OSM file's schools)"),
    demand: Path = typer.Option(None, help="Compounds table (default: the OSM file's compounds)"),
    ages: Path = typer.Option(None, help="Children by single year of age 0-14, per compound (id or name) or per "
                                         "community (社区): CSV / XLSX"),
    births: Path = typer.Option(None, help="Births by year per compound or community (instead of --ages)"),
    housing: Path = typer.Option(None, help="Planned housing: households, delivery year, [每百户学生数], and a school "
                                            "id, a compound id or lon/lat"),
    history: Path = typer.Option(None, help="Enrolment by grade per school and year (grade-progression ratios; "
                                            "its base year calibrates each school)"),
    ratios: Path = typer.Option(None, help="Survival/migration (retention) ratio per age: columns age (1-14, the "
                                           "age reached) and survival (留存率); --survival then multiplies it"),
    communities: Path = typer.Option(None, help="Community (社区) boundaries (GeoJSON, GPKG, KML, zipped SHP): a "
                                                "compound lies in the community its point falls in, unless the "
                                                "compounds table names one"),
    level: Level = typer.Option(Level(PRIMARY), help="School level"),
    method: Method = typer.Option(Method(NETWORK), help="The plan: network, straight or optimal (without "
                                                       "--network: straight)"),
    years: int = typer.Option(10, min=1, max=30, help="Years forward"),
    base_year: int = typer.Option(None, help="The year the ages were counted in (default: the ages table's year "
                                             "column, else last year)"),
    cutoff: str = typer.Option(FORECAST_CUTOFF, help="Entry cut-off, MM-DD (age 6 / 12 reached by it)"),
    count_date: str = typer.Option(FORECAST_COUNT_DATE, help="The date the ages were counted on, MM-DD"),
    survival: float = typer.Option(1.0, min=0.0, help="Survival/migration ratio per year of age"),
    birth_trend: float = typer.Option(1.0, min=0.0, help="Each year's births over the year before's"),
    share: float = typer.Option(1.0, min=0.0, max=1.5, help="Enrolment share: the children who attend the "
                                                            "zone's public school"),
    plan: int = typer.Option(None, help="Forecast under this stored scenario (its id in `xuequ scenarios`) "
                                        "instead of --method's zoning"),
    compare_plan: int = typer.Option(None, help="Also compare with this stored scenario (0: --method's zoning) "
                                                "year by year: writes compare.csv"),
    mode: Mode = typer.Option(Mode(WALK), help="Travel mode of the network"),
    coords: Coords = typer.Option(Coords(WGS84), help="Coordinate system of the schools and compounds tables"),
    out: Path = typer.Option(Path("out"), help="Folder for forecast.csv, warnings.csv, zones.csv, district.csv, "
                                               "forecast.geojson"),
    map_: list[str] = typer.Option(None, "--map", help="A forecast table's column under another name: "
                                                       "table.field=column, e.g. ages.compound_id=小区编号 "
                                                       "(tables: ages, births, history, housing, ratios); repeatable"),
    lang: Lang = typer.Option(Lang("zh"), help="Language of messages"),
) -> None:
    """Forecast each school's intake and enrolment year by year against its seats (学位预警): writes forecast.csv
    (school, year, intake, enrolment, seats, surplus, level, ...), warnings.csv (the school-years not green),
    zones.csv, district.csv and forecast.geojson (each catchment in each year, with a year property)."""
    try:
        inputs = load_inputs(network, schools, demand, mode.value, coords=coords.value)
        how = method.value if network is not None else STRAIGHT
        base = run_scenario(inputs, Scenario(level.value, how))
        plans = _stored_plans(inputs, level.value, base, [p for p in (plan, compare_plan) if p])
        comms = communities_of(demand, inputs.compounds["compound_id"].to_numpy(), coords=coords.value) \
            if demand is not None else None
        if communities is not None:
            comms = join_communities(comms, communities_in_polygons(inputs.compounds, communities,
                                                                    coords=coords.value))
        data = load_forecast_inputs(inputs.compounds, ages=ages, births=births, history=history, housing=housing,
                                    ratios=ratios, base_year=base_year, communities=comms, schools=inputs.schools,
                                    mappings=forecast_mappings(map_ or []) or None)
        settings = {"horizon": years, "cutoff": cutoff, "count_date": count_date, "survival": survival,
                    "birth_trend": birth_trend, "share": share, "housing_file": housing.name if housing else "housing"}
        result_f = forecast_zoning(inputs, plans.get(plan or 0, base), data, **settings)
        other = forecast_zoning(inputs, plans.get(compare_plan, base), data, **settings) \
            if compare_plan is not None else None
    except Exception as err:
        _fail(err, lang.value)
        return
    for key, params in (*inputs.warnings, *data.warnings, *result_f.notes):
        typer.echo(t(key, lang.value, **params), err=True)
    table = result_f.schools.rename(columns={"school_id": "school"})
    first = ["school", "year", "intake", "enrolment", "seats", "surplus", "level"]
    table = table[first + [c for c in table.columns if c not in first]]
    warn = result_f.warnings.rename(columns={"school_id": "school"})
    files = {"forecast": table, "warnings": warn[[c for c in table.columns if c in warn]],
             "zones": result_f.zones, "district": result_f.district}
    if other is not None:  # A: the plan compared with; B: the plan forecast
        files["compare"] = compare_plans(other, result_f)
    for stem, frame in files.items():  # forecast.csv, warnings.csv, zones.csv, district.csv, compare.csv
        typer.echo(t("cli.wrote", lang.value, path=write_bytes(out / f"{stem}.csv", export.table_csv(frame))))
    geojson = forecast_geojson(plans.get(plan or 0, base), result_f)  # every year, a year property on each zone
    typer.echo(t("cli.wrote", lang.value, path=write_bytes((out / "forecast").with_suffix(".geojson"),
                                                                geojson.encode("utf-8"))))
    counts = result_f.warnings["level"].value_counts()
    typer.echo(t("cli.forecast.summary", lang.value, schools=len(result_f.school_ids), first=int(result_f.years[0]),
                 last=int(result_f.years[-1]), red=int(counts.get("red", 0)), orange=int(counts.get("orange", 0)),
                 yellow=int(counts.get("yellow", 0)), blue=int(counts.get("blue", 0))))


def _stored_plans(inputs, level: str, base, ids: list[int]) -> dict:
    """Stored scenarios' zonings on these inputs (id -> result; 0 is ``base``), through the editor."""
    out = {0: base}
    if not ids:
        return out
    from geo.plans.editor import Editor  # kept lazy: only a stored plan needs the editor

    store = Store()
    editor = Editor(inputs, level)
    for sid in ids:
        stored = store.get(sid)
        if stored.level != level:
            raise InputError("err.forecast.plan_level", id=sid, level=f"@level.{stored.level}")
        out[sid] = editor.result(stored.history.active)
    return out


@cli.command()
def scenarios(
    fresh_store: bool = typer.Option(False, "--fresh-store",
                                     help="If the store cannot be used (damaged, read-only, or its folder is a "
                                          "file), start a fresh one, keeping the bad file aside (renamed "
                                          "scenarios.sqlite.bad-<time>, never deleted)"),
    lang: Lang = typer.Option(Lang("zh"), help="Language of messages"),
) -> None:
    """List the stored what-if scenarios (id, name, level, dataset, last change) of the store in
    $XUEQU_DATA_DIR (else the user data folder)."""
    try:
        try:
            store = Store()
        except StoreError as err:
            if not fresh_store:
                typer.echo(err.message(lang.value), err=True)
                typer.echo(t("cli.store_fresh_hint", lang.value), err=True)
                raise typer.Exit(code=2) from None
            typer.echo(err.message(lang.value), err=True)
            store, moved = Store.start_fresh(err.path)
            typer.echo(t("edit.store_fresh_done", lang.value, files=", ".join(map(str, moved)) or "-"))
        else:
            if fresh_store:
                typer.echo(t("cli.store_ok", lang.value, file=store.path))
        listed = store.list()
    except typer.Exit:
        raise
    except Exception as err:
        _fail(err, lang.value)
        return
    if not listed:
        typer.echo(t("cli.scenarios_none", lang.value, file=store.path))
    for s in listed:
        typer.echo(t("cli.scenario_row", lang.value, id=s.id, name=s.name, level=t(f"level.{s.level}", lang.value),
                     dataset=s.dataset_label or s.dataset,
                     updated=datetime.fromtimestamp(s.updated).strftime("%Y-%m-%d %H:%M")))


class _Reading:
    """A progress bar of an OSM file read (load_inputs' ``progress``), shown on stderr."""

    def __init__(self, lang: str):
        self.bar = typer.progressbar(length=1000, label=t("cli.reading_osm", lang), file=sys.stderr)
        self.at = 0

    def __call__(self, fraction: float, objects: int) -> None:
        step = int(fraction * 1000) - self.at
        if step > 0:
            self.bar.update(step)
            self.at += step

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)


@cli.command()
def batch(
    manifest: Path = typer.Option(..., help="Districts CSV: name, osm, and optionally schools, compounds, level "
                                            "(primary/junior), method (network/straight/optimal)"),
    out: Path = typer.Option(Path("batch-out"), help="Folder: one subfolder per district, summary.csv, theil.csv"),
    scheduler: str = typer.Option(None, help="Address of a Dask scheduler (tcp://host:8786); default a local "
                                             "cluster"),
    workers: int = typer.Option(2, min=1, help="Local cluster: number of worker processes"),
    indicator: str = typer.Option("seats_per_child", help="Per-school indicator of the Theil split: seats_per_child "
                                                          "or a school-table column (mean_m, utilisation...)"),
    lang: Lang = typer.Option(Lang("zh"), help="Language of messages"),
) -> None:
    """Zone many districts as Dask tasks: results per district, a summary across districts and the
    between/within-district Theil split. Finished districts are skipped on a rerun."""
    from distributed import Client, LocalCluster

    from geo.batch import read_manifest, run_batch

    try:
        table = read_manifest(manifest)
    except Exception as err:
        _fail(err, lang.value)
        return
    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)
    try:
        with Client(scheduler or cluster) as client, \
                typer.progressbar(length=len(table), label=t("cli.batch_progress", lang.value),
                                  file=sys.stderr) as bar:
            result = run_batch(table, out, client, indicator=indicator, lang=lang.value,
                               progress=lambda done, total, name: bar.update(1))
    except Exception as err:
        _fail(err, lang.value)
        return
    finally:
        if cluster is not None:
            cluster.close()
    for name, reason in result.failed.items():
        typer.echo(t("cli.batch_failed", lang.value, name=name, reason=reason), err=True)
    status = result.summary["status"]
    typer.echo(t("cli.batch_total", lang.value, done=int((status == "done").sum()),
                 skipped=int((status == "skipped").sum()), failed=len(result.failed), indicator=indicator,
                 total=result.theil.total, between=result.theil.between, within=result.theil.within))
    typer.echo(t("cli.wrote", lang.value, path=out / "summary.csv"))
    if result.failed:
        raise typer.Exit(code=1)


def main() -> None:
    """Run the ``xuequ`` command (the ``[project.scripts]`` entry point)."""
    cli(prog_name="xuequ")


if __name__ == "__main__":
    sys.exit(main())
