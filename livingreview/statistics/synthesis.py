"""Cross-study statistics: what each study contributes, pooled within each setting.

Every study names, in ``study.yaml`` (``analysis_populations``), the population its main
efficacy, comparison and safety results refer to; the chapters read those rows only. Rates
are pooled only within a setting (first line, later line, nodal recurrence): the settings
differ in prognosis, so a pooled number across them describes no patient. A pooled estimate
across all settings is computed once, labelled as an illustration of that heterogeneity.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import special, stats

from ..curated.printed import attainable_counts
from ..curated.review import intervention_of, load_review, receives_intervention
from ..curated.studies import ROW_COLUMN, Study, stack_rows
from .meta import (GLMM, NotEstimable, PooledEstimate, common_effect, common_effect_proportion,
                   glmm_proportion, inverse_variance, leave_one_out, logit_effect_sizes)
from .intervals import proportion_ci
from .response import EXACT, primary_rate, response_rates
from .reconstruct import SOURCE_RANK, analyse_arm, survival_inputs
from .safety import GRADE_3_PLUS, ae_rates
from .survival import printed_survival

ALL_SETTINGS = "all_settings"
ALL_SETTINGS_LABEL = "All settings together (illustration of heterogeneity, not a finding)"
MIN_POOLED_STUDIES = 2
# Fewer studies than this give no random-effects pool: two studies cannot estimate how much the
# true values differ between studies (tau^2 is then often estimated as 0, and a prediction
# interval would claim a homogeneity they cannot show), and a Hartung-Knapp interval on one
# degree of freedom covers nearly every value (Cochrane Handbook ch. 10; IntHout et al. 2014;
# Röver et al. 2015). Such pools show the studies side by side, with a common-effect summary
# labelled as a sensitivity summary.
MIN_RANDOM_EFFECTS_STUDIES = 3
# Leave-one-out refits a pool without each study in turn: from this many studies every refit is
# itself a random-effects pool.
LEAVE_ONE_OUT_MIN_STUDIES = MIN_RANDOM_EFFECTS_STUDIES + 1
TOO_FEW_FOR_RANDOM_EFFECTS = ("two studies cannot show how much the true values differ between studies, so no "
                              "random-effects pool or prediction interval is given")
ANY_EVENT_TERM = "Any adverse event"
RATE_COLUMNS = ["study_id", "study_name", "study_label", "setting_group", "arm", "arm_label", "population", "endpoint",
                "events", "total", "count_origin", "percent", "exact_low", "exact_high", "source_type",
                "data_file", "data_row", "quote", "printed", "category"]
# Which arms of each study a rate table holds: those given the intervention, or the controls.
INTERVENTION, CONTROL = "intervention", "control"
POOLED_COLUMNS = ["group", "endpoint", "model", "k", "patients", "studies", "estimate", "ci_low", "ci_high",
                  "pi_low", "pi_high", "tau2", "i2", "note", "definition"]


def efficacy_population(study: Study) -> str:
    return study.meta["analysis_populations"]["efficacy"]


def comparison_population(study: Study) -> str:
    return study.meta["analysis_populations"].get("comparison") or efficacy_population(study)


def safety_population(study: Study) -> str | None:
    """The declared safety population, else the only population in the AE table (or None)."""
    declared = study.meta["analysis_populations"].get("safety")
    if declared:
        return declared
    found = study.tables["adverse_events"]["population"].unique()
    return found[0] if len(found) == 1 else None


def intervention_arms(study: Study) -> list[str]:
    """The arms given the review's intervention (``receives_intervention`` in study.yaml)."""
    return [a["arm_id"] for a in study.meta["arms"] if receives_intervention(a)]


def control_arms(study: Study) -> list[str]:
    """The arms not given the review's intervention."""
    return [a["arm_id"] for a in study.meta["arms"] if not receives_intervention(a)]


def is_monotherapy(study: Study, arm: str) -> bool:
    """Whether an arm gives the intervention alone (its ``partners`` list is empty)."""
    meta = study.arms.get(arm, {})
    return receives_intervention(meta) and not meta.get("partners")


