"""The non-randomised comparisons teaching chapter's functions: odds ratios pinned to R
metafor's escalc, hazard-ratio arithmetic checked by hand, and examples chosen from the data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from livingreview.curated.studies import load_studies
from livingreview.curated.integrity import EXCLUDE
from livingreview.curated.integrity import decision as integrity_decision
from livingreview.teaching.nonrandomised import (adjusted_example, chapter_facts, choice_cohort, comparative_studies,
                                                 crude_and_stratified, hazard_ratio_table, log_ratio_se,
                                                 matched_example, median_table, patient_choice_example, treated_median_column,
                                                 population_odds_ratios, risk_ratio, weibull_median_ratio,
                                                 weibull_survival)

from ..conftest import VALID_DATA
from ..statistics.test_meta import METAFOR_TOLERANCE, REFERENCE

# Closed-form arithmetic (ratios of printed numbers, expected counts): only floating-point error.
EXACT = 1e-9
# A median found by a root finder, to its convergence tolerance.
ROOT_TOLERANCE = 1e-8


@pytest.fixture(scope="module")
def studies():
    return load_studies()


@pytest.fixture(scope="module")
def fixture_studies():
    return load_studies(VALID_DATA)


def _escalc(study_id: str) -> dict[str, float]:
    chosen = REFERENCE[(REFERENCE["analysis"] == "odds_ratio") & (REFERENCE["left_out"] == study_id)]
    return chosen.set_index("statistic")["value"].to_dict()


# ---------------------------------------------------------------------------- examples

def test_comparative_studies_put_the_studies_of_the_main_analyses_first(studies):
    found = comparative_studies(studies)
    assert found, "the review has comparative studies"
    excluded = [integrity_decision(s) == EXCLUDE for s in found]
    assert excluded == sorted(excluded)


def test_patient_choice_example_is_a_prospective_non_randomised_trial(studies):
    study = patient_choice_example(studies)
    assert study is not None
    assert study.meta["design"]["type"] == "nonrandomised_controlled_trial"
    assert integrity_decision(study) != EXCLUDE


def test_adjusted_example_pairs_the_two_cox_models_of_the_same_comparison(studies):
    pair = adjusted_example(studies)
    assert pair is not None and not pair["excluded"]
    unadjusted, adjusted = pair["unadjusted"], pair["adjusted"]
    assert not unadjusted["adjusted"] and adjusted["adjusted"]
    assert unadjusted["model"].split(" ")[0] == adjusted["model"].split(" ")[0]
    assert (unadjusted["study_id"], unadjusted["endpoint"]) == (adjusted["study_id"], adjusted["endpoint"])


def test_matched_example_has_odds_ratios_before_and_after_matching_and_is_labelled(studies):
    found = matched_example(studies)
    assert found is not None
    study, ratios = found
    assert study.meta["design"]["type"] == "retrospective_comparative"
    assert len(ratios) >= 2
    facts = chapter_facts(studies)
    if integrity_decision(study) == EXCLUDE:
        assert "excluded" in facts["nr_matched"] and "not evidence" in facts["nr_matched"]


def test_every_example_is_absent_on_the_single_arm_fixture(fixture_studies):
    assert comparative_studies(fixture_studies) == []
    assert patient_choice_example(fixture_studies) is None
    assert adjusted_example(fixture_studies) is None
    assert matched_example(fixture_studies) is None
    assert hazard_ratio_table(fixture_studies).empty
    assert median_table(fixture_studies).empty
    facts = chapter_facts(fixture_studies)
    assert facts["nr_n_comparative"] == 0
    for key in ("nr_choice", "nr_adjusted", "nr_medians", "nr_matched"):
        assert facts[key].startswith("No "), key


# ---------------------------------------------------------------------------- odds ratios

def test_odds_ratios_match_metafor_escalc_for_every_comparison_the_review_computes(studies):
    for study in comparative_studies(studies):
        expected = _escalc(study.study_id)
        ratios = population_odds_ratios(study)
        chosen = ratios[ratios["population"] == study.meta["analysis_populations"]["comparison"]].iloc[0]
        assert chosen["log_estimate"] == pytest.approx(expected["yi"], abs=METAFOR_TOLERANCE)
        assert chosen["variance"] == pytest.approx(expected["vi"], abs=METAFOR_TOLERANCE)


def test_odds_ratio_before_matching_is_the_cross_product_of_the_printed_counts(studies):
    _, ratios = matched_example(studies)
    for r in ratios.to_dict("records"):
        a, b = r["events_arm"], r["total_arm"] - r["events_arm"]
        c, d = r["events_control"], r["total_control"] - r["events_control"]
        assert r["estimate"] == pytest.approx(a * d / (b * c), abs=EXACT)
        assert r["variance"] == pytest.approx(1 / a + 1 / b + 1 / c + 1 / d, abs=EXACT)


def test_the_odds_ratio_of_a_common_outcome_exceeds_the_risk_ratio(studies):
    row = population_odds_ratios(patient_choice_example(studies)).iloc[0]
    assert row["estimate"] > risk_ratio(row) > 1


# ---------------------------------------------------------------------------- hazard ratios

def test_log_ratio_se_inverts_a_wald_interval():
    se = 0.4
    low, high = math.exp(math.log(0.5) - 1.959963985 * se), math.exp(math.log(0.5) + 1.959963985 * se)
    assert log_ratio_se(low, high) == pytest.approx(se, abs=1e-9)
    z90 = stats.norm.ppf(0.95)
    assert log_ratio_se(math.exp(-z90 * se), math.exp(z90 * se), level=90) == pytest.approx(se, abs=1e-9)


def test_hazard_ratio_table_keeps_the_printed_limits_and_their_standard_errors(studies):
    table = hazard_ratio_table(studies)
    assert not table.empty
    for r in table.to_dict("records"):
        assert float(r["ci_low_printed"]) == r["ci_low"] and float(r["ci_high_printed"]) == r["ci_high"]
        assert r["log_se"] == pytest.approx((math.log(r["ci_high"]) - math.log(r["ci_low"])) / (2 * 1.959963985),
                                            abs=1e-9)


def test_median_ratio_is_the_control_median_over_the_intervention_median(studies):
    table = median_table(studies)
    assert not table.empty
    for r in table.to_dict("records"):
        assert r["median_ratio"] == pytest.approx(float(r["median_control"]) / float(r[treated_median_column(studies)]), abs=EXACT)


@pytest.mark.parametrize("shape", [0.6, 1.0, 2.0])
def test_weibull_median_ratio_matches_the_medians_of_the_two_curves(shape):
    hazard_ratio, median_control = 0.5, 6.0
    assert weibull_survival(median_control, median_control, shape) == pytest.approx(0.5)
    # Proportional hazards: the treated curve is the control curve to the power HR.
    median_treated = optimize.brentq(
        lambda t: weibull_survival(t, median_control, shape) ** hazard_ratio - 0.5, 1e-6, 1e3, xtol=1e-12)
    assert median_control / median_treated == pytest.approx(weibull_median_ratio(hazard_ratio, shape),
                                                            abs=ROOT_TOLERANCE)
    if shape == 1.0:
        assert weibull_median_ratio(hazard_ratio, shape) == hazard_ratio


# ---------------------------------------------------------------------------- confounding

def test_a_useless_add_on_chosen_by_fit_patients_looks_effective_in_the_crude_comparison():
    cohort = choice_cohort(60, 0.5, 0.7, 0.3, 0.7, 0.3, true_odds_ratio=1.0)
    assert cohort["patients"].sum() == pytest.approx(60, abs=EXACT)
    found = crude_and_stratified(cohort)
    # By hand: add-on 14.7 + 2.7 = 17.4 of 30 respond, control 6.3 + 6.3 = 12.6 of 30.
    assert found["crude"] == pytest.approx((17.4 / 12.6) / (12.6 / 17.4), abs=EXACT)
    assert found["Mantel-Haenszel"] == pytest.approx(1.0, abs=EXACT)


def test_stratification_recovers_the_true_odds_ratio_whoever_chooses():
    for choose_fit, choose_unfit in ((0.7, 0.3), (0.3, 0.7)):
        found = crude_and_stratified(choice_cohort(60, 0.5, choose_fit, choose_unfit, 0.7, 0.3, true_odds_ratio=2.0))
        assert found["stratum fit"] == pytest.approx(2.0, abs=EXACT)
        assert found["Mantel-Haenszel"] == pytest.approx(2.0, abs=EXACT)
    crude_fit = crude_and_stratified(choice_cohort(60, 0.5, 0.7, 0.3, 0.7, 0.3, true_odds_ratio=2.0))["crude"]
    crude_unfit = crude_and_stratified(choice_cohort(60, 0.5, 0.3, 0.7, 0.7, 0.3, true_odds_ratio=2.0))["crude"]
    assert crude_fit > 2.0 > crude_unfit
    assert np.isfinite([crude_fit, crude_unfit]).all()


def test_the_chapter_shows_the_same_odds_ratio_as_the_comparative_chapter():
    # 3 non-responders of 30 with anlotinib: the conditional exact ratio, as everywhere else.
    assert chapter_facts(load_studies())["nr_choice_or"].startswith(
        "11.24 (95% CI 2.61–70.53; conditional exact OR and CI (Fisher)) for ORR (27/30 vs 13/30)")
