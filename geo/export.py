"""What a zoning is exported as: RFC 7946 GeoJSON (WGS-84) and the school table as CSV.

Functions return text or bytes; writing them to disk is :mod:`geo.io`'s job.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.scenario import ZoningResult

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_geojson(gdf: gpd.GeoDataFrame, precision: int = 7) -> str:
    """A GeoDataFrame as RFC 7946 GeoJSON: WGS-84 lon/lat, no ``crs`` member, exterior rings
    counter-clockwise, coordinates rounded to ``precision`` decimals (7 is about 1 cm)."""
    g = gdf.to_crs("EPSG:4326")
    geoms = shapely.orient_polygons(g.geometry.to_numpy(), exterior_cw=False)
    geoms = shapely.transform(geoms, lambda c: np.round(c, precision))
    props = g.drop(columns=g.geometry.name)
    features = []
    for geom, row in zip(geoms, props.to_dict(orient="records")):
        features.append({"type": "Feature", "properties": {k: _jsonable(v) for k, v in row.items()},
                         "geometry": json.loads(shapely.to_geojson(geom)) if geom is not None else None})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def _jsonable(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else round(float(v), 3)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if v is pd.NA or v is None:
        return None
    return v


def catchments_geojson(result: ZoningResult) -> str:
    """One feature per school: ``school_id``, ``school_name``, ``children``, ``seats``, ``utilisation``."""
    cols = ["school_id", "school_name", "children", "seats", "utilisation", "geometry"]
    return to_geojson(result.catchments[cols])


def assignments_geojson(result: ZoningResult) -> str:
    """One feature per compound with its school and walking distance (metres)."""
    cols = ["compound_id", "name", "children", "school_id", "school_name", "distance_m", "straight_m", "snap_m",
            "geometry"]
    return to_geojson(result.assignments[cols])


def safe_cell(value):
    """A text cell that spreadsheet programs will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def table_csv(table: pd.DataFrame) -> bytes:
    """The school table as CSV in UTF-8 with a BOM (so Excel shows Chinese names), formula-safe."""
    t = table.copy()
    for c in t.columns:
        if t[c].dtype == object:
            t[c] = t[c].map(safe_cell)
    return t.to_csv(index=False, float_format="%.4g", lineterminator="\n").encode("utf-8-sig")
