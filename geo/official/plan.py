"""An official zone list read against a dataset, as a plan: :func:`official_plan`.

Each compound goes to the zone of its nearest listed street (:func:`~geo.official.edges.node_labels_from_edges`);
the plan is then built by the one result builder, :func:`geo.zoning.result.build_result`, as every plan is, so
the same labels give the same assignments, school table and catchments as in the editor or a scenario. The
report says what was matched, what was not, and where the list sends a compound farther than its nearest
school (:func:`compare_with_nearest`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.inputs.demand import children_column
from geo.inputs.schools import DEFAULT_CAPACITY, PRIMARY, schools_for_level
from geo.network.distances import distance_matrix, snap
from geo.network.graph import Network
from geo.official.agreement import AGREEMENT_COLUMNS, listed_agreement
from geo.official.check import LOOSE_MAX_M, REJECTED, check_loose, keep_near_parts
from geo.official.edges import EdgeAssignment, StreetEdges, assign_edges, node_labels_from_edges, reach_polygons
from geo.official.match import link_schools, match_entries, match_report, street_index
from geo.official.names import LOOSE, MATCHED, UNMATCHED
from geo.official.parse import ZoneText, parse_zone_text
from geo.zoning.assignment import NETWORK
from geo.zoning.metrics import RADIUS_M, polsby_popper, school_table
from geo.zoning.result import ZoningResult, build_result
from geo.zoning.scenario import Scenario

if TYPE_CHECKING:  # annotations only
    from geo.inputs.model import Inputs

OFFICIAL = "official"
# How far a compound's entrance may lie from a listed street, along the streets, and still be in its zone: a
# short walk, half a Chengdu block (the blocks of the central city are 250-400 m across).
REACH_M = 150.0
# The plans a capacity-optimal zoning can start from (and count moves away from): nearest-school zones, or a list's.
STARTS = ("nearest", OFFICIAL)
COMPARISON_COLUMNS = ["compound_id", "compound", "children", "zone_school", "listed", "official", "official_name",
                      "nearest", "nearest_name", "official_m", "nearest_m", "extra_m", "farther"]


@dataclass(frozen=True, eq=False)
class OfficialReport:
    """What reading an official list against a dataset found.

    Attributes
    ----------
    entries : DataFrame
        The parsed entries with their street match (:func:`~geo.official.match.match_entries`).
    issues : DataFrame
        What was not parsed (file and line).
    streets : DataFrame
        One row per listed street name (:func:`~geo.official.match.match_report`).
    schools : DataFrame
        One row per listed school with the table school it stands for (``school_id`` empty and ``linked``
        False when none: its zone is drawn but it has no place to measure walks to).
    edges : EdgeAssignment or None
        The listed edges per zone (in the order of the plan's ``catchments``).
    comparison : DataFrame
        One row per compound, the official school against the nearest one (:func:`compare_with_nearest`,
        plus ``compound_id``, ``children``, ``zone_school`` and ``listed``: whether any listed street is
        within reach).
    summary : dict
        The counts (the plan's summary when there is a plan).
    loose : DataFrame
        The loose street matches, each accepted or rejected by distance or by the planner
        (:func:`geo.official.check.check_loose`).
    zone_ids : tuple of str
        Each zone's school id (``zone-N`` where the school has no location), in the order of ``edges.schools``.
    added_schools : GeoDataFrame or None
        The schools the list made schools of its level (a school whose name does not say its level, or one the
        planner located), as a schools table (WGS-84): :func:`with_listed_schools` adds them to the inputs, so
        that other plans can be compared with the list on the same schools.
    far_parts : DataFrame
        Listed streets whose name the network uses in places far apart, cut down to the parts near the school
        (:func:`geo.official.check.keep_near_parts`).
    """

    entries: pd.DataFrame
    issues: pd.DataFrame
    streets: pd.DataFrame
    schools: pd.DataFrame
    edges: EdgeAssignment | None
    comparison: pd.DataFrame
    summary: dict
    loose: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    zone_ids: tuple[str, ...] = ()
    added_schools: gpd.GeoDataFrame | None = None
    far_parts: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)


def official_plan(inputs: Inputs, zone: ZoneText | str, level: str = PRIMARY, address: str = "street", *,
                  reach_m: float = REACH_M, loose_max_m: float = LOOSE_MAX_M,
                  choices: Mapping[tuple[str, str], bool] | None = None, places: gpd.GeoDataFrame | None = None,
                  ) -> tuple[ZoningResult | None, OfficialReport]:
    """An official zone list read against a dataset, as a plan.

    One zone per listed school: first the zones of listed schools found with a location (in order of listing; two
    names for one school are one zone), then those of listed schools found nowhere. A compound is in a zone when
    its entrance (its street node) lies on, or within ``reach_m`` of walk from, a street listed for it (the nearest
    such street's zone); every other compound is not covered by the list, and compared with nothing.

    Listed schools are looked for among the schools of the level, then among the schools whose name does not say
    their level (:attr:`Inputs.unleveled`, 中学 / 学校: the list says the level), then among ``places`` (schools the
    planner located: a table, or clicks on the map). Loose street matches are used only near the school
    (:func:`geo.official.check.check_loose`).

    The result is built by :func:`geo.zoning.result.build_result` from each compound's zone, as every plan is; its
    catchments cover only what the listed streets reach (:func:`geo.official.edges.reach_polygons`). A zone whose
    school has no location has no place to measure walks to: its compounds are named with the zone (``school_id``
    ``zone-N``) but count as unassigned in the figures, and its row in the table and its catchment have no seats
    (``located`` False). Street nodes keep the list's own labels (``node_label``: the zone of the nearest listed
    street), so the plan written back as text (:func:`geo.official.write.plan_zone_text`) lists the listed streets.

    Parameters
    ----------
    inputs : Inputs
        The network, schools and compounds.
    zone : ZoneText or str
        A parsed list, or its text.
    level : str
        The school level of the list.
    address : str
        As for :func:`~geo.official.edges.assign_edges`: ``"street"`` or ``"skip"``.
    reach_m : float
        How far (walk, metres) from a listed street a compound's entrance may lie and still be in its zone.
    loose_max_m : float
        How far a loose street match may lie from the school's other streets and the school
        (:data:`geo.official.check.LOOSE_MAX_M`).
    choices : mapping of (school, street) to bool, optional
        The planner's accept (True) or reject (False) of loose matches, by the names the list writes.
    places : GeoDataFrame, optional
        Schools the planner located: ``name`` (as the list writes it), optional ``capacity``, point geometry.

    Returns
    -------
    result : ZoningResult or None
        The plan (``summary["method"] == "official"``; ``schools``: the listed schools with a location;
        assignments with ``listed_street_m``, ``farther`` and ``extra_m``); None when no listed street is on
        the network (the report says why).
    report : OfficialReport
        What was matched, flagged and skipped, and the comparison with nearest-school zoning.
    """
    if isinstance(zone, str):
        zone = parse_zone_text(zone)
    net = inputs.network
    index = street_index(net)
    entries = match_entries(zone.entries, index)
    # Every school the list names, those whose lines hold only areas or compounds (no street) too: they are counted
    # among the schools not located, never dropped.
    named = list(entries["school"]) + (list(zone.issues["school"]) if "school" in zone.issues else [])
    listed = [str(s) for s in dict.fromkeys(named) if str(s).strip()]
    table, links = _link(inputs, level, listed, places)
    links["entries"] = links["name"].map(entries["school"].value_counts()).fillna(0).astype(int)
    table_ids = table["school_id"].astype(str).to_numpy()
    table_names = [str(n) for n in table["name"]]
    table_xy = shapely.get_coordinates(table.geometry.to_crs(net.crs).to_numpy()) if len(table) else np.zeros((0, 2))
    school_xy = {n: table_xy[i] for n, i in zip(links["name"], links["index"], strict=True) if i >= 0}
    street_edges = StreetEdges(net, index).edges
    entries, loose = check_loose(net, entries, street_edges, school_xy, loose_max_m, choices)
    entries, far_parts = keep_near_parts(net, entries, street_edges, school_xy, loose_max_m, choices)
    streets = match_report(entries)
    zone_of_listed, zone_table, zone_name, zone_id = _zones(links, table_ids, table_names)
    n_located = int((zone_table >= 0).sum())

    children = inputs.compounds[children_column(level)].to_numpy()
    m = len(children)
    u_node, u_off = inputs.compound_snap
    totals = _counts(entries, streets, links, len(zone.issues), loose) | {
        "zones": len(zone_name), "unlocated_schools": len(zone_name) - n_located, "reach_m": float(reach_m),
        "loose_max_m": float(loose_max_m)}

    if len(table):
        s_node, s_off = snap(net, table_xy)
        dist = distance_matrix(net, s_node, s_off, u_node, u_off)
    else:
        s_node, dist = np.zeros(0, np.int64), np.zeros((0, m))

    edges = None
    if entries["status"].isin([MATCHED, LOOSE]).any():
        edges = assign_edges(net, entries, None, address=address, index=index)  # schools: ``listed``, in order
        remap = np.append(zone_of_listed, -1)  # -1 stays -1
        edges = EdgeAssignment(remap[edges.edge_school], tuple(zone_name), edges.flags, edges.conflicts,
                               edges.skipped)
    added = table[table["found"] != "table"].drop(columns=["seats", "found"]).reset_index(drop=True)
    extra = {"loose": loose, "zone_ids": tuple(zone_id), "added_schools": added, "far_parts": far_parts}
    if edges is None or not (edges.edge_school >= 0).any():
        comparison = pd.DataFrame(columns=COMPARISON_COLUMNS)
        return None, OfficialReport(entries, zone.issues, streets, links, edges, comparison,
                                    totals | {"compounds": m, "listed_compounds": 0, "unlisted_compounds": m,
                                              "covered": 0, "farther": 0, "children_farther": 0.0}, **extra)

    node_label, node_dist = node_labels_from_edges(net, edges.edge_school)
    listed_m = node_dist[u_node] + u_off
    comp_zone = np.where(node_dist[u_node] <= reach_m, node_label[u_node], -1)  # -1: no listed street in reach
    official = np.where(comp_zone >= 0, zone_table[np.maximum(comp_zone, 0)], -1)  # its table school
    located = official >= 0
    label = np.where(located, comp_zone, -1)  # located zones come first: a zone's index is its school's
    walk = dist[np.maximum(official, 0), np.arange(m)] if len(table) else np.full(m, np.nan)
    walk = np.where(located, walk, np.nan)
    polys = reach_polygons(net, edges.edge_school, node_label, node_dist, len(zone_name), reach_m, inputs.area,
                           inputs.compounds_projected.to_numpy(), comp_zone)

    names = inputs.compounds["name"].to_numpy()
    zone_names = np.asarray(zone_name + [""], dtype=object)
    if len(table):
        comparison = compare_with_nearest(official, dist, names=list(names), school_names=table_names)
        nearest = table_ids[comparison["nearest"].to_numpy()]
    else:
        comparison = pd.DataFrame({"compound": names, "official": official, "official_name": "", "nearest": -1,
                                   "nearest_name": "", "official_m": np.nan, "nearest_m": np.nan, "extra_m": np.nan,
                                   "farther": False})
        nearest = None
    comparison.insert(0, "compound_id", inputs.compounds["compound_id"].to_numpy())
    comparison.insert(2, "children", children)
    comparison.insert(3, "zone_school", zone_names[comp_zone])
    comparison.insert(4, "listed", comp_zone >= 0)
    comparison["listed_street_m"] = listed_m

    comp = comparison_summary(comparison.assign(official=official), children)
    inside = comp_zone >= 0
    totals |= {"listed_compounds": int(inside.sum()), "unlisted_compounds": int((~inside).sum()),
               "unlisted_children": float(children[~inside].sum()),
               "unlocated_compounds": int((inside & ~located).sum()),
               "listed_m": float(net.edge_length[edges.edge_school >= 0].sum()) / (2 if net.mode == "walk" else 1),
               "covered": comp["covered"], "farther": comp["farther"], "children_farther": comp["children_farther"],
               "mean_extra_m": comp["mean_extra_m"], "max_extra_m": comp["max_extra_m"],
               "child_mean_extra_m": comp["child_mean_extra_m"]}
    located_rows = zone_table[:n_located]
    result = build_result(
        inputs, Scenario(level, NETWORK), table.iloc[located_rows].reset_index(drop=True), label, walk,
        s_node=s_node[located_rows], children=children, baseline=nearest, warnings=inputs.warnings,
        polygons=polys[:n_located],
        extra_columns={"listed_street_m": listed_m, "farther": comparison["farther"].to_numpy(bool),
                       "extra_m": comparison["extra_m"].to_numpy(float)},
        extra_summary=totals, node_label=node_label, node_dist=node_dist)
    if n_located < len(zone_name):
        result = _with_unlocated_zones(result, polys[n_located:], comp_zone, n_located, zone_id, zone_name,
                                       children, RADIUS_M[level])
    else:
        result = dataclasses.replace(result, table=result.table.assign(located=True))
    return result, OfficialReport(entries, zone.issues, streets, links, edges, comparison, result.summary, **extra)


def with_listed_schools(inputs: Inputs, report: OfficialReport) -> Inputs:
    """The inputs with the schools a list made schools of its level (:attr:`OfficialReport.added_schools`).

    A primary list naming 成都双语实验学校 (a name that does not say its level) says it is a primary school; a
    school the planner located is one too. With them added, nearest-school or optimal zoning of the same inputs can
    be compared with the list school by school.

    Parameters
    ----------
    inputs : Inputs
        What the list was read against.
    report : OfficialReport
        The list as read.

    Returns
    -------
    Inputs
        ``inputs`` itself when the list added no school, else a copy with them in ``schools`` (and no longer in
        ``unleveled``).
    """
    added = report.added_schools
    if added is None or not len(added):
        return inputs
    schools = gpd.GeoDataFrame(pd.concat([inputs.schools, added.to_crs(inputs.schools.crs)], ignore_index=True),
                               crs=inputs.schools.crs)
    unleveled = inputs.unleveled
    if unleveled is not None and len(unleveled):
        unleveled = unleveled[~unleveled["school_id"].astype(str).isin(set(added["school_id"].astype(str)))]
    return dataclasses.replace(inputs, schools=schools.reset_index(drop=True), unleveled=unleveled)


def agreement(network: Network, report: OfficialReport, result: ZoningResult) -> pd.DataFrame:
    """How much of each listed school's streets a plan keeps in that school's catchment
    (:func:`geo.official.agreement.listed_agreement` for this list's edges).

    Parameters
    ----------
    network : Network
        The network the list was read against.
    report : OfficialReport
        The list, as read by :func:`official_plan`.
    result : ZoningResult
        Any plan on the same inputs (nearest, optimal, edited, or the official plan itself).

    Returns
    -------
    DataFrame
        Per school and a last row of totals (``school`` "*"); empty when no listed street is on the network.
    """
    if report.edges is None:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    return listed_agreement(network, report.edges.edge_school, report.zone_ids, report.edges.schools, result)


def _link(inputs: Inputs, level: str, listed: list[str], places: gpd.GeoDataFrame | None
          ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The schools a list can stand for, and each listed school's row among them.

    Candidates: the schools of the level (all kept, for the comparison with the nearest school), then the
    schools whose name does not say their level and the planner's placed schools (kept only when a listed school
    links to one, then as schools of the list's level with default seats unless given).

    Returns
    -------
    table : GeoDataFrame
        The schools of the plan, with ``seats`` and ``found`` (``table``, ``unleveled`` or ``placed``).
    links : DataFrame
        :func:`geo.official.match.link_schools` with ``index`` into ``table``, ``linked``, ``school_id`` and
        ``found``.
    """
    own = schools_for_level(inputs.schools, level).reset_index(drop=True).assign(found="table")
    parts = [own]
    for found, extra in (("unleveled", inputs.unleveled), ("placed", places)):
        if extra is None or not len(extra):
            continue
        extra = extra.to_crs("EPSG:4326").reset_index(drop=True)
        cap = pd.to_numeric(extra["capacity"], errors="coerce") if "capacity" in extra else pd.Series(np.nan, index=extra.index)
        cap = cap.where(cap > 0)
        ids = extra["school_id"].astype(str) if "school_id" in extra else pd.Series(
            [f"placed-{i + 1}" for i in range(len(extra))])
        parts.append(gpd.GeoDataFrame(
            {"school_id": ids.to_numpy(), "name": extra["name"].astype(str).to_numpy(), "level": level,
             "capacity": cap.fillna(DEFAULT_CAPACITY[level]).astype(np.int64).to_numpy(),
             "capacity_estimated": cap.isna().to_numpy(), "seats": cap.fillna(DEFAULT_CAPACITY[level]).astype(np.int64).to_numpy(),
             "found": found}, geometry=extra.geometry.to_numpy(), crs="EPSG:4326"))
    cand = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    links = link_schools(listed, [str(n) for n in cand["name"]])
    keep = (cand["found"] == "table").to_numpy().copy()
    keep[links.loc[links["index"] >= 0, "index"].to_numpy(np.int64)] = True
    new_index = np.cumsum(keep) - 1
    table = cand[keep].reset_index(drop=True)
    table["seats"] = table["seats"].astype(np.int64)
    links["index"] = [int(new_index[i]) if i >= 0 else -1 for i in links["index"]]
    links["linked"] = links["index"] >= 0
    links["school_id"] = [str(table["school_id"].iloc[i]) if i >= 0 else "" for i in links["index"]]
    links["found"] = [str(table["found"].iloc[i]) if i >= 0 else "" for i in links["index"]]
    return table, links


def _zones(links: pd.DataFrame, table_ids: np.ndarray, table_names: list[str]
           ) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The zones of the listed schools: one per table school linked to, then one per listed school found
    nowhere, each in order of listing. Returns each listed school's zone, each zone's table row (-1: none),
    name and id (``zone-N`` where the school is not in the table, unlike any table id)."""
    keys: list[tuple[str, int | str]] = [("t", int(i)) if i >= 0 else ("n", str(name)) for name, i in zip(links["name"], links["index"], strict=True)]
    zones = list(dict.fromkeys(k for k in keys if k[0] == "t")) + list(dict.fromkeys(k for k in keys if k[0] == "n"))
    zone_of = {k: z for z, k in enumerate(zones)}
    zone_of_listed = np.array([zone_of[k] for k in keys], np.int64)
    zone_table = np.array([int(i) if kind == "t" else -1 for kind, i in zones], np.int64)
    zone_name = [table_names[int(i)] if kind == "t" else str(i) for kind, i in zones]
    taken = set(table_ids)
    zone_id = []
    for z, (kind, i) in enumerate(zones):
        if kind == "t":
            zone_id.append(str(table_ids[int(i)]))
            continue
        sid, n = f"zone-{z + 1}", 1
        while sid in taken:
            n += 1
            sid = f"zone-{z + 1}-{n}"
        taken.add(sid)
        zone_id.append(sid)
    return zone_of_listed, zone_table, zone_name, zone_id


def _counts(entries: pd.DataFrame, streets: pd.DataFrame, links: pd.DataFrame, issues: int,
            loose: pd.DataFrame) -> dict:
    """How many entries, streets and schools of the list matched."""
    counts = streets["status"].value_counts()
    ecounts = entries["status"].value_counts()
    return {"method": OFFICIAL, "entries": len(entries), "issues": issues, "streets": len(streets),
            "streets_matched": int(counts.get(MATCHED, 0)), "streets_loose": int(counts.get(LOOSE, 0)),
            "streets_unmatched": int(counts.get(UNMATCHED, 0)), "entries_matched": int(ecounts.get(MATCHED, 0)),
            "entries_loose": int(ecounts.get(LOOSE, 0)), "entries_unmatched": int(ecounts.get(UNMATCHED, 0)),
            "entries_rejected": int(ecounts.get(REJECTED, 0)),
            "streets_rejected": int(counts.get(REJECTED, 0)),
            "loose_rejected": int((~loose["accepted"].astype(bool) & loose["checked"].astype(bool)).sum())
            if len(loose) else 0,
            "loose_unchecked": int((~loose["accepted"].astype(bool) & ~loose["checked"].astype(bool)).sum())
            if len(loose) else 0,
            "listed_schools": len(links), "linked_schools": int(links["linked"].sum())}


def _with_unlocated_zones(result: ZoningResult, polys: np.ndarray, comp_zone: np.ndarray, n_located: int,
                          zone_id: list[str], zone_name: list[str], children: np.ndarray,
                          radius: float) -> ZoningResult:
    """The plan with the zones of listed schools not in the schools table added after the others: their
    compounds named with the zone, a catchment each (what its streets reach, as for any zone) and
    a table row without seats or walks (there is no school to walk to)."""
    k = len(zone_name) - n_located
    unl = comp_zone >= n_located
    lab = np.where(unl, comp_zone - n_located, -1)
    ids = np.asarray(zone_id[n_located:], dtype=object)
    names = np.asarray(zone_name[n_located:], dtype=object)
    tab = school_table(lab, np.zeros(len(lab)), children, ids, names, np.zeros(k), radius)
    tab["seats"] = pd.array([pd.NA] * k, dtype="Int64")
    for c in ("utilisation", "mean_m", "median_m", "p90_m", "within_radius"):
        tab[c] = np.nan
    tab["over_capacity"] = 0
    tab["compactness"] = polsby_popper(polys)
    tab["parts"] = shapely.get_num_geometries(polys)
    table = pd.concat([result.table.assign(located=True), tab.assign(located=False)], ignore_index=True)
    table["seats"] = table["seats"].astype("Int64")
    crs = result.catchments.crs
    extra = gpd.GeoDataFrame({"school_id": ids, "school_name": names}, geometry=list(polys), crs=crs)
    extra = extra.merge(tab[["school_id", "children", "seats", "utilisation"]], on="school_id")
    catchments = gpd.GeoDataFrame(pd.concat([result.catchments, extra], ignore_index=True), crs=crs)
    assignments = result.assignments.copy()
    assignments.loc[unl, "school_id"] = ids[lab[unl]]
    assignments.loc[unl, "school_name"] = names[lab[unl]]
    summary = result.summary | {"compactness": float(np.nanmean(table["compactness"]))}
    return dataclasses.replace(result, assignments=assignments, catchments=catchments, table=table,
                               summary=summary)


def compare_with_nearest(official: np.ndarray, dist: np.ndarray, names: list[str] | None = None,
                         school_names: list[str] | None = None) -> pd.DataFrame:
    """Where the official zones send a compound farther than its nearest school, and by how much.

    Parameters
    ----------
    official : ndarray of int
        The school index per compound (-1: not covered).
    dist : ndarray of float
        A schools x compounds walk matrix (:func:`geo.network.distances.distance_matrix`, same school order).
    names : list of str, optional
        The compounds' names (default: their indices).
    school_names : list of str, optional
        The schools' names; when given, ``official_name`` and ``nearest_name`` are added.

    Returns
    -------
    DataFrame
        One row per compound: ``compound``, ``official`` and ``nearest`` school, both walks (``official_m``,
        ``nearest_m``), ``extra_m`` (official - nearest, NaN when not covered) and ``farther``.
    """
    official = np.asarray(official, np.int64)
    dist = np.asarray(dist, float)
    n = dist.shape[1]
    nearest = np.argmin(np.where(np.isfinite(dist), dist, np.inf), axis=0)
    cols = np.arange(n)
    nearest_m = dist[nearest, cols]
    covered = official >= 0
    official_m = np.where(covered, dist[np.maximum(official, 0), cols], np.nan)
    extra = official_m - nearest_m
    out = pd.DataFrame({
        "compound": names if names is not None else np.arange(n),
        "official": official, "nearest": nearest,
        "official_m": official_m, "nearest_m": nearest_m, "extra_m": extra,
        "farther": covered & (extra > 1e-6),
    })
    if school_names is not None:
        sn = np.asarray(school_names, dtype=object)
        out.insert(2, "official_name", np.where(covered, sn[np.maximum(official, 0)], ""))
        out.insert(4, "nearest_name", sn[nearest])
    return out


def comparison_summary(table: pd.DataFrame, children: np.ndarray | None = None) -> dict:
    """Totals of :func:`compare_with_nearest`.

    Parameters
    ----------
    table : DataFrame
        A comparison (:func:`compare_with_nearest`).
    children : ndarray, optional
        Each compound's children, for the child-weighted figures.

    Returns
    -------
    dict
        ``compounds``, ``covered``, ``farther``, ``mean_extra_m`` and ``max_extra_m`` (over covered compounds);
        with ``children``, also ``children_farther`` and ``child_mean_extra_m``.
    """
    covered = table["official"].to_numpy() >= 0
    far = table["farther"].to_numpy()
    extra = table["extra_m"].to_numpy()
    out = {"compounds": len(table), "covered": int(covered.sum()), "farther": int(far.sum()),
           "mean_extra_m": float(np.nanmean(extra[covered])) if covered.any() else float("nan"),
           "max_extra_m": float(np.nanmax(extra[covered])) if covered.any() else float("nan")}
    if children is not None:
        c = np.asarray(children, float)
        out["children_farther"] = float(c[far].sum())
        out["child_mean_extra_m"] = float(np.sum(c[covered] * extra[covered]) / max(c[covered].sum(), 1e-9))
    return out
