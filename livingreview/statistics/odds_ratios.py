"""Odds ratios of an arm given the intervention against a control arm of the same study: from
the printed (or implied) response counts and from the counts of patients with a grade >= 3
adverse event, with the Wald interval, or the conditional exact one (as R's ``fisher.test``) for
a table with a small cell.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import odds_ratio as conditional_odds_ratio

from ..curated.studies import Study
from .arms import CONTROL, arm_label, comparison_population, control_arms, intervention_arms, two_arm_studies
from .rate_tables import arm_rate
from .response import response_rates
from .safety import grade3_rates

# A 2x2 table with a cell below this count is "small": its Wald interval is anti-conservative,
# and the conditional exact odds ratio and interval (Fisher) are the ones shown.
SMALL_CELL = 5
WALD_OR = "Wald CI"
EXACT_OR = "conditional exact OR and CI (Fisher)"


def odds_ratio(events_1: int, total_1: int, events_2: int, total_2: int, level: float = 95.0) -> dict:
    """Odds ratio of arm 1 against arm 2, two ways.

    ``estimate``, ``ci_low``, ``ci_high`` (and ``log_estimate``, ``variance``, ``p``): the
    sample odds ratio with its Wald CI on the log scale, as ``escalc(measure="OR")`` (1/2 added
    to every cell only when a cell is zero). ``exact_estimate``, ``exact_low``, ``exact_high``:
    the conditional maximum-likelihood odds ratio and its exact CI, as R's ``fisher.test``.
    ``small`` is True when a cell is below :data:`SMALL_CELL`; ``method`` then names the exact
    one as the one to show, else the Wald one.
    """
    observed = [[events_1, total_1 - events_1], [events_2, total_2 - events_2]]
    cells = np.array([events_1, total_1 - events_1, events_2, total_2 - events_2], dtype=float)
    small = bool((cells < SMALL_CELL).any())
    if (cells == 0).any():
        cells = cells + 0.5
    log_or = math.log(cells[0] * cells[3] / (cells[1] * cells[2]))
    se = math.sqrt((1 / cells).sum())
    z = stats.norm.ppf(1 - (1 - level / 100) / 2)
    if all(float(c).is_integer() for row in observed for c in row):
        exact = conditional_odds_ratio(np.asarray(observed, dtype=int), kind="conditional")
        exact_ci = exact.confidence_interval(confidence_level=level / 100)
        exact_values = float(exact.statistic), float(exact_ci.low), float(exact_ci.high)
    else:  # expected (not observed) counts, as a teaching example builds: no exact test
        exact_values, small = (math.nan, math.nan, math.nan), False
    return {"estimate": math.exp(log_or), "ci_low": math.exp(log_or - z * se),
            "ci_high": math.exp(log_or + z * se), "log_estimate": log_or, "variance": se ** 2,
            "p": float(2 * stats.norm.sf(abs(log_or) / se)),
            "exact_estimate": exact_values[0], "exact_low": exact_values[1], "exact_high": exact_values[2],
            "small": small, "method": EXACT_OR if small else WALD_OR}


def shown_odds_ratio(ratio: dict) -> tuple[float, float, float, str]:
    """(estimate, CI low, CI high, method) of an :func:`odds_ratio` as pages show it: the exact
    one for a table with a small cell, the Wald one otherwise."""
    if ratio["small"]:
        return ratio["exact_estimate"], ratio["exact_low"], ratio["exact_high"], EXACT_OR
    return ratio["estimate"], ratio["ci_low"], ratio["ci_high"], WALD_OR


def response_odds_ratios(studies: list[Study], endpoint: str = "ORR") -> pd.DataFrame:
    """Per two-arm study: the intervention arm's odds of response against the control arm's, in
    the comparison population, from the printed (or implied) counts."""
    rows = []
    for study in two_arm_studies(studies):
        population = comparison_population(study)
        rates = response_rates(study)
        for arm in intervention_arms(study):
            for control in control_arms(study):
                treated = arm_rate(study, rates, arm, endpoint, population)
                untreated = arm_rate(study, rates, control, endpoint, population)
                if treated is None or untreated is None:
                    continue
                ratio = odds_ratio(treated["events"], treated["total"], untreated["events"], untreated["total"])
                rows.append({"study_id": study.study_id, "setting_group": study.meta["setting_group"],
                             "endpoint": endpoint, "population": population, "arm": arm, "control": control,
                             "comparison": f"{arm_label(study, arm)} vs {arm_label(study, control)}",
                             "events_arm": treated["events"], "total_arm": treated["total"],
                             "events_control": untreated["events"], "total_control": untreated["total"],
                             "data_rows": f"{treated['data_row']}, {untreated['data_row']}", **ratio})
    return pd.DataFrame(rows)


def grade3_odds_ratios(studies: list[Study], vocabulary: pd.DataFrame) -> pd.DataFrame:
    """Per two-arm study: the odds of any grade >= 3 adverse event in the intervention arm against
    the control arm, in the safety population, from the counts :func:`grade3_rates` determines
    (columns as :func:`response_odds_ratios`)."""
    comparative = two_arm_studies(studies)
    treated = grade3_rates(comparative, vocabulary)
    untreated = grade3_rates(comparative, vocabulary, arms=CONTROL)
    rows = []
    for study in comparative:
        for t in treated[treated["study_id"] == study.study_id].to_dict("records"):
            for u in untreated[untreated["study_id"] == study.study_id].to_dict("records"):
                if t["category"] != u["category"]:
                    continue  # treatment-related events in one arm and all events in the other differ
                ratio = odds_ratio(t["events"], t["total"], u["events"], u["total"])
                rows.append({"study_id": study.study_id, "setting_group": study.meta["setting_group"],
                             "endpoint": "grade3", "population": t["population"], "arm": t["arm"],
                             "control": u["arm"], "comparison": f"{t['arm_label']} vs {u['arm_label']}",
                             "events_arm": t["events"], "total_arm": t["total"], "events_control": u["events"],
                             "total_control": u["total"], "data_rows": f"{t['data_row']}, {u['data_row']}",
                             "category": t["category"], **ratio})
    return pd.DataFrame(rows)
