"""Assignment: which school each network node and each compound goes to.

Cores take arrays; :func:`geo.zoning.scenario.run_scenario` adapts the GeoDataFrames.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from geo.network.distances import nearest_source, source_matrix
from geo.network.graph import Network

NETWORK = "network"
STRAIGHT = "straight"
OPTIMAL = "optimal"
METHODS = (NETWORK, STRAIGHT, OPTIMAL)


def nearest_method(network: Network) -> str:
    """The nearest-school method a network allows: by walk (:data:`NETWORK`), or as the crow flies
    (:data:`STRAIGHT`) on a straight-line network (data without streets, ``Network.straight_line``).

    Parameters
    ----------
    network
        The inputs' network.

    Returns
    -------
    str
    """
    return STRAIGHT if network.straight_line else NETWORK


def nearest_by_network(network: Network, school_nodes: np.ndarray, school_offsets: np.ndarray,
                       unit_nodes: np.ndarray, unit_offsets: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest school by network distance, for every node and every unit (compound).

    Parameters
    ----------
    network
        The street network.
    school_nodes, school_offsets
        Each school's snapped node and its walk to it (:func:`geo.network.distances.snap`).
    unit_nodes, unit_offsets
        Each unit's snapped node and its walk to it.

    Returns
    -------
    node_label, node_dist, unit_label, unit_dist
        Each node's and each unit's school (index) and walk in metres. A unit's distance is its walk to its
        entrance node plus that node's network distance to the school (including the school's own entry
        offset). Label ``-1`` means no school is in reach.
    """
    node_dist, node_label = nearest_source(network, school_nodes, school_offsets)
    unit_label = node_label[unit_nodes]
    unit_dist = node_dist[unit_nodes] + unit_offsets
    return node_label, node_dist, unit_label, unit_dist


def nearest_by_straight_line(network: Network, school_xy: np.ndarray, school_nodes: np.ndarray,
                             school_offsets: np.ndarray, unit_xy: np.ndarray, unit_nodes: np.ndarray,
                             unit_offsets: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest school as the crow flies (Voronoi), with the *walking* distance to that school.

    Parameters
    ----------
    network
        The street network.
    school_xy
        School positions (projected, metres), ``k x 2``.
    school_nodes, school_offsets
        Each school's snapped node and its walk to it.
    unit_xy
        Unit positions (projected, metres), ``m x 2``.
    unit_nodes, unit_offsets
        Each unit's snapped node and its walk to it.

    Returns
    -------
    node_label, node_dist, unit_label, unit_dist
        As :func:`nearest_by_network`; the labels (of nodes too) are straight-line, the distances walked.
    """
    tree = cKDTree(school_xy)
    _, node_label = tree.query(network.xy)
    _, unit_label = tree.query(unit_xy)
    d = source_matrix(network, school_nodes, school_offsets)  # k x n
    node_dist = d[node_label, np.arange(network.n_nodes)]
    unit_dist = d[unit_label, unit_nodes] + unit_offsets
    return node_label.astype(np.int64), node_dist, unit_label.astype(np.int64), unit_dist
