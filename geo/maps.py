"""The interactive map of a zoning (folium / Leaflet): catchments, compounds and schools.

Names are escaped before they reach any popup or tooltip: user data is never rendered as HTML.
"""

from __future__ import annotations

import html
import json

import folium
import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from geo.export import to_geojson
from geo.i18n import t
from geo.scenario import ZoningResult

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
UTILISATION_COLOURS = (("legend.under", 0.9, "#2e7d32"), ("legend.near", 1.05, "#f9a825"),
                       ("legend.over", np.inf, "#c62828"))


def utilisation_colour(u: float) -> str:
    for _, upper, colour in UTILISATION_COLOURS:
        if not np.isfinite(u) or u < upper:
            return colour
    return UTILISATION_COLOURS[-1][2]


def zoom_for(bounds: np.ndarray, width_px: int = 1000, height_px: int = 600) -> int:
    """The highest web-map zoom level at which ``bounds`` (lon/lat) fits in ``width_px x height_px``."""
    minx, miny, maxx, maxy = bounds
    lon_span = max(maxx - minx, 1e-6)
    lat_span = max((maxy - miny) / np.cos(np.deg2rad((miny + maxy) / 2)), 1e-6)
    z = min(np.log2(360.0 * width_px / (256.0 * lon_span)), np.log2(360.0 * height_px / (256.0 * lat_span)))
    return int(np.clip(np.floor(z), 1, 18))


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


class _Legend(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        var legend = L.control({position: 'bottomright'});
        legend.onAdd = function () {
            var div = L.DomUtil.create('div', 'xuequ-legend');
            div.style.cssText = 'background:white;padding:6px 8px;border-radius:4px;font:12px sans-serif;' +
                'box-shadow:0 1px 4px rgba(0,0,0,.3)';
            div.innerHTML = {{ this.html|tojson }};
            return div;
        };
        legend.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html_text


def base_map(bounds: np.ndarray, *, tiles: str | None = "OpenStreetMap", leaflet_js: str | None = None,
             leaflet_css: str | None = None, height: str = "100%") -> folium.Map:
    """An empty map framed on ``bounds`` (lon/lat); ``tiles=None`` draws no basemap (works offline), and
    ``leaflet_js`` / ``leaflet_css`` point it at a local copy of Leaflet instead of the CDN."""
    minx, miny, maxx, maxy = bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=zoom_for(bounds), tiles=tiles,
                   control_scale=True, height=height, prefer_canvas=False)
    if leaflet_js and leaflet_css:
        m.default_js = [("leaflet", leaflet_js)]
        m.default_css = [("leaflet_css", leaflet_css)]
    return m


def legend(lang: str = "zh") -> MacroElement:
    rows = "".join(f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
                   f'background:{colour};margin-right:6px;border:1px solid #222"></span>{_esc(t(key, lang))}</div>'
                   for key, _, colour in UTILISATION_COLOURS)
    return _Legend(f"<b>{_esc(t('legend.title', lang))}</b>{rows}")


def zoning_map(result: ZoningResult, *, lang: str = "zh", tiles: str | None = "OpenStreetMap",
               leaflet_js: str | None = None, leaflet_css: str | None = None, height: str = "100%") -> folium.Map:
    """A folium map of ``result``: catchments, compounds and schools with a layer control and legend."""
    m = base_map(result.catchments.to_crs("EPSG:4326").total_bounds, tiles=tiles, leaflet_js=leaflet_js,
                 leaflet_css=leaflet_css, height=height)
    for group in zoning_layers(result, lang=lang):
        group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(legend(lang))
    return m


def zoning_layers(result: ZoningResult, *, lang: str = "zh", selected=(), changed=None) -> list[folium.FeatureGroup]:
    """The layers of a zoning as feature groups: catchments, compounds, schools (and the selection).

    ``selected``: compound ids drawn highlighted; ``changed``: a mask of compounds drawn as changed
    (thick red outline), for a comparison of two plans.
    """
    colour = {sid: PALETTE[i % len(PALETTE)] for i, sid in enumerate(result.catchments["school_id"])}
    groups = []
    c = result.catchments[["school_id", "school_name", "children", "seats", "utilisation", "geometry"]].copy()
    c = c.to_crs("EPSG:4326")
    c["school_name"] = c["school_name"].map(_esc)
    c["school_id"] = c["school_id"].map(_esc)
    c["colour"] = result.catchments["school_id"].map(colour).to_numpy()
    c["utilisation"] = (c["utilisation"] * 100).round(0).astype("Int64").astype(str) + "%"
    fg = folium.FeatureGroup(name=t("layer.catchments", lang))
    folium.GeoJson(
        json.loads(to_geojson(c, precision=6)),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#333333", "weight": 1.5,
                                  "fillOpacity": 0.35},
        highlight_function=lambda f: {"weight": 3, "fillOpacity": 0.5},
        tooltip=folium.GeoJsonTooltip(
            fields=["school_name", "children", "seats", "utilisation"],
            aliases=[_esc(t(k, lang)) for k in ("col.school_name", "col.children", "col.capacity", "col.utilisation")],
        ),
    ).add_to(fg)
    groups.append(fg)

    a = result.assignments[["compound_id", "name", "children", "school_name", "distance_m", "geometry"]].copy()
    a["name"] = a["name"].map(_esc)
    a["school_name"] = a["school_name"].map(_esc)
    a["compound_id"] = a["compound_id"].map(_esc)
    a["distance_m"] = np.nan_to_num(a["distance_m"].to_numpy(float), posinf=-1).round(0).astype(int)
    a["colour"] = result.assignments["school_id"].map(colour).fillna("#999999").to_numpy()
    sel = set(selected)
    a["edge"] = np.where(result.assignments["compound_id"].isin(sel), "#000000", "#555555")
    a["w"] = np.where(result.assignments["compound_id"].isin(sel), 3.0, 0.6)
    if changed is not None:
        a["edge"] = np.where(changed, "#c62828", a["edge"])
        a["w"] = np.where(changed, 3.0, a["w"])
    fg = folium.FeatureGroup(name=t("layer.compounds", lang))
    folium.GeoJson(
        json.loads(to_geojson(a, precision=6)),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": f["properties"]["edge"],
                                  "weight": f["properties"]["w"], "fillOpacity": 0.55},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "children", "school_name", "distance_m"],
            aliases=[_esc(t(k, lang)) for k in ("col.compound", "col.children", "col.school_name", "col.distance_m")],
        ),
    ).add_to(fg)
    groups.append(fg)

    schools = result.schools.to_crs("EPSG:4326")
    table = result.table.set_index("school_id")
    fg = folium.FeatureGroup(name=t("layer.schools", lang))
    for sid, name, seats, geom in zip(schools["school_id"], schools["name"], schools["seats"], schools.geometry):
        u = float(table.at[sid, "utilisation"])
        tip = (f"<b>{_esc(name)}</b><br>{_esc(t('col.capacity', lang))}: {int(seats)}<br>"
               f"{_esc(t('col.utilisation', lang))}: {u:.0%}")
        folium.CircleMarker(
            location=[geom.y, geom.x], radius=float(4 + np.sqrt(max(seats, 0)) / 5), color="#222222", weight=1.5,
            fill=True, fill_color=utilisation_colour(u), fill_opacity=0.95, tooltip=folium.Tooltip(tip),
        ).add_to(fg)
    groups.append(fg)
    return groups
