"""Survival across studies at a landmark time: the arms whose printed summaries allow a
reconstruction, each arm's survival rate at the landmark (printed where the report prints it,
reconstructed where it does not) and the pools of those rates on the logit scale.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special, stats

from ..curated.studies import ROW_COLUMN, Study
from .arms import arm_label, efficacy_population, intervention_arms
from . import bayes
from .meta import PooledEstimate, inverse_variance
from .pooling import DEFAULT_RULES, MIN_POOLED_STUDIES, PoolingRules, bayesian_is_primary
from .reconstruct import analyse_arm, survival_inputs

# Where each landmark rate in a pool comes from, best first.
PRINTED_WITH_CI = "printed rate and CI"
PRINTED_RATE = "printed rate; SE from the reconstruction"
RECONSTRUCTED = "reconstructed (Kaplan-Meier of the rebuilt data)"
SOURCE_SHORT = {PRINTED_WITH_CI: "printed", PRINTED_RATE: "printed rate", RECONSTRUCTED: "reconstructed"}


def reconstructed_arms(studies: list[Study]) -> list[tuple[Study, object]]:
    """Every arm whose printed summaries allow a reconstruction, in the study's efficacy
    population: [(study, ArmReconstruction), ...]."""
    found = []
    for study in studies:
        population = efficacy_population(study)
        for inputs in survival_inputs(study):
            if inputs.population == population and not inputs.missing:
                found.append((study, analyse_arm(inputs)))
    return found


def printed_landmark(study: Study, arm: str, endpoint: str, months: float, population: str) -> dict | None:
    """The printed survival rate (percent) of ``arm`` at ``months``, with its CI when printed:
    {percent, ci_low, ci_high, level, data_row}; None when the paper prints none."""
    outcomes = study.table("outcomes", as_typed=False)
    chosen = outcomes[(outcomes["arm"] == arm) & (outcomes["population"] == population)
                      & (outcomes["endpoint"] == endpoint) & (outcomes["measure"] == "landmark")
                      & (outcomes["estimate"] != "")]
    chosen = chosen[[float(t) == float(months) for t in chosen["timepoint_months"]]] if not chosen.empty else chosen
    if chosen.empty:
        return None
    row = chosen.iloc[0]
    has_ci = row["ci_low"] != "" and row["ci_high"] != ""
    return {"percent": float(row["estimate"]), "ci_low": float(row["ci_low"]) if has_ci else math.nan,
            "ci_high": float(row["ci_high"]) if has_ci else math.nan,
            "level": float(row["ci_level"] or 95), "data_row": int(row[ROW_COLUMN])}


def _landmark_input(printed: dict | None, reconstructed: dict | None) -> dict | None:
    """The logit rate and its variance a landmark pool uses, and where they come from: the
    printed rate and CI where both are printed (the CI's width on the logit scale gives the
    SE), the printed rate with the reconstruction's SE where only the rate is printed, the
    reconstruction where nothing is printed; None where neither exists."""
    if printed is not None and 0 < printed["percent"] < 100:
        p = printed["percent"] / 100
        low, high = printed["ci_low"] / 100, printed["ci_high"] / 100
        if 0 < low < p < high < 1:
            z = stats.norm.ppf(1 - (1 - printed["level"] / 100) / 2)
            se_logit = (special.logit(high) - special.logit(low)) / (2 * z)
            return {"source": PRINTED_WITH_CI, "survival": p, "yi": float(special.logit(p)), "vi": float(se_logit ** 2),
                    "se": float(se_logit * p * (1 - p))}
        if reconstructed is not None:
            return {"source": PRINTED_RATE, "survival": p, "yi": float(special.logit(p)),
                    "vi": float((reconstructed["se"] / (p * (1 - p))) ** 2), "se": reconstructed["se"]}
    if reconstructed is not None:
        return {"source": RECONSTRUCTED, **{k: reconstructed[k] for k in ("survival", "yi", "vi", "se")}}
    return None


def landmark_table(arms: list[tuple[Study, object]], endpoint: str, months: float,
                   studies: list[Study] = ()) -> pd.DataFrame:
    """Survival at ``months`` for every intervention arm of ``endpoint``, as a landmark pool uses
    it (:func:`_landmark_input`: printed before reconstructed, with the source in ``source``),
    beside the printed and the reconstructed rate. ``arms`` are the reconstructed arms;
    ``studies`` adds arms that are not reconstructed but print the rate with its CI."""
    rows = []
    covered = set()

    def add(study: Study, arm: str, population: str, printed: dict | None, reconstructed: dict | None,
            inputs) -> None:
        chosen = _landmark_input(printed, reconstructed)
        if chosen is None:
            return
        covered.add((study.study_id, arm))
        data_rows = list(inputs.rows) if inputs is not None else []
        if printed is not None and printed["data_row"] not in data_rows and chosen["source"] != RECONSTRUCTED:
            data_rows.insert(0, printed["data_row"])
        rows.append({"study_id": study.study_id, "setting_group": study.meta["setting_group"], "arm": arm,
                     "arm_label": arm_label(study, arm), "population": population, "endpoint": endpoint,
                     "months": months, "n": inputs.printed.n if inputs is not None else math.nan,
                     "printed": "" if printed is None else f"{printed['percent']:g}",
                     "printed_ci": "" if printed is None or math.isnan(printed["ci_low"])
                     else f"{printed['ci_low']:g}–{printed['ci_high']:g}",
                     "reconstructed_percent": math.nan if reconstructed is None else 100 * reconstructed["survival"],
                     "source": chosen["source"], "percent": 100 * chosen["survival"], "se_percent": 100 * chosen["se"],
                     "yi": chosen["yi"], "vi": chosen["vi"],
                     "method": inputs.method if inputs is not None else "",
                     "data_rows": ", ".join(map(str, data_rows))})

    for study, arm in arms:
        if arm.inputs.endpoint != endpoint or arm.inputs.arm not in intervention_arms(study):
            continue
        printed = printed_landmark(study, arm.inputs.arm, endpoint, months, arm.inputs.population)
        add(study, arm.inputs.arm, arm.inputs.population, printed, landmark_estimate(arm, months), arm.inputs)
    for study in studies:
        population = efficacy_population(study)
        for arm in intervention_arms(study):
            if (study.study_id, arm) not in covered:
                add(study, arm, population, printed_landmark(study, arm, endpoint, months, population), None, None)
    return pd.DataFrame(rows)


def landmark_estimate(arm_reconstruction, months: float) -> dict | None:
    """Kaplan-Meier survival at ``months`` from reconstructed data, with its Greenwood
    variance carried to the logit scale (delta method); None if follow-up ends earlier or the
    estimate is 0 or 1."""
    data = arm_reconstruction.result.data
    if data["time"].max() < months:
        return None
    times = np.sort(data.loc[data["event"] == 1, "time"].unique())
    survival, greenwood = 1.0, 0.0
    for t in times[times <= months]:
        at_risk = int((data["time"] >= t).sum())
        deaths = int(((data["time"] == t) & (data["event"] == 1)).sum())
        survival *= 1 - deaths / at_risk
        if at_risk > deaths:
            greenwood += deaths / (at_risk * (at_risk - deaths))
    if not 0 < survival < 1:
        return None
    variance = survival ** 2 * greenwood
    return {"survival": survival, "se": math.sqrt(variance), "yi": float(special.logit(survival)),
            "vi": variance / (survival * (1 - survival)) ** 2}


# Why a landmark pool that would mix a printed rate with a reconstructed one is not made.
MIXES_RECONSTRUCTED = ("{names} not printed but reconstructed from the curve's printed summaries, and a reconstructed "
                       "rate's error (tens of percentage points at these sample sizes, see the validation page) is "
                       "not part of its standard error, so a pool with it would claim a precision the data do not have")


def pool_landmarks(frame: pd.DataFrame, rules: PoolingRules = DEFAULT_RULES,
                   names: dict[str, str] | None = None) -> PooledEstimate | None:
    """Pool of logit landmark survival by :class:`PoolingRules`: for two to four printed rates, the
    Bayesian normal-normal model (half-normal prior on tau); for more, inverse-variance REML with
    Hartung-Knapp. A pool of two or more rates of which any is reconstructed (not printed) is not
    made: a record with every number NaN says why. None for fewer than two rates."""
    if len(frame) < MIN_POOLED_STUDIES:
        return None
    labels = tuple(frame["study_id"])
    reconstructed = frame[frame["source"] == RECONSTRUCTED]
    if not reconstructed.empty:
        who = [(names or {}).get(s, s) for s in reconstructed["study_id"]]
        subject = (f"{who[0]}'s rate is" if len(who) == 1 else f"the rates of {', '.join(who)} are")
        return PooledEstimate.not_estimable(bayes.model_label(bayes.NORMAL_NORMAL, rules.tau_prior_scale), len(frame),
                                            MIXES_RECONSTRUCTED.format(names=subject), labels)
    if bayesian_is_primary(len(frame), rules):
        return bayes.normal_normal(frame["yi"], frame["vi"], rules.tau_prior_scale, labels=labels)
    return inverse_variance(frame["yi"], frame["vi"], hartung_knapp=True, labels=labels)
