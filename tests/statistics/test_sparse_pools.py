"""Pools of sparse evidence: two to four studies get a Bayesian random-effects pool (never a
common-effect summary), three or more the frequentist models beside it; landmark pools take
printed rates before reconstructed ones and never pool a reconstructed rate. The common-effect
summary that the random-effects teaching chapter fits (to show why the review makes none) stays
pinned to metafor."""

from __future__ import annotations

import math
import re

import pytest
from scipy import special

from livingreview.curated.studies import stack_rows
from livingreview.statistics import arms, bayes, landmarks, pooling
from livingreview.statistics.meta import (COMMON_IV, COMMON_LOGISTIC, GLMM, IV_REML_HK, common_effect,
                                          common_effect_proportion)
from livingreview.pages.chapters.bias import BiasChapter
from livingreview.pages.chapters.response import ResponseChapter
from livingreview.pages.chapters.safety import SafetyChapter
from livingreview.pages.chapters.survival import SurvivalChapter

from .test_meta import METAFOR_TOLERANCE

# R metafor 3.8.1 common-effect summaries of the review's two-study pools (log odds, CI):
# rma.glmm(measure="PLO", xi, ni, method="EE") for rates. The review reports none of them; the
# teaching chapter fits them, so their values stay pinned.
TWO_STUDY_RATE_REFERENCE = [
    pytest.param("ORR", "first_line_advanced", [35, 27], [46, 30], 1.488077055430, 0.908121159068, 2.068032951791,
                 id="ORR-first-line"),
    pytest.param("DCR", "all_settings", [42, 25], [46, 29], 2.125251077711, 1.392095197702, 2.858406957720,
                 id="DCR-all-settings"),
    pytest.param("grade3", "first_line_advanced", [23, 12], [47, 30], -0.182321556794, -0.630896265610,
                 0.266253152022, id="grade3-first-line"),
]
TWO_STUDY_LANDMARK_REFERENCE = [
    pytest.param("OS", 0.895769048203, 0.368053212456, 1.423484883951, id="OS-12-months"),
    pytest.param("PFS", -0.281168749899, -0.889961912622, 0.327624412824, id="PFS-12-months"),
]


@pytest.fixture(scope="module")
def response():
    return ResponseChapter.load(None)


@pytest.fixture(scope="module")
def survival():
    return SurvivalChapter.load(None)


@pytest.fixture(scope="module")
def safety():
    return SafetyChapter.load(None)


@pytest.fixture(scope="module")
def bias():
    return BiasChapter.load(None)


def _rates(safety, response, endpoint):
    return safety.grade3 if endpoint == "grade3" else response.response_rates[endpoint]


@pytest.mark.parametrize("endpoint, group, events, totals, estimate, low, high", TWO_STUDY_RATE_REFERENCE)
def test_a_two_study_pool_is_bayesian_and_its_common_effect_fit_matches_metafor(safety, response, endpoint, group,
                                                                               events, totals, estimate, low, high):
    rates = _rates(safety, response, endpoint)
    members = rates if group == pooling.ALL_SETTINGS else rates[rates["setting_group"] == group]
    assert list(members["events"]) == events and list(members["total"]) == totals
    pools = pooling.pool_rates(members.reset_index(drop=True), endpoint)
    # The primary pool is the Bayesian one, then the same model under the other priors; no
    # frequentist model with two studies.
    assert [(role, qualifier) for role, qualifier, _ in pools] == [
        (pooling.PRIMARY, ""), (pooling.PRIOR_SENSITIVITY, "prior-0.5"), (pooling.PRIOR_SENSITIVITY, "prior-2")]
    primary = pools[0][2]
    assert primary.model == bayes.model_label(bayes.BINOMIAL_NORMAL, 1.0) and primary.interval == "CrI"
    assert primary.ci_low < primary.estimate < primary.ci_high and primary.pi_low < primary.ci_low
    summary = common_effect_proportion(members["events"], members["total"])
    assert summary.model == COMMON_LOGISTIC
    assert abs(summary.estimate - estimate) <= METAFOR_TOLERANCE
    assert abs(summary.ci_low - low) <= METAFOR_TOLERANCE and abs(summary.ci_high - high) <= METAFOR_TOLERANCE
    assert math.isnan(summary.pi_low) and math.isnan(summary.tau2)  # no prediction interval
    # The Bayesian interval admits the uncertainty in tau that the common-effect one ignores.
    assert primary.ci_high - primary.ci_low > summary.ci_high - summary.ci_low


