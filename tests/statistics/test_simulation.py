"""The reconstruction's validation harness, in its fast configuration (54 simulated trials:
3 sizes x 3 hazard shapes x 2 censoring patterns x 3 replicates, two arms each).

Bounds are on the distribution of errors, since some single data sets are hard by nature
(a median printed near the end of follow-up, or a landmark rate printed right at the
median, with 30 patients a step of the curve is 3.3 points). The longer run is
``make harness``; its figures are on the site's validation page.
"""

from __future__ import annotations

import pytest

from livingreview.statistics.simulation import ERROR_LABELS, run_harness, scenarios, summarise

# Reconstruction fidelity: the printed numbers are targets, so the typical (95th percentile)
# error against them must stay within the acceptance bounds used for the papers.
P95_MEDIAN_VS_PRINTED_MONTHS = 0.5
P95_LANDMARK_VS_PRINTED_POINTS = 3.0
# A hazard ratio from summaries alone is far less certain: censoring is matched to event
# times by assumption. On the log scale, 95% of reconstructed HRs stay within 0.6 of the
# simulated data's own Cox HR (a factor of about 1.8), and the typical error within 0.15.
P95_LOG_HR_VS_DATA = 0.6
MEDIAN_LOG_HR_VS_DATA = 0.15


@pytest.fixture(scope="module")
def errors():
    return run_harness(replicates=3)


def _row(summary, column):
    return summary[summary["error"] == ERROR_LABELS[column]].iloc[0]


def test_harness_covers_at_least_fifty_simulated_trials(errors):
    assert errors["seed"].nunique() >= 50
    assert len(scenarios()) == 18


def test_reconstructed_event_counts_always_equal_the_printed_ones(errors):
    assert (errors["events_error"] == 0).all()


def test_reconstruction_follows_the_printed_numbers(errors):
    summary = summarise(errors)
    assert _row(summary, "median_error_vs_printed")["p95_abs"] <= P95_MEDIAN_VS_PRINTED_MONTHS
    for column in ("landmark_6_error_vs_printed", "landmark_12_error_vs_printed"):
        assert _row(summary, column)["p95_abs"] <= P95_LANDMARK_VS_PRINTED_POINTS, column


def test_reconstructed_hazard_ratio_stays_near_the_data_hazard_ratio(errors):
    row = _row(summarise(errors), "log_hr_error_vs_data")
    assert row["p95_abs"] <= P95_LOG_HR_VS_DATA
    assert row["median_abs"] <= MEDIAN_LOG_HR_VS_DATA


def test_harness_is_deterministic():
    from livingreview.statistics.simulation import run_dataset

    scenario = scenarios()[0]
    assert run_dataset(scenario, 7) == run_dataset(scenario, 7)
