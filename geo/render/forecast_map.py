"""The forecast on the map and in files: each school's catchment coloured by its warning level (学位预警) in a
year, and the same as GeoJSON per year. Names are escaped before they reach a tooltip."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement

from geo.forecast.model import Forecast
from geo.render.export import to_geojson
from geo.render.i18n import t
from geo.render.maps import _esc, _Legend, base_map
from geo.zoning.result import ZoningResult

# Warning level -> (colour, text key), worst first.
LEVEL_STYLE = {
    "red": ("#c62828", "forecast.level.red"),
    "orange": ("#ef6c00", "forecast.level.orange"),
    "yellow": ("#f9a825", "forecast.level.yellow"),
    "green": ("#2e7d32", "forecast.level.green"),
    "blue": ("#1565c0", "forecast.level.blue"),
}


def level_text(level: str, lang: str = "zh") -> str:
    """A warning level in words.

    Parameters
    ----------
    level : str
        red, orange, yellow, green or blue.
    lang : str
        "zh" or "en".

    Returns
    -------
    str
    """
    return t(LEVEL_STYLE[level][1], lang)


def year_catchments(result: ZoningResult, fc: Forecast, year: int | None) -> gpd.GeoDataFrame:
    """The plan's catchments (WGS-84) with the forecast's figures of ``year``: ``school_id``, ``school_name``,
    ``year``, ``intake``, ``enrolment``, ``seats``, ``surplus``, ``utilisation``, ``level``; with ``year`` None,
    one feature per catchment and year, every year of the forecast (year by year, then by school).

    Parameters
    ----------
    result : ZoningResult
        The plan the forecast ran under (its catchments).
    fc : Forecast
        The forecast.
    year : int or None
        One of ``fc.years``, or None for all of them.

    Returns
    -------
    GeoDataFrame
    """
    rows = fc.schools if year is None else fc.schools[fc.schools["year"] == int(year)]
    cols = ["school_id", "year", "intake", "enrolment", "seats", "surplus", "utilisation", "level"]
    c = result.catchments[["school_id", "school_name", result.catchments.geometry.name]]
    out = c.merge(rows[cols], on="school_id", how="inner")
    if year is None:
        out = out.sort_values(["year", "school_id"], kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry=result.catchments.geometry.name, crs=result.catchments.crs) \
        .to_crs("EPSG:4326")


def forecast_geojson(result: ZoningResult, fc: Forecast, year: int | None = None) -> str:
    """:func:`year_catchments` as GeoJSON (RFC 7946): one year, or (``year`` None) every year of the forecast in
    one file, each feature with its ``year`` property (filter on it in QGIS / ArcGIS for one year's map).

    Parameters
    ----------
    result, fc, year
        As for :func:`year_catchments`.

    Returns
    -------
    str
    """
    return to_geojson(year_catchments(result, fc, year))


def forecast_map(result: ZoningResult, fc: Forecast, year: int, *, lang: str = "zh",
                 tiles: str | None = "OpenStreetMap", leaflet_js: str | None = None,
                 leaflet_css: str | None = None, height: str = "100%", streets: MacroElement | None = None) -> folium.Map:
    """A map of the catchments coloured by their school's warning level in ``year``, with a legend.

    Parameters
    ----------
    result, fc, year
        As for :func:`year_catchments`.
    lang : str
        "zh" or "en".
    tiles, leaflet_js, leaflet_css, height
        As :func:`geo.render.maps.base_map` takes them.
    streets : MacroElement, optional
        The offline street basemap, drawn when ``tiles`` is None (:func:`geo.render.maps.base_map`).

    Returns
    -------
    folium.Map
    """
    g = year_catchments(result, fc, year)
    m = base_map(g.total_bounds if len(g) else result.catchments.to_crs("EPSG:4326").total_bounds, tiles=tiles,
                 leaflet_js=leaflet_js, leaflet_css=leaflet_css, height=height, streets=streets)
    layer = folium.FeatureGroup(name=t("forecast.map.layer", lang, year=int(year)))
    for r in g.itertuples():  # one polygon per school: a few dozen
        colour = LEVEL_STYLE[r.level][0]
        tip = f"<b>{_esc(r.school_name)}</b><br>" + _esc(t(
            "forecast.map.tip", lang, year=int(r.year), enrolment=float(r.enrolment), seats=int(r.seats),
            surplus=float(r.surplus), level=level_text(r.level, lang)))
        folium.GeoJson(r.geometry.__geo_interface__, style_function=lambda _, c=colour: {
            "color": "#333", "weight": 1, "fillColor": c, "fillOpacity": 0.55},
            tooltip=folium.Tooltip(tip)).add_to(layer)
    layer.add_to(m)
    rows = "".join(f'<div><span style="display:inline-block;width:12px;height:12px;background:{colour};'
                   f'margin-right:6px;border:1px solid #222"></span>{_esc(t(key, lang))}</div>'
                   for colour, key in LEVEL_STYLE.values())
    m.add_child(_Legend(f"<b>{_esc(t('forecast.map.legend', lang, year=int(year)))}</b>{rows}"))
    return m


def district_frame(fc: Forecast) -> pd.DataFrame:
    """The district per year in long form for a chart: ``year``, ``series`` (enrolment, seats), ``value``, and
    the variants' ``low`` / ``high``.

    Parameters
    ----------
    fc : Forecast

    Returns
    -------
    DataFrame
    """
    d = fc.district
    return pd.concat([
        pd.DataFrame({"year": d["year"], "series": "enrolment", "value": d["enrolment"], "low": d["enrolment_low"],
                      "high": d["enrolment_high"]}),
        pd.DataFrame({"year": d["year"], "series": "seats", "value": d["seats"], "low": d["seats"],
                      "high": d["seats"]})], ignore_index=True)
