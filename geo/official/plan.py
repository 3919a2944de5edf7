"""An official zone list read against a dataset, as a plan: :func:`official_plan`.

Each compound goes to the zone of its nearest listed street (:func:`~geo.official.edges.node_labels_from_edges`);
the plan is then built by the one result builder, :func:`geo.zoning.result.build_result`, as every plan is, so
the same labels give the same assignments, school table and catchments as in the editor or a scenario. The
report says what was matched, what was not, and where the list sends a compound farther than its nearest
school (:func:`compare_with_nearest`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.inputs.demand import children_column
from geo.inputs.schools import PRIMARY, schools_for_level
from geo.network.distances import distance_matrix, snap
from geo.official.edges import EdgeAssignment, assign_edges, node_labels_from_edges
from geo.official.match import link_schools, match_entries, match_report, street_index
from geo.official.names import LOOSE, MATCHED, UNMATCHED
from geo.official.parse import ZoneText, parse_zone_text
from geo.zoning.assignment import NETWORK
from geo.zoning.metrics import RADIUS_M, polsby_popper, school_table
from geo.zoning.result import ZoningResult, build_result, catchment_polygons
from geo.zoning.scenario import Scenario

if TYPE_CHECKING:  # annotations only
    from geo.inputs.model import Inputs

OFFICIAL = "official"
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
    """

    entries: pd.DataFrame
    issues: pd.DataFrame
    streets: pd.DataFrame
    schools: pd.DataFrame
    edges: EdgeAssignment | None
    comparison: pd.DataFrame
    summary: dict


