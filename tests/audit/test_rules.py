"""Each audit rule: silent (ok) on the consistent fixture, and a mismatch when its
arithmetic is broken."""

import pandas as pd
import pytest

from livingreview.audit.findings import MISMATCH, OK, RULES
from livingreview.audit.inference import two_proportion_p_values, wald_p_range
from livingreview.audit.run import audit_data_dir
from livingreview.curated.printed import attainable_counts
from livingreview.statistics.intervals import reproducing_methods

from ..conftest import VALID_DATA, append_row, edit_csv


def _add_outcome(data, **cells) -> None:
    """Append an outcome row of the fixture's single arm and efficacy population."""
    append_row(data, "outcomes.csv", {"arm": "examplinib_chemo", "population": "efficacy",
                                      "source_type": "body", "source": "Results, Survival", **cells})


def _non_ok(data) -> pd.DataFrame:
    findings = audit_data_dir(data)
    return findings[findings["verdict"] != OK]


def test_consistent_fixture_has_only_ok_findings():
    findings = audit_data_dir(VALID_DATA)
    assert not findings.empty
    assert set(findings["verdict"]) == {OK}
    assert set(findings["rule"]) <= set(RULES)


def test_every_finding_names_study_location_and_rule():
    findings = audit_data_dir(VALID_DATA)
    assert list(findings.columns[:5]) == ["study_id", "table", "row", "source", "rule"]
    assert findings[["study_id", "table", "row", "source", "rule", "printed", "recomputed"]].ne("").all().all()


def _only_mismatch(data, rule):
    found = _non_ok(data)
    assert list(found["rule"]) == [rule], found.to_string()
    assert list(found["verdict"]) == [MISMATCH]
    return found.iloc[0]


def test_percent_rule_flags_a_percentage_that_does_not_follow_from_its_count(data_copy):
    edit_csv(data_copy, "adverse_events.csv", 1, "percent", "17.9")  # 7/40 = 17.5
    finding = _only_mismatch(data_copy, "percent")
    assert finding["row"] == "1" and "7/40 is 17.5%, not 17.9%" in finding["detail"]


def test_percent_attainable_flags_a_percentage_no_count_can_give(data_copy):
    _add_outcome(data_copy, endpoint="DCR", measure="proportion", denominator="38", estimate="91.3",
                 unit="percent", quote="DCR was 91.3%")
    finding = _only_mismatch(data_copy, "percent_attainable")
    assert "no whole count out of 38 gives 91.3%" in finding["detail"]


def test_attainable_counts():
    assert attainable_counts("86.7", 68) == []
    assert attainable_counts("86.8", 68) == [59]
    assert attainable_counts("3", 29) == [1]


def test_ci_method_flags_a_stated_method_that_does_not_reproduce(data_copy):
    edit_csv(data_copy, "outcomes.csv", 5, "ci_method_stated", "wilson")
    finding = _only_mismatch(data_copy, "ci_method")
    assert "stated Wilson score does not reproduce the CI; reproduced by: Clopper-Pearson (exact)" in finding["detail"]


def test_reproducing_methods_for_printed_intervals():
    assert reproducing_methods(27, 30, "73.5", "97.9") == ["clopper_pearson"]
    assert "wilson" in reproducing_methods(27, 30, "74.4", "96.5")


def test_response_sum_flags_categories_that_overshoot(data_copy):
    edit_csv(data_copy, "outcomes.csv", 3, "count", "10")  # SD 9 -> 10 in Table 2 with PD 3: 13 <= 38
    edit_csv(data_copy, "outcomes.csv", 3, "source", "Abstract")
    edit_csv(data_copy, "outcomes.csv", 4, "source", "Abstract")
    edit_csv(data_copy, "outcomes.csv", 3, "estimate", "26.3")
    finding = _only_mismatch(data_copy, "response_sum")
    assert "categories add up to 39, not 38" in finding["detail"]


def test_response_components_flags_orr_not_equal_to_cr_plus_pr(data_copy):
    edit_csv(data_copy, "outcomes.csv", 2, "count", "23")
    edit_csv(data_copy, "outcomes.csv", 2, "estimate", "60.5")
    finding = _only_mismatch(data_copy, "response_components")
    assert "ORR count 26 differs from CR + PR = 25" in finding["detail"]


def test_cross_location_flags_abstract_and_table_disagreeing(data_copy):
    _add_outcome(data_copy, endpoint="PFS", measure="median", estimate="8.6", unit="months", ci_low="6.6",
                 ci_high="10.2", ci_level="95", ci_method_stated="not_stated", events="30",
                 source_type="table", source="Table 2", quote="PFS 8.6 (6.6-10.2)")
    finding = _only_mismatch(data_copy, "cross_location")
    assert "estimate: 8.4 (Abstract) vs 8.6 (Table 2)" in finding["detail"]


