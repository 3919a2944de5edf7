"""Live what-if zoning: apply a plan's edits and recompute only what they change.

The heavy, plan-independent work is done once per inputs and level (:class:`Editor`):

* every compound gets a *tile*, the part of the study area nearest to it over the streets (Voronoi cells
  of street samples labelled by the compound whose entrance is nearest, plus its own outline), so a
  catchment is simply the union of its compounds' tiles and the catchments partition the area;
* each school's walking distance to every compound (one Dijkstra per school), kept per school position,
  so adding or moving a school costs one Dijkstra.

After an edit, :meth:`Editor.result` takes the nearest open school of each compound, applies the planner's
reassignments and locks, and re-unions the tiles only of catchments whose compounds changed. The result
is a :class:`geo.scenario.ZoningResult`, so the map, the table and the exports treat it like any zoning.
"""

from __future__ import annotations

from collections import OrderedDict

import geopandas as gpd
import numpy as np
import shapely

from geo.assignment import NETWORK
from geo.catchments import edge_samples, outline_samples, polygons_from_sites
from geo.contiguity import islands, node_labels
from geo.demand import children_column
from geo.distances import distance_matrix, snap
from geo.edits import Edit, plan_overrides, school_changes
from geo.metrics import RADIUS_M, polsby_popper, school_table, summary
from geo.scenario import Inputs, Scenario, ZoningResult
from geo.schools import schools_for_level

_POLY_CACHE = 512


