"""Reconstruction of pseudo patient-level survival data from the papers' printed summaries.

Bounds asserted for every arm and endpoint whose paper prints enough (a median or a
landmark rate, and the enrolment period and cut-off that set censoring):
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from lifelines import CoxPHFitter

from livingreview.curated.studies import load_studies, load_study
from livingreview.pages.study.page import StudyPage
from livingreview.statistics.printed_frame import longest_follow_up
from livingreview.statistics.reconstruct import (PrintedSurvival, SurvivalInputs, _km_at, analyse_arm, km_median,
                                                 reconstruct, survival_inputs, target_points, unlimited)
from livingreview.validation.data_folder import validate_data_dir

from ..conftest import FIXTURE_STUDY, append_row

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


# ----------------------------------------------------------------------------- bounds from what was printed


def test_an_arm_without_printed_events_keeps_within_its_parent_populations_events():
    # A long cut-off would leave nearly every patient with an event (administrative censoring
    # alone gives 40 of 40); drawn from a population with 30 events among 45 patients, the arm
    # may have at most 30 events and at least 30 - (45 - 40) = 25.
    free = PrintedSurvival(40, None, 10.0, ((6, 70.0),), 12.0, 60.0, "bounds/free")
    bounded = replace(free, label="bounds/bounded", events_at_most=30, events_at_least=25,
                      bound_source="the whole cohort it was drawn from (30 events printed among 45 patients)")
    assert reconstruct(free).data["event"].sum() > 30
    result = reconstruct(bounded)
    assert bounded.event_bounds == (25, 30)
    assert result.data["event"].sum() == 30  # the nearest bound: as few losses as the bound needs
    assert result.loss_hazard > 0 and not result.refused
    times, events = result.data["time"].to_numpy(), result.data["event"].to_numpy()
    assert abs(km_median(times, events) - 10.0) <= MEDIAN_BOUND_MONTHS
    assert abs(100 * _km_at(times, events, 6) - 70.0) <= LANDMARK_BOUND_POINTS


def test_an_arm_whose_printed_rates_need_more_events_than_its_parent_printed_is_refused_with_a_reason():
    # 10% alive at 12 months among 40 patients needs some 36 events by then; the parent
    # population printed 20.
    printed = PrintedSurvival(40, None, None, ((6, 40.0), (12, 10.0)), 12.0, 60.0, "bounds/refused",
                              events_at_most=20, events_at_least=15,
                              bound_source="the whole cohort it was drawn from (20 events printed among 45 patients)")
    result = reconstruct(printed)
    assert 15 <= result.data["event"].sum() <= 20
    assert result.refused.startswith("with 15–20 events, as the whole cohort it was drawn from "
                                     "(20 events printed among 45 patients) allows, the rebuilt curve misses")
    assert "12-month rate 10%" in result.refused
    inputs = SurvivalInputs("made_up", "arm", "subset", "OS", printed, [1], [])
    assert inputs.missing == result.refused
    with pytest.raises(ValueError, match="not reconstructed"):
        analyse_arm(inputs)


def test_printed_events_beyond_the_parent_populations_are_refused():
    printed = PrintedSurvival(40, 33, 10.0, (), 12.0, 60.0, "bounds/printed", events_at_most=30,
                              events_at_least=25, bound_source="the whole cohort")
    assert reconstruct(printed).refused == "the 33 events printed for it are outside the 25–30 that the whole cohort allows"


def test_a_page_shows_why_a_subset_arm_is_not_reconstructed(data_copy):
    # The fixture's efficacy population (38) is drawn from the enrolled one (40); the enrolled
    # patients' 5 printed deaths cannot give the efficacy population's printed 70.1% at 12 months
    # with the follow-up printed (the 12-month rate needs about 11 deaths).
    path = data_copy / FIXTURE_STUDY / "study.yaml"
    text = path.read_text(encoding="utf-8")
    old = 'source: Abstract, quote: "38 with assessable efficacy"}'
    assert old in text
    path.write_text(text.replace(old, old[:-1] + ', subset_of: {population: enrolled, source: Abstract, '
                                 'quote: "38 with assessable efficacy"}}'), encoding="utf-8")
    append_row(data_copy, "outcomes.csv", {
        "arm": "examplinib_chemo", "population": "enrolled", "endpoint": "OS", "measure": "events", "count": "5",
        "denominator": "40", "events": "5", "unit": "patients", "source_type": "body", "source": "Results",
        "quote": "5 patients had died"})
    assert validate_data_dir(data_copy) == []
    (os_inputs,) = [i for i in survival_inputs(load_study(data_copy / FIXTURE_STUDY)) if i.endpoint == "OS"]
    assert os_inputs.printed.event_bounds == (3, 5)
    assert "5 events printed among 40 patients" in os_inputs.missing
    page = StudyPage.load("doe2024", data_copy)
    note = page.reconstruction.notes().data
    assert "OS (Examplinib plus chemotherapy, efficacy-evaluable patients): not reconstructed, because with 3–5 events" in note
    assert page.reconstruction.facts()["n_not_reconstructed"] == 1


def test_a_subset_of_no_population_of_its_arm_is_rejected(data_copy):
    path = data_copy / FIXTURE_STUDY / "study.yaml"
    text = path.read_text(encoding="utf-8")
    old = 'source: Abstract, quote: "38 with assessable efficacy"}'
    path.write_text(text.replace(old, old[:-1] + ', subset_of: {population: screened, source: Abstract, '
                                 'quote: "38 with assessable efficacy"}}'), encoding="utf-8")
    (problem,) = validate_data_dir(data_copy)
    assert (problem.column, problem.value) == ("populations[1].subset_of.population", "screened")


@pytest.mark.parametrize("endpoint, parent_events, parent_row", [("OS", 58, 48), ("PFS", 60, 42)])
def test_carter2022_matched_anlotinib_arm_has_no_more_events_than_the_cohort_it_was_drawn_from(
        endpoint, parent_events, parent_row):
    # Printed for the 76-patient unmatched anlotinib group (Results: "58 patients (76.3%) in the
    # anlotinib cohort ... had died"; "progression occurred in 60 of 76"); the matched arm (68)
    # prints no events of its own.
    (inputs,) = [i for i in INPUTS if i.study_id == "carter2022" and i.arm == "crt_anlotinib"
                 and i.population == "after_psm" and i.endpoint == endpoint]
    assert inputs.printed.events is None and not inputs.missing
    assert inputs.printed.event_bounds == (parent_events - (76 - 68), parent_events)
    assert parent_row in inputs.rows
    events = int(reconstruct(inputs.printed).data["event"].sum())
    assert parent_events - 8 <= events <= parent_events


def test_no_reconstructed_curve_runs_past_its_studys_longest_printed_follow_up():
    bounded = [i for i in ENOUGH if longest_follow_up(STUDIES[i.study_id].meta) is not None]
    # Xu 2025 (range 1.9-45.9 months) and the Zhengzhou cohort (range 0.7-33.6) print one.
    assert {"xu2025", "zzu_anlotinib_pd1"} <= {i.study_id for i in bounded}
    assert longest_follow_up(STUDIES["xu2025"].meta) == 45.9
    for inputs in bounded:
        data = analyse_arm(inputs).result.data
        assert data["time"].max() <= longest_follow_up(STUDIES[inputs.study_id].meta), _id(inputs)


def test_patients_event_free_at_the_longest_follow_up_are_censored_there():
    # Enrolment over 24 months and 32 more to the cut-off would follow the last patients for
    # 56 months; the paper's longest printed follow-up is 45.9.
    free = PrintedSurvival(30, None, 24.5, (), 24.0, 32.0, "cap/arm")
    capped = replace(free, max_follow_up_months=45.9)
    assert reconstruct(free).data["time"].max() > 50
    data = reconstruct(capped).data
    at_bound = data[data["time"] == data["time"].max()]
    assert data["time"].max() == pytest.approx(45.9)
    assert len(at_bound) >= 1 and (at_bound["event"] == 0).all()
    # With the printed event count, the bound holds as well.
    printed = replace(capped, events=16, label="cap/printed")
    result = reconstruct(printed)
    assert result.data["time"].max() <= 45.9 and result.data["event"].sum() == 16 and not result.refused


def test_a_miss_the_arm_has_without_its_limits_too_is_not_a_refusal():
    # 15 events among 30 with the median at 24.5 months: the rebuilt median lands at 25.1 with
    # or without the longest follow-up, so the limit is not what misses it (the check table
    # shows the gap, as for any arm).
    printed = PrintedSurvival(30, 15, 24.5, (), 24.0, 32.0, "cap/shared-miss", max_follow_up_months=45.9)
    free = reconstruct(unlimited(printed)).data
    assert abs(km_median(free["time"].to_numpy(), free["event"].to_numpy()) - 24.5) > MEDIAN_BOUND_MONTHS
    assert reconstruct(printed).refused == ""
