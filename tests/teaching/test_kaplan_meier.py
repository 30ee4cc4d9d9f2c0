"""The Kaplan-Meier chapter's functions: the product-limit arithmetic, landmark and naive
estimates, and the examples chosen from the real data and the fixture."""

import math

import numpy as np
import pandas as pd
import pytest

from livingreview import paths
from livingreview.statistics.reconstruct import analyse_arm, km_median
from livingreview.teaching import kaplan_meier as km

from ..conftest import VALID_DATA

# Hand-computed products of a few fractions agree with lifelines to floating-point rounding.
SAME_ARITHMETIC = 1e-9
# The reconstruction aims at each printed landmark within reconstruct.CALIBRATION_TOLERANCE but
# keeps its best attempt when censoring prevents it: li2022 OS ends within 2 points at 24 months.
CALIBRATED_WITHIN_POINTS = 2.0

# Five patients: events at 1 and 3, censored at 2, event at 4, censored at 5.
TOY = pd.DataFrame({"time": [1.0, 2.0, 3.0, 4.0, 5.0], "event": [1, 0, 1, 1, 0]})


def test_event_table_is_the_product_limit():
    table = km.event_table(TOY)
    assert list(table["at risk"]) == [5, 4, 3, 2, 1]
    expected = [4 / 5, 4 / 5, 4 / 5 * 2 / 3, 4 / 5 * 2 / 3 * 1 / 2, 4 / 5 * 2 / 3 * 1 / 2]
    assert np.allclose(table["survival (%)"], [100 * v for v in expected], atol=SAME_ARITHMETIC)
    assert km_median(TOY["time"].to_numpy(), TOY["event"].to_numpy()) == 4.0


def test_landmark_and_naive_estimates_bracket_kaplan_meier():
    estimate, low, high = km.landmark(TOY, 3.5)
    assert estimate == pytest.approx(100 * 4 / 5 * 2 / 3, abs=SAME_ARITHMETIC)
    assert low < estimate < high
    naive = km.naive_landmarks(TOY, 3.5)
    assert naive["censored counted as event-free (%)"] == pytest.approx(60.0)  # 3 of 5 without an event
    assert naive["censored dropped (%)"] == pytest.approx(50.0)  # 2 of the 4 not censored before 3.5
    assert naive["censored dropped (%)"] < naive["Kaplan-Meier (%)"] < naive["censored counted as event-free (%)"]
    assert km.at_risk(TOY, 3.5) == 2


def test_empty_data_gives_empty_results_not_errors():
    empty = km.example_data(None)
    assert km.event_table(empty).empty
    assert all(math.isnan(v) for v in km.landmark(empty, 12))
    assert km.median_summary(None) == {} and km.shape_comparison(None) == {}


def test_examples_on_the_real_data():
    studies, inputs = km.load_inputs(paths.DATA_DIR)
    chosen = km.choose_example(studies, inputs)
    # li2022 OS prints a median, two landmarks and an event count; the study is not flagged.
    assert (chosen.study_id, chosen.arm, chosen.endpoint) == ("li2022", "anlotinib_tp", "OS")
    assert km.printed_points(chosen) == 4
    assert km.printed_text(studies, chosen).startswith("median 18.53 months (95% CI 13.11–23.95)")
    arm = analyse_arm(chosen)
    assert int(arm.result.data["event"].sum()) == chosen.printed.events
    open_ci = {(a.inputs.study_id, a.inputs.arm, a.inputs.endpoint)
               for a in km.open_median_intervals([analyse_arm(i) for i in inputs if not i.missing])}
    assert ("li2022", "anlotinib_tp", "OS") in open_ci
    shape = km.shape_example(inputs, studies)
    comparison = km.shape_comparison(shape, 24)
    assert comparison["printed (%)"] == pytest.approx(37.21)
    assert abs(comparison["all printed points (%)"] - 37.21) <= CALIBRATED_WITHIN_POINTS
    # Without the landmark the assumed shape misses the printed 24-month rate by more.
    assert abs(comparison["median and events only (%)"] - 37.21) > abs(comparison["all printed points (%)"] - 37.21)
    assert km.digitised_arms(inputs) == []
    facts = km.facts(studies, inputs, arm)
    assert facts["km_digitised"].startswith("none yet")
    assert facts["km_n_not_rebuilt"] == 2  # zhu2025 prints no enrolment period or cut-off


def test_examples_on_the_fixture():
    studies, inputs = km.load_inputs(VALID_DATA)
    chosen = km.choose_example(studies, inputs)
    # The PFS arm is rebuilt from its digitised figure, so the summary-based example is OS.
    assert (chosen.study_id, chosen.endpoint) == ("doe2024", "OS")
    assert [(i.study_id, i.endpoint) for i in km.digitised_arms(inputs)] == [("doe2024", "PFS")]
    assert km.shape_example(inputs, studies) is None
    facts = km.facts(studies, inputs, analyse_arm(chosen))
    assert facts["km_shape_example"].startswith("no arm")
    assert facts["km_example_median_printed"] == "no median"
    assert km.digitised_figure(None, "") is None and km.shape_figure(None, "") is None
