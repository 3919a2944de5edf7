"""A district boundary that clips the study area: from a polygon file, or an administrative boundary of the OSM file
chosen by name.

A bureau zones its own district: compounds and schools outside it are left out (and counted), and catchments stop
at its edge (:attr:`geo.inputs.model.Inputs.boundary` clips :attr:`~geo.inputs.model.Inputs.area`).

- :func:`boundary_from_file`: the union of the polygons of a GeoJSON / GeoPackage / zipped Shapefile / KML;
- :func:`boundary_from_osm`: an ``boundary=administrative`` relation of an OSM file whose name contains the given
  name (锦江区 finds "锦江区 (Jinjiang)"), assembled by pyosmium; a relation cut at the file's edge cannot be closed and
  is refused with a message that says so;
- :func:`clip_inputs`: the inputs within a boundary.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import shapely
from shapely import wkb
from shapely.geometry.base import BaseGeometry

from geo.errors import InputError
from geo.inputs.model import Inputs
from geo.inputs.tables import read_table_checked

Warning_ = tuple[str, dict]


def _areal(geoms) -> BaseGeometry:
    flat = [p for g in geoms if g is not None for p in shapely.get_parts(g)]  # collections (KML MultiGeometry) too
    parts = [g for g in flat if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    return shapely.make_valid(shapely.union_all(parts)) if parts else shapely.Polygon()


def boundary_from_file(source: str | Path, *, name: str | None = None, data: bytes | None = None) -> BaseGeometry:
    """A district boundary from a polygon file.

    Parameters
    ----------
    source : str or Path
        A GeoJSON, GeoPackage, KML or zipped Shapefile with the district's polygon(s).
    name, data
        A file name and its bytes (an upload).

    Returns
    -------
    Polygon or MultiPolygon
        The union of the file's polygons, WGS-84.

    Raises
    ------
    InputError
        For a file that cannot be read, or one without polygons.
    """
    label = name or Path(source).name
    gdf, _ = read_table_checked(source, name=name, data=data)
    area = _areal(gdf.to_crs("EPSG:4326").geometry.to_numpy())
    if area.is_empty:
        raise InputError("err.boundary_no_polygon", file=label)
    return area


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).replace(" ", "").lower()


def boundary_from_osm(path: str | Path, name: str) -> BaseGeometry:
    """An administrative boundary of an OSM file, by name.

    Parameters
    ----------
    path : str or Path
        The OSM file (XML, bz2 or PBF).
    name : str
        Part of the boundary's name (锦江区, Jinjiang).

    Returns
    -------
    Polygon or MultiPolygon
        WGS-84.

    Raises
    ------
    InputError
        When no administrative boundary of the file has that name (the message lists those it has), or the one
        that has it is cut at the file's edge and cannot be closed.
    """
    want = _norm(name)
    if not want:
        raise InputError("err.boundary_not_found", file=Path(path).name, name=name, names="-")
    factory = osmium.geom.WKBFactory()
    found: list[tuple[str, BaseGeometry]] = []
    named: dict[str, bool] = {}
    admin = osmium.filter.TagFilter(("boundary", "administrative"))
    for o in osmium.FileProcessor(str(path)).with_areas(admin).with_filter(admin):
        label = str(o.tags.get("name", "") or "")
        if isinstance(o, osmium.osm.Relation) or (isinstance(o, osmium.osm.Area) and not o.from_way()):
            named.setdefault(label, False)
        if isinstance(o, osmium.osm.Area) and want in _norm(label):
            try:
                found.append((label, wkb.loads(factory.create_multipolygon(o), hex=True)))
                named[label] = True
            except RuntimeError:  # an area pyosmium could not close
                continue
    # The name itself (or the name before its gloss, "锦江区 (Jinjiang)") first; a part of several names is ambiguous.
    exact = [(n, g) for n, g in found if want in (_norm(n), _norm(n).split("(")[0], _norm(n).split("/")[0])]
    labels = sorted({n for n, _ in found})
    if not exact and len(labels) > 1:
        raise InputError("err.boundary_ambiguous", file=Path(path).name, name=name, names="、".join(labels))
    area = _areal([g for _, g in (exact or found)])
    if area.is_empty:
        hits = [n for n in named if want in _norm(n)]
        if hits:
            raise InputError("err.boundary_incomplete", file=Path(path).name, name=hits[0])
        raise InputError("err.boundary_not_found", file=Path(path).name, name=name,
                         names="、".join(sorted(n for n in named if n)) or "-")
    return area


def clip_inputs(inputs: Inputs, boundary: BaseGeometry, label: str = "") -> Inputs:
    """The inputs within a district boundary: the compounds and schools whose point lies inside, the study area cut
    at the boundary, and a warning counting what was left out.

    Parameters
    ----------
    inputs : Inputs
        What was loaded.
    boundary : Polygon or MultiPolygon
        The district, WGS-84.
    label : str
        Its name or file, for the warning.

    Returns
    -------
    Inputs

    Raises
    ------
    InputError
        When no compound or no school lies inside the boundary.
    """
    shapely.prepare(boundary)
    s_in = shapely.covers(boundary, inputs.schools.geometry.representative_point().to_numpy())
    c_in = shapely.covers(boundary, inputs.compounds.geometry.representative_point().to_numpy())
    if not c_in.any():
        raise InputError("err.boundary_empty", name=label or "-", kind="@kind.compounds")
    if not s_in.any():
        raise InputError("err.boundary_empty", name=label or "-", kind="@kind.schools")
    warnings: list[Warning_] = list(inputs.warnings)
    if (~s_in).any() or (~c_in).any():
        warnings.append(("warn.boundary_left_out", {"name": label or "-", "schools": int((~s_in).sum()),
                                                    "compounds": int((~c_in).sum())}))
    projected = gpd.GeoSeries([boundary], crs="EPSG:4326").to_crs(inputs.network.crs).iloc[0]
    unleveled = inputs.unleveled
    if unleveled is not None and len(unleveled):
        unleveled = unleveled[shapely.covers(boundary, unleveled.geometry.representative_point().to_numpy())]
    return dataclasses.replace(
        inputs, schools=inputs.schools[s_in].reset_index(drop=True),
        compounds=inputs.compounds[np.asarray(c_in)].reset_index(drop=True), warnings=tuple(warnings),
        unleveled=unleveled, boundary=projected)
