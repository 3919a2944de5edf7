"""Render: what people see and take away — maps, exports and the translation table.

- :mod:`~geo.render.maps`: folium maps of a result (names escaped);
- :mod:`~geo.render.export`: GeoJSON, GeoPackage, CSV / XLSX (formula-safe) and report files;
- :mod:`~geo.render.i18n`: every text a user sees, Chinese first, English second: the table ``text.toml``
  (read once), :func:`~geo.render.i18n.t` with English plurals, a missing key logged (raised under test).
"""
