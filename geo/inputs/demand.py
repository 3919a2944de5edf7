"""Residential demand: compounds (小区) with the number of children of each school level.

A compounds table is a GeoDataFrame in WGS-84 with ``compound_id``, ``name``, ``children_primary``,
``children_junior`` and polygon (or point) geometry.

Where only the land is known (OSM ``landuse=residential``), children are estimated from area:
``residents = area_ha x residents_per_ha``, and each single year of age is ``cohort_share`` of the
residents, so a level of ``Y`` school years has ``residents x cohort_share x Y`` children (6 primary,
3 junior). Both figures are parameters (:class:`DemandParams`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.inputs.columns import check_lonlat, find_column, require_column, unique_ids, whole_numbers
from geo.inputs.schools import LEVELS, YEARS

# The 10-character forms (compound_i, children_p, children_j) are what a Shapefile .dbf keeps of the names. Census
# units from elsewhere keep their own codes: US blocks and tracts (GEOID20, GEOID), UK output areas (OA21CD); they
# come before a bare "id" (a GeoJSON written by geopandas numbers its features so).
ID_ALIASES = ("compound_id", "geoid20", "geoid", "geoid10", "geoid_20", "oa21cd", "oa11cd", "lsoa21cd", "id",
              "小区编号", "编号", "osmid", "compound_i")
NAME_ALIASES = ("name", "compound_name", "小区名称", "小区", "名称")
CHILD_ALIASES = {
    "primary": ("children_primary", "primary", "小学生数", "小学适龄儿童", "children_p"),
    "junior": ("children_junior", "junior", "初中生数", "初中适龄儿童", "children_j"),
}
# The most children of one level a compound may have: the largest Chinese compounds house a few tens of
# thousands of residents, so more is a typo, a misplaced column or a district total (and a 1e19 would
# overflow the totals). Counts above it are refused, naming the row.
MAX_CHILDREN = 100_000


@dataclass(frozen=True)
class DemandParams:
    """How children are estimated from residential area.

    Parameters
    ----------
    residents_per_ha : float
        Residents per hectare of residential land (dense Chinese compounds: 400-900).
    cohort_share : float
        Share of residents in one single year of age (China ~1.0-1.2%).
    """

    residents_per_ha: float = 600.0
    cohort_share: float = 0.011


def children_column(level: str) -> str:
    """The compounds column holding a level's children.

    Parameters
    ----------
    level : str
        ``"primary"`` or ``"junior"``.

    Returns
    -------
    str
        ``children_<level>``.
    """
    return f"children_{level}"


def estimate_children(area_m2: np.ndarray, level: str, params: DemandParams = DemandParams()) -> np.ndarray:
    """Children of a level living on residential land: ``area_ha x residents_per_ha x cohort_share x years``.

    Parameters
    ----------
    area_m2 : array_like
        Residential areas in square metres.
    level : str
        ``"primary"`` (6 school years) or ``"junior"`` (3).
    params : DemandParams
        Density and cohort share.

    Returns
    -------
    ndarray of int64
        Rounded to whole children.
    """
    residents = np.asarray(area_m2, float) / 10_000.0 * params.residents_per_ha
    return np.round(residents * params.cohort_share * YEARS[level]).astype(np.int64)


def normalise_compounds(gdf: gpd.GeoDataFrame, file: str) -> gpd.GeoDataFrame:
    """Check a user's compounds table and return it normalised.

    Columns are found by their aliases (:data:`ID_ALIASES`, :data:`NAME_ALIASES`, :data:`CHILD_ALIASES`);
    at least one children column is needed, a missing one is 0.

    Parameters
    ----------
    gdf : GeoDataFrame
        The table as read (see :func:`geo.inputs.tables.read_table`).
    file : str
        The file name, for messages.

    Returns
    -------
    GeoDataFrame
        ``compound_id`` (text), ``name``, ``children_primary``, ``children_junior`` and the geometry, WGS-84.

    Raises
    ------
    InputError
        For an empty table, no children column, a blank or repeated id, a count that is not a whole number
        or over :data:`MAX_CHILDREN`, or coordinates that are not longitudes/latitudes, naming the row.
    """
    if len(gdf) == 0:
        raise InputError("err.empty", file=file, kind="@kind.compounds")
    check_lonlat(gdf, file)
    id_col = find_column(gdf, ID_ALIASES)
    name_col = find_column(gdf, NAME_ALIASES)
    child_cols = {lv: find_column(gdf, CHILD_ALIASES[lv]) for lv in LEVELS}
    if not any(child_cols.values()):
        require_column(gdf, CHILD_ALIASES["primary"] + CHILD_ALIASES["junior"], file)
    geom = gdf.geometry
    bad = geom.isna() | geom.is_empty | ~geom.geom_type.isin(["Point", "Polygon", "MultiPolygon"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("err.bad_value", file=file, row=i + 1, field="geometry",
                         value=str(geom.iloc[i].geom_type if geom.iloc[i] is not None else "(empty)"),
                         hint="@hint.geometry")
    ids = unique_ids(gdf[id_col] if id_col else pd.Series([f"C{i + 1}" for i in range(len(gdf))]), file,
                     id_col or "compound_id")
    names = gdf[name_col].fillna("").astype(str).str.strip() if name_col else ids
    out = gpd.GeoDataFrame({"compound_id": ids.to_numpy(), "name": names.to_numpy()},
                           geometry=geom.make_valid().to_numpy(), crs=gdf.crs or "EPSG:4326")
    for lv, col in child_cols.items():
        out[children_column(lv)] = (whole_numbers(gdf[col], file, col, maximum=MAX_CHILDREN,
                                                  too_large="err.too_many_children").to_numpy() if col
                                    else np.zeros(len(gdf), np.int64))
    return out.to_crs("EPSG:4326")


def compounds_from_osm(features: gpd.GeoDataFrame, params: DemandParams = DemandParams()
                       ) -> tuple[gpd.GeoDataFrame, list[tuple[str, dict]]]:
    """Compounds from OSM ``landuse=residential`` polygons, children estimated from their area.

    Parameters
    ----------
    features : GeoDataFrame
        OSM features (see :func:`geo.inputs.osm.read_osm_features`); points and lines are left out.
    params : DemandParams
        How children are estimated (:func:`estimate_children`).

    Returns
    -------
    compounds : GeoDataFrame
        As :func:`normalise_compounds` returns them (ids ``osm-<type>-<id>``, unnamed ones ``#<id>``).
    warnings : list of (key, params)
        ``warn.children_estimated`` with the figures used, when there are any compounds.
    """
    empty = gpd.GeoDataFrame({"compound_id": [], "name": [], "children_primary": [], "children_junior": []},
                             geometry=[], crs="EPSG:4326")
    if len(features) == 0:
        return empty, []
    f = features[features.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(f) == 0:
        return empty, []
    area = f.geometry.to_crs(f.geometry.estimate_utm_crs()).area.to_numpy()
    idx = f.index
    ids = [f"osm-{a}-{b}" for a, b in idx] if isinstance(idx, pd.MultiIndex) else [f"osm-{i}" for i in idx]
    names = f["name"] if "name" in f else pd.Series("", index=f.index)
    names = [n if isinstance(n, str) and n else f"#{i}" for n, i in zip(names, ids)]
    out = gpd.GeoDataFrame({"compound_id": ids, "name": names}, geometry=f.geometry.make_valid().to_numpy(),
                           crs=f.crs or "EPSG:4326")
    for lv in LEVELS:
        out[children_column(lv)] = estimate_children(area, lv, params)
    warn = [("warn.children_estimated", {"density": params.residents_per_ha, "cohort": params.cohort_share})]
    return out.reset_index(drop=True), warn
