"""Inputs: everything that reads what the user gives — OpenStreetMap files, school and compound tables in their
encodings, coordinate systems and column layouts — and checks it, row by row, into clean tables.

:func:`~geo.inputs.load.load_inputs` reads an OSM file through :mod:`~geo.inputs.osm` and tables through
:mod:`~geo.inputs.tables`, checks them with :mod:`~geo.inputs.schools` and :mod:`~geo.inputs.demand`, and returns
an :class:`~geo.inputs.model.Inputs`. Nothing here imports :mod:`geo.zoning` at module level, so reading a file
never loads the solvers.

- :mod:`~geo.inputs.files`: the cache folder, file digests, writing text and bytes;
- :mod:`~geo.inputs.text`: the one text decoder (UTF-8, GBK/GB18030, UTF-16/32, guessed with a warning);
- :mod:`~geo.inputs.osm`: OSM files checked (positions, duplicate nodes, clipped extracts, PBF), the compiled
  street network and its on-disk cache, OSM features, place downloads;
- :mod:`~geo.inputs.tables`: CSV (sniffed separators), XLSX, GeoJSON/GeoPackage/KML/Shapefile read into WGS-84,
  sizes checked, geometries repaired, coordinate systems placed;
- :mod:`~geo.inputs.mapping`: which column holds which field: proposed, applied, remembered per file layout;
- :mod:`~geo.inputs.schools`, :mod:`~geo.inputs.demand`: the two kinds of table, normalised and checked;
- :mod:`~geo.inputs.columns`: shared column checks (aliases, ids, whole numbers, coordinates);
- :mod:`~geo.inputs.coords`: GCJ-02 / BD-09 to WGS-84;
- :mod:`~geo.inputs.load`: all inputs at once, :func:`~geo.inputs.load.load_inputs`;
- :mod:`~geo.inputs.model`: :class:`~geo.inputs.model.Inputs`, what a zoning runs on;
- :mod:`~geo.inputs.boundary`: a district boundary (a polygon file, or an OSM administrative boundary by name)
  that clips the inputs and the study area;
- :mod:`~geo.inputs.paths`: typed paths confined to the data roots;
- :mod:`~geo.inputs.demo`: the generated demo district, :func:`~geo.inputs.demo.write_demo` (not imported here:
  reading a file never loads it).
"""

from geo.inputs.boundary import boundary_from_file, boundary_from_osm, clip_inputs
from geo.inputs.files import cache_dir, file_digest, write_bytes, write_text
from geo.inputs.load import gcj_offset_warning, inputs_from_place, load_compounds, load_inputs, load_schools
from geo.inputs.mapping import (
    apply_mapping,
    layout_key,
    mapping_fields,
    propose_mapping,
    recall_mapping,
    remember_mapping,
)
from geo.inputs.model import Inputs
from geo.inputs.osm import (
    check_osm,
    is_osm_file,
    load_network,
    load_network_checked,
    load_osm,
    network_from_place,
    read_osm_features,
    read_osm_graph,
)
from geo.inputs.tables import check_upload_size, read_plain_table, read_table, read_table_checked, table_columns
from geo.inputs.text import decode_text

__all__ = [
    "Inputs",
    "apply_mapping",
    "boundary_from_file",
    "boundary_from_osm",
    "cache_dir",
    "check_osm",
    "check_upload_size",
    "clip_inputs",
    "decode_text",
    "file_digest",
    "gcj_offset_warning",
    "inputs_from_place",
    "is_osm_file",
    "layout_key",
    "load_compounds",
    "load_inputs",
    "load_network",
    "load_network_checked",
    "load_osm",
    "load_schools",
    "mapping_fields",
    "network_from_place",
    "propose_mapping",
    "read_osm_features",
    "read_osm_graph",
    "read_plain_table",
    "read_table",
    "read_table_checked",
    "recall_mapping",
    "remember_mapping",
    "table_columns",
    "write_bytes",
    "write_text",
]
