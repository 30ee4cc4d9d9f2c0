"""Reconstruction of pseudo patient-level survival data from the papers' printed summaries.

Bounds asserted for every arm and endpoint whose paper prints enough (a median or a
landmark rate, and the enrolment period and cut-off that set censoring):
"""

from __future__ import annotations

import pandas as pd
import pytest
from lifelines import CoxPHFitter

from livingreview.curated.studies import load_studies
from livingreview.statistics.reconstruct import (PrintedSurvival, _km_at, km_median, reconstruct,
                                      survival_inputs, target_points)

# The acceptance bounds of the reconstruction: a KM median within half a month of the
# printed one, landmark rates within 3 percentage points, the printed event count exactly.
MEDIAN_BOUND_MONTHS = 0.5
LANDMARK_BOUND_POINTS = 3.0

STUDIES = {s.study_id: s for s in load_studies()}
INPUTS = [i for s in STUDIES.values() for i in survival_inputs(s)]
ENOUGH = [i for i in INPUTS if not i.missing]


def _id(inputs) -> str:
    return f"{inputs.study_id}-{inputs.arm}-{inputs.population}-{inputs.endpoint}"


@pytest.mark.parametrize("inputs", ENOUGH, ids=_id)
def test_reconstruction_reproduces_what_was_printed(inputs):
    printed = inputs.printed
    data = reconstruct(printed).data
    times, events = data["time"].to_numpy(), data["event"].to_numpy()
    assert len(data) == printed.n
    if printed.events is not None:
        assert events.sum() == printed.events
    if printed.median is not None:
        assert abs(km_median(times, events) - printed.median) <= MEDIAN_BOUND_MONTHS
    for months, rate in printed.landmarks:
        assert abs(100 * _km_at(times, events, months) - rate) <= LANDMARK_BOUND_POINTS, months


def test_a_study_is_rebuilt_exactly_when_it_prints_its_enrolment_period_and_cut_off():
    """Of the five papers, all but the abstract-only Zhu 2025 print enough; a study added later
    is rebuilt or not by the same rule."""
    enough = {i.study_id for i in ENOUGH}
    assert {"carter2022", "li2022", "xu2025", "zzu_anlotinib_pd1"} <= enough and "zhu2025" not in enough
    too_little = [i for i in INPUTS if i.missing]
    assert "zhu2025" in {i.study_id for i in too_little}
    assert all("censoring is unknown" in i.missing for i in too_little)
    for study_id in {i.study_id for i in INPUTS}:
        meta = STUDIES[study_id].meta
        dated = bool(meta.get("enrolment_period")) and bool(meta.get("data_cutoff"))
        assert (study_id in enough) == dated, study_id


def _cox_hazard_ratio(study_id: str, endpoint: str, arm: str, comparator: str, population: str) -> float:
    chosen = {i.arm: i for i in ENOUGH if i.study_id == study_id and i.endpoint == endpoint
              and i.population == population}
    frames = [reconstruct(chosen[a].printed).data.assign(anlotinib=int(a == arm)) for a in (arm, comparator)]
    model = CoxPHFitter().fit(pd.concat(frames, ignore_index=True), "time", "event")
    return float(model.hazard_ratios_["anlotinib"])


def test_xu2025_pfs_hazard_ratio_from_reconstructed_data_lies_in_the_printed_ci():
    # Printed (Results, unadjusted, log-rank): HR 0.35, 95% CI 0.19-0.65 (outcomes.csv row 22).
    hr = _cox_hazard_ratio("xu2025", "PFS", "tcac", "tcc", "fas")
    assert 0.19 <= hr <= 0.65


def test_carter2022_os_hazard_ratio_from_reconstructed_data_lies_in_the_printed_ci():
    # Printed (Table 3, univariable, after matching): HR 0.609, 95% CI 0.419-0.886 (row 62).
    hr = _cox_hazard_ratio("carter2022", "OS", "crt_anlotinib", "crt_alone", "after_psm")
    assert 0.419 <= hr <= 0.886


def test_reconstruction_is_deterministic():
    printed = PrintedSurvival(46, 27, 8.38, ((6, 81.12), (12, 25.17)), 18.0, 9.8, "li2022/x")
    first, second = reconstruct(printed).data, reconstruct(printed).data
    pd.testing.assert_frame_equal(first, second)


def test_contradicting_printed_points_are_set_aside():
    printed = PrintedSurvival(40, median=10.0, landmarks=((6, 40.0), (12, 55.0), (24, 30.0), (30, 35.0)))
    points, set_aside = target_points(printed)
    assert points == [(10.0, 0.5), (24.0, 0.3)]
    assert len(set_aside) == 3  # below 50% before the median, above it after, rising later