def official_plan(inputs: Inputs, zone: ZoneText | str, level: str = PRIMARY, address: str = "street"
                  ) -> tuple[ZoningResult | None, OfficialReport]:
    """An official zone list read against a dataset, as a plan.

    One zone per listed school: first the zones of listed schools found in the schools table (in order of
    listing; two names for one table school are one zone), then those of listed schools found nowhere. Each
    compound is in the zone of its nearest listed street (none where no listed street is within reach).

    The result is built by :func:`geo.zoning.result.build_result` from each compound's zone, as the editor and
    :func:`~geo.zoning.scenario.run_scenario` build theirs: catchments are unions of compound tiles, walks go
    to the zone's school. A zone whose school is not in the table has no place to measure walks to: its
    compounds are named with the zone (``school_id`` ``zone-N``) but count as unassigned in the figures, and
    its row in the table and its catchment have no seats (``located`` False). Street nodes keep the list's
    own labels (``node_label``: the zone of the nearest listed street), so the plan written back as text
    (:func:`geo.official.write.plan_zone_text`) lists the listed streets.

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

    Returns
    -------
    result : ZoningResult or None
        The plan (``summary["method"] == "official"``; ``schools``: the listed schools found in the table;
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
    streets = match_report(entries)
    table = schools_for_level(inputs.schools, level).reset_index(drop=True)
    table_ids = table["school_id"].astype(str).to_numpy()
    table_names = [str(n) for n in table["name"]]
    listed = [str(s) for s in dict.fromkeys(entries["school"])]
    links = link_schools(listed, table_names)
    links["entries"] = links["name"].map(entries["school"].value_counts()).fillna(0).astype(int)
    links["linked"] = links["index"] >= 0
    links["school_id"] = [table_ids[i] if i >= 0 else "" for i in links["index"]]
    zone_of_listed, zone_table, zone_name, zone_id = _zones(links, table_ids, table_names)
    n_located = int((zone_table >= 0).sum())

    children = inputs.compounds[children_column(level)].to_numpy()
    m = len(children)
    u_node, u_off = inputs.compound_snap
    totals = _counts(entries, streets, links, len(zone.issues)) | {"zones": len(zone_name)}

    if len(table):
        s_node, s_off = snap(net, shapely.get_coordinates(table.geometry.to_crs(net.crs).to_numpy()))
        dist = distance_matrix(net, s_node, s_off, u_node, u_off)
    else:
        s_node, dist = np.zeros(0, np.int64), np.zeros((0, m))

    edges = None
    if (entries["status"] != UNMATCHED).any():
        edges = assign_edges(net, entries, None, address=address, index=index)  # schools: ``listed``, in order
        remap = np.append(zone_of_listed, -1)  # -1 stays -1
        edges = EdgeAssignment(remap[edges.edge_school], tuple(zone_name), edges.flags, edges.conflicts,
                               edges.skipped)
    if edges is None or not (edges.edge_school >= 0).any():
        comparison = pd.DataFrame(columns=COMPARISON_COLUMNS)
        return None, OfficialReport(entries, zone.issues, streets, links, edges, comparison,
                                    totals | {"compounds": m, "listed_compounds": 0, "covered": 0,
                                              "farther": 0, "children_farther": 0.0})

    node_label, node_dist = node_labels_from_edges(net, edges.edge_school)
    comp_zone = node_label[u_node]  # each compound's zone, -1: no listed street within reach
    listed_m = node_dist[u_node] + u_off
    official = np.where(comp_zone >= 0, zone_table[np.maximum(comp_zone, 0)], -1)  # its table school
    located = official >= 0
    label = np.where(located, comp_zone, -1)  # located zones come first: a zone's index is its school's
    walk = dist[np.maximum(official, 0), np.arange(m)] if len(table) else np.full(m, np.nan)
    walk = np.where(located, walk, np.nan)

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
    totals |= {"listed_compounds": int(inside.sum()), "unlisted_children": float(children[~inside].sum()),
               "unlocated_compounds": int((inside & ~located).sum()),
               "listed_m": float(net.edge_length[edges.edge_school >= 0].sum()) / (2 if net.mode == "walk" else 1),
               "covered": comp["covered"], "farther": comp["farther"], "children_farther": comp["children_farther"],
               "mean_extra_m": comp["mean_extra_m"], "max_extra_m": comp["max_extra_m"],
               "child_mean_extra_m": comp["child_mean_extra_m"]}
    located_rows = zone_table[:n_located]
    result = build_result(
        inputs, Scenario(level, NETWORK), table.iloc[located_rows].reset_index(drop=True), label, walk,
        s_node=s_node[located_rows], children=children, baseline=nearest, warnings=inputs.warnings,
        extra_columns={"listed_street_m": listed_m, "farther": comparison["farther"].to_numpy(bool),
                       "extra_m": comparison["extra_m"].to_numpy(float)},
        extra_summary=totals, node_label=node_label, node_dist=node_dist)
    if n_located < len(zone_name):
        result = _with_unlocated_zones(result, inputs.tiles, comp_zone, n_located, zone_id, zone_name, children,
                                       RADIUS_M[level])
    else:
        result = dataclasses.replace(result, table=result.table.assign(located=True))
    return result, OfficialReport(entries, zone.issues, streets, links, edges, comparison, result.summary)


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


def _counts(entries: pd.DataFrame, streets: pd.DataFrame, links: pd.DataFrame, issues: int) -> dict:
    """How many entries, streets and schools of the list matched."""
    counts = streets["status"].value_counts()
    ecounts = entries["status"].value_counts()
    return {"method": OFFICIAL, "entries": len(entries), "issues": issues, "streets": len(streets),
            "streets_matched": int(counts.get(MATCHED, 0)), "streets_loose": int(counts.get(LOOSE, 0)),
            "streets_unmatched": int(counts.get(UNMATCHED, 0)), "entries_matched": int(ecounts.get(MATCHED, 0)),
            "entries_loose": int(ecounts.get(LOOSE, 0)), "entries_unmatched": int(ecounts.get(UNMATCHED, 0)),
            "listed_schools": len(links), "linked_schools": int(links["linked"].sum())}


def _with_unlocated_zones(result: ZoningResult, tiles: np.ndarray, comp_zone: np.ndarray, n_located: int,
                          zone_id: list[str], zone_name: list[str], children: np.ndarray,
                          radius: float) -> ZoningResult:
    """The plan with the zones of listed schools not in the schools table added after the others: their
    compounds named with the zone, a catchment each (the union of their compounds' tiles, as for any zone) and
    a table row without seats or walks (there is no school to walk to)."""
    k = len(zone_name) - n_located
    unl = comp_zone >= n_located
    lab = np.where(unl, comp_zone - n_located, -1)
    ids = np.asarray(zone_id[n_located:], dtype=object)
    names = np.asarray(zone_name[n_located:], dtype=object)
    polys = catchment_polygons(tiles, lab, k)
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
