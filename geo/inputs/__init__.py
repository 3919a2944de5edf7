"""Inputs: everything that reads what the user gives — OpenStreetMap files, school and compound tables in their
encodings, coordinate systems and column layouts — and checks it, row by row, into clean tables.

- :mod:`~geo.inputs.io`: files in (OSM, CSV/XLSX/GeoJSON/GeoPackage/Shapefile/KML), the network cache,
  column mappings, :func:`~geo.inputs.io.load_inputs`;
- :mod:`~geo.inputs.schools`, :mod:`~geo.inputs.demand`: the two kinds of table, normalised and checked;
- :mod:`~geo.inputs.columns`: shared column checks (ids, whole numbers, coordinates);
- :mod:`~geo.inputs.coords`: GCJ-02 / BD-09 to WGS-84;
- :mod:`~geo.inputs.paths`: typed paths confined to the data roots;
- :mod:`~geo.inputs.demo`: the generated demo district.
"""
