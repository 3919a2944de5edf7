"""Live what-if zoning: apply a plan's edits and recompute only what they change.

The heavy, plan-independent work is done once per inputs and level (:class:`Editor`):

* every compound gets a *tile*, the part of the study area nearest to it over the streets (Voronoi cells
  of street samples labelled by the compound whose entrance is nearest, plus its own outline), so a
  catchment is simply the union of its compounds' cells and the catchments partition the area;
* each school's walking distance to every compound (one Dijkstra per school), kept per school position,
  so adding or moving a school costs one Dijkstra.

Before an edit is stored, :meth:`Editor.check` refuses one that would break the plan (a school edit naming no
open school, closing the last school of a level, a school placed off the street network, as ``xuequ zones``
refuses such a school); a stored history that holds such an edit anyway still loads: :meth:`Editor.result`
skips it, with a warning naming it.

After an edit, :meth:`Editor.result` takes the nearest open school of each compound, applies the planner's
reassignments and locks, and re-unions the cells only of catchments whose compounds changed. The result
is a :class:`geo.zoning.scenario.ZoningResult`, so the map, the table and the exports treat it like any zoning.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import InputError
from geo.inputs.demand import children_column
from geo.inputs.model import Inputs
from geo.inputs.schools import schools_for_level
from geo.network.distances import distance_matrix, snap, straight_matrix
from geo.plans.edits import ADD_SCHOOL, Edit, check_edits, plan_overrides, school_changes
from geo.zoning.assignment import NETWORK
from geo.zoning.result import ZoningResult, build_result, union_cells
from geo.zoning.scenario import OUTSIDE_M, Scenario

_POLY_CACHE = 512


class Editor:
    """Incremental zoning of one level of ``inputs`` under a list of edits.

    Parameters
    ----------
    inputs
        The network, schools and compounds (the compounds' cells are computed on first use).
    level
        "primary" or "junior".
    """

    def __init__(self, inputs: Inputs, level: str) -> None:
        self.inputs = inputs
        self.level = level
        self.children = inputs.compounds[children_column(level)].to_numpy()
        self.compound_ids = inputs.compounds["compound_id"].astype(str).to_numpy()
        self._index = {c: i for i, c in enumerate(self.compound_ids)}
        self.cells = inputs.cells
        self._rows: dict[tuple, np.ndarray] = {}
        self._snaps: dict[tuple[float, float], float] = {}
        self._polys: OrderedDict[bytes, BaseGeometry] = OrderedDict()
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
        if missing and net.straight_line:  # no streets: straight lines (geo.inputs.load.load_inputs)
            d = straight_matrix(xy[missing], self.inputs.compound_xy)
        elif missing:
            u_node, u_off = self.inputs.compound_snap
            d = distance_matrix(net, nodes[missing], offsets[missing], u_node, u_off)
        for r, i in enumerate(missing):
            self._rows[keys[i]] = d[r]
        rows = np.vstack([self._rows[k] for k in keys]) if keys else np.zeros((0, len(self.children)))
        return rows, nodes

    def _polygon(self, units: np.ndarray) -> BaseGeometry:
        key = units.astype(np.int32).tobytes()
        poly = self._polys.get(key)
        if poly is None:
            poly = union_cells(self.cells, units)
            self._polys[key] = poly
            if len(self._polys) > _POLY_CACHE:
                self._polys.popitem(last=False)
        else:
            self._polys.move_to_end(key)
        return poly

    # --- checking edits ------------------------------------------------------------------------------

    def _outside(self, e: Edit) -> InputError | None:
        """The error for a new or moved school whose place is off the street network (farther from it than
        ``xuequ zones`` accepts a school), else None."""
        key = (float(e.lon), float(e.lat))
        dist = self._snaps.get(key)
        if dist is None:
            pt = gpd.GeoSeries([shapely.Point(*key)], crs="EPSG:4326").to_crs(self.inputs.network.crs)
            xy = shapely.get_coordinates(pt.to_numpy())
            dist = float(snap(self.inputs.network, xy)[1][0]) if np.isfinite(xy).all() else float("inf")
            self._snaps[key] = dist
        if dist <= OUTSIDE_M:
            return None
        return InputError("err.edit_outside_network", name=e.name if e.kind == ADD_SCHOOL else e.school,
                          lon=key[0], lat=key[1], dist=min(dist, 1e9))

    def screen(self, edits: tuple[Edit, ...] | list[Edit]) -> list[InputError | None]:
        """For each edit, why it cannot apply after the ones before it that can.

        Parameters
        ----------
        edits
            The edits, in order.

        Returns
        -------
        errors
            One per edit: the error, or None where it can apply (see :func:`geo.plans.edits.check_edits`).
        """
        return check_edits(self.inputs.schools, edits, self._outside)

    def check(self, edits: tuple[Edit, ...] | list[Edit]) -> None:
        """Raise the :class:`InputError` of the last edit if it cannot apply after the others: call it with a
        plan's active edits and a new one before storing the new one.

        Parameters
        ----------
        edits
            The active edits, then the new one.

        Raises
        ------
        InputError
            Why the last edit cannot apply.
        """
        errors = self.screen(edits)
        if errors and errors[-1] is not None:
            raise errors[-1]

    # --- the plan -----------------------------------------------------------------------------------

    def result(self, edits: tuple[Edit, ...] | list[Edit]) -> ZoningResult:
        """The zoning after ``edits`` (in order); half-finished plans are fine and come with warnings.

        An edit that cannot apply (stored before it was checked, or checked on other data) is skipped, and
        a warning names it and says why.

        Parameters
        ----------
        edits
            The edits in force, in order.

        Returns
        -------
        result
            With a ``locked`` column in the assignments and ``edits`` (how many applied) in the summary.
        """
        inputs, level = self.inputs, self.level
        warnings: list = []
        errors = self.screen(edits)
        if any(err is not None for err in errors):
            bad = [(k, err) for k, err in enumerate(errors) if err is not None]
            warnings.append(("edit.warn_skipped", {"count": len(bad), "edits": [
                ("edit.skipped_item", {"n": k + 1, "reason": [(err.key, err.params)]}) for k, err in bad]}))
            edits = [e for e, err in zip(edits, errors) if err is None]
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

        result = build_result(inputs, Scenario(level=level, method=NETWORK), schools, label, dist, s_node=s_node,
                              children=self.children, baseline=self._base_ids,
                              extra_columns={"locked": np.isin(self.compound_ids, list(over.locked))},
                              extra_summary={"edits": len(edits)}, union=self._polygon)
        full = result.table.loc[result.table["over_capacity"] > 0, "name"].tolist()
        if full:
            more = len(full) - 5
            warnings.append(("edit.warn_over_capacity" if more <= 0 else "edit.warn_over_capacity_more",
                             {"count": len(full), "schools": ", ".join(full[:5]), "more": more}))
        if result.summary["islands"]:
            warnings.append(("opt.not_contiguous", {"count": result.summary["islands"]}))
        return dataclasses.replace(result, warnings=tuple(warnings))

    def compound_at(self, lon: float, lat: float) -> str | None:
        """The compound under a map click, or the nearest within 30 m.

        Parameters
        ----------
        lon, lat
            The click (WGS-84).

        Returns
        -------
        compound_id
            None if there is none.
        """
        pt = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(self.inputs.network.crs).iloc[0]
        geoms = self.inputs.compounds_projected
        d = geoms.distance(pt).to_numpy()
        i = int(np.argmin(d)) if d.size else -1
        return str(self.compound_ids[i]) if i >= 0 and d[i] <= 30.0 else None

    def compounds_in(self, polygon_wgs84: BaseGeometry) -> list[str]:
        """Compounds whose inside point lies in a drawn polygon.

        Parameters
        ----------
        polygon_wgs84
            The polygon (WGS-84).

        Returns
        -------
        compound_ids
        """
        poly = gpd.GeoSeries([polygon_wgs84], crs="EPSG:4326").to_crs(self.inputs.network.crs).iloc[0]
        pts = shapely.points(self.inputs.compound_xy)
        return [str(c) for c in self.compound_ids[shapely.contains(poly, pts)]]
