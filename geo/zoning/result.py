"""One result builder: a plan (each compound's school) on the inputs becomes a :class:`ZoningResult`.

Nearest-school zoning, capacity-optimal zoning and the editor all end here, so the same labels give the
same assignments, catchments, school table and figures whichever way they were reached.

Catchments are unions of compound *cells* (:func:`compound_cells`): the Voronoi cells of street samples, each
labelled by the compound whose entrance is nearest over the streets (dense only where two compounds' streets
meet), and of samples on each compound's own outline. Any plan's catchments therefore partition the study area
and every compound lies in its own school's catchment; stray pieces without a compound or school of their own
join a neighbour (:func:`geo.zoning.catchments.absorb_fragments`). Cells are computed once per inputs; a plan
costs one union per school (and the editor re-unions only the catchments an edit changes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.inputs.model import Inputs
from geo.network.graph import Network
from geo.zoning.catchments import absorb_fragments, clip_to_area, edge_samples, labelled_cells, outline_samples
from geo.zoning.contiguity import UnitGraph, islands, node_labels
from geo.zoning.metrics import polsby_popper, school_table, summary

if TYPE_CHECKING:  # geo.zoning.scenario imports this module
    from geo.zoning.scenario import Scenario

Warning_ = tuple[str, dict]


@dataclass(frozen=True, eq=False)
class ZoningResult:
    """Everything a zoning produces, in the network's projected CRS.

    Attributes
    ----------
    scenario
        What was computed (level and method).
    schools
        The schools of the level (with ``seats``).
    assignments
        One row per compound with ``school_id``, ``school_name``, ``distance_m`` (walk, including the walk to
        the nearest street), ``straight_m`` and ``snap_m``.
    catchments
        One polygon per school, with ``children``, ``seats`` and ``utilisation``.
    table
        The school figures (:func:`geo.zoning.metrics.school_table`, plus ``compactness`` and ``parts``).
    node_label, node_dist
        Each street node's school (index, -1: none) and walk to it.
    summary
        District figures (children, walks, moved children, islands, ...; the service radius ``radius_m`` and whether
        it is the GB 50180 default, ``radius_default``; ``straight_line`` when the inputs have no streets; a
        solver's status and gap).
    warnings
        ``(translation key, params)`` pairs.
    """

    scenario: Scenario
    schools: gpd.GeoDataFrame
    assignments: gpd.GeoDataFrame
    catchments: gpd.GeoDataFrame
    table: pd.DataFrame
    node_label: np.ndarray
    node_dist: np.ndarray
    summary: dict[str, Any]
    warnings: tuple[Warning_, ...]


def radius_phrase(summary: dict[str, Any]) -> list[tuple[str, dict]]:
    """The service radius of a result's figures as a text phrase: "500 m (GB 50180 default, a Chinese
    standard)", or "800 m (as set)".

    Parameters
    ----------
    summary : dict
        A :class:`ZoningResult`'s summary (``radius_m``, ``radius_default``).

    Returns
    -------
    list of (key, params)
        One phrase, for a text parameter (:func:`geo.render.i18n.t`).
    """
    default = bool(summary.get("radius_default", True))
    return [("radius.default" if default else "radius.set", {"m": float(summary.get("radius_m", float("nan")))})]


@dataclass(frozen=True, eq=False)
class CompoundCells:
    """The study area cut into small cells, each belonging to one compound (:func:`compound_cells`).

    Attributes
    ----------
    cells
        The cells (polygons, projected), grouped by compound: compound ``i`` owns
        ``cells[bounds[i]:bounds[i + 1]]``.
    bounds
        ``n_compounds + 1`` offsets into ``cells``.
    area
        The study area the cells are cut to when unioned.
    """

    cells: np.ndarray
    bounds: np.ndarray
    area: BaseGeometry


def compound_cells(network: Network, graph: UnitGraph, compound_geoms: np.ndarray, area: BaseGeometry
                   ) -> CompoundCells:
    """The Voronoi cells of street samples labelled by the compound whose entrance is nearest over the streets
    and of samples on each compound's outline (as the crow flies from the outlines on a straight-line network).

    Parameters
    ----------
    network
        The street network.
    graph
        The compounds' unit graph (each street node's compound and walk).
    compound_geoms
        Each compound's outline (projected).
    area
        The study area.

    Returns
    -------
    CompoundCells
    """
    m = len(compound_geoms)
    if network.straight_line:  # no streets: a compound's cells are the part of the area nearest its outline
        xy, lab = np.zeros((0, 2)), np.zeros(0, np.int64)
    else:
        xy, lab = edge_samples(network, graph.unit_of_node, graph.node_dist)
    oxy, olab = outline_samples(compound_geoms, np.arange(m))
    cells, label = labelled_cells(np.concatenate([xy, oxy]), np.concatenate([lab, olab]), area)
    keep = label < m
    return CompoundCells(cells[keep], np.searchsorted(label[keep], np.arange(m + 1)), area)


def union_cells(cells: CompoundCells, units: np.ndarray) -> BaseGeometry:
    """The catchment made of the cells of ``units`` (compound indices), cut to the study area.

    Parameters
    ----------
    cells
        :func:`compound_cells`.
    units
        Compound indices.

    Returns
    -------
    polygon
        Empty when ``units`` is.
    """
    units = np.asarray(units, np.int64)
    start, end = cells.bounds[units], cells.bounds[units + 1]
    size = end - start
    if size.sum() == 0:
        return shapely.Polygon()
    at = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size) + np.repeat(start, size)
    return clip_to_area(np.array([shapely.coverage_union_all(cells.cells[at])], dtype=object), cells.area)[0]


def catchment_polygons(cells: CompoundCells, label: np.ndarray, k: int,
                       union: Callable[[np.ndarray], BaseGeometry] | None = None) -> np.ndarray:
    """One polygon per school ``0..k-1``: the union of its compounds' cells (compounds labelled -1 are in none).

    Parameters
    ----------
    cells
        :func:`compound_cells`.
    label
        Each compound's school (index, -1: none).
    k
        How many schools.
    union
        Makes the polygon of a sorted array of compound indices; the editor passes a cached one. Default:
        :func:`union_cells`.

    Returns
    -------
    polygons
        An object array of ``k`` (multi)polygons.
    """
    union = union or (lambda units: union_cells(cells, units))
    label = np.asarray(label, np.int64)
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(k + 1))
    polys = np.empty(k, dtype=object)
    for j in range(k):  # one union per school, not per compound
        polys[j] = union(np.sort(order[bounds[j]:bounds[j + 1]]))
    return polys


def build_result(inputs: Inputs, scenario: Scenario, schools: gpd.GeoDataFrame, label: np.ndarray,
                 dist: np.ndarray, *, s_node: np.ndarray, children: np.ndarray, baseline: np.ndarray | None = None,
                 warnings: Iterable[Warning_] = (), polygons: np.ndarray | None = None,
                 extra_columns: dict[str, Any] | None = None, extra_summary: dict[str, Any] | None = None,
                 union: Callable[[np.ndarray], BaseGeometry] | None = None,
                 node_label: np.ndarray | None = None, node_dist: np.ndarray | None = None) -> ZoningResult:
    """The result of a plan: assignments, catchments, school table and summary.

    Parameters
    ----------
    inputs : geo.inputs.model.Inputs
        What was zoned.
    scenario : geo.zoning.scenario.Scenario
        Recorded on the result.
    schools : GeoDataFrame
        The schools of the level, in label order (``school_id``, ``name``, ``seats``), WGS-84.
    label : ndarray of int
        Each compound's school index into ``schools`` (-1: none).
    dist : ndarray of float
        Each compound's walk to its school (metres; ignored where ``label`` is -1).
    s_node : ndarray of int
        Each school's street node (for islands).
    children : ndarray
        Each compound's children of the level.
    baseline : ndarray of str, optional
        Each compound's school id in the starting plan (nearest school), for the moved-children figures;
        default: this plan (nothing moved).
    warnings : sequence of (key, params)
        Carried onto the result.
    polygons : ndarray of geometries, optional
        Catchments to use instead of unions of cells: the nearest-school methods draw every point's nearest
        school (along the streets, or the Voronoi cells of the schools).
    extra_columns, extra_summary : dict, optional
        Added to the assignments table / the summary (the editor's ``locked`` and ``edits``; a solver's
        status and gap).
    union : callable, optional
        Polygon of a sorted array of compound indices (a cached :func:`union_cells`).
    node_label, node_dist : ndarray, optional
        Each street node's school and walk to it, where the method labels streets itself (nearest school by
        network; give both); default: the school of the compound whose region the node is in.

    Returns
    -------
    ZoningResult
    """
    net = inputs.network
    graph = inputs.unit_graph
    label = np.asarray(label, np.int64)
    m, k = label.size, len(schools)
    ok = label >= 0
    sid = schools["school_id"].astype(str).to_numpy()
    names = schools["name"].astype(str).to_numpy()
    dist = np.where(ok, np.asarray(dist, float), np.inf)
    schools_xy = shapely.get_coordinates(schools.geometry.to_crs(net.crs).to_numpy())
    if polygons is None:
        polygons = absorb_fragments(catchment_polygons(inputs.cells, label, k, union),
                                    np.concatenate([schools_xy.reshape(-1, 2), inputs.compound_xy]),
                                    np.concatenate([np.arange(k), label]))

    at = np.maximum(label, 0)
    straight = np.where(ok, np.hypot(*(inputs.compound_xy - schools_xy[at]).T) if k else np.nan, np.nan)
    ids = np.where(ok, sid[at] if k else "", "")
    assignments = gpd.GeoDataFrame({
        "compound_id": inputs.compounds["compound_id"].astype(str).to_numpy(),
        "name": inputs.compounds["name"].to_numpy(),
        "children": children,
        "school_id": ids,
        "school_name": np.where(ok, names[at] if k else "", ""),
        "distance_m": dist,
        "straight_m": straight,
        "snap_m": inputs.compound_snap[1],
        **(extra_columns or {}),
    }, geometry=inputs.compounds_projected.to_numpy(), crs=net.crs)

    radius = scenario.radius
    table = school_table(label, dist, children, sid, names, schools["seats"].to_numpy(), radius)
    table["compactness"] = polsby_popper(polygons)
    table["parts"] = shapely.get_num_geometries(polygons)
    catchments = gpd.GeoDataFrame({"school_id": sid, "school_name": names}, geometry=polygons, crs=net.crs)
    catchments = catchments.merge(table[["school_id", "children", "seats", "utilisation"]], on="school_id")

    island = islands(graph, label, s_node, children) if k else np.zeros(m, bool)
    moved = ids != (ids if baseline is None else np.asarray(baseline).astype(str))
    totals = summary(label, dist, children, radius) | {
        "schools": k, "compounds": m,
        "over_capacity": int(table["over_capacity"].sum()),
        "moved_children": int(np.asarray(children, np.int64)[moved].sum()), "moved_compounds": int(moved.sum()),
        "compactness": float(np.nanmean(table["compactness"])) if len(table) else float("nan"),
        "islands": int(island.sum()),
        "radius_m": radius, "radius_default": scenario.radius_m <= 0,
        "straight_line": bool(net.straight_line),
    } | (extra_summary or {})
    if node_label is None or node_dist is None:
        node_label, node_dist = node_labels(graph, label), graph.node_dist
    return ZoningResult(scenario, schools.to_crs(net.crs), assignments, catchments, table, node_label, node_dist,
                        totals, tuple(warnings))