def test_a_wider_prior_on_tau_gives_a_wider_interval(response):
    rates = response.response_rates["ORR"]
    first = rates[rates["setting_group"] == "first_line_advanced"].reset_index(drop=True)
    widths = {qualifier: p.ci_high - p.ci_low for _, qualifier, p in pooling.pool_rates(first, "ORR")}
    assert widths["prior-0.5"] < widths[""] < widths["prior-2"]


@pytest.mark.parametrize("endpoint", ["OS", "PFS"])
def test_a_landmark_pool_with_a_reconstructed_rate_is_not_made(survival, endpoint):
    ((group, pooled, members),) = survival.landmark_pools(endpoint)
    assert pooled.k == 2 and not pooled.estimable and "Xu 2025's rate is not printed but reconstructed" in pooled.note
    assert math.isnan(pooled.estimate) and len(members) == 2
    facts = survival.survival_facts()[f"{endpoint.lower()}_landmark_pooled"]
    assert facts.startswith("first-line") and "not pooled (Xu 2025's rate is not printed but reconstructed" in facts
    assert "summary" not in facts


def test_printed_landmark_rates_are_pooled_by_the_bayesian_normal_normal_model(survival):
    table = survival.landmark_tables["OS"]
    printed = table.assign(source=landmarks.PRINTED_WITH_CI)
    pooled = landmarks.pool_landmarks(printed)
    assert pooled.model == bayes.model_label(bayes.NORMAL_NORMAL, 1.0) and pooled.estimable


def test_pages_give_a_two_study_pool_as_a_credible_interval(response):
    facts = response.response_facts()
    finding = next(f for f in response.findings.settings[0].findings if f.endpoint == "ORR")
    assert finding.pooled and finding.bayesian and finding.interval == "CrI"
    assert "95% CrI" in finding.result and "95% CI" not in finding.result
    # The chapter says it in the words of the front page and the summary of findings (one record).
    assert finding.brief in facts["orr_by_setting"]
    assert "two to four studies of a setting with a Bayesian random-effects model" in finding.rule


def test_a_forest_plot_draws_no_weights_for_a_bayesian_pool(response):
    rows = response.forest_rows(response.response_rates["ORR"], response.response_pools["ORR"])
    first = rows.iloc[: rows.index[rows["kind"].eq("heading")][1]]  # the first setting's rows
    assert first["weight"].isna().all()  # a weight is a share of an inverse-variance pool
    assert first["kind"].iloc[-1] == "pooled" and first["label"].iloc[-1] == "Pooled (Bayesian)"


def test_three_studies_add_the_frequentist_models_as_sensitivity_analyses(response):
    pools = response.response_pools["ORR"]
    everything = pools[pools["group"] == pooling.ALL_SETTINGS]
    assert list(everything["role"]) == [pooling.PRIMARY, pooling.SENSITIVITY_MODEL, pooling.SENSITIVITY_MODEL,
                                        pooling.PRIOR_SENSITIVITY, pooling.PRIOR_SENSITIVITY]
    assert list(everything["k"]) == [3] * 5 and everything["estimate"].notna().all()


