"""Rates of study arms as the pools, forest plots and odds ratios take them: one row per arm
with its events, total and exact CI, and the data row they come from (:data:`ARM_RATE_COLUMNS`).
The response rates are read here; the grade >= 3 adverse-event rates in
:func:`livingreview.statistics.safety.grade3_rates`.
"""

from __future__ import annotations

import pandas as pd

from ..curated.studies import Study
from .arms import INTERVENTION, arm_label, control_arms, efficacy_population, pooled_intervention_arms
from .intervals import proportion_ci
from .response import EXACT, primary_rate, response_rates

ARM_RATE_COLUMNS = ["study_id", "study_name", "study_label", "setting_group", "arm", "arm_label", "population",
                    "endpoint", "events", "total", "count_origin", "percent", "exact_low", "exact_high",
                    "source_type", "data_file", "data_row", "quote", "printed", "category", "band_counted"]


def exact_ci(events: int, total: int) -> tuple[float, float]:
    """Clopper-Pearson 95% CI of events/total, in percent (as ``proportion_ci`` returns it)."""
    return proportion_ci(events, total, EXACT, 95.0)


def arm_rate(study: Study, rates: pd.DataFrame, arm: str, endpoint: str, population: str) -> dict | None:
    """``arm``'s count and denominator of ``endpoint`` in ``population``, from the study's
    :func:`response_rates` (computed once by the caller); None if nothing has a count."""
    chosen = primary_rate(rates[rates["population"] == population], endpoint, arm)
    if chosen is None:
        return None
    events, total = int(chosen["count"]), int(chosen["denominator"])
    low, high = exact_ci(events, total)
    return {"study_id": study.study_id, "study_name": study.name, "study_label": study.meta["label"],
            "setting_group": study.meta["setting_group"], "arm": arm, "arm_label": arm_label(study, arm),
            "population": population, "endpoint": endpoint, "events": events, "total": total,
            "count_origin": chosen["count_origin"], "percent": 100 * events / total, "exact_low": low,
            "exact_high": high, "source_type": chosen["source_type"], "data_file": "outcomes.csv",
            "data_row": int(chosen["row"]), "quote": chosen["quote"], "printed": chosen["printed_percent"],
            "category": "", "band_counted": ""}


def arm_rates(studies: list[Study], endpoint: str, arms: str = INTERVENTION) -> pd.DataFrame:
    """One row per study arm (see :data:`ARM_RATE_COLUMNS`): the endpoint's count and denominator in
    the study's efficacy population, from the most detailed place that prints a count.

    ``arms`` is :data:`INTERVENTION` (arms given the intervention) or :data:`CONTROL`.
    """
    rows = []
    for study in studies:
        chosen = pooled_intervention_arms(study) if arms == INTERVENTION else control_arms(study)
        rates = response_rates(study)
        for arm in chosen:
            row = arm_rate(study, rates, arm, endpoint, efficacy_population(study))
            if row is not None:
                rows.append(row)
    return pd.DataFrame(rows, columns=ARM_RATE_COLUMNS)
