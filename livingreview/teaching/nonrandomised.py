"""Teaching: hazard ratios and comparisons without randomisation.

The chapter ``notebooks/teaching/nonrandomised_comparisons.ipynb`` explains, on the review's
own comparative studies, what a hazard ratio is (and is not), why adjusted and unadjusted
ratios differ, and why ratios from arms that patients or doctors chose estimate association
rather than the effect of adding the intervention. Every example is chosen here from the data, so
that the chapter also runs on data without a comparative study; the statistics themselves
come from :mod:`livingreview.statistics.odds_ratios` and :mod:`livingreview.statistics.survival`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..statistics.arms import comparison_population, control_arms, intervention_arms
from ..statistics.odds_ratios import odds_ratio, response_odds_ratios, shown_odds_ratio
from ..statistics.survival import printed_hazard_ratios
from ..curated.review import Intervention, intervention_of, is_randomised
from ..curated.studies import Study
from ..pages.display import humanise
from ..curated.integrity import EXCLUDE, study_status
from ..curated.integrity import decision as integrity_decision
from ..statistics.reconstruct import survival_inputs
from ..statistics.response import primary_rate, response_rates

PATIENT_CHOICE_DESIGN = "nonrandomised_controlled_trial"
MATCHED_DESIGN = "retrospective_comparative"
# A Weibull shape of 1 is the exponential (constant hazard): the only shape for which the
# ratio of medians equals the hazard ratio.
EXPONENTIAL_SHAPE = 1.0


# ---------------------------------------------------------------------------- choosing examples

def integrity_label(study: Study) -> str:
    """How the review's integrity screen treats the study, in words."""
    return study_status(study).label.split(" (")[0].lower()


def comparative_studies(studies: list[Study]) -> list[Study]:
    """Studies with an intervention arm and a control arm that did not randomise (the chapter's
    subject); those the main analyses use come first, so that an excluded study is chosen as
    an example only when no other fits."""
    found = [s for s in studies if intervention_arms(s) and control_arms(s) and not is_randomised(s)]
    return sorted(found, key=lambda s: (integrity_decision(s) == EXCLUDE, s.study_id))


def patient_choice_example(studies: list[Study]) -> Study | None:
    """The first comparative study whose patients were allocated without randomisation in a
    prospective trial (in this review: patients chose their arm); None if there is none."""
    return next((s for s in comparative_studies(studies) if s.meta["design"]["type"] == PATIENT_CHOICE_DESIGN),
                None)


def hazard_ratio_table(studies: list[Study]) -> pd.DataFrame:
    """Every printed intervention-vs-control hazard ratio (:func:`printed_hazard_ratios`)
    with the standard error of its log recovered from the printed CI and the study's
    integrity decision."""
    frame = printed_hazard_ratios(studies)
    if frame.empty:
        return frame
    labels = {s.study_id: integrity_label(s) for s in studies}
    printing = set(frame["study_id"])
    texts = {s.study_id: s.table("outcomes", as_typed=False).set_index("row") for s in studies
             if s.study_id in printing}
    # The CI limits as printed (0.70 stays 0.70), for prose that quotes the paper.
    printed = [texts[s].loc[r] for s, r in zip(frame["study_id"], frame["data_row"])]
    return frame.assign(
        log_se=[log_ratio_se(lo, hi, float(level)) for lo, hi, level in
                zip(frame["ci_low"], frame["ci_high"], frame["ci_level"])],
        ci_low_printed=[r["ci_low"] for r in printed], ci_high_printed=[r["ci_high"] for r in printed],
        integrity=frame["study_id"].map(labels))


