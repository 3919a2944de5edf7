"""Xuequ's library: catchments from a street network.

One module per stage of the data flow::

    io (inputs) -> network -> distances -> assignment -> catchments -> metrics -> maps / export

with ``schools`` and ``demand`` normalising the two kinds of input table, ``scenario`` tying the
stages together and ``demo`` generating the bundled demo district. Only ``io`` touches disk or network.
"""

__version__ = "0.1.0"
