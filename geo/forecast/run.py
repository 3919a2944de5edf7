"""The forecast on loaded inputs and a zoning: what the page and the command run.

:func:`forecast_zoning` takes the :class:`~geo.inputs.model.Inputs`, a plan's
:class:`~geo.zoning.result.ZoningResult` (a fresh zoning, a stored plan reopened in the editor, an official list)
and the forecast's tables (:class:`~geo.forecast.load.ForecastInputs`), places the planned housing, and runs
:func:`~geo.forecast.model.forecast` for the result's level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from geo.forecast.load import ForecastInputs, place_housing
from geo.forecast.model import Event, Forecast, ForecastParams, forecast, labels_from_result


def forecast_zoning(inputs: Any, result: Any, data: ForecastInputs, *, events: Sequence[Event] = (),
                    zones: dict[str, str] | None = None, housing_file: str = "housing", **settings: Any) -> Forecast:
    """Forecast the school-age children of a zoning's compounds against its schools' seats.

    Parameters
    ----------
    inputs : Inputs
        The loaded inputs (their compounds, in order, are ``data``'s).
    result : ZoningResult
        The plan: its level, schools (with ``seats``) and each compound's school.
    data : ForecastInputs
        Children by age, enrolment history, planned housing.
    events : sequence of Event
        Dated changes to the plan.
    zones : dict, optional
        School id -> zone.
    housing_file : str
        The planned housing's file name, for messages.
    **settings
        :class:`~geo.forecast.model.ForecastParams` fields (``horizon``, ``cutoff``, ``survival``, ...);
        ``base_year`` and ``level`` come from ``data`` and ``result``. A ratios table in ``data`` gives the
        survival per age; a single ``survival`` setting then multiplies it. A share per compound in ``data``
        replaces the ``share`` setting where given.

    Returns
    -------
    Forecast

    Raises
    ------
    InputError
        For planned housing that cannot be given a school.
    """
    labels = labels_from_result(result)
    if data.survival is not None:  # the ratios table's per-age ratios, times any one ratio set for every age
        settings = settings | {"survival": data.survival * float(np.mean(settings.get("survival", 1.0)))}
    params = ForecastParams(base_year=data.base_year, level=result.scenario.level, **settings)
    housing = data.housing
    if housing is not None and len(housing):
        pts = shapely.get_coordinates(inputs.compounds.geometry.representative_point().to_numpy())
        housing = place_housing(housing, np.asarray(data.compound_ids), pts, labels, housing_file)
    schools = result.schools[["school_id", "name", "seats"]]
    share = None if data.share is None else np.where(np.isnan(data.share), params.share, data.share)
    return forecast(data.compound_ids, data.ages, labels, schools, params, housing=housing, history=data.history,
                    events=events, zones=zones, share=share)
