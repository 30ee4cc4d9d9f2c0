"""The response-interval chapter's functions: intervals pinned to published values, exact
coverage, and the examples chosen from the real data and the fixture."""

import math

import pytest
from scipy import stats

from livingreview import paths
from livingreview.statistics.intervals import proportion_ci
from livingreview.teaching import response_intervals as ri

from ..conftest import VALID_DATA

# Newcombe (1998), Stat Med 17:857-872, Table II prints limits as proportions to 4 decimals:
# a recomputed limit agrees when it is within half a unit of the 4th decimal (in percent: 0.005).
PRINTED_4DP = 0.005 + 1e-9
NEWCOMBE_TABLE_II = {  # (x, n): {method: (low, high)} in percent
    (81, 263): {"wald": (25.22, 36.38), "wilson": (25.53, 36.62), "clopper_pearson": (25.27, 36.76)},
    (15, 148): {"wald": (5.27, 15.00), "wilson": (6.24, 16.05), "clopper_pearson": (5.78, 16.17)},
    (0, 20): {"wilson": (0.0, 16.11), "clopper_pearson": (0.0, 16.84)},
    (1, 29): {"wilson": (0.61, 17.18), "clopper_pearson": (0.09, 17.76)},
}
# Coverage computed two ways (summing binomial probabilities here and in the test) agrees to
# floating-point rounding.
SAME_SUM = 1e-9


@pytest.mark.parametrize("case", sorted(NEWCOMBE_TABLE_II))
def test_intervals_match_newcombe_table_ii(case):
    x, n = case
    frame = ri.compare_methods(x, n, methods=tuple(NEWCOMBE_TABLE_II[case])).set_index("method")
    for method, (low, high) in NEWCOMBE_TABLE_II[case].items():
        got_low, got_high = proportion_ci(x, n, method)
        assert got_low == pytest.approx(low, abs=PRINTED_4DP)
        assert got_high == pytest.approx(high, abs=PRINTED_4DP)
        assert len(frame) == len(NEWCOMBE_TABLE_II[case])


def test_exact_upper_limit_for_zero_responders_has_closed_form():
    # Clopper-Pearson for 0/n: upper limit 1 - 0.025^(1/n).
    for n in (20, 29, 30):
        frame = ri.compare_methods(0, n, methods=("clopper_pearson", "wald")).set_index("method")
        assert frame.loc["Clopper-Pearson (exact)", "high"] == pytest.approx(100 * (1 - 0.025 ** (1 / n)), abs=1e-9)
        assert frame.loc["Wald", "width"] == 0


def test_wald_unclipped_overshoots_where_the_clipped_interval_stops_at_100():
    raw_low, raw_high = ri.wald_unclipped(27, 30)
    z = stats.norm.ppf(0.975)
    assert raw_high == pytest.approx(100 * (0.9 + z * math.sqrt(0.9 * 0.1 / 30)), abs=1e-9)
    assert raw_high > 100 and proportion_ci(27, 30, "wald")[1] == 100
    assert proportion_ci(27, 30, "wald")[0] == pytest.approx(raw_low, abs=1e-9)


def test_coverage_is_the_binomial_sum_over_covering_counts():
    n, p = 29, 30.0
    limits = [proportion_ci(k, n, "wilson") for k in range(n + 1)]
    expected = 100 * sum(stats.binom.pmf(k, n, p / 100) for k, (lo, hi) in enumerate(limits) if lo <= p <= hi)
    assert ri.coverage(n, "wilson", [p])[0] == pytest.approx(expected, abs=SAME_SUM)


def test_clopper_pearson_never_covers_less_than_nominal_and_wald_does():
    summary = ri.coverage_summary(29).set_index("method")
    assert summary.loc["Clopper-Pearson (exact)", "minimum coverage (%)"] >= 95
    assert summary.loc["Wald", "minimum coverage (%)"] < 50  # near the edges Wald fails badly
    assert 94 < summary.loc["Wilson score", "average coverage (%)"] < 96


def test_examples_on_the_real_data():
    studies, vocabulary = ri.load_data(paths.DATA_DIR)
    rates = ri.arm_rates(studies)
    assert "carter2022" not in set(rates["study_id"])  # excluded by the integrity screen
    small = ri.smallest_denominator(rates)
    assert small["denominator"] == rates["denominator"].min()
    overshoot = ri.wald_overshoot(rates)
    assert ri.wald_unclipped(int(overshoot["count"]), int(overshoot["denominator"]))[1] > 100
    findings = ri.ci_method_findings(studies, vocabulary)
    mismatches = ri.stated_method_mismatches(findings)
    # xu2025 names the Newcombe-Wilson interval but prints Clopper-Pearson limits.
    assert set(mismatches["study_id"]) == {"xu2025"}
    assert set(mismatches["reproduced by"]) == {"Clopper-Pearson (exact)"}
    assert set(mismatches["stated method"]) == {"Newcombe-Wilson (score)"}
    unreproduced = ri.unreproduced_intervals(findings)
    # zzu_anlotinib_pd1 prints 19/82 with the interval of 19/87.
    assert list(unreproduced["study_id"]) == ["zzu_anlotinib_pd1"]
    assert "87 (Clopper-Pearson (exact))" in unreproduced["denominators that reproduce the CI"].iloc[0]
    assert list(ri.fitting_denominators(19, "13.7", "32.0", largest=400)["denominator"]) == [87]


def test_examples_on_the_fixture_say_when_there_is_none():
    studies, vocabulary = ri.load_data(VALID_DATA)
    rates = ri.arm_rates(studies)
    findings = ri.ci_method_findings(studies, vocabulary)
    facts = ri.facts(rates, findings)
    assert facts["ri_small_label"] == "doe2024, Examplinib plus chemotherapy, ORR 26/38"
    assert facts["ri_n_stated_mismatch"] == 0 and facts["ri_stated_mismatch"].startswith("no row")
    assert facts["ri_n_unreproduced"] == 0 and facts["ri_unreproduced"].startswith("no row")
