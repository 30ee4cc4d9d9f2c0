"""Text claims checked against the tables (fold changes, 'all'/'none', schedules), several
estimates of one comparison set side by side, and curator findings reported by the audit:
each rule silent when the claim holds and a finding when it does not, then what they find in
the five papers."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from livingreview import paths
from livingreview.audit.findings import INFO, MISMATCH, OK, RULES
from livingreview.audit.run import audit_data_dir
from livingreview.curated.rowrefs import parse_row_refs, ref_problems
from livingreview.validation.data_folder import validate_data_dir

from ..conftest import FIXTURE_STUDY, append_row

CLAIM_COLUMNS = ["claim", "rows", "stated", "range_start", "range_end", "source_type", "source", "quote", "note"]
FINDING_COLUMNS = ["finding_id", "kind", "grade", "rows_a", "source_a", "quote_a", "rows_b", "source_b", "quote_b",
                   "explanation", "note"]


def _write(path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows([{c: row.get(c, "") for c in columns} for row in rows])


def _claim(**cells) -> dict:
    return {"source_type": "body", "source": "Results", "quote": "as the paper words it", **cells}


def _audit_of(data, rule: str) -> pd.DataFrame:
    findings = audit_data_dir(data)
    return findings[findings["rule"] == rule].reset_index(drop=True)


# The fixture: outcomes row 1 CR 2/38, row 2 PR 24/38; baseline row 2 Male 33/40.


@pytest.mark.parametrize("stated, verdict", [("12", OK), ("12.0", OK), ("2", MISMATCH)])
def test_a_fold_claim_agrees_only_when_the_rates_give_its_factor(data_copy, stated, verdict):
    _write(data_copy / FIXTURE_STUDY / "claims.csv", CLAIM_COLUMNS,
           [_claim(claim="fold_change", rows="outcomes:2;outcomes:1", stated=stated)])
    assert validate_data_dir(data_copy) == []
    found = _audit_of(data_copy, "claim_fold")
    assert found["verdict"].tolist() == [verdict]
    assert found.loc[0, "recomputed"] == "63.2% / 5.3% = 12.00-fold"
    assert found.loc[0, "other_rows"] == "outcomes:2;outcomes:1"
    assert found.loc[0, "kind"] == ("" if verdict == OK else "text_contradicts_table")


@pytest.mark.parametrize("claim, count, verdict", [("all", "40", OK), ("all", "33", MISMATCH),
                                                   ("none", "0", OK), ("none", "1", MISMATCH)])
def test_an_all_or_none_claim_holds_only_when_the_table_counts_all_or_none(data_copy, claim, count, verdict):
    append_row(data_copy, "baseline.csv", {"arm": "examplinib_chemo", "population": "enrolled",
                                           "characteristic": "Stage", "level": "IV", "statistic": "n_percent",
                                           "count": count, "denominator": "40", "source_type": "table",
                                           "source": "Table 1", "quote": f"IV {count}"})
    _write(data_copy / FIXTURE_STUDY / "claims.csv", CLAIM_COLUMNS, [_claim(claim=claim, rows="baseline:4")])
    assert validate_data_dir(data_copy) == []
    found = _audit_of(data_copy, "claim_all_none")
    assert found["verdict"].tolist() == [verdict]
    assert found.loc[0, "recomputed"] == f"Stage IV: {count}/40"


@pytest.mark.parametrize("start, end, verdict", [("1", "14", OK), ("1", "15", MISMATCH)])
def test_a_schedule_lasts_the_days_it_states(data_copy, start, end, verdict):
    _write(data_copy / FIXTURE_STUDY / "claims.csv", CLAIM_COLUMNS,
           [_claim(claim="schedule", stated="14", range_start=start, range_end=end)])
    assert validate_data_dir(data_copy) == []
    found = _audit_of(data_copy, "claim_schedule")
    assert found["verdict"].tolist() == [verdict]
    assert found.loc[0, "kind"] == ("" if verdict == OK else "implausible_value")


def test_a_claim_naming_a_row_that_does_not_exist_is_rejected_by_validation(data_copy):
    _write(data_copy / FIXTURE_STUDY / "claims.csv", CLAIM_COLUMNS,
           [_claim(claim="none", rows="outcomes:99"), _claim(claim="fold_change", rows="outcomes:1", stated="2")])
    problems = validate_data_dir(data_copy)
    where = [(p.row, p.column) for p in problems]
    assert where == [(1, "rows"), (2, "rows")]
    assert "outcomes:99 is not a data row of outcomes.csv" in problems[0].expected
    assert "two data rows" in problems[1].expected


def test_one_comparison_from_two_models_is_shown_side_by_side(data_copy):
    shared = {"endpoint": "PFS", "variable": "Treatment", "level": "Examplinib", "reference_level": "Control",
              "measure": "hazard_ratio", "source_type": "table", "source": "Table 4"}
    append_row(data_copy, "subgroups.csv", {"arm": "examplinib_chemo", "population": "efficacy", **shared,
                                            "analysis": "univariable", "estimate": "0.60", "ci_low": "0.40",
                                            "ci_high": "0.90", "p_value": "0.013", "quote": "0.60 (0.40–0.90)"})
    assert _audit_of(data_copy, "multiple_estimates").empty  # one model alone is not reported
    append_row(data_copy, "subgroups.csv", {"arm": "examplinib_chemo", "population": "efficacy", **shared,
                                            "analysis": "multivariable", "estimate": "0.70", "ci_low": "0.45",
                                            "ci_high": "1.09", "p_value": "0.11", "quote": "0.70 (0.45–1.09)"})
    found = _audit_of(data_copy, "multiple_estimates")
    assert found["verdict"].tolist() == [INFO]
    assert found.loc[0, "row"] == "2;3"
    assert found.loc[0, "printed"] == ("0.60 (0.40–0.90), p 0.013 [univariable]; "
                                       "0.70 (0.45–1.09), p 0.11 [multivariable]")


def test_a_curator_finding_is_a_mismatch_of_the_audit_with_both_sides(data_copy):
    _write(data_copy / FIXTURE_STUDY / "findings.csv", FINDING_COLUMNS, [{
        "finding_id": "F1", "kind": "text_contradicts_table", "grade": "conflicting_statements",
        "rows_a": "outcomes:1", "source_a": "Abstract", "quote_a": "2 (5.3%) complete responses",
        "rows_b": "baseline:2", "source_b": "Table 1", "quote_b": "Male 33 (82.5)",
        "explanation": "An example of two sides that disagree."}])
    assert validate_data_dir(data_copy) == []
    found = _audit_of(data_copy, "curator_finding")
    assert found[["table", "row", "verdict", "kind", "grade", "other_rows", "printed", "recomputed"]].values.tolist() == [
        ["findings", "1", MISMATCH, "text_contradicts_table", "conflicting_statements", "outcomes:1;baseline:2",
         "2 (5.3%) complete responses", "Male 33 (82.5)"]]


@pytest.mark.parametrize("cells, column, expected", [
    ({"kind": "a_guess"}, "kind", "text_contradicts_table"),
    ({"rows_a": "outcomes:1;tables:2"}, "rows_a", "'tables' is not a table of this study"),
    ({"finding_id": "1"}, "finding_id", "an id F1, F2, ..."),
    ({"source_b": "Table 2"}, "quote_b", "both the place and the quote of the second side, or neither"),
])
def test_a_curator_finding_that_is_not_well_formed_is_rejected_by_file_row_and_column(data_copy, cells, column,
                                                                                        expected):
    _write(data_copy / FIXTURE_STUDY / "findings.csv", FINDING_COLUMNS, [{
        "finding_id": "F1", "kind": "reporting_gap", "grade": "plausibility_flag", "rows_a": "outcomes:1",
        "source_a": "Abstract", "quote_a": "2 (5.3%)", "explanation": "An example.", **cells}])
    problems = validate_data_dir(data_copy)
    assert [(p.file.split("/")[-1], p.row, p.column) for p in problems] == [("findings.csv", 1, column)]
    assert expected in problems[0].expected


def test_row_references_parse_and_name_what_is_wrong():
    assert parse_row_refs("outcomes:24; baseline:3;study") == [("outcomes", 24), ("baseline", 3), ("study", None)]
    assert ref_problems("outcomes:3", {"outcomes": 2}) == ["outcomes:3 is not a data row of outcomes.csv (2 rows)"]
    assert ref_problems("outcomes 3", {"outcomes": 2}) == [
        "'outcomes 3' is not a data row reference such as outcomes:24 (or 'study')"]


def test_every_rule_has_a_label_a_kind_and_a_grade():
    from livingreview.audit.findings import RULE_KINDS, RULE_LABELS

    assert set(RULES) == set(RULE_LABELS) == set(RULE_KINDS)


# ----------------------------------------------------------------------------- the five papers


def test_what_the_claim_rules_find_in_the_five_papers():
    findings = audit_data_dir(paths.DATA_DIR)
    claims = findings[findings["rule"].str.startswith("claim_")]
    found = sorted(claims[["study_id", "row", "rule", "verdict"]].itertuples(index=False, name=None))
    assert found == [
        ("li2022", "1", "claim_all_none", OK),  # no dose change during maintenance: 0/27
        ("xu2025", "1", "claim_fold", OK),  # ORR "more than 2-fold": 90.0% / 43.3% = 2.08
        ("xu2025", "2", "claim_fold", MISMATCH),  # deep responders "2-fold": 50.0% / 20.0% = 2.50
        ("xu2025", "3", "claim_all_none", OK),  # no grade 4-5 TRAEs
        ("xu2025", "4", "claim_all_none", OK),  # all patients had a TRAE
        ("xu2025", "5", "claim_all_none", OK),  # no anlotinib-related haemorrhage
        ("zzu_anlotinib_pd1", "1", "claim_all_none", MISMATCH),  # pneumonitis "all low grade", 4/87 grade >=3
        ("zzu_anlotinib_pd1", "2", "claim_all_none", OK),
        ("zzu_anlotinib_pd1", "3", "claim_all_none", OK),
        ("zzu_anlotinib_pd1", "4", "claim_all_none", OK),
        ("zzu_anlotinib_pd1", "5", "claim_all_none", OK),
    ]
    # No paper states a schedule's length beside its day range; Carter 2022's S-1 days 22-36
    # (15 days beside days 1-14) is a curator's finding, as it states no length.
    assert "claim_schedule" not in set(claims["rule"])


def test_what_the_several_models_rule_finds_in_the_five_papers():
    findings = audit_data_dir(paths.DATA_DIR)
    several = findings[findings["rule"] == "multiple_estimates"]
    assert sorted(several[["study_id", "table", "row"]].itertuples(index=False, name=None)) == [
        ("carter2022", "outcomes", "62;63;64"),  # OS HR 0.609 univariate, 0.596 multivariate
        ("xu2025", "outcomes", "14;15"),  # ORR odds ratio, univariate and multivariate (p only)
        ("xu2025", "outcomes", "5;22;23;24;47"),  # PFS HR 0.35 log-rank, 0.33 univariable, 0.39 multivariable
    ]
    xu = several[several["row"] == "5;22;23;24;47"].iloc[0]
    assert "0.39 (0.18–0.84), p 0.016 [Cox proportional hazards, multivariable, adjusted]" in xu["printed"]