# How an arm's partner treatments (``partners`` in study.yaml) are named.
PARTNER_LABELS = {"chemotherapy": "chemotherapy", "pd1_inhibitor": "PD-1 inhibitor", "radiotherapy": "radiotherapy"}


def regimen_label(study: Study, arm: str) -> str:
    """'<intervention> alone', '<intervention> + chemotherapy, PD-1 inhibitor', 'no <intervention>'."""
    meta = study.arms.get(arm, {})
    name = intervention_of(study).name
    if not receives_intervention(meta):
        return f"no {name}"
    partners = [PARTNER_LABELS.get(str(p), str(p).replace("_", " ")) for p in meta.get("partners") or []]
    return f"{name} + " + ", ".join(partners) if partners else f"{name} alone"


def combines_monotherapy(study: Study) -> bool:
    """Whether the review allows pooling the intervention alone with combinations (review.yaml
    pooling.combine_monotherapy; no, by default)."""
    return bool((load_review(study.folder.parent.parent).get("pooling") or {}).get("combine_monotherapy"))


def pooled_intervention_arms(study: Study) -> list[str]:
    """The intervention arms whose rates the pools use: every one, except arms of the
    intervention alone when the review keeps monotherapy apart from combinations."""
    return [a for a in intervention_arms(study) if not is_monotherapy(study, a) or combines_monotherapy(study)]


def monotherapy_left_out(studies: list[Study]) -> list[tuple[Study, str]]:
    """(study, arm) of every arm of the intervention alone that the pools leave out."""
    return [(s, a) for s in studies for a in intervention_arms(s) if a not in pooled_intervention_arms(s)]


DENOMINATOR_LABELS = {"all_treated": "all treated (not evaluable = no response)",
                      "evaluable": "evaluable patients only",
                      "not_stated": "not stated in the report"}


def response_denominator(study: Study) -> str:
    """What a study's response rates count over (``analysis_populations.response_denominator``),
    in words."""
    return DENOMINATOR_LABELS[study.meta["analysis_populations"].get("response_denominator", "not_stated")]


def is_matched(study: Study, population: str) -> bool:
    """True when ``population`` is a matched cohort (``matched: true`` in study.yaml)."""
    return any(p.get("matched") for p in study.meta["populations"] if p["population_id"] == population)


def two_arm_studies(studies: list[Study]) -> list[Study]:
    """The studies with an intervention arm and a control arm (from their metadata alone, so that
    a comparison reads no single-arm study's tables)."""
    return [s for s in studies if intervention_arms(s) and control_arms(s)]


def arm_label(study: Study, arm: str) -> str:
    return study.arms[arm]["label"] if arm in study.arms else arm


def _exact(events: int, total: int) -> tuple[float, float]:
    """Clopper-Pearson 95% CI of events/total, in percent (as ``proportion_ci`` returns it)."""
    return proportion_ci(events, total, EXACT, 95.0)


# ---------------------------------------------------------------------------- response

def _rate_row(study: Study, rates: pd.DataFrame, arm: str, endpoint: str, population: str) -> dict | None:
    """``arm``'s count and denominator of ``endpoint`` in ``population``, from the study's
    :func:`response_rates` (computed once by the caller); None if nothing has a count."""
    chosen = primary_rate(rates[rates["population"] == population], endpoint, arm)
    if chosen is None:
        return None
    events, total = int(chosen["count"]), int(chosen["denominator"])
    low, high = _exact(events, total)
    return {"study_id": study.study_id, "study_name": study.name, "study_label": study.meta["label"],
            "setting_group": study.meta["setting_group"], "arm": arm, "arm_label": arm_label(study, arm),
            "population": population, "endpoint": endpoint, "events": events, "total": total,
            "count_origin": chosen["count_origin"], "percent": 100 * events / total, "exact_low": low,
            "exact_high": high, "source_type": chosen["source_type"], "data_file": "outcomes.csv",
            "data_row": int(chosen["row"]), "quote": chosen["quote"], "printed": chosen["printed_percent"],
            "category": ""}


