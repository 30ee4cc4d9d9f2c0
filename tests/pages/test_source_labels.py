"""Every value shown or written to the results table is labelled by its true source: a rate the
paper prints is "as printed", a value of the reconstructed data is "reconstructed", a count the
paper prints is not "implied", and a grade 3-4 rate is not passed off as grade >=3."""

from __future__ import annotations

import pandas as pd
import pytest

from livingreview import paths
from livingreview.curated.studies import load_studies, load_vocabulary
from livingreview.pages.chapters.survival import SurvivalChapter, landmark_method
from livingreview.pages.study.page import StudyPage
from livingreview.results.table import reconstruction_results
from livingreview.statistics import landmarks, safety
from livingreview.statistics.arms import CONTROL
from livingreview.statistics.reconstruct import RECONSTRUCTED_METHOD


@pytest.fixture(scope="module")
def studies():
    return load_studies(paths.DATA_DIR)


@pytest.fixture(scope="module")
def survival_results(tmp_path_factory):
    path = tmp_path_factory.mktemp("survival") / "results.csv"
    SurvivalChapter.load(None).write_survival_results(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_a_printed_landmark_rate_is_labelled_as_printed_and_only_a_rebuilt_one_as_kaplan_meier(survival_results):
    rates = survival_results[survival_results["statistic"].str.startswith("landmark_percent_12_months")]
    by_study = {(r["endpoint"], r["statistic"].split("(")[1].rstrip(")")): r for r in rates.to_dict("records")}
    # Li 2022 prints 71.8% (OS) and 25.17% (PFS) at 12 months, each with its CI.
    for endpoint, printed in (("OS", "71.8"), ("PFS", "25.17")):
        li = by_study[(endpoint, "li2022")]
        assert (li["estimate"], li["printed"]) == (printed, printed)
        assert li["method"] == "as printed (rate and CI; SE from the printed CI)"
    # Xu 2025 prints no 12-month rate: the value is the reconstruction's.
    assert by_study[("OS", "xu2025")]["method"] == f"Kaplan-Meier, {RECONSTRUCTED_METHOD}"
    for r in rates.to_dict("records"):
        if r["printed"] and float(r["estimate"]) == float(r["printed"]):
            assert r["method"].startswith("as printed"), r["statistic"]
        else:
            assert r["method"].startswith("Kaplan-Meier"), r["statistic"]
    pooled = survival_results[survival_results["statistic"] == "pooled_landmark_percent_12_months"]
    assert all("reconstructed KM" not in m and "printed where printed" in m for m in pooled["method"])


def test_landmark_method_names_each_source():
    assert landmark_method(landmarks.PRINTED_WITH_CI, RECONSTRUCTED_METHOD).startswith("as printed (rate and CI")
    assert landmark_method(landmarks.PRINTED_RATE, RECONSTRUCTED_METHOD).startswith("as printed (rate); SE from")
    assert landmark_method(landmarks.RECONSTRUCTED, RECONSTRUCTED_METHOD) == f"Kaplan-Meier, {RECONSTRUCTED_METHOD}"
    with pytest.raises(ValueError):
        landmark_method("guessed", RECONSTRUCTED_METHOD)


def test_a_reconstructed_event_count_says_where_it_comes_from():
    page = StudyPage.load("carter2022")
    results = reconstruction_results("carter2022", page.reconstruction.reconstructions, [])
    events = results[results["statistic"] == "events"].set_index(["arm", "population", "endpoint"])["method"]
    assert events[("crt_anlotinib", "before_psm", "OS")].endswith("event count held to the printed one")
    matched = events[("crt_anlotinib", "after_psm", "OS")]
    assert "held within 50–58 by the unmatched cohort it was drawn from (58 events printed among 76 patients)" in matched


@pytest.mark.parametrize("arms", ["intervention", CONTROL])
def test_xu2025_grade_3_counts_are_printed_not_implied_in_both_arms(studies, arms):
    xu = [s for s in studies if s.study_id == "xu2025"]
    vocabulary = load_vocabulary(data_dir=paths.DATA_DIR)
    rates = safety.grade3_rates(xu, vocabulary) if arms == "intervention" else safety.grade3_rates(xu, vocabulary, CONTROL)
    (row,) = rates.to_dict("records")
    assert row["count_origin"] == "printed" and row["band_counted"] == safety.GRADE_3_PLUS
    assert "implied" not in safety.arm_count_text(row["events"], row["total"], row["count_origin"], row["band_counted"])


def test_carter2022_grade_3_to_4_rate_is_not_called_grade_3_or_higher(studies):
    """Carter 2022 prints grade 3-4 treatment-related events (39.5% and 30.7%) and, separately,
    two and five deaths during chemoradiotherapy: the rate says the deaths are not in it."""
    carter = [s for s in studies if s.study_id == "carter2022"]
    vocabulary = load_vocabulary(data_dir=paths.DATA_DIR)
    rates = safety.ae_rates(carter[0], vocabulary)
    any_event = rates[(rates["term"] == safety.ANY_EVENT_TERM) & (rates["band"] == safety.GRADE_3_PLUS)]
    assert set(any_event["band_counted"]) == {safety.GRADE_3_TO_4_WITHOUT_DEATHS}
    (treated,) = safety.grade3_rates(carter, vocabulary).to_dict("records")
    assert safety.arm_count_text(treated["events"], treated["total"], treated["count_origin"],
                                 treated["band_counted"]) == "30/76 (count implied; grade 3–4, grade 5 deaths not included)"
    page = StudyPage.load("carter2022")
    assert "39.5% (printed; no count; grade 3–4, grade 5 deaths not included)" in page.safety.summary().data
    assert page.safety.facts()["grade3_any_intervention"] == (
        "39.5% (TRAE, grade 3–4, grade 5 deaths not included, as printed)")


def test_a_grade_3_to_4_rate_without_printed_deaths_is_called_grade_3_to_4():
    # Zhu 2025 prints lymphopenia as grade 3-4 and says nothing about grade 5.
    zhu = [s for s in load_studies(paths.DATA_DIR) if s.study_id == "zhu2025"]
    rates = safety.ae_rates(zhu[0], load_vocabulary(data_dir=paths.DATA_DIR))
    assert set(rates.loc[rates["band"] == safety.GRADE_3_PLUS, "band_counted"]) == {safety.GRADE_3_TO_4}
