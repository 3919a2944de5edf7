"""Official zone lists (划片范围): published street lists read against a network, and plans written back as text.

- :mod:`~geo.official.zonetext`: parse, match, cut street segments, zones on the map, text out, district reports;
- :mod:`~geo.official.names`: street and school name normalisation.
"""
