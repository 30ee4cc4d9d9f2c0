"""Per-arm rates the synthesis chapters show beside their pooled estimates: the exact CI of each
arm's rate is pinned to the Clopper-Pearson limits computed from the beta distribution."""

from __future__ import annotations

import pytest
from scipy import stats

from livingreview import paths; from livingreview.statistics import arms, rate_tables, safety
from livingreview.curated.studies import load_studies, load_vocabulary

# The two computations differ only by floating point (statsmodels uses the same beta quantiles).
CLOPPER_PEARSON_TOLERANCE = 1e-9


def clopper_pearson_percent(events: int, total: int) -> tuple[float, float]:
    """95% Clopper-Pearson limits from beta quantiles (Clopper & Pearson 1934), in percent."""
    low = 0.0 if events == 0 else stats.beta.ppf(0.025, events, total - events + 1)
    high = 1.0 if events == total else stats.beta.ppf(0.975, events + 1, total - events)
    return 100 * low, 100 * high


@pytest.fixture(scope="module")
def studies():
    return load_studies(paths.DATA_DIR)


@pytest.mark.parametrize("endpoint", ["ORR", "DCR"])
def test_every_arm_rate_has_its_exact_interval_in_percent(studies, endpoint):
    rates = rate_tables.arm_rates(studies, endpoint)
    assert not rates.empty
    for r in rates.to_dict("records"):
        low, high = clopper_pearson_percent(int(r["events"]), int(r["total"]))
        assert r["exact_low"] == pytest.approx(low, abs=CLOPPER_PEARSON_TOLERANCE), r["study_id"]
        assert r["exact_high"] == pytest.approx(high, abs=CLOPPER_PEARSON_TOLERANCE), r["study_id"]
        assert 0 <= r["exact_low"] <= r["percent"] <= r["exact_high"] <= 100


def test_li2022_orr_interval_is_the_published_exact_interval(studies):
    # 35 responders of 46: Clopper-Pearson 61.23-87.41% (beta quantiles, see above).
    li = rate_tables.arm_rates(studies, "ORR").set_index("study_id").loc["li2022"]
    assert (int(li["events"]), int(li["total"])) == (35, 46)
    assert (li["exact_low"], li["exact_high"]) == pytest.approx((61.2331, 87.4139), abs=5e-4)


def test_grade3_rates_have_exact_intervals_in_percent(studies):
    rates = safety.grade3_rates(studies, load_vocabulary("ae_terms", paths.DATA_DIR))
    assert not rates.empty
    for r in rates.to_dict("records"):
        low, high = clopper_pearson_percent(int(r["events"]), int(r["total"]))
        assert (r["exact_low"], r["exact_high"]) == pytest.approx((low, high), abs=CLOPPER_PEARSON_TOLERANCE)


def test_the_intervention_alone_is_pooled_with_combinations_only_when_the_review_says_so(data_copy):
    study_yaml = data_copy / "studies/doe2024/study.yaml"
    study_yaml.write_text(study_yaml.read_text(encoding="utf-8").replace("partners: [chemotherapy]", "partners: []"),
                          encoding="utf-8")
    (study,) = load_studies(data_copy)
    assert arms.regimen_label(study, "examplinib_chemo") == "examplinib alone"
    assert rate_tables.arm_rates([study], "ORR").empty
    assert [(s.study_id, arm) for s, arm in arms.monotherapy_left_out([study])] == [("doe2024", "examplinib_chemo")]
    review = data_copy / "review.yaml"
    review.write_text(review.read_text(encoding="utf-8") + "pooling:\n  combine_monotherapy: true\n", encoding="utf-8")
    (study,) = load_studies(data_copy)
    assert list(rate_tables.arm_rates([study], "ORR")["study_id"]) == ["doe2024"]
    assert arms.monotherapy_left_out([study]) == []


def test_a_grade_3_count_printed_elsewhere_is_printed_not_implied():
    """Xu 2025 prints grade >=3 only as percentages (Discussion: 40.0% vs 26.7%) but prints the
    grade 3 counts (Results: 12 and 8 of 30) and no grade 4-5 event: the rate is the printed
    count, not a count implied from the percentage."""
    xu = [s for s in load_studies(paths.DATA_DIR) if s.study_id == "xu2025"]
    rates = safety.grade3_rates(xu, load_vocabulary(data_dir=paths.DATA_DIR))
    (row,) = rates.to_dict("records")
    assert (row["events"], row["total"], row["count_origin"]) == (12, 30, "printed")
