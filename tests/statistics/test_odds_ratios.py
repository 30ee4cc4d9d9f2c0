"""Odds ratios from 2x2 counts: the Wald one (escalc) and the conditional exact one (Fisher),
and which one the pages show."""

from __future__ import annotations

import pytest

from livingreview.curated.studies import load_studies
from livingreview.statistics.odds_ratios import EXACT_OR, WALD_OR, odds_ratio, response_odds_ratios, shown_odds_ratio
from livingreview.pages.chapters.comparative import ComparativeChapter

# R 4.x fisher.test(matrix(c(a, c, b, d), 2)): conditional MLE and exact 95% CI. R finds the
# MLE and the limits with uniroot at its default tolerance (.Machine$double.eps^0.25, about
# 1.2e-4) on the reciprocal scale for ratios above 1, so its values carry a relative error of
# up to about 5e-4; scipy solves the same equations to machine precision. The tests allow a
# relative difference of 1e-3: a real error (a wrong margin, the Wald formula) is off by far
# more.
FISHER_RELATIVE_TOLERANCE = 1e-3
FISHER_REFERENCE = [
    # events, total (anlotinib arm), events, total (control), R's OR, CI low, CI high
    pytest.param(27, 30, 13, 30, 11.24275615405, 2.60593958535, 70.50259860781, id="xu2025-ORR"),
    pytest.param(59, 68, 42, 68, 4.01581458539, 1.62132659034, 10.78856868582, id="carter2022-ORR-matched"),
]


@pytest.mark.parametrize("e1, n1, e2, n2, estimate, low, high", FISHER_REFERENCE)
def test_the_conditional_exact_odds_ratio_matches_r_fisher_test(e1, n1, e2, n2, estimate, low, high):
    ratio = odds_ratio(e1, n1, e2, n2)
    assert ratio["exact_estimate"] == pytest.approx(estimate, rel=FISHER_RELATIVE_TOLERANCE)
    assert ratio["exact_low"] == pytest.approx(low, rel=FISHER_RELATIVE_TOLERANCE)
    assert ratio["exact_high"] == pytest.approx(high, rel=FISHER_RELATIVE_TOLERANCE)


def test_a_table_with_a_cell_below_five_shows_the_exact_odds_ratio():
    small = odds_ratio(27, 30, 13, 30)  # 3 non-responders with anlotinib
    assert small["small"] and small["method"] == EXACT_OR
    assert shown_odds_ratio(small)[:3] == (small["exact_estimate"], small["exact_low"], small["exact_high"])
    # The Wald interval is narrower than the exact one here (anti-conservative).
    assert small["ci_high"] / small["ci_low"] < small["exact_high"] / small["exact_low"]
    large = odds_ratio(59, 68, 42, 68)
    assert not large["small"] and shown_odds_ratio(large) == (large["estimate"], large["ci_low"], large["ci_high"],
                                                              WALD_OR)


def test_the_comparative_chapter_shows_the_exact_ratio_and_says_when_it_ignores_matching():
    rows = ComparativeChapter.load(None).comparison_rows
    xu = rows[(rows["study_id"] == "xu2025") & (rows["measure"] == "odds ratio")].iloc[0]
    assert xu["estimate"] == pytest.approx(11.24, rel=FISHER_RELATIVE_TOLERANCE)
    assert "exact (Fisher), a cell is below 5; Wald 11.77 (2.92–47.46)" in xu["source"]
    carter = rows[(rows["study_id"] == "carter2022") & (rows["measure"] == "odds ratio")].iloc[0]
    assert carter["source"].endswith("Wald CI; ignores the matching")


def test_every_computed_odds_ratio_carries_both_methods():
    frame = response_odds_ratios(load_studies())
    assert not frame.empty
    assert {"exact_estimate", "exact_low", "exact_high", "small", "method"} <= set(frame.columns)
