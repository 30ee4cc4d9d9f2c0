"""The meta-analysis against R metafor, on the inputs the curated data produce.

The reference values come from ``tests/fixtures/metafor/make_reference.R`` (``make
metafor-fixtures``); these tests need no R.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from livingreview.statistics.meta import (NotEstimable, glmm_log_likelihood, glmm_moderator_test, glmm_proportion,
                                          inverse_variance, logit_effect_sizes, reml_tau2, typical_within_variance)
from livingreview.statistics.reference import analysis_inputs, package_statistics

from ..conftest import FIXTURES

METAFOR = FIXTURES / "metafor"
# The agreement bound. Observed worst gap: 4e-6 (GLMM I^2, a percentage), the
# remaining difference between two optimisers at the same maximum.
METAFOR_TOLERANCE = 1e-4
KEY = ["analysis", "group", "endpoint", "model", "left_out"]


def _inputs() -> pd.DataFrame:
    return pd.read_csv(METAFOR / "inputs.csv", keep_default_na=False, na_values=[""])


def _reference() -> pd.DataFrame:
    reference = pd.read_csv(METAFOR / "reference.csv", keep_default_na=False, dtype=str)
    return reference.assign(value=reference["value"].astype(float))


REFERENCE = _reference()
ANALYSES = sorted(set(map(tuple, REFERENCE[KEY].to_numpy().tolist())))


@pytest.fixture(scope="module")
def ours() -> pd.DataFrame:
    return package_statistics(_inputs())


@pytest.mark.parametrize("key", ANALYSES, ids=["/".join(filter(None, k)) for k in ANALYSES])
def test_every_pooled_statistic_matches_metafor(ours, key):
    expected = REFERENCE[(REFERENCE[KEY] == list(key)).all(axis=1)].set_index("statistic")["value"]
    found = ours[(ours[KEY] == list(key)).all(axis=1)].set_index("statistic")["value"]
    assert sorted(found.index) == sorted(expected.index)
    gaps = (found.reindex(expected.index) - expected).abs()
    assert (gaps <= METAFOR_TOLERANCE).all(), gaps.to_dict()


def test_the_fixture_inputs_are_what_the_curated_data_produce():
    fixture = _inputs()
    current = analysis_inputs()
    message = ("the pooled analyses' inputs changed with the data: run `make metafor-fixtures` "
               "(needs R and metafor) and commit tests/fixtures/metafor")
    assert current[["analysis", "group", "endpoint", "study_id"]].values.tolist() == \
        fixture[["analysis", "group", "endpoint", "study_id"]].values.tolist(), message
    for column in ("events", "total", "events_2", "total_2", "yi", "vi"):
        np.testing.assert_allclose(current[column].astype(float), fixture[column].astype(float),
                                   rtol=1e-10, equal_nan=True, err_msg=message)


def test_every_analysis_the_chapters_fit_has_a_reference_value():
    inputs = _inputs()
    assert set(map(tuple, inputs[["analysis", "group", "endpoint"]].drop_duplicates().to_numpy().tolist())) == \
        set(map(tuple, REFERENCE[["analysis", "group", "endpoint"]].drop_duplicates().to_numpy().tolist()))


def test_logit_effect_sizes_add_one_half_only_to_studies_with_a_zero_cell():
    yi, vi = logit_effect_sizes([0, 5, 10], [10, 10, 10])
    assert yi[0] == pytest.approx(math.log(0.5 / 10.5))
    assert vi[0] == pytest.approx(1 / 0.5 + 1 / 10.5)
    assert yi[1] == 0 and vi[1] == pytest.approx(0.4)
    assert yi[2] == pytest.approx(math.log(10.5 / 0.5))


def test_identical_studies_give_no_heterogeneity_and_the_logistic_fit():
    pooled = glmm_proportion([12, 12, 12], [40, 40, 40])
    assert pooled.tau2 == 0 and pooled.i2 == 0
    assert special.expit(pooled.estimate) == pytest.approx(0.3)
    # With tau = 0 the standard error is the binomial one of the pooled logit: 1/sqrt(n p (1-p)).
    assert pooled.se == pytest.approx(1 / math.sqrt(120 * 0.3 * 0.7))
    # With tau^2 = 0 the prediction interval is still wider than the CI: it uses t on k - 1
    # degrees of freedom, which admits that three studies cannot show tau^2 is 0.
    assert pooled.pi_low == pytest.approx(pooled.estimate - stats.t.ppf(0.975, 2) * pooled.se)


def test_quadrature_is_exact_for_the_fixed_effect_limit():
    # As tau -> 0 the marginal likelihood tends to the plain binomial likelihood.
    events, totals = np.array([3.0, 9.0]), np.array([20.0, 25.0])
    assert glmm_log_likelihood(-1.0, 1e-7, events, totals) == pytest.approx(
        glmm_log_likelihood(-1.0, 0.0, events, totals), abs=1e-9)


def test_reml_is_zero_when_the_studies_agree_more_than_chance():
    assert reml_tau2([0.1, 0.1, 0.1], [0.2, 0.3, 0.4]) == 0


def test_hartung_knapp_widens_with_few_studies():
    yi, vi = logit_effect_sizes([35, 27], [46, 30])
    knha = inverse_variance(yi, vi, hartung_knapp=True)
    wald = inverse_variance(yi, vi, hartung_knapp=False)
    assert knha.estimate == pytest.approx(wald.estimate)
    assert knha.ci_high - knha.ci_low > wald.ci_high - wald.ci_low


def test_typical_within_variance_of_equal_variances_is_that_variance():
    assert typical_within_variance([0.25, 0.25, 0.25]) == pytest.approx(0.25)


def test_nothing_to_pool_is_an_error():
    with pytest.raises(ValueError):
        glmm_proportion([], [])
    with pytest.raises(ValueError):
        logit_effect_sizes([5], [3])


# R metafor 3.8.1, rma.glmm(measure="PLO", method="ML", xi, ni): studies with every patient an
# event, or none, where an undamped search for each study's random-effect mode used to
# diverge (a singular Hessian and no pool).
ALL_OR_NONE_REFERENCE = [
    # events, totals, pooled log odds, its SE, tau^2
    ([42, 29], [46, 29], 3.05678139, 0.96825421, 0.27788771),
    ([42, 29, 9], [46, 29, 29], 2.25024579, 1.67421792, 6.54204331),
    ([0, 3, 1], [20, 46, 30], -3.13549422, 0.51075389, 0.0),
]


@pytest.mark.parametrize("events, totals, estimate, se, tau2", ALL_OR_NONE_REFERENCE)
def test_the_glmm_pools_studies_with_all_or_no_events_as_metafor_does(events, totals, estimate, se, tau2):
    pooled = glmm_proportion(events, totals, labels=tuple(f"s{i}" for i in range(len(events))))
    assert abs(pooled.estimate - estimate) <= METAFOR_TOLERANCE
    assert abs(pooled.se - se) <= METAFOR_TOLERANCE
    assert abs(pooled.tau2 - tau2) <= METAFOR_TOLERANCE


# R metafor 3.8.1, rma(escalc(measure="PLO", xi, ni), method="REML", test="adhoc"): the
# Hartung-Knapp CI with its truncation, at the edges. Identical studies used to give a CI
# that was a point (q = 0); all-zero and all-event pools get 1/2 added to every study's cells;
# one study is that study with a Wald CI (metafor switches to test="z" for k = 1).
TRUNCATED_HK_REFERENCE = [
    # events, totals, pooled log odds, CI low, CI high
    pytest.param([5, 5, 5], [20, 20, 20], -1.098612288668, -2.381415486974, 0.184190909638, id="identical"),
    pytest.param([0, 0], [20, 30], -3.91300137805, -16.74800524356, 8.92200248746, id="no-events"),
    pytest.param([29, 40], [29, 40], 4.23635275782, -8.56253729128, 17.03524280691, id="all-events"),
    pytest.param([5], [20], -1.0986122886681, -2.1107333381734, -0.0864912391628, id="one-study"),
]


@pytest.mark.parametrize("events, totals, estimate, ci_low, ci_high", TRUNCATED_HK_REFERENCE)
def test_truncated_hartung_knapp_matches_metafor_at_the_edges(events, totals, estimate, ci_low, ci_high):
    yi, vi = logit_effect_sizes(events, totals)
    pooled = inverse_variance(yi, vi, hartung_knapp=True)
    assert pooled.tau2 == 0
    assert abs(pooled.estimate - estimate) <= METAFOR_TOLERANCE
    assert abs(pooled.ci_low - ci_low) <= METAFOR_TOLERANCE
    assert abs(pooled.ci_high - ci_high) <= METAFOR_TOLERANCE


def test_truncated_hartung_knapp_is_never_narrower_than_wald():
    # Two studies that agree more than chance: untruncated HK would be narrower than Wald.
    yi, vi = logit_effect_sizes([20, 21], [40, 40])
    hk = inverse_variance(yi, vi, hartung_knapp=True)
    wald = inverse_variance(yi, vi, hartung_knapp=False)
    assert hk.se == pytest.approx(wald.se)
    assert hk.ci_high - hk.ci_low > wald.ci_high - wald.ci_low  # t(1) against z


@pytest.mark.parametrize("events, totals, reason", [
    ([0, 0, 0], [20, 30, 29], "no study has an event"),
    ([20, 29], [20, 29], "every patient in every study had the event"),
    ([0, 29], [20, 29], "either no events or only events"),
])
def test_the_glmm_refuses_pools_with_no_finite_estimate_and_says_why(events, totals, reason):
    # metafor: rma.glmm stops with "Cannot fit ML model" on the first two.
    with pytest.raises(NotEstimable, match=reason):
        glmm_proportion(events, totals)


def test_a_pool_the_glmm_cannot_estimate_is_a_record_with_its_reason():
    from livingreview.statistics.pooling import pool_rates

    rates = pd.DataFrame({"study_id": ["a", "b", "c"], "events": [0, 0, 0], "total": [20, 30, 25]})
    bayesian, glmm, iv = (pool for _, _, pool in pool_rates(rates, "ORR")[:3])
    assert not glmm.estimable and "no study has an event" in glmm.note
    assert math.isnan(glmm.as_proportion()["estimate"])
    assert iv.estimable  # the continuity-corrected sensitivity pool still exists, as in metafor
    assert bayesian.estimable  # the priors keep the posterior proper


def test_the_moderator_test_finds_settings_that_differ_and_not_ones_that_agree():
    differ = glmm_moderator_test([35, 27, 9, 10], [46, 30, 29, 31], ["first", "first", "later", "later"])
    agree = glmm_moderator_test([20, 22, 21, 19], [40, 40, 40, 40], ["first", "first", "later", "later"])
    assert differ.df == agree.df == 1
    assert differ.p < 0.001 < 0.5 < agree.p


def test_the_moderator_test_refuses_settings_of_one_study_each():
    with pytest.raises(NotEstimable, match="nothing is left to estimate the spread"):
        glmm_moderator_test([35, 9], [46, 29], ["first", "later"])