def arm_rates(studies: list[Study], endpoint: str, arms: str = INTERVENTION) -> pd.DataFrame:
    """One row per study arm (see :data:`RATE_COLUMNS`): the endpoint's count and denominator in
    the study's efficacy population, from the most detailed place that prints a count.

    ``arms`` is :data:`INTERVENTION` (arms given the intervention) or :data:`CONTROL`.
    """
    rows = []
    for study in studies:
        chosen = pooled_intervention_arms(study) if arms == INTERVENTION else control_arms(study)
        rates = response_rates(study)
        for arm in chosen:
            row = _rate_row(study, rates, arm, endpoint, efficacy_population(study))
            if row is not None:
                rows.append(row)
    return pd.DataFrame(rows, columns=RATE_COLUMNS)


def _pooled_row(group: str, endpoint: str, estimate: PooledEstimate, rates: pd.DataFrame) -> dict:
    shown = estimate.as_proportion()
    return {"group": group, "endpoint": endpoint, "model": estimate.model, "k": estimate.k,
            "patients": int(rates["total"].sum()), "studies": ", ".join(rates["study_id"]),
            **{key: 100 * value for key, value in shown.items()}, "tau2": estimate.tau2, "i2": estimate.i2,
            "note": estimate.note, "definition": ""}


def pool_rates(rates: pd.DataFrame, endpoint: str) -> list[PooledEstimate]:
    """The pools of one set of arms, the primary first.

    Three or more studies: the binomial-normal GLMM (primary) and inverse-variance REML with
    Hartung-Knapp (sensitivity). Two studies: no random-effects pool (the record says why,
    :data:`TOO_FEW_FOR_RANDOM_EFFECTS`) and a common-effect summary labelled as a sensitivity
    summary. One study: nothing (empty).
    """
    if len(rates) < MIN_POOLED_STUDIES:
        return []
    labels = tuple(rates["study_id"])
    yi, vi = logit_effect_sizes(rates["events"], rates["total"])
    primary = glmm_or_reason(rates["events"], rates["total"], labels=labels)
    if len(rates) >= MIN_RANDOM_EFFECTS_STUDIES:
        return [primary, inverse_variance(yi, vi, hartung_knapp=True, labels=labels)]
    if not primary.estimable:  # every study at 0% (or 100%): the continuity-corrected summary
        return [primary, common_effect(yi, vi, labels=labels)]
    return [PooledEstimate.not_estimable(GLMM, len(rates), TOO_FEW_FOR_RANDOM_EFFECTS, labels),
            common_effect_proportion(rates["events"], rates["total"], labels=labels)]


def glmm_or_reason(events, totals, labels: tuple[str, ...] = ()) -> PooledEstimate:
    """:func:`glmm_proportion`, or, where the model has no finite estimate (every study at 0%,
    or every study at 100%), a record of the pool with every number NaN and the reason in its
    ``note``, so that a page says why instead of stopping."""
    try:
        return glmm_proportion(events, totals, labels=labels)
    except NotEstimable as reason:
        return PooledEstimate.not_estimable(GLMM, len(events), str(reason), labels)


def inverse_variance_weights(rates: pd.DataFrame) -> list[float]:
    """Each study's share (percent) of the random-effects inverse-variance pool of its logit
    rate (weights 1 / (v_i + tau²), tau² by REML), as a forest plot's weight column shows it."""
    from .meta import reml_tau2

    yi, vi = logit_effect_sizes(rates["events"], rates["total"])
    weights = 1 / (np.asarray(vi) + reml_tau2(yi, vi))
    return list(100 * weights / weights.sum())


