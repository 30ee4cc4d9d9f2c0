"""The random-effects teaching chapter's functions: its numbers are the review's pooled
analyses (pinned to R metafor), and its examples are chosen from the data."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from livingreview.statistics.meta import GLMM, IV_REML_HK, IV_REML_Z, reml_log_likelihood, reml_tau2
from livingreview.statistics import pooling
from livingreview.statistics.pooling import ALL_SETTINGS
from livingreview.pages.chapters.response import ResponseChapter
from livingreview.teaching.random_effects import (LIKELIHOOD_DROP_95, chapter_facts, critical_values, interval_rows,
                                                  members, model_comparison, pooled_groups, reml_profile,
                                                  richest_setting, study_logits, weights)

from ..conftest import VALID_DATA
from ..statistics.test_meta import METAFOR_TOLERANCE, REFERENCE

# Percentages derived from the log-odds reference values: expit has slope <= 1/4, so a 1e-4 gap
# on the log-odds scale is at most 2.5e-3 percentage points.
PERCENT_TOLERANCE = 100 * METAFOR_TOLERANCE / 4
# Sums of weights and of exact arithmetic: only floating-point error.
EXACT = 1e-9


def _reference(group: str, endpoint: str, model: str) -> pd.Series:
    chosen = REFERENCE[(REFERENCE["analysis"] == "proportion") & (REFERENCE["group"] == group)
                       & (REFERENCE["endpoint"] == endpoint) & (REFERENCE["model"] == model)
                       & (REFERENCE["left_out"] == "")]
    return chosen.set_index("statistic")["value"]


@pytest.fixture(scope="module")
def page() -> ResponseChapter:
    return ResponseChapter.load()


@pytest.fixture(scope="module")
def rates(page) -> pd.DataFrame:
    return page.response_rates["ORR"]


def test_the_richest_setting_is_the_first_of_the_tied_settings_in_the_review_order(page, rates):
    counts = rates["setting_group"].value_counts()
    chosen = richest_setting(rates, page.order)
    assert counts[chosen] == counts.max() >= 2
    tied = [s for s in page.order if counts.get(s, 0) == counts.max()]
    assert chosen == tied[0]


def test_richest_setting_is_none_on_the_single_study_fixture():
    fixture = ResponseChapter.load(VALID_DATA)
    assert richest_setting(fixture.response_rates["ORR"], fixture.order) is None
    assert pooled_groups(fixture.response_rates["ORR"], fixture.order) == []


def test_a_copied_second_study_makes_its_setting_poolable(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(VALID_DATA, data)
    second = data / "studies" / "roe2025"
    shutil.copytree(data / "studies" / "doe2024", second)
    text = (second / "study.yaml").read_text(encoding="utf-8").replace("study_id: doe2024", "study_id: roe2025")
    (second / "study.yaml").write_text(text, encoding="utf-8")
    fixture = ResponseChapter.load(data)
    rates = fixture.response_rates["ORR"]
    setting = richest_setting(rates, fixture.order)
    assert setting == "first_line_advanced"
    models = model_comparison(members(rates, setting)).set_index("model")
    # Two identical studies: the frequentist models estimate no heterogeneity and pool to the
    # studies' own rate; the Bayesian pool keeps the prior's tau and lands next to that rate.
    frequentist = models[models["interval"] == "CI"]
    assert (frequentist["tau2"] == 0).all()
    assert frequentist["estimate"].to_numpy() == pytest.approx(100 * 26 / 38, abs=1e-6)
    bayesian = models[models["interval"] == "CrI"].iloc[0]
    assert bayesian["tau2"] > 0 and bayesian["estimate"] == pytest.approx(100 * 26 / 38, abs=0.5)
    facts = chapter_facts(rates, fixture.response_pools["ORR"], fixture.order, fixture.setting_label)
    assert "2 studies" in facts["re_richest"]


def test_study_logits_are_the_escalc_log_odds_and_variances(rates):
    logits = study_logits(rates)
    first = logits.iloc[0]
    x, n = first["events"], first["total"]
    assert first["logit"] == pytest.approx(math.log(x / (n - x)), abs=EXACT)
    assert first["variance"] == pytest.approx(1 / x + 1 / (n - x), abs=EXACT)
    assert special.expit(first["logit"]) == pytest.approx(first["percent"] / 100, abs=EXACT)


@pytest.mark.parametrize("model, reference_model", [(GLMM, "glmm"), (IV_REML_HK, "reml_hk_adhoc")])
def test_model_comparison_of_the_richest_setting_matches_metafor(page, rates, model, reference_model):
    setting = richest_setting(rates, page.order)
    row = model_comparison(members(rates, setting)).set_index("model").loc[model]
    expected = _reference(setting, "ORR", reference_model)
    for name in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
        assert row[name] == pytest.approx(100 * special.expit(expected[name]), abs=PERCENT_TOLERANCE), name
    assert row["tau2"] == pytest.approx(expected["tau2"], abs=METAFOR_TOLERANCE)
    assert row["i2"] == pytest.approx(expected["i2"], abs=METAFOR_TOLERANCE)


def test_hartung_knapp_and_wald_share_estimate_and_tau2_but_not_the_interval(page, rates):
    models = model_comparison(members(rates, richest_setting(rates, page.order))).set_index("model")
    hk, wald = models.loc[IV_REML_HK], models.loc[IV_REML_Z]
    assert hk["estimate"] == pytest.approx(wald["estimate"], abs=EXACT)
    assert hk["tau2"] == pytest.approx(wald["tau2"], abs=EXACT)
    assert hk["ci_width"] > wald["ci_width"]


def test_weights_sum_to_100_and_random_effects_weights_are_more_equal(page, rates):
    chosen = members(rates, richest_setting(rates, page.order))
    found = weights(chosen)
    assert found["fixed_weight_percent"].sum() == pytest.approx(100, abs=EXACT)
    assert found["random_weight_percent"].sum() == pytest.approx(100, abs=EXACT)
    assert np.ptp(found["random_weight_percent"]) <= np.ptp(found["fixed_weight_percent"]) + EXACT


def test_reml_profile_peaks_at_the_reml_estimate_and_its_bound_is_the_chi_square_one(rates):
    chosen = members(rates, ALL_SETTINGS)
    profile = reml_profile(chosen)
    best = profile.loc[profile["relative_log_likelihood"].idxmax(), "tau2"]
    yi, vi = np.log(chosen["events"] / (chosen["total"] - chosen["events"])), \
        1 / chosen["events"] + 1 / (chosen["total"] - chosen["events"])
    assert best == pytest.approx(reml_tau2(yi, vi), abs=EXACT)
    assert profile["relative_log_likelihood"].max() == pytest.approx(0, abs=EXACT)
    assert LIKELIHOOD_DROP_95 == pytest.approx(stats.chi2.ppf(0.95, 1) / 2)
    # The same tau2 as the all-settings inverse-variance reference (metafor).
    assert best == pytest.approx(_reference(ALL_SETTINGS, "ORR", "reml_hk_adhoc")["tau2"], abs=METAFOR_TOLERANCE)


def test_reml_log_likelihood_is_maximal_at_reml_tau2():
    yi, vi = [1.16, 2.20, -0.80, -1.28], [0.12, 0.37, 0.16, 0.07]
    best = reml_tau2(yi, vi)
    for other in (best / 2, best * 2):
        assert reml_log_likelihood(other, yi, vi) < reml_log_likelihood(best, yi, vi)


def test_critical_value_with_two_studies_is_t_on_one_degree_of_freedom():
    values = critical_values((2, 30)).set_index("k")
    assert values.loc[2, "t_quantile"] == pytest.approx(12.7062047, abs=1e-6)
    assert values.loc[30, "t_quantile"] == pytest.approx(2.0452296, abs=1e-6)
    assert values["z"].iloc[0] == pytest.approx(1.9599640, abs=1e-6)


def test_interval_rows_hold_every_study_and_each_pool_with_exact_cis(page, rates):
    rows = interval_rows(rates, page.response_pools["ORR"], page.order, page.setting_label)
    studies = rows[rows["kind"] == "study"]
    assert len(studies) == len(rates)
    assert ((studies["ci_low"] <= studies["estimate"]) & (studies["estimate"] <= studies["ci_high"])).all()
    assert (studies["ci_high"] <= 100).all()
    # Each setting with two or more studies has its primary pool's row: drawn where the pool is
    # made, said ("Not pooled") where it is not, never drawn as a missing number.
    pools = page.response_pools["ORR"]
    primary = pools[(pools["role"] == pooling.PRIMARY) & pools["group"].isin(pooled_groups(rates, page.order))]
    made = primary["estimate"].notna()
    assert (rows["kind"] == "pooled").sum() == made.sum() >= 1
    assert rows["label"].str.startswith("Not pooled").sum() == (~made).sum()
    assert rows.loc[rows["kind"] == "pooled", "estimate"].notna().all()
    assert rows.loc[rows["kind"] == "pooled", "label"].str.startswith("Pooled, Bayesian").any()


def test_chapter_facts_on_the_real_data_quote_the_between_setting_test(page, rates):
    facts = chapter_facts(rates, page.response_pools["ORR"], page.order, page.setting_label)
    assert facts["re_n_studies"] == rates["study_id"].nunique()
    # The settings are compared by the GLMM with the setting as a moderator, which needs no
    # reported pool per setting: the first-line pair estimates the spread within settings.
    assert facts["re_between"].startswith("Q = ") and "moderator" in facts["re_between"]
    assert "not" not in facts["re_all_settings"][:20]
    assert facts["re_t1"] == "12.7"


def test_chapter_facts_on_the_fixture_say_what_cannot_be_shown():
    fixture = ResponseChapter.load(VALID_DATA)
    facts = chapter_facts(fixture.response_rates["ORR"], fixture.response_pools["ORR"], fixture.order,
                          fixture.setting_label)
    assert facts["re_richest"].startswith("No setting")
    assert facts["re_between"].startswith("not testable")
    assert "single setting" in facts["re_all_settings"]


def test_the_chapter_says_which_pools_the_review_reports(page, rates):
    """First-line response is two studies: the chapter fits every model to teach them, says beside
    the numbers that the review reports the Bayesian pool only, and shows no missing number."""
    facts = chapter_facts(rates, page.response_pools["ORR"], page.order, page.setting_label)
    assert "the review reports the Bayesian pool only" in facts["re_models"]
    assert "95% CrI" in facts["re_by_setting"] and "Bayesian, 2 studies" in facts["re_by_setting"]
    assert not any("nan" in str(value).split() or "nan%" in str(value) for value in facts.values())


def test_each_model_fitted_for_teaching_says_whether_the_review_reports_it(page, rates):
    chosen = members(rates, richest_setting(rates, page.order))
    reported = model_comparison(chosen)["reported_by_the_review"]
    assert len(chosen) == 2 and list(reported) == [
        "yes, primary model", "no: 2 studies (from 3 only)", "no: 2 studies (from 3 only)", "no: shown for contrast"]
    three = pd.concat([chosen, chosen.iloc[:1].assign(study_id="another")], ignore_index=True)
    assert list(model_comparison(three)["reported_by_the_review"]) == [
        "yes, primary model", "yes, sensitivity analysis", "yes, sensitivity analysis", "no: shown for contrast"]


def test_the_between_setting_test_is_the_glmm_with_the_setting_as_a_moderator():
    """Every setting enters, a setting of two studies too (the spread within settings is one tau²
    shared by all); the test does not depend on which setting comes first; with one setting there
    is nothing to compare."""
    from livingreview.statistics.meta import glmm_moderator_test
    from livingreview.statistics.pooling import subgroup_difference

    rates = pd.DataFrame({"study_id": list("abcdefgh"), "events": [30, 35, 28, 10, 12, 9, 20, 25],
                          "total": [40, 45, 38, 40, 42, 39, 30, 30],
                          "setting_group": ["first"] * 3 + ["later"] * 3 + ["third"] * 2})
    direct = glmm_moderator_test(rates["events"], rates["total"], rates["setting_group"])
    found = subgroup_difference(rates, ["first", "later", "third"])
    assert found["df"] == 2 and found["q"] == pytest.approx(direct.q, abs=EXACT)
    reordered = subgroup_difference(rates, ["third", "later", "first"])
    assert reordered["q"] == pytest.approx(found["q"], rel=1e-5)
    assert subgroup_difference(rates[rates["setting_group"] == "first"], ["first", "later", "third"]) is None