def test_cross_location_accepts_the_same_p_value_at_another_precision(data_copy):
    edit_csv(data_copy, "subgroups.csv", 1, "p_value", "0.530")
    assert _non_ok(data_copy).empty


def test_ratio_rules_flag_an_estimate_off_centre_and_a_p_value_off_its_ci(data_copy):
    edit_csv(data_copy, "subgroups.csv", 1, "estimate", "1.20")
    found = _non_ok(data_copy)
    assert sorted(found["rule"]) == ["ratio_ci_symmetry", "ratio_p_value"]


def test_wald_p_range_brackets_the_unrounded_value():
    # HR 0.35 (0.19-0.65): se = ln(0.65/0.19) / (2 x 1.959964) = 0.31375, z = ln(0.35) / se = -3.3460,
    # two-sided p = 0.000820. Rounding the three printed numbers widens this to a range around it.
    low, high = wald_p_range("0.35", "0.19", "0.65")
    assert low < 0.000820 < high
    assert (low, high) == pytest.approx((0.000488, 0.001323), abs=1e-6)


def test_two_proportion_p_values_reference():
    # 40/68 vs 28/68: chi-square without correction p = 0.0397 (hand-computed: chi2 = 4.2353)
    p_values = two_proportion_p_values(40, 68, 28, 68)
    assert p_values["chi-square"] == pytest.approx(0.03959, abs=5e-5)
    assert p_values["chi-square (Yates)"] > p_values["chi-square"]


def test_median_landmark_flags_a_rate_above_half_after_the_median(data_copy):
    _add_outcome(data_copy, endpoint="PFS", measure="landmark", timepoint_months="12", estimate="55.0",
                 unit="percent", quote="12-month PFS rate was 55.0%")
    finding = _only_mismatch(data_copy, "median_landmark")
    assert "contradicts a median of 8.4 months" in finding["detail"]


def test_landmark_order_flags_a_rate_that_rises(data_copy):
    _add_outcome(data_copy, endpoint="OS", measure="landmark", timepoint_months="24", estimate="72.0",
                 unit="percent", quote="24-month OS rate was 72.0%")
    finding = _only_mismatch(data_copy, "landmark_order")
    assert "rises" in finding["detail"]


def test_ae_grade_order_flags_more_severe_than_any_grade(data_copy):
    append_row(data_copy, "adverse_events.csv", {
        "arm": "examplinib_chemo", "population": "enrolled", "category": "TEAE", "term": "Hypertension",
        "grade": ">=3", "count": "11", "denominator": "40", "percent": "27.5", "source_type": "table",
        "source": "Table 3", "quote": "Hypertension 10 (25.0) 11 (27.5)"})
    finding = _only_mismatch(data_copy, "ae_grade_order")
    assert "more severe events" in finding["detail"]


def test_baseline_sum_flags_a_partition_that_does_not_add_up(data_copy):
    edit_csv(data_copy, "baseline.csv", 3, "count", "8")
    edit_csv(data_copy, "baseline.csv", 3, "percent", "20.0")
    edit_csv(data_copy, "baseline.csv", 2, "percent", "80.0")
    # 80.0 + 20.0 = 100: presented as complete, yet 33 + 8 = 41 of 40.
    found = _non_ok(data_copy)
    assert set(found["rule"]) == {"baseline_sum", "percent"}
    assert "levels add up to 41, not 40" in found[found["rule"] == "baseline_sum"].iloc[0]["detail"]


def test_dates_flags_acceptance_before_data_cutoff(data_copy):
    path = data_copy / "studies/doe2024/study.yaml"
    path.write_text(path.read_text().replace("data_cutoff: {date: 2022-03-01}", "data_cutoff: {date: 2024-03-01}"))
    found = _non_ok(data_copy)
    assert set(found["quantity"]) == {"data cut-off before received", "data cut-off before accepted"}


def test_implausible_value_reports_a_verified_impossible_ci(data_copy):
    edit_csv(data_copy, "subgroups.csv", 1, "ci_low", "0.90")
    edit_csv(data_copy, "subgroups.csv", 1, "verified_as_printed", "yes")
    found = _non_ok(data_copy)
    assert "implausible_value" in set(found["rule"])
    finding = found[found["rule"] == "implausible_value"].iloc[0]
    assert finding["recomputed"] == "breaks: ci_low <= estimate <= ci_high"
