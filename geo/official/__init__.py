"""Official zone lists (划片范围): published street lists read against a network, and plans written back as text.

The data flow, one module per step::

    text / files --parse--> entries --match--> network names --edges--> listed edges --plan--> ZoningResult
                                                                                      plan --write--> text

- :mod:`~geo.official.parse`: files, folders, uploads and pasted text (Markdown, CSV, plain) into a
  :class:`~geo.official.parse.ZoneText`, with the size limits that keep one list from holding the server;
- :mod:`~geo.official.entries`: one school's range text into entries (qualifier kinds) and issues;
- :mod:`~geo.official.scan`: the linear-time scans the parser is built on;
- :mod:`~geo.official.names`: street and school name normalisation and matching rules, and a city's place names
  (:func:`~geo.official.names.load_city`, data in ``cities/<city>.toml``);
- :mod:`~geo.official.match`: a list's streets matched to the network, its schools to the schools table;
- :mod:`~geo.official.check`: loose street matches accepted only near their school's other streets or the school;
- :mod:`~geo.official.edges`: matched entries to network edges (segments between junctions), edges to zones
  (compounds within reach of a listed street, polygons of that reach);
- :mod:`~geo.official.plan`: a list as a plan (:func:`~geo.official.plan.official_plan`, built by
  :func:`geo.zoning.result.build_result` like every plan) and its comparison with nearest-school zoning;
- :mod:`~geo.official.agreement`: how much of each school's listed streets a plan keeps in its catchment;
- :mod:`~geo.official.decisions`: the planner's choices on loose matches (remembered per list) and the schools
  the planner located;
- :mod:`~geo.official.write`: any plan written back as a zone list that reads back to the same streets;
- :mod:`~geo.official.report`: district match tables and report CSVs.
"""

from geo.official.agreement import listed_agreement
from geo.official.check import LOOSE_MAX_M, REJECTED, check_loose
from geo.official.decisions import ChoiceBook, load_places, places_frame, read_choices, zone_digest
from geo.official.edges import EdgeAssignment, assign_edges, node_labels_from_edges, reach_polygons
from geo.official.match import match_entries, match_report, street_index
from geo.official.names import City, NameIndex, load_city, normalise_name, normalise_school
from geo.official.parse import (
    MAX_ZONE_TEXT_BYTES,
    ZoneText,
    load_zone_source,
    parse_zone_text,
    read_zone_dir,
    read_zone_file,
    read_zone_upload,
)
from geo.official.plan import (
    OFFICIAL,
    REACH_M,
    STARTS,
    OfficialReport,
    agreement,
    compare_with_nearest,
    official_plan,
    with_listed_schools,
)
from geo.official.report import match_table, report_csv
from geo.official.write import WRITE_FORMATS, WrittenZones, plan_zone_text, write_zone_text

__all__ = [
    "LOOSE_MAX_M",
    "MAX_ZONE_TEXT_BYTES",
    "OFFICIAL",
    "REACH_M",
    "REJECTED",
    "STARTS",
    "ChoiceBook",
    "WRITE_FORMATS",
    "City",
    "EdgeAssignment",
    "NameIndex",
    "OfficialReport",
    "WrittenZones",
    "ZoneText",
    "agreement",
    "assign_edges",
    "check_loose",
    "compare_with_nearest",
    "listed_agreement",
    "load_city",
    "load_places",
    "load_zone_source",
    "match_entries",
    "match_report",
    "match_table",
    "node_labels_from_edges",
    "normalise_name",
    "normalise_school",
    "official_plan",
    "parse_zone_text",
    "places_frame",
    "reach_polygons",
    "read_choices",
    "plan_zone_text",
    "read_zone_dir",
    "read_zone_file",
    "read_zone_upload",
    "report_csv",
    "street_index",
    "with_listed_schools",
    "write_zone_text",
    "zone_digest",
]
