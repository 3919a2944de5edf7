"""Xuequ's library: school catchments from a street network.

The data flow, one subpackage per stage::

    inputs  ->  network  ->  zoning (labels -> result)  ->  render (maps, exports)
                                 ^
                    plans (edits, editor, store) · official (zone lists) · equity (audits, alliances)

- :mod:`geo.inputs`: files in, checked (OSM, tables, encodings, coordinate systems, the demo district);
- :mod:`geo.network`: the street graph as arrays, snapping and walking distances;
- :mod:`geo.zoning`: nearest and capacity-optimal plans, contiguity, catchments, figures, and the one result
  builder (:func:`geo.zoning.result.build_result`);
- :mod:`geo.plans`: what-if edits, the live editor and the scenario store;
- :mod:`geo.official`: official zone lists (划片范围) read and written;
- :mod:`geo.equity`: balanced-development audits, teacher exchange, lotteries, alliances;
- :mod:`geo.render`: maps, exports and the translation table.

The names below are the public API; they load on first use, so ``import geo`` stays light::

    import geo
    inputs = geo.load_inputs("district.osm", "schools.csv", "compounds.geojson")
    result = geo.run_scenario(inputs, geo.Scenario("primary", "network"))
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_API = {
    # inputs
    "Inputs": "geo.inputs.model",
    "load_inputs": "geo.inputs.load",
    "clip_inputs": "geo.inputs.boundary",
    "boundary_from_file": "geo.inputs.boundary",
    "boundary_from_osm": "geo.inputs.boundary",
    "load_network": "geo.inputs.osm",
    "load_osm": "geo.inputs.osm",
    "load_schools": "geo.inputs.load",
    "load_compounds": "geo.inputs.load",
    "inputs_from_place": "geo.inputs.load",
    "write_demo": "geo.inputs.demo",
    # network
    "Network": "geo.network.graph",
    # zoning
    "Scenario": "geo.zoning.scenario",
    "run_scenario": "geo.zoning.scenario",
    "ZoningResult": "geo.zoning.result",
    "build_result": "geo.zoning.result",
    # plans
    "Edit": "geo.plans.edits",
    "History": "geo.plans.edits",
    "Editor": "geo.plans.editor",
    "Store": "geo.plans.store",
    "StaleEdit": "geo.plans.store",
    "StoreError": "geo.plans.store",
    # official zone lists
    "read_zone_file": "geo.official.parse",
    "parse_zone_text": "geo.official.parse",
    "official_plan": "geo.official.plan",
    "agreement": "geo.official.plan",
    # errors
    "XuequError": "geo.errors",
    "InputError": "geo.errors",
    "OfflineError": "geo.errors",
    "InfeasibleError": "geo.zoning.allocation",
    # forecast (school-age population, seat warnings)
    "run_forecast": "geo.forecast.model",
    "ForecastParams": "geo.forecast.model",
    "Forecast": "geo.forecast.model",
    "Event": "geo.forecast.model",
    "compare_plans": "geo.forecast.model",
    "labels_from_result": "geo.forecast.model",
    "load_forecast_inputs": "geo.forecast.load",
    # many districts as Dask tasks
    "run_batch": "geo.batch.run",
    "read_manifest": "geo.batch.run",
    # text
    "t": "geo.render.i18n",
    # stable school colours (every map)
    "school_colours": "geo.render.colours",
    "plan_colours": "geo.render.colours",
}
SUBPACKAGES = ("inputs", "network", "zoning", "plans", "official", "equity", "forecast", "render", "errors",
               "batch")

__all__ = sorted(_API) + list(SUBPACKAGES)


def __getattr__(name: str):
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    if name in SUBPACKAGES:
        return importlib.import_module(f"geo.{name}")
    raise AttributeError(f"module 'geo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
