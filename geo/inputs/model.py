"""What a zoning runs on: :class:`Inputs` (the network, the schools and the compounds), with the structures
derived from them computed once, on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.network.distances import snap
from geo.network.graph import Network

if TYPE_CHECKING:  # annotations only: see the note in Inputs on why zoning is imported lazily
    from geo.zoning.contiguity import UnitGraph

Warning_ = tuple[str, dict]


@dataclass(frozen=True, eq=False)
class Inputs:
    """The data a zoning runs on. Tables are in WGS-84; work happens in the network's projected CRS.

    Built by :func:`geo.inputs.load.load_inputs` (files) or :func:`geo.inputs.load.inputs_from_place`
    (a download); equal only to itself, so it can key a cache by identity.

    Parameters
    ----------
    network : Network
        The street network.
    schools : GeoDataFrame
        The schools, normalised (:func:`geo.inputs.schools.normalise_schools`).
    compounds : GeoDataFrame
        The compounds, normalised (:func:`geo.inputs.demand.normalise_compounds`).
    name : str
        The data set's name, for titles.
    sources : dict
        Where schools and compounds came from (``{"schools": file, "compounds": file}``), for messages.
    warnings : tuple of (key, params)
        What loading found (repaired geometries, a guessed encoding...).
    unleveled : GeoDataFrame, optional
        Schools of the OSM file whose name does not say their level (中学, 学校): left out of zoning, but a zone
        list of a level that names one makes it a school of that level for that list
        (:func:`geo.official.plan.official_plan`).
    boundary : Polygon, optional
        The district (network CRS) the study area is cut at (:func:`geo.inputs.boundary.clip_inputs`).

    Notes
    -----
    The unit graph, cells and study area are zoning's structures: their functions are imported inside the
    properties, because inputs sit below zoning in the data flow and never import it at module level (reading
    a file must not load the solver stack).
    """

    network: Network
    schools: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    name: str = ""
    sources: dict = field(default_factory=dict)
    warnings: tuple[Warning_, ...] = ()
    unleveled: gpd.GeoDataFrame | None = None
    boundary: BaseGeometry | None = None

    @cached_property
    def compounds_projected(self) -> gpd.GeoSeries:
        """The compounds' geometries in the network's projected CRS."""
        return self.compounds.geometry.to_crs(self.network.crs)

    @cached_property
    def compound_xy(self) -> np.ndarray:
        """Each compound's representative point, projected: an ``(n, 2)`` array."""
        return shapely.get_coordinates(self.compounds_projected.representative_point().to_numpy())

    @cached_property
    def compound_snap(self) -> tuple[np.ndarray, np.ndarray]:
        """Each compound's street node and its distance to it (see :func:`geo.network.distances.snap`)."""
        return snap(self.network, self.compound_xy)

    @cached_property
    def unit_graph(self) -> UnitGraph:
        """Which compounds neighbour which on the street network (see :mod:`geo.zoning.contiguity`)."""
        from geo.zoning.contiguity import unit_graph  # lazy: inputs never import zoning at module level

        return unit_graph(self.network, *self.compound_snap)

    @cached_property
    def cells(self):
        """The study area cut into small cells, each a compound's (see :func:`geo.zoning.result.compound_cells`);
        catchments are unions of cells."""
        from geo.zoning.result import compound_cells  # lazy: inputs never import zoning at module level

        return compound_cells(self.network, self.unit_graph, self.compounds_projected.to_numpy(), self.area)

    @cached_property
    def area(self):
        """Where the schools and compounds are (see :func:`geo.zoning.catchments.study_area`)."""
        from geo.zoning.catchments import study_area  # lazy: inputs never import zoning at module level

        pts = [shapely.get_coordinates(self.compounds_projected.to_numpy()),
               shapely.get_coordinates(self.schools.geometry.to_crs(self.network.crs).to_numpy())]
        area = study_area(np.concatenate([p for p in pts if len(p)]), self.network.xy)
        if self.boundary is not None:  # the district's edge, widened to hold its compounds' whole outlines
            area = shapely.intersection(area, shapely.union(self.boundary, shapely.union_all(
                self.compounds_projected.to_numpy())))
        return area
