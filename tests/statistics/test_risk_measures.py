"""Risk ratio and risk difference beside every odds ratio, pinned to independent references."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from livingreview.statistics.risk_measures import risk_difference, risk_measures_text, risk_ratio

# Newcombe RG. Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Stat Med 1998;17:873-890, Table II, method 10 (hybrid score),
# printed to 4 decimals: (a) 56/70 vs 48/80, (b) 9/10 vs 3/10.
NEWCOMBE_1998 = [((56, 70, 48, 80), 0.0524, 0.3339), ((9, 10, 3, 10), 0.1705, 0.8090)]
PRINTED_DIGITS = 0.5e-4  # half a unit of the fourth decimal the paper prints
EXACT = 1e-12  # the same formula computed two ways


@pytest.mark.parametrize(("counts", "low", "high"), NEWCOMBE_1998)
def test_the_risk_difference_interval_is_newcombes_hybrid_score_interval(counts, low, high):
    found = risk_difference(*counts)
    assert found["ci_low"] / 100 == pytest.approx(low, abs=PRINTED_DIGITS)
    assert found["ci_high"] / 100 == pytest.approx(high, abs=PRINTED_DIGITS)


def test_the_risk_ratio_is_the_log_scale_wald_interval():
    # Xu 2025's objective response, 27/30 against 13/30: RR 0.9 / 0.4333 with var(log RR) =
    # 1/27 - 1/30 + 1/13 - 1/30 (Katz), the interval statsmodels' 'log' method gives too.
    found = risk_ratio(27, 30, 13, 30)
    assert found["estimate"] == pytest.approx((27 / 30) / (13 / 30), abs=EXACT)
    se = math.sqrt(1 / 27 - 1 / 30 + 1 / 13 - 1 / 30)
    assert found["ci_low"] == pytest.approx(found["estimate"] * math.exp(-1.959963984540054 * se), abs=1e-9)
    low, high = confint_proportions_2indep(27, 30, 13, 30, compare="ratio", method="log")
    assert (found["ci_low"], found["ci_high"]) == pytest.approx((low, high), abs=1e-9)


def test_a_zero_cell_gets_one_half_and_no_events_at_all_gives_no_ratio():
    corrected = risk_ratio(0, 20, 5, 20)
    assert corrected["estimate"] == pytest.approx((0.5 / 21) / (5.5 / 21))
    assert math.isnan(risk_ratio(0, 20, 0, 20)["estimate"])


def test_the_texts_read_as_a_clinician_reads_them():
    assert risk_measures_text(27, 30, 13, 30) == ("RR 2.08 (95% CI 1.36–3.18)",
                                                  "risk difference +46.7 percentage points (95% CI 23.2 to 63.9)")
