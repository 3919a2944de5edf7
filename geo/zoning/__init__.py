"""Zoning: a plan (each compound's school) and what follows from it.

- :mod:`~geo.zoning.assignment`: nearest school by walk or by straight line;
- :mod:`~geo.zoning.allocation`: capacity-optimal plans (HiGHS);
- :mod:`~geo.zoning.contiguity`: the compound neighbour graph, islands and whole catchments;
- :mod:`~geo.zoning.catchments`: polygons from labelled street samples, the study area;
- :mod:`~geo.zoning.metrics`: the school table and district figures;
- :mod:`~geo.zoning.result`: the one builder of a :class:`~geo.zoning.result.ZoningResult` from a plan;
- :mod:`~geo.zoning.scenario`: :class:`~geo.zoning.scenario.Scenario` and
  :func:`~geo.zoning.scenario.run_scenario`, the data flow in one call.
"""
