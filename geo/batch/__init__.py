"""Many districts zoned as tasks: a manifest of districts in, a folder of results per district, a summary table
across districts and the between/within-district Theil split of an indicator out (:func:`run_batch`).

Pure: the tasks go to a Dask ``distributed`` client passed in (a ``LocalCluster`` or a real cluster's scheduler;
the CLI makes one), or run one after another in this process without one.
"""

from geo.batch.run import DONE, MANIFEST_COLUMNS, BatchResult, read_manifest, run_batch, zone_district

__all__ = ["DONE", "MANIFEST_COLUMNS", "BatchResult", "read_manifest", "run_batch", "zone_district"]