def setting_groups(rates: pd.DataFrame, order: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """(setting, its rows) in the review's order, then all settings together when there is
    more than one setting."""
    groups = [(s, rates[rates["setting_group"] == s]) for s in order if (rates["setting_group"] == s).any()]
    groups += [(s, rates[rates["setting_group"] == s]) for s in sorted(set(rates["setting_group"]) - set(order))]
    if len(groups) > 1:
        groups.append((ALL_SETTINGS, rates))
    return groups


def definition_label(category: str) -> str:
    """'treatment-related adverse events' for an adverse-event category code (its label in the
    data dictionary)."""
    from ..curated.dictionary import load_dictionary

    return load_dictionary().label("adverse_events", "category", category)


def mixed_definitions_note(categories: list[str]) -> str:
    """Why studies that count different adverse events are not pooled together."""
    return ("the studies count different events (" + " and ".join(definition_label(c) for c in categories)
            + "), so each definition is pooled on its own")


def pooled_table(rates: pd.DataFrame, endpoint: str, order: list[str], by_definition: bool = False) -> pd.DataFrame:
    """Pooled proportions (percent) per setting and model (see :data:`POOLED_COLUMNS`).

    With ``by_definition`` (adverse events) studies are pooled only with studies that count the
    same events (the rates' ``category``, e.g. treatment-emergent or treatment-related): where a
    setting holds both, its first record is a not-pooled one saying so, followed by one pool per
    definition with ``definition`` set.
    """
    rows = []
    for group, members in setting_groups(rates, order):
        definitions = sorted(set(members["category"])) if by_definition else [""]
        if len(definitions) > 1:
            note = mixed_definitions_note(definitions)
            rows.append(_pooled_row(group, endpoint, PooledEstimate.not_estimable(
                GLMM, len(members), note, tuple(members["study_id"])), members))
        for definition in definitions:
            chosen = members[members["category"] == definition] if len(definitions) > 1 else members
            for estimate in pool_rates(chosen.reset_index(drop=True), endpoint):
                rows.append({**_pooled_row(group, endpoint, estimate, chosen),
                             "definition": definition if len(definitions) > 1 else ""})
    return pd.DataFrame(rows, columns=POOLED_COLUMNS)


def leave_one_out_table(rates: pd.DataFrame, endpoint: str, order: list[str]) -> pd.DataFrame:
    """Each pool with :data:`LEAVE_ONE_OUT_MIN_STUDIES` or more studies refitted without each
    study in turn (GLMM), so that every refit is itself a random-effects pool."""
    rows = []
    for group, members in setting_groups(rates, order):
        if len(members) < LEAVE_ONE_OUT_MIN_STUDIES:
            continue
        labels = list(members["study_id"])
        for left_out, estimate in leave_one_out(glmm_or_reason, labels, members["events"], members["total"]):
            kept = members[members["study_id"] != left_out]
            rows.append({"left_out": left_out, **_pooled_row(group, endpoint, estimate, kept)})
    return pd.DataFrame(rows, columns=["left_out", *POOLED_COLUMNS])


def subgroup_difference(rates: pd.DataFrame, order: list[str]) -> dict[str, float] | None:
    """Test for differences between settings: Cochran's Q of the per-setting random-effects
    (REML, Wald) log odds around their fixed-effect mean; None with fewer than two pooled
    settings. A large Q says the settings' rates differ more than chance allows."""
    estimates = []
    for group, members in setting_groups(rates, order):
        if group == ALL_SETTINGS:
            continue
        yi, vi = logit_effect_sizes(members["events"], members["total"])
        pooled = inverse_variance(yi, vi, hartung_knapp=False)
        estimates.append((pooled.estimate, pooled.se ** 2))
    if len(estimates) < 2:
        return None
    y = np.array([e for e, _ in estimates])
    w = 1 / np.array([v for _, v in estimates])
    mean = (w * y).sum() / w.sum()
    q = float((w * (y - mean) ** 2).sum())
    df = len(y) - 1
    return {"q": q, "df": df, "p": float(stats.chi2.sf(q, df))}


# ---------------------------------------------------------------------------- comparisons

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
    from scipy.stats.contingency import odds_ratio as conditional_odds_ratio

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
                treated = _rate_row(study, rates, arm, endpoint, population)
                untreated = _rate_row(study, rates, control, endpoint, population)
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
    untreated = grade3_rates(comparative, vocabulary, arms="control")
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


def printed_hazard_ratios(studies: list[Study]) -> pd.DataFrame:
    """Every printed hazard ratio with a CI for the intervention against a control arm, in the
    comparison population."""
    rows = []
    for study in two_arm_studies(studies):
        outcomes = study.table("outcomes", as_typed=False)
        chosen = outcomes[(outcomes["measure"] == "hazard_ratio") & outcomes["ci_low"].ne("")
                          & outcomes["arm"].isin(intervention_arms(study))
                          & outcomes["comparator_arm"].isin(control_arms(study))
                          & (outcomes["population"] == comparison_population(study))
                          & outcomes["endpoint"].isin(["PFS", "OS"])]
        for r in chosen.to_dict("records"):
            rows.append({"study_id": study.study_id, "setting_group": study.meta["setting_group"],
                         "endpoint": r["endpoint"], "population": r["population"], "arm": r["arm"],
                         "control": r["comparator_arm"], "estimate": float(r["estimate"]),
                         "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]),
                         "ci_level": r["ci_level"] or "95", "adjusted": r["adjusted"] == "yes",
                         "model": r["model"], "source_type": r["source_type"], "source": r["source"],
                         "quote": r["quote"], "data_row": int(r["row"]), "printed": r["estimate"]})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    # The same ratio printed in the abstract and the text is one result: keep the most
    # detailed place (as the survival reconstruction ranks them).
    rank = frame["source_type"].map(SOURCE_RANK).fillna(9)
    frame = frame.assign(_rank=rank).sort_values(["_rank", "data_row"], kind="stable")
    frame = frame.drop_duplicates(["study_id", "endpoint", "arm", "control", "estimate", "ci_low", "ci_high",
                                   "adjusted", "model"])
    return frame.drop(columns="_rank").sort_values(["study_id", "endpoint", "adjusted", "data_row"],
                                                   kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------- survival

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


def printed_survival_summaries(studies: list[Study]) -> pd.DataFrame:
    """Printed medians and landmark rates of every arm, in each study's efficacy population."""
    frames = []
    for study in studies:
        printed = printed_survival(study)
        printed = printed[printed["measure"].isin(["median", "landmark"]) & printed["endpoint"].isin(["PFS", "OS"])
                          & (printed["population"] == efficacy_population(study)) & (printed["arm"] != "all")]
        frames.append(printed.assign(study_id=study.study_id, setting_group=study.meta["setting_group"],
                                     intervention=printed["arm"].isin(intervention_arms(study)),
                                     arm_label=[arm_label(study, a) for a in printed["arm"]]))
    return stack_rows(frames)


# Where each landmark rate in a pool comes from, best first.
PRINTED_WITH_CI = "printed rate and CI"
PRINTED_RATE = "printed rate; SE from the reconstruction"
RECONSTRUCTED = "reconstructed (Kaplan-Meier of the rebuilt data)"
SOURCE_SHORT = {PRINTED_WITH_CI: "printed", PRINTED_RATE: "printed rate", RECONSTRUCTED: "reconstructed"}


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


def pool_landmarks(frame: pd.DataFrame) -> PooledEstimate | None:
    """Pool of logit landmark survival: inverse-variance REML with Hartung-Knapp for three or
    more studies, a common-effect summary (sensitivity only) for two; None for one."""
    if len(frame) < MIN_POOLED_STUDIES:
        return None
    labels = tuple(frame["study_id"])
    if len(frame) < MIN_RANDOM_EFFECTS_STUDIES:
        return replace(common_effect(frame["yi"], frame["vi"], labels=labels), note=TOO_FEW_FOR_RANDOM_EFFECTS)
    return inverse_variance(frame["yi"], frame["vi"], hartung_knapp=True, labels=labels)


# ---------------------------------------------------------------------------- safety

def safety_rates(studies: list[Study], vocabulary: pd.DataFrame) -> pd.DataFrame:
    """AE rates of every arm in each study's safety population, with the study's setting."""
    frames = []
    for study in studies:
        population = safety_population(study)
        rates = ae_rates(study, vocabulary)
        if population is not None:
            rates = rates[rates["population"] == population]
        rates = rates[rates["arm"].isin(study.arms)]
        frames.append(rates.assign(study_id=study.study_id, setting_group=study.meta["setting_group"],
                                   intervention=rates["arm"].isin(intervention_arms(study)),
                                   arm_label=[arm_label(study, a) for a in rates["arm"]]))
    return stack_rows(frames)


def grade3_rates(studies: list[Study], vocabulary: pd.DataFrame, arms: str = INTERVENTION) -> pd.DataFrame:
    """Per intervention arm (or control arm, ``arms=CONTROL``): patients with any grade >= 3
    adverse event, as a count over the safety population. A count printed only as a
    percentage is the one whole count that percentage allows; arms where no count is
    determined are left out."""
    rates = safety_rates(studies, vocabulary)
    rows = []
    if rates.empty:
        return pd.DataFrame(columns=RATE_COLUMNS)
    wanted = rates[INTERVENTION] if arms == INTERVENTION else ~rates[INTERVENTION].astype(bool)
    if arms == INTERVENTION:  # arms of the intervention alone are kept apart from combinations
        pooled = {(s.study_id, a) for s in studies for a in pooled_intervention_arms(s)}
        wanted = wanted & pd.Series([(sid, arm) in pooled for sid, arm in zip(rates["study_id"], rates["arm"])],
                                    index=rates.index)
    chosen = rates[(rates["term"] == ANY_EVENT_TERM) & (rates["band"] == GRADE_3_PLUS) & wanted]
    labels = {s.study_id: s.meta["label"] for s in studies}
    names = {s.study_id: s.name for s in studies}
    for r in chosen.to_dict("records"):
        total = r["denominator"]
        if pd.isna(r["count"]):
            possible = attainable_counts(r["printed_percent"], int(total)) if r["printed_percent"] else []
            if len(possible) != 1:
                continue
            events, origin = possible[0], "implied"
        else:
            events, origin = int(r["count"]), "printed"
        low, high = _exact(events, int(total))
        rows.append({"study_id": r["study_id"], "study_name": names[r["study_id"]], "study_label": labels[r["study_id"]],
                     "setting_group": r["setting_group"], "arm": r["arm"], "arm_label": r["arm_label"],
                     "population": r["population"], "endpoint": "grade ≥3 adverse events", "events": events,
                     "total": int(total), "count_origin": origin, "percent": 100 * events / total,
                     "exact_low": low, "exact_high": high, "source_type": r["source"],
                     "data_file": "adverse_events.csv", "data_row": r["rows"], "quote": "",
                     "printed": r["printed_percent"], "category": r["category"]})
    return pd.DataFrame(rows, columns=RATE_COLUMNS)


def heatmap_matrix(rates: pd.DataFrame, band: str) -> pd.DataFrame:
    """Percent of patients per harmonised term (rows) and study arm (columns) for one band;
    the summary 'any adverse event' row is left out."""
    chosen = rates[(rates["band"] == band) & (rates["group"] != "any")]
    if chosen.empty:
        return pd.DataFrame()
    chosen = chosen.assign(column=chosen["study_id"] + ": " + chosen["arm_label"])
    # A term printed under two categories (TRAE and AE) in one arm keeps its higher rate.
    matrix = chosen.pivot_table(index="term", columns="column", values="percent", aggfunc="max")
    order = matrix.notna().sum(axis=1).sort_values(ascending=False, kind="stable").index
    return matrix.loc[order]


def class_effects(rates: pd.DataFrame) -> pd.DataFrame:
    """The intervention's class effects (terms the vocabulary marks as class effects) per arm."""
    chosen = rates[rates["class_effect"].astype(bool)]
    return chosen.sort_values(["term", "study_id", "arm", "band"], kind="stable")