def adjusted_example(studies: list[Study]) -> dict | None:
    """One study and endpoint that prints both an unadjusted and an adjusted hazard ratio for
    the same comparison, preferring a study the main analyses use; None if none prints both.

    The unadjusted ratio is taken from the same model family as the adjusted one where
    possible (a univariable Cox model beside a multivariable Cox model), so that the two
    differ only in the covariates.
    """
    frame = hazard_ratio_table(studies)
    if frame.empty:
        return None
    excluded = {s.study_id: integrity_decision(s) == EXCLUDE for s in studies}
    candidates = []
    for key, group in frame.groupby(["study_id", "endpoint", "arm", "control"], sort=True):
        adjusted, unadjusted = group[group["adjusted"]], group[~group["adjusted"]]
        if adjusted.empty or unadjusted.empty:
            continue
        chosen = adjusted.iloc[0]
        family = str(chosen["model"]).split(" ")[0].lower()
        same = unadjusted[unadjusted["model"].str.lower().str.startswith(family)] if family else unadjusted
        partner = (same if not same.empty else unadjusted).iloc[0]
        candidates.append((excluded[key[0]], key, partner.to_dict(), chosen.to_dict()))
    if not candidates:
        return None
    is_excluded, key, unadjusted, adjusted = min(candidates, key=lambda c: (c[0], c[1]))
    return {"study_id": key[0], "endpoint": key[1], "excluded": is_excluded,
            "integrity": adjusted["integrity"], "unadjusted": unadjusted, "adjusted": adjusted}


# ---------------------------------------------------------------------------- hazard ratios

def log_ratio_se(low: float, high: float, level: float = 95.0) -> float:
    """Standard error of a log ratio recovered from its printed CI: a Wald CI is symmetric on
    the log scale, so its width is 2 z SE."""
    z = stats.norm.ppf(1 - (1 - level / 100) / 2)
    return (math.log(high) - math.log(low)) / (2 * z)


def treated_median_column(studies: list[Study]) -> str:
    """The column of :func:`median_table` holding the intervention arm's median, named after the
    intervention ('median_<name>'), as the table shows it."""
    name = intervention_of(studies[0]).name if studies else "intervention"
    return f"median_{name}"


def median_table(studies: list[Study]) -> pd.DataFrame:
    """Per comparative study and endpoint: the printed medians of the intervention arm (column
    :func:`treated_median_column`) and control arm (comparison population) as printed, their
    ratio, and the printed unadjusted hazard ratio.

    ``median_ratio`` is control median / intervention median: the hazard ratio it would equal if
    the hazard in each arm were constant over time.
    """
    treated_column = treated_median_column(studies)
    hazard_ratios = hazard_ratio_table(studies)
    rows = []
    for study in comparative_studies(studies):
        population = comparison_population(study)
        text = study.table("outcomes", as_typed=False).set_index("row")
        # The median as printed (8.70 stays 8.70), from the row the reconstruction chose.
        medians = {(i.arm, i.endpoint): next(text.loc[r, "estimate"] for r in i.rows
                                             if text.loc[r, "measure"] == "median")
                   for i in survival_inputs(study) if i.population == population and i.printed.median is not None}
        for arm in intervention_arms(study):
            for control in control_arms(study):
                for endpoint in ("PFS", "OS"):
                    treated, untreated = medians.get((arm, endpoint)), medians.get((control, endpoint))
                    if treated is None or untreated is None:
                        continue
                    printed = hazard_ratios[(hazard_ratios["study_id"] == study.study_id)
                                            & (hazard_ratios["endpoint"] == endpoint)
                                            & (hazard_ratios["arm"] == arm) & (hazard_ratios["control"] == control)
                                            & ~hazard_ratios["adjusted"]] if not hazard_ratios.empty else None
                    first = None if printed is None or printed.empty else printed.sort_values("data_row").iloc[0]
                    rows.append({"study_id": study.study_id, "endpoint": endpoint, "population": population,
                                 treated_column: treated, "median_control": untreated,
                                 "median_ratio": float(untreated) / float(treated),
                                 "hazard_ratio": math.nan if first is None else first["estimate"],
                                 "hazard_ratio_printed": "" if first is None else first["printed"],
                                 "hr_model": "" if first is None else first["model"],
                                 "integrity": integrity_label(study)})
    return pd.DataFrame(rows, columns=["study_id", "endpoint", "population", treated_column, "median_control",
                                       "median_ratio", "hazard_ratio", "hazard_ratio_printed", "hr_model",
                                       "integrity"])


def weibull_survival(months, median: float, shape: float) -> np.ndarray:
    """Weibull survival with the given median: S(t) = 0.5 ** ((t / median) ** shape).

    ``shape`` < 1 is a hazard that falls over time, 1 a constant hazard, > 1 a rising one.
    """
    return 0.5 ** ((np.asarray(months, dtype=float) / median) ** shape)