def test_five_studies_make_the_glmm_primary():
    import pandas as pd

    rates = pd.DataFrame({"study_id": list("abcde"), "events": [10, 12, 15, 9, 20], "total": [30, 31, 40, 28, 45]})
    roles = [(role, p.model) for role, _, p in pooling.pool_rates(rates, "ORR")]
    assert roles[0] == (pooling.PRIMARY, GLMM)
    assert (pooling.SENSITIVITY_MODEL, bayes.model_label(bayes.BINOMIAL_NORMAL, 1.0)) in roles


def test_the_printed_landmark_rate_and_ci_are_preferred_to_the_reconstruction(survival):
    table = survival.landmark_tables["OS"]
    li = table[table["study_id"] == "li2022"].iloc[0]
    assert li["source"] == landmarks.PRINTED_WITH_CI
    assert li["percent"] == pytest.approx(71.80)  # the printed value, not the reconstruction's 73.7
    assert li["reconstructed_percent"] != pytest.approx(71.80, abs=0.5)
    # The printed CI 55.61-82.95 gives the SE: its width on the logit scale over 2 x 1.96.
    se = (special.logit(0.8295) - special.logit(0.5561)) / (2 * 1.959963984540054)
    assert li["vi"] == pytest.approx(se ** 2)
    xu = table[table["study_id"] == "xu2025"].iloc[0]
    assert xu["source"] == landmarks.RECONSTRUCTED  # nothing printed at 12 months


def test_a_printed_rate_without_a_ci_takes_the_reconstructions_se():
    reconstructed = {"survival": 0.70, "se": 0.05, "yi": special.logit(0.70), "vi": 0.1}
    used = landmarks._landmark_input({"percent": 80.0, "ci_low": math.nan, "ci_high": math.nan, "level": 95,
                                      "data_row": 3}, reconstructed)
    assert used["source"] == landmarks.PRINTED_RATE and used["survival"] == pytest.approx(0.80)
    assert used["vi"] == pytest.approx((0.05 / (0.8 * 0.2)) ** 2)
    assert landmarks._landmark_input(None, None) is None


def test_common_effect_summaries_refuse_all_or_none_and_accept_one_study():
    from livingreview.statistics.meta import NotEstimable

    with pytest.raises(NotEstimable):
        common_effect_proportion([0, 0], [10, 20])
    single = common_effect([0.5], [0.04])
    assert single.estimate == 0.5 and single.ci_high - single.ci_low == pytest.approx(2 * 1.959963984540054 * 0.2)


def test_grade3_rates_are_pooled_only_among_studies_that_count_the_same_events(safety):
    pools = safety.grade3_pools
    first = pools[pools["group"] == "first_line_advanced"].iloc[0]
    assert math.isnan(first["estimate"])  # Li 2022 counts treatment-emergent, Xu 2025 treatment-related events
    assert first["note"] == ("the studies count different events (treatment-emergent adverse events and "
                             "treatment-related adverse events), so a study is pooled only with studies that count the same events")
    rates = safety.grade3.assign(setting_group="first_line_advanced", category=["TRAE", "TRAE"])
    same = pooling.pooled_table(rates, "grade3", safety.order, by_definition=True)
    assert set(same["definition"]) == {""} and same["estimate"].notna().all()
    three = pooling.pooled_table(
        stack_rows([rates, rates.iloc[:1].assign(study_id="another", category="TEAE")]), "grade3",
        safety.order, by_definition=True)
    # The mixed record (no estimate), then each definition with two or more studies (one TEAE
    # study: no pool; two TRAE studies: their Bayesian pool and its prior sensitivity).
    assert list(three["definition"]) == ["", "TRAE", "TRAE", "TRAE"]
    assert math.isnan(three["estimate"].iloc[0]) and three["estimate"].iloc[1:].notna().all()


