"""Network: the street graph compiled to arrays, and walking distances on it.

- :mod:`~geo.network.graph`: :class:`~geo.network.graph.Network` (nodes, edges, projected CRS) from an osmnx graph,
  with osmnx's walk / drive rules;
- :mod:`~geo.network.distances`: snapping points to streets and Dijkstra from many sources (scipy, not networkx).
"""