def weibull_median_ratio(hazard_ratio: float, shape: float) -> float:
    """Ratio of medians (control / treated) when the hazards are proportional Weibull ones.

    With proportional hazards the treated curve is the control curve raised to the power HR,
    so the treated median is the control median times HR ** (-1 / shape).
    """
    return hazard_ratio ** (1 / shape)


def plot_proportional_hazards(hazard_ratio: float, shape: float, median_control: float,
                              horizon: float | None = None, ax=None):
    """Control and treated Weibull survival curves with a constant hazard ratio, medians marked."""
    import matplotlib.pyplot as plt

    ax = plt.gca() if ax is None else ax
    horizon = 4 * median_control if horizon is None else horizon
    months = np.linspace(0, horizon, 400)
    control = weibull_survival(months, median_control, shape)
    median_treated = median_control / weibull_median_ratio(hazard_ratio, shape)
    ax.plot(months, 100 * control, color="#969696", label=f"control (median {median_control:.1f})")
    ax.plot(months, 100 * control ** hazard_ratio, color="#08519c",
            label=f"treated (median {median_treated:.1f})")
    ax.axhline(50, color="grey", linestyle=":", linewidth=0.8)
    for median, colour in ((median_control, "#969696"), (median_treated, "#08519c")):
        ax.vlines(median, 0, 50, color=colour, linestyle=":", linewidth=0.8)
    ax.set_ylim(0, 100)
    ax.set_xlim(0, horizon)
    ax.set_xlabel("Months")
    ax.set_ylabel("Surviving (%)")
    ax.set_title(f"shape {shape:g}: HR {hazard_ratio:g}, ratio of medians "
                 f"{weibull_median_ratio(hazard_ratio, shape):.2f}", loc="left")
    ax.legend(frameon=False, fontsize=9)
    return ax


def proportional_hazards_figure(hazard_ratio: float, median_control: float, shapes=(0.6, 1.0, 2.0)):
    """One panel per Weibull shape, all with the same hazard ratio; returns the figure."""
    import matplotlib.pyplot as plt

    from ..pages.plotting import describe

    fig, axes = plt.subplots(len(shapes), 1, figsize=(8, 2.9 * len(shapes)), sharex=False, squeeze=False)
    for ax, shape in zip(axes[:, 0], shapes):
        plot_proportional_hazards(hazard_ratio, shape, median_control, ax=ax)
    fig.tight_layout()
    return describe(fig, f"Survival curves of a control arm (median {median_control:g} months) and a treated arm "
                         f"with hazard ratio {hazard_ratio:g}, for Weibull shapes " + "; ".join(
                             f"{shape:g}: ratio of medians {weibull_median_ratio(hazard_ratio, shape):.2f}"
                             for shape in shapes) + ".")


# ---------------------------------------------------------------------------- odds ratios

def population_odds_ratios(study: Study, endpoint: str = "ORR") -> pd.DataFrame:
    """Odds ratio of ``endpoint`` (intervention arm vs control arm) in every population of the
    study where both arms have a count, in the order the study lists its populations (for a
    matched study: before and after matching)."""
    rates = response_rates(study)
    order = list(dict.fromkeys(p["population_id"] for p in study.meta["populations"]))
    rows = []
    for population in order:
        chosen = rates[rates["population"] == population]
        for arm in intervention_arms(study):
            for control in control_arms(study):
                treated = primary_rate(chosen, endpoint, arm)
                untreated = primary_rate(chosen, endpoint, control)
                if treated is None or untreated is None:
                    continue
                ratio = odds_ratio(int(treated["count"]), int(treated["denominator"]),
                                             int(untreated["count"]), int(untreated["denominator"]))
                rows.append({"study_id": study.study_id, "population": population, "endpoint": endpoint,
                             "events_arm": int(treated["count"]), "total_arm": int(treated["denominator"]),
                             "events_control": int(untreated["count"]),
                             "total_control": int(untreated["denominator"]),
                             "data_rows": f"{treated['row']}, {untreated['row']}", **ratio})
    return pd.DataFrame(rows)