class Editor:
    """Incremental zoning of one level of ``inputs`` under a list of edits."""

    def __init__(self, inputs: Inputs, level: str) -> None:
        self.inputs = inputs
        self.level = level
        net = inputs.network
        graph = inputs.unit_graph
        self.children = inputs.compounds[children_column(level)].to_numpy()
        self.compound_ids = inputs.compounds["compound_id"].astype(str).to_numpy()
        self._index = {c: i for i, c in enumerate(self.compound_ids)}
        geoms = inputs.compounds_projected.to_numpy()
        m = len(geoms)
        xy, lab = edge_samples(net, graph.unit_of_node, graph.node_dist)
        oxy, olab = outline_samples(geoms, np.arange(m))
        self.tiles = polygons_from_sites(np.concatenate([xy, oxy]), np.concatenate([lab, olab]), m, inputs.area)
        self._rows: dict[tuple, np.ndarray] = {}
        self._polys: OrderedDict[bytes, object] = OrderedDict()
        self._base_ids: np.ndarray | None = None
        self._base_ids = self.result(()).assignments["school_id"].to_numpy()

    # --- cached pieces ------------------------------------------------------------------------------

    def _distance_rows(self, schools: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Walking distance from each school to every compound (schools x compounds), and school nodes."""
        net = self.inputs.network
        xy = shapely.get_coordinates(schools.geometry.to_crs(net.crs).to_numpy())
        nodes, offsets = snap(net, xy)
        keys = [(sid, round(float(x), 2), round(float(y), 2)) for sid, (x, y) in zip(schools["school_id"], xy)]
        missing = [i for i, k in enumerate(keys) if k not in self._rows]
        if missing:
            u_node, u_off = self.inputs.compound_snap
            d = distance_matrix(net, nodes[missing], offsets[missing], u_node, u_off)
            for r, i in enumerate(missing):
                self._rows[keys[i]] = d[r]
        rows = np.vstack([self._rows[k] for k in keys]) if keys else np.zeros((0, len(self.children)))
        return rows, nodes

    def _polygon(self, units: np.ndarray):
        key = units.astype(np.int32).tobytes()
        poly = self._polys.get(key)
        if poly is None:
            poly = shapely.coverage_union_all(self.tiles[units]) if units.size else shapely.Polygon()
            if poly.geom_type not in ("Polygon", "MultiPolygon") and not poly.is_empty:
                poly = shapely.union_all([p for p in shapely.get_parts(poly)
                                          if p.geom_type in ("Polygon", "MultiPolygon")])
            self._polys[key] = poly
            if len(self._polys) > _POLY_CACHE:
                self._polys.popitem(last=False)
        else:
            self._polys.move_to_end(key)
        return poly

    # --- the plan -----------------------------------------------------------------------------------

    def result(self, edits: tuple[Edit, ...] | list[Edit]) -> ZoningResult:
        """The zoning after ``edits`` (in order); half-finished plans are fine and come with warnings."""
        inputs, level = self.inputs, self.level
        net = inputs.network
        warnings: list = []
        schools = schools_for_level(school_changes(inputs.schools, edits), level)
        sid = schools["school_id"].astype(str).to_numpy()
        where = {s: j for j, s in enumerate(sid)}
        rows, s_node = self._distance_rows(schools)
        m = len(self.children)
        reach = np.isfinite(rows)
        label = np.where(reach.any(axis=0), np.argmin(np.where(reach, rows, np.inf), axis=0), -1) if len(sid) else \
            np.full(m, -1)
        over = plan_overrides(edits, level)
        gone: set[str] = set()
        for table in (over.assigned, over.locked):  # locks last: a lock has the final word
            for cid, s in table.items():
                i = self._index.get(cid)
                if i is None:
                    continue
                if s in where:
                    label[i] = where[s]
                else:
                    gone.add(s)
        if gone:
            warnings.append(("edit.warn_school_gone", {"schools": ", ".join(sorted(gone))}))
        dist = np.where(label >= 0, rows[np.maximum(label, 0), np.arange(m)] if len(sid) else np.inf, np.inf)
        if (label < 0).any():
            warnings.append(("edit.warn_unassigned", {"count": int((label < 0).sum())}))

        polys = np.empty(len(sid), dtype=object)
        order = np.argsort(label, kind="stable")
        bounds = np.searchsorted(label[order], np.arange(len(sid) + 1))
        for j in range(len(sid)):
            polys[j] = self._polygon(np.sort(order[bounds[j]:bounds[j + 1]]))

        radius = RADIUS_M[level]
        names = schools["name"].astype(str).to_numpy()
        table = school_table(label, dist, self.children, sid, names, schools["seats"].to_numpy(), radius)
        table["compactness"] = polsby_popper(polys)
        table["parts"] = shapely.get_num_geometries(polys)
        full = table.loc[table["over_capacity"] > 0, "name"].tolist()
        if full:
            more = len(full) - 5
            warnings.append(("edit.warn_over_capacity" if more <= 0 else "edit.warn_over_capacity_more",
                             {"count": len(full), "schools": ", ".join(full[:5]), "more": more}))
        island = islands(inputs.unit_graph, label, s_node, self.children) if len(sid) else np.zeros(m, bool)
        if island.any():
            warnings.append(("opt.not_contiguous", {"count": int(island.sum())}))

        geoms = inputs.compounds_projected.to_numpy()
        school_xy = shapely.get_coordinates(schools.geometry.to_crs(net.crs).to_numpy())
        straight = np.where(label >= 0, np.hypot(*(inputs.compound_xy - school_xy[np.maximum(label, 0)]).T)
                            if len(sid) else np.nan, np.nan)
        assignments = gpd.GeoDataFrame({
            "compound_id": self.compound_ids,
            "name": inputs.compounds["name"].to_numpy(),
            "children": self.children,
            "school_id": np.where(label >= 0, sid[np.maximum(label, 0)] if len(sid) else "", ""),
            "school_name": np.where(label >= 0, names[np.maximum(label, 0)] if len(sid) else "", ""),
            "distance_m": dist,
            "straight_m": straight,
            "snap_m": inputs.compound_snap[1],
            "locked": np.isin(self.compound_ids, list(over.locked)),
        }, geometry=geoms, crs=net.crs)
        catchments = gpd.GeoDataFrame({"school_id": sid, "school_name": names}, geometry=polys, crs=net.crs)
        catchments = catchments.merge(table[["school_id", "children", "seats", "utilisation"]], on="school_id")
        base = self._base_ids if self._base_ids is not None else assignments["school_id"].to_numpy()
        moved = assignments["school_id"].to_numpy() != base
        totals = summary(label, dist, self.children, radius) | {
            "schools": len(sid), "compounds": m,
            "over_capacity": int(table["over_capacity"].sum()),
            "moved_children": int(self.children[moved].sum()), "moved_compounds": int(moved.sum()),
            "compactness": float(np.nanmean(table["compactness"])) if len(table) else float("nan"),
            "islands": int(island.sum()), "edits": len(edits),
        }
        graph = inputs.unit_graph
        return ZoningResult(Scenario(level=level, method=NETWORK), schools.to_crs(net.crs), assignments, catchments,
                            table, node_labels(graph, label), graph.node_dist, totals, tuple(warnings))

    def compound_at(self, lon: float, lat: float) -> str | None:
        """The compound under a map click (WGS-84), or the nearest within 30 m; None if there is none."""
        pt = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(self.inputs.network.crs).iloc[0]
        geoms = self.inputs.compounds_projected
        d = geoms.distance(pt).to_numpy()
        i = int(np.argmin(d)) if d.size else -1
        return str(self.compound_ids[i]) if i >= 0 and d[i] <= 30.0 else None

    def compounds_in(self, polygon_wgs84) -> list[str]:
        """Compounds whose inside point lies in a drawn polygon (WGS-84)."""
        poly = gpd.GeoSeries([polygon_wgs84], crs="EPSG:4326").to_crs(self.inputs.network.crs).iloc[0]
        pts = shapely.points(self.inputs.compound_xy)
        return [str(c) for c in self.compound_ids[shapely.contains(poly, pts)]]
