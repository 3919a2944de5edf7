"""Xuequ's library: catchments from a street network.

One module per stage of the data flow::

    io (inputs) -> network -> distances -> assignment -> result (catchments, metrics) -> maps / export

with ``schools`` and ``demand`` normalising the two kinds of input table, ``scenario`` tying the
stages together, ``result`` the one builder that turns a plan (each compound's school) into assignments,
catchments and figures (for scenarios and the editor alike) and ``demo`` generating the bundled demo district. Only ``io`` touches disk or network.
"""

__version__ = "0.1.0"