def risk_ratio(row) -> float:
    """Ratio of the two arms' proportions, from a row of counts (``events_arm``, ``total_arm``,
    ``events_control``, ``total_control``). When the outcome is common the odds ratio lies
    much further from 1 than this ratio."""
    return (row["events_arm"] / row["total_arm"]) / (row["events_control"] / row["total_control"])


def matched_example(studies: list[Study], endpoint: str = "ORR") -> tuple[Study, pd.DataFrame] | None:
    """A retrospective comparative study that prints the endpoint in both arms in two or more
    populations (before and after matching), with those odds ratios; None if there is none."""
    for study in comparative_studies(studies):
        if study.meta["design"]["type"] != MATCHED_DESIGN:
            continue
        ratios = population_odds_ratios(study, endpoint)
        if len(ratios) >= 2:
            return study, ratios
    return None


def choice_cohort(patients: float, share_fit: float, choose_if_fit: float, choose_if_unfit: float,
                  response_if_fit: float, response_if_unfit: float, true_odds_ratio: float = 1.0) -> pd.DataFrame:
    """Expected counts of a made-up two-arm study in which patients choose their arm.

    Fit and unfit patients choose the add-on arm with different probabilities and respond at
    different rates without it; in each stratum the add-on multiplies the odds of response by
    ``true_odds_ratio``. Counts are expected values (no sampling), so the bias shown is the
    design's, not chance.
    """
    rows = []
    for stratum, share, choose, base in (("fit", share_fit, choose_if_fit, response_if_fit),
                                         ("unfit", 1 - share_fit, choose_if_unfit, response_if_unfit)):
        odds = base / (1 - base) * true_odds_ratio
        for arm, fraction, rate in (("add-on", choose, odds / (1 + odds)), ("control", 1 - choose, base)):
            n = patients * share * fraction
            rows.append({"stratum": stratum, "arm": arm, "patients": n, "responders": n * rate,
                         "response_percent": 100 * rate})
    return pd.DataFrame(rows)


def crude_and_stratified(cohort: pd.DataFrame) -> dict[str, float]:
    """Crude odds ratio (arms pooled over strata) against the Mantel-Haenszel odds ratio
    within strata, and each stratum's own odds ratio."""
    from statsmodels.stats.contingency_tables import StratifiedTable

    def cells(frame):
        add_on = frame[frame["arm"] == "add-on"]
        control = frame[frame["arm"] == "control"]
        return (add_on["responders"].sum(), add_on["patients"].sum(),
                control["responders"].sum(), control["patients"].sum())

    crude = odds_ratio(*cells(cohort))
    tables, out = [], {"crude": crude["estimate"]}
    for stratum, frame in cohort.groupby("stratum", sort=False):
        a, n1, c, n2 = cells(frame)
        tables.append(np.array([[a, n1 - a], [c, n2 - c]]))
        out[f"stratum {stratum}"] = odds_ratio(a, n1, c, n2)["estimate"]
    out["Mantel-Haenszel"] = float(StratifiedTable(tables).oddsratio_pooled)
    return out


# ---------------------------------------------------------------------------- the chapter's facts

def _ratio(row) -> str:
    """An odds ratio from counts with its 95% CI, to two decimals, as the review shows it: the
    conditional exact one where a cell is small (the method named), the Wald one otherwise."""
    estimate, low, high, method = shown_odds_ratio(row)
    exact = f"; {method}" if row["small"] else ""
    return f"{estimate:.2f} (95% CI {low:.2f}–{high:.2f}{exact})"


def _printed_ratio(row) -> str:
    """A printed hazard ratio with its CI, exactly as printed."""
    return f"{row['printed']} ({row['ci_level']}% CI {row['ci_low_printed']}–{row['ci_high_printed']})"


def _percent_change(before: float, after: float) -> float:
    return 100 * (after / before - 1)


