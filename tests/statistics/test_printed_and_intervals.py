"""Printed-precision arithmetic and proportion CIs, pinned to reference values."""

import math

import pytest
from scipy import stats

from livingreview.statistics.intervals import proportion_ci
from livingreview.curated.printed import decimals, format_like, half_unit, matches_printed, parse_p_value

# Two implementations of the same closed-form or quantile formula agree to rounding error.
RTOL_SAME_FORMULA = 1e-9


@pytest.mark.parametrize("printed, expected", [("8.70", 2), ("76.1", 1), ("10", 0), ("0.001", 3)])
def test_decimals_count_printed_digits(printed, expected):
    assert decimals(printed) == expected


def test_matches_printed_uses_half_a_unit_of_the_last_digit():
    assert half_unit("76.1") == pytest.approx(0.05)
    assert matches_printed(35 / 46 * 100, "76.1")      # 76.087
    assert not matches_printed(59 / 68 * 100, "86.7")  # 86.765 rounds to 86.8
    assert matches_printed(59 / 68 * 100, "86.8")
    # Exactly half-way is accepted either way (papers round half up or half to even).
    assert matches_printed(8.695, "8.7") and matches_printed(8.695, "8.69")


def test_format_like_keeps_printed_precision():
    assert format_like(2 / 3 * 100, "40.0") == "66.7"
    assert format_like(2 / 3, "0.50") == "0.67"


@pytest.mark.parametrize("printed, relation, value", [
    ("0.023", "=", 0.023), ("<0.001", "<", 0.001), (">0.05", ">", 0.05), ("< 0.001", "<", 0.001)])
def test_parse_p_value(printed, relation, value):
    assert parse_p_value(printed) == (relation, value)


@pytest.mark.parametrize("count, n", [(35, 46), (27, 30), (13, 30), (19, 87), (0, 12), (12, 12)])
def test_exact_and_wilson_match_scipy(count, n):
    """statsmodels (used here) against scipy's independent implementation."""
    reference = stats.binomtest(count, n)
    for method, scipy_method in (("clopper_pearson", "exact"), ("wilson", "wilson")):
        low, high = proportion_ci(count, n, method)
        ref = reference.proportion_ci(confidence_level=0.95, method=scipy_method)
        assert low == pytest.approx(100 * ref.low, rel=RTOL_SAME_FORMULA, abs=1e-9)
        assert high == pytest.approx(100 * ref.high, rel=RTOL_SAME_FORMULA, abs=1e-9)


@pytest.mark.parametrize("count, n", [(35, 46), (13, 30), (19, 87)])
def test_wald_agresti_coull_jeffreys_match_their_formulas(count, n):
    z = stats.norm.ppf(0.975)
    p = count / n
    wald = (p - z * math.sqrt(p * (1 - p) / n), p + z * math.sqrt(p * (1 - p) / n))
    n_tilde = n + z**2
    p_tilde = (count + z**2 / 2) / n_tilde
    half = z * math.sqrt(p_tilde * (1 - p_tilde) / n_tilde)
    agresti = (p_tilde - half, p_tilde + half)
    jeffreys = (stats.beta.ppf(0.025, count + 0.5, n - count + 0.5), stats.beta.ppf(0.975, count + 0.5, n - count + 0.5))
    for method, (low, high) in (("wald", wald), ("agresti_coull", agresti), ("jeffreys", jeffreys)):
        got = proportion_ci(count, n, method)
        assert got[0] == pytest.approx(100 * low, rel=RTOL_SAME_FORMULA)
        assert got[1] == pytest.approx(100 * high, rel=RTOL_SAME_FORMULA)


@pytest.mark.parametrize("count, n, low, high", [
    (35, 46, "61.2", "87.4"),  # li2022 ORR, stated Clopper-Pearson (000_..., abstract)
    (42, 46, "79.2", "97.6"),  # li2022 DCR
    (27, 30, "73.5", "97.9"),  # xu2025 TCAC ORR (001_..., results)
    (19, 87, "13.7", "32.0"),  # zzu ORR of 87 (002_..., abstract)
])
def test_clopper_pearson_reproduces_intervals_printed_in_the_papers(count, n, low, high):
    got_low, got_high = proportion_ci(count, n, "clopper_pearson")
    assert matches_printed(got_low, low) and matches_printed(got_high, high)


def test_newcombe_wilson_is_the_wilson_score_interval():
    assert proportion_ci(27, 30, "newcombe_wilson") == proportion_ci(27, 30, "wilson")
