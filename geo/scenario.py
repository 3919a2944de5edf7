"""A scenario (level, method) run on the inputs (network, schools, compounds): the data flow in one call.

``run_scenario(inputs, scenario)`` is pure: the same inputs and scenario give the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.assignment import METHODS, NETWORK, nearest_by_network, nearest_by_straight_line
from geo.catchments import absorb_fragments, edge_samples, outline_samples, polygons_from_sites, study_area
from geo.demand import children_column
from geo.distances import SNAP_WARN_M, snap
from geo.errors import InputError
from geo.metrics import RADIUS_M, school_table, summary
from geo.network import Network
from geo.schools import LEVELS, PRIMARY, schools_for_level

# A school or compound farther than this from every street is outside the network's area.
OUTSIDE_M = 2000.0

Warning_ = tuple[str, dict]


@dataclass(frozen=True)
class Scenario:
    """What to compute: the school level and the zoning method."""

    level: str = PRIMARY
    method: str = NETWORK

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")


@dataclass(frozen=True, eq=False)
class Inputs:
    """The data a zoning runs on. Tables are in WGS-84; work happens in the network's projected CRS.

    ``sources`` names where schools and compounds came from (file names), for messages.
    """

    network: Network
    schools: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    name: str = ""
    sources: dict = field(default_factory=dict)
    warnings: tuple[Warning_, ...] = ()

    @cached_property
    def compounds_projected(self) -> gpd.GeoSeries:
        return self.compounds.geometry.to_crs(self.network.crs)

    @cached_property
    def compound_xy(self) -> np.ndarray:
        return shapely.get_coordinates(self.compounds_projected.representative_point().to_numpy())

    @cached_property
    def compound_snap(self) -> tuple[np.ndarray, np.ndarray]:
        return snap(self.network, self.compound_xy)

    @cached_property
    def area(self):
        """Where the schools and compounds are (see :func:`geo.catchments.study_area`)."""
        pts = [shapely.get_coordinates(self.compounds_projected.to_numpy()),
               shapely.get_coordinates(self.schools.geometry.to_crs(self.network.crs).to_numpy())]
        return study_area(np.concatenate([p for p in pts if len(p)]), self.network.xy)


@dataclass(frozen=True, eq=False)
class ZoningResult:
    """Everything a zoning produces, in the network's projected CRS.

    schools: the schools of the level (with ``seats``); assignments: one row per compound with
    ``school_id``, ``school_name``, ``distance_m`` (walk, including the walk to the nearest street),
    ``straight_m`` and ``snap_m``; catchments: one polygon per school; table: the school figures.
    """

    scenario: Scenario
    schools: gpd.GeoDataFrame
    assignments: gpd.GeoDataFrame
    catchments: gpd.GeoDataFrame
    table: pd.DataFrame
    node_label: np.ndarray
    node_dist: np.ndarray
    summary: dict
    warnings: tuple[Warning_, ...]


def _row_name(df: pd.DataFrame, i: int) -> str:
    return str(df["name"].iloc[i]) or str(df.iloc[i, 0])


def run_scenario(inputs: Inputs, scenario: Scenario) -> ZoningResult:
    """Zone the compounds of ``inputs`` for ``scenario`` and build catchments and figures."""
    net = inputs.network
    level = scenario.level
    # Keep each school's row in the user's file: messages must name that row, not its place among the level's.
    schools = schools_for_level(inputs.schools.assign(_file_row=np.arange(1, len(inputs.schools) + 1)), level)
    school_rows = schools.pop("_file_row").to_numpy()
    if len(schools) == 0:
        raise InputError("err.no_schools_level", level=f"@level.{level}")
    warnings: list[Warning_] = list(inputs.warnings)

    school_xy = shapely.get_coordinates(schools.geometry.to_crs(net.crs).to_numpy())
    s_node, s_off = snap(net, school_xy)
    u_node, u_off = inputs.compound_snap
    _check_snaps(schools, s_off, inputs.sources.get("schools", "schools"), "school", warnings, school_rows)
    _check_snaps(inputs.compounds, u_off, inputs.sources.get("compounds", "compounds"), "compound", warnings)
    _, first = np.unique(s_node, return_index=True)
    for i in sorted(set(range(len(s_node))) - set(first)):
        j = int(np.flatnonzero(s_node == s_node[i])[0])
        warnings.append(("warn.shared_node", {"a": _row_name(schools, j), "b": _row_name(schools, i)}))

    if scenario.method == NETWORK:
        node_label, node_dist, label, dist = nearest_by_network(net, s_node, s_off, u_node, u_off)
    else:
        node_label, node_dist, label, dist = nearest_by_straight_line(net, school_xy, s_node, s_off,
                                                                      inputs.compound_xy, u_node, u_off)
    if (label < 0).any():
        i = int(np.flatnonzero(label < 0)[0])
        raise InputError("err.unreachable", name=_row_name(inputs.compounds, i), level=f"@level.{level}")

    children = inputs.compounds[children_column(level)].to_numpy()
    straight = np.hypot(*(inputs.compound_xy - school_xy[label]).T)
    geoms = inputs.compounds_projected.to_numpy()
    assignments = gpd.GeoDataFrame({
        "compound_id": inputs.compounds["compound_id"].to_numpy(),
        "name": inputs.compounds["name"].to_numpy(),
        "children": children,
        "school_id": schools["school_id"].to_numpy()[label],
        "school_name": schools["name"].to_numpy()[label],
        "distance_m": dist,
        "straight_m": straight,
        "snap_m": u_off,
    }, geometry=geoms, crs=net.crs)

    if scenario.method == NETWORK:
        xy, lab = edge_samples(net, node_label, node_dist)
        oxy, olab = outline_samples(geoms, label)
        polys = polygons_from_sites(np.concatenate([xy, oxy]), np.concatenate([lab, olab]), len(schools),
                                    inputs.area)
        polys = absorb_fragments(polys, np.concatenate([school_xy, inputs.compound_xy]),
                                 np.concatenate([np.arange(len(schools)), label]))
    else:
        polys = polygons_from_sites(school_xy, np.arange(len(schools)), len(schools), inputs.area)
    catchments = gpd.GeoDataFrame({
        "school_id": schools["school_id"].to_numpy(),
        "school_name": schools["name"].to_numpy(),
    }, geometry=polys, crs=net.crs)

    radius = RADIUS_M[level]
    table = school_table(label, dist, children, schools["school_id"].to_numpy(), schools["name"].to_numpy(),
                         schools["seats"].to_numpy(), radius)
    catchments = catchments.merge(table[["school_id", "children", "seats", "utilisation"]], on="school_id")
    return ZoningResult(scenario, schools.to_crs(net.crs), assignments, catchments, table, node_label, node_dist,
                        summary(label, dist, children, radius) | {"schools": len(schools),
                                                                  "compounds": len(assignments)},
                        tuple(warnings))


def _check_snaps(df: pd.DataFrame, snap_m: np.ndarray, file: str, kind: str, warnings: list[Warning_],
                 rows: np.ndarray | None = None) -> None:
    far = np.flatnonzero(snap_m > OUTSIDE_M)
    if far.size:
        i = int(far[0])
        raise InputError("err.outside_network", kind=f"@kind.{kind}", name=_row_name(df, i), file=file,
                         row=int(rows[i]) if rows is not None else i + 1,
                         dist=float(snap_m[i]))
    for i in np.flatnonzero(snap_m > SNAP_WARN_M):
        warnings.append(("warn.snap_far", {"kind": f"@kind.{kind}", "name": _row_name(df, int(i)), "dist": float(snap_m[i]),
                                           "limit": SNAP_WARN_M}))