def chapter_facts(studies: list[Study]) -> dict[str, object]:
    """The numbers and names the chapter's prose glues, each with a sentence for data in which
    the example does not exist."""
    facts: dict[str, object] = {}
    intervention = intervention_of(studies[0]) if studies else Intervention("the intervention", "The intervention")
    facts |= intervention.facts()
    comparative = comparative_studies(studies)
    facts["nr_comparative"] = ", ".join(s.name for s in comparative) or "none"
    facts["nr_n_comparative"] = len(comparative)
    single = [s for s in studies if not control_arms(s)]
    randomised = [s for s in studies if is_randomised(s) and control_arms(s)]
    facts["nr_evidence"] = (f"Of the review's {len(studies)} studies, {len(single)} have no control arm; "
                            f"{len(comparative)} compare {intervention.with_article} arm with a control arm without "
                            f"randomisation ({facts['nr_comparative']})"
                            + (f", and {len(randomised)} randomised ({', '.join(s.name for s in randomised)})"
                               if randomised else "") + ".")

    choice = patient_choice_example(studies)
    if choice is None:
        facts["nr_choice"] = ("No study in these data allocated its arms in a prospective trial without "
                              "randomisation, so this section has no example here.")
        facts["nr_choice_or"] = "not computable here (no such study)"
    else:
        ratios = response_odds_ratios([choice])
        facts["nr_choice"] = (f"{choice.name} is a prospective trial without randomisation; its allocation, "
                              f"as curated from the paper: {choice.meta['design'].get('allocation', '').strip()}")
        if ratios.empty:
            facts["nr_choice_or"] = "not computable (no response counts in both arms)"
        else:
            r = ratios.iloc[0]
            facts["nr_choice_or"] = (f"{_ratio(r)} for {r['endpoint']} ({r['events_arm']}/{r['total_arm']} vs "
                                     f"{r['events_control']}/{r['total_control']}), while the ratio of the two "
                                     f"response proportions is {risk_ratio(r):.2f}")

    pair = adjusted_example(studies)
    if pair is None:
        facts["nr_adjusted"] = "No study in these data prints both an unadjusted and an adjusted hazard ratio."
        facts["nr_adjusted_change"] = "not computable here"
    else:
        u, a = pair["unadjusted"], pair["adjusted"]
        label = " (a study the review excludes from every pooled analysis, shown only as an example)" \
            if pair["excluded"] else ""
        name = next((s.name for s in studies if s.study_id == pair["study_id"]), pair["study_id"])
        facts["nr_adjusted"] = (f"{name}{label} prints for {pair['endpoint']} an unadjusted hazard "
                                f"ratio of {_printed_ratio(u)} ({u['model']}) and an adjusted one of {_printed_ratio(a)} "
                                f"({a['model']})")
        facts["nr_adjusted_change"] = (
            f"the hazard ratio moved by {_percent_change(u['estimate'], a['estimate']):+.0f}% and the standard "
            f"error of its log from {u['log_se']:.3f} to {a['log_se']:.3f}")

    medians = median_table(studies)
    if medians.empty or medians["hazard_ratio"].isna().all():
        facts["nr_medians"] = ("No comparative study in these data prints medians in both arms beside a hazard "
                               "ratio, so the comparison cannot be made here.")
    else:
        names = {s.study_id: s.name for s in studies}
        treated_column = treated_median_column(studies)
        parts = [f"{names.get(r['study_id'], r['study_id'])} {r['endpoint']}: medians {r[treated_column]} vs {r['median_control']} "
                 f"months, ratio of medians {r['median_ratio']:.2f}, printed hazard ratio {r['hazard_ratio_printed']}"
                 for r in medians.dropna(subset=["hazard_ratio"]).to_dict("records")]
        facts["nr_medians"] = "; ".join(parts)

    matched = matched_example(studies)
    if matched is None:
        facts["nr_matched"] = ("No matched comparative study in these data prints a response rate before and "
                               "after matching, so this section has no example here.")
    else:
        study, ratios = matched
        excluded = integrity_decision(study) == EXCLUDE
        parts = [f"{humanise(r['population'], study)}: {r['events_arm']}/{r['total_arm']} vs {r['events_control']}/"
                 f"{r['total_control']}, odds ratio {_ratio(r)}" for r in ratios.to_dict("records")]
        facts["nr_matched"] = (f"{study.name} ({integrity_label(study)}"
                               + ("; used here only to teach the method, its numbers are not evidence" if excluded
                                  else "") + "): " + "; ".join(parts))
    return facts