def test_a_sensitivity_pool_names_a_study_whose_adverse_events_come_from_another_cohort(bias):
    frame = bias.sensitivity_pools
    with_carter = frame[frame["studies"].str.contains("carter2022") & (frame["endpoint"] == "grade ≥3 adverse events")]
    assert not with_carter.empty
    for studies in with_carter["studies"]:
        assert bias._cohort_note(studies, "grade ≥3 adverse events") == (
            "Carter 2022: adverse events from the unmatched cohort, not from the propensity-matched cohort its "
            "response rates come from")
    assert bias._cohort_note("li2022, xu2025", "grade ≥3 adverse events") == ""


def test_a_pool_whose_studies_count_response_over_different_patients_says_so(response):
    assert response._denominators("li2022, xu2025") == arms.DENOMINATOR_LABELS["all_treated"]
    assert response._denominators("li2022, zhu2025") == (
        "differs: Li 2022: all treated (not evaluable = no response); Zhu 2025: not stated in the report")


def test_the_later_line_sensitivity_analysis_gives_a_number(bias):
    """Later-line response with the Zhengzhou cohort added is two studies: a Bayesian pool, shown
    beside each study's own rate (never a pool of 'nan')."""
    table = bias.sensitivity_table()
    assert not re.search(r"\bnan\b", table.data, re.IGNORECASE)
    frame = bias.sensitivity_pools
    later = frame[(frame["group"] == "later_line_advanced") & (frame["endpoint"] == "ORR")
                  & (frame["variant"] == "with sensitivity-only studies")].iloc[0]
    assert later["studies"] == "zhu2025, zzu_anlotinib_pd1" and math.isfinite(later["estimate"])
    assert later["interval"] == "CrI" and 21.8 < later["estimate"] < 31.0
    shown = bias._study_rates("with sensitivity-only studies", "ORR", "later_line_advanced", later["studies"])
    assert shown == "Zhu 2025: 31.0% (9/29); Zhengzhou cohort: 21.8% (19/87)"


def test_no_pool_the_review_shows_assumes_one_true_rate(bias):
    """No common-effect summary in any analysis set: every pool is a random-effects one, Bayesian
    or frequentist (the studies may differ; a common-effect interval would describe neither)."""
    from livingreview.analysis.records import ANALYSIS_SETS

    for analysis_set in ANALYSIS_SETS:
        for endpoint in ("ORR", "DCR", "grade3"):
            _, pools = bias.rate_analysis(endpoint, analysis_set)
            assert not pools["model"].isin([COMMON_IV, COMMON_LOGISTIC]).any()
            assert pools["model"].map(lambda m: m.startswith("Bayesian") or m in (GLMM, IV_REML_HK)).all()


def test_the_pooling_rules_are_read_from_review_yaml_and_stated_as_the_code_applies_them():
    import pandas as pd

    from livingreview.curated.review import load_review
    from livingreview.pages.chapters.formatting import pooling_rule_facts

    rules = pooling.PoolingRules.from_review(load_review())
    assert rules == pooling.PoolingRules(4, 3, 1.0, (0.5, 2.0))
    facts = pooling_rule_facts(rules)
    # Half-normal(1): median 0.67, 95th percentile 1.96, as the methods page says.
    assert (facts["tau_prior_median"], facts["tau_prior_95"], facts["pool_glmm_primary_min"]) == ("0.67", "1.96", "5")
    assert facts["tau_prior_sensitivity"] == "0.5 and 2"
    # A review that states no rule gets the defaults; one that changes a rule gets its own.
    assert pooling.PoolingRules.from_review({}) == pooling.DEFAULT_RULES
    narrower = pooling.PoolingRules.from_review({"pooling": {"bayesian_max_studies": 2, "tau_prior_scale": 0.5}})
    rates = pd.DataFrame({"study_id": list("abc"), "events": [10, 12, 15], "total": [30, 31, 40]})
    assert pooling.pool_rates(rates, "ORR", narrower)[0][2].model == GLMM  # three studies, past the Bayesian range
    two = pooling.pool_rates(rates.iloc[:2], "ORR", narrower)[0][2]
    assert two.model == bayes.model_label(bayes.BINOMIAL_NORMAL, 0.5)
