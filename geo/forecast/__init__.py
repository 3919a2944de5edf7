"""Forecast: the school-age population ten years ahead and seat warnings (学位预警), per compound, zone and school.

- :mod:`~geo.forecast.cohort`: the cohort arithmetic over compounds x single years of age (ageing with
  survival/migration ratios, entry at 6 or 12 with a cut-off date, grade progression, classes, warning levels);
- :mod:`~geo.forecast.model`: :func:`~geo.forecast.model.forecast` under a plan's compound -> school labels, with
  planned housing and dated events (openings, capacity changes, closures, mergers, rezonings), and
  :func:`~geo.forecast.model.compare_plans`;
- :mod:`~geo.forecast.load`: the age, births, enrolment-history and planned-housing tables read and checked;
- :mod:`~geo.forecast.run`: the forecast on loaded inputs and a zoning (what the page and ``xuequ forecast`` run);
- :mod:`~geo.forecast.backtest`: intake forecast from births six years earlier, scored on published series.

Pure numpy / pandas: nothing here imports the zoning solvers or streamlit.
"""

from geo.forecast.cohort import CLASS_SIZE, ENTRY_AGE, LEVEL_NAMES, entry_mix, warning_level
from geo.forecast.model import Event, Forecast, ForecastParams, compare_plans, forecast, labels_from_result

__all__ = ["CLASS_SIZE", "ENTRY_AGE", "LEVEL_NAMES", "Event", "Forecast", "ForecastParams", "compare_plans",
           "entry_mix", "forecast", "labels_from_result", "warning_level"]
