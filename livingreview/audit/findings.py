"""An audit finding: the record of one check of printed numbers, its verdict, and the rules,
kinds and grades pages name it by.

Each check yields one row of a tidy table (:data:`FINDING_COLUMNS`) with a verdict:

- ``ok``: the printed number agrees with the recomputation at the printed precision;
- ``mismatch``: it does not (the curated data keep the printed value; the audit shows it);
- ``info``: a fact worth showing that is not an error (e.g. which CI method reproduces an
  interval when the paper names none).

A finding that is not ok also has a kind (what sort of inconsistency it is) and a grade (how
sure it is), as a curator's finding in findings.csv says them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..curated.printed import has_value
from ..curated.studies import Study

FINDING_COLUMNS = ["study_id", "table", "row", "source", "rule", "quantity", "printed",
                   "recomputed", "verdict", "detail", "kind", "grade", "other_rows"]
OK, MISMATCH, INFO = "ok", "mismatch", "info"
RULES = {
    "percent": "a printed percentage equals count / denominator at the printed precision",
    "percent_attainable": "a printed percentage of a denominator is reachable by a whole count",
    "ci_method": "which proportion-CI methods reproduce a printed CI, against the stated method",
    "response_sum": "best-response categories add up to their denominator",
    "response_components": "ORR = CR + PR and DCR = CR + PR + SD",
    "cross_location": "the same quantity printed in several places agrees",
    "ratio_ci_symmetry": "a ratio lies at the centre of its CI on the log scale",
    "ratio_p_value": "a ratio's CI and its p-value agree (Wald test on the log scale)",
    "two_proportion_p": "a between-arm p-value of two rates is reproduced by a standard test",
    "median_landmark": "landmark rates agree with the median (below 50% after it, above before)",
    "landmark_order": "survival rates do not rise with time",
    "ae_grade_order": "grade >= 3 counts do not exceed any-grade counts",
    "baseline_sum": "levels of a baseline characteristic add up to the column total",
    "dates": "dates are in a possible order (enrolment, cut-off, submission, acceptance)",
    "implausible_value": "values the curator verified as printed although they break a plausibility rule",
    "claim_fold": "an 'N-fold' or 'doubled' claim in the text equals the ratio of the two rates it compares",
    "claim_all_none": "a claim about all or none of the patients is borne out by the table's counts",
    "claim_schedule": "a schedule's stated day range lasts its stated number of days",
    "multiple_estimates": "one comparison estimated by several models, the estimates side by side with their models",
    "curator_finding": "an inconsistency the curator found in reading the paper, with both sides quoted",
}
# How pages name each rule and verdict.
RULE_LABELS = {
    "percent": "Percentage", "percent_attainable": "Attainable percentage", "ci_method": "CI method",
    "response_sum": "Response categories add up", "response_components": "ORR and DCR components",
    "cross_location": "Same number, several places", "ratio_ci_symmetry": "Ratio centred in its CI",
    "ratio_p_value": "Ratio CI against its p-value", "two_proportion_p": "Two-rate p-value",
    "median_landmark": "Median against landmark rates", "landmark_order": "Landmark rates fall with time",
    "ae_grade_order": "Grade ≥3 within any grade", "baseline_sum": "Baseline levels add up",
    "dates": "Dates in order", "implausible_value": "Implausible value, verified as printed",
    "claim_fold": "Fold claim against its rates", "claim_all_none": "'All' or 'none' against the table",
    "claim_schedule": "Schedule against its length", "multiple_estimates": "One comparison, several models",
    "curator_finding": "Curator's finding",
}
VERDICT_WORDS = {"ok": "agrees", "mismatch": "mismatch", "info": "note"}
# The kinds and grades, in the order pages list them (the dictionary gives their labels).
KINDS = ("text_contradicts_table", "numbers_contradict", "implausible_value", "reporting_gap")
GRADES = ("arithmetic_certainty", "conflicting_statements", "plausibility_flag")
# What a finding of each rule that is not ok is (kind) and how sure it is (grade), as a
# curator's finding says it in findings.csv; a curator's finding carries its own.
ARITHMETIC = ("numbers_contradict", "arithmetic_certainty")
RULE_KINDS = {
    "percent": ARITHMETIC, "percent_attainable": ARITHMETIC,
    "ci_method": ("reporting_gap", "conflicting_statements"),
    "response_sum": ARITHMETIC, "response_components": ARITHMETIC,
    "cross_location": ("numbers_contradict", "conflicting_statements"),
    "ratio_ci_symmetry": ARITHMETIC, "ratio_p_value": ARITHMETIC, "two_proportion_p": ARITHMETIC,
    "median_landmark": ARITHMETIC, "landmark_order": ARITHMETIC, "ae_grade_order": ARITHMETIC,
    "baseline_sum": ARITHMETIC, "dates": ("implausible_value", "arithmetic_certainty"),
    "implausible_value": ("implausible_value", "plausibility_flag"),
    "claim_fold": ("text_contradicts_table", "arithmetic_certainty"),
    "claim_all_none": ("text_contradicts_table", "arithmetic_certainty"),
    "claim_schedule": ("implausible_value", "arithmetic_certainty"),
    "multiple_estimates": ("reporting_gap", "plausibility_flag"),
    "curator_finding": ("", ""),
}
# The columns that name what a row of each table is about, in the order a finding names them.
QUANTITY_KEYS = {
    "outcomes": ("arm", "population", "endpoint", "measure", "timepoint_months", "qualifier"),
    "adverse_events": ("arm", "category", "term", "grade"),
    "baseline": ("arm", "population", "characteristic", "level"),
    "subgroups": ("arm", "endpoint", "variable", "level", "measure"),
}


@dataclass
class Finding:
    """One audit check of one printed number (or group of numbers)."""

    study_id: str
    table: str
    row: str
    source: str
    rule: str
    quantity: str
    printed: str
    recomputed: str
    verdict: str
    detail: str = ""
    kind: str = ""  # for a finding that is not ok: see RULE_KINDS
    grade: str = ""
    other_rows: str = ""  # further data rows it concerns, as table:row joined by ';'


def table_rows(study: Study, table: str) -> list[dict]:
    """The rows of one of a study's tables, as printed, one dict each."""
    return study.tables[table].to_dict("records")


def quantity_of(table: str, row: dict) -> str:
    """What a row of ``table`` is about, as a finding names it: the values of its
    :data:`QUANTITY_KEYS` that are filled in, joined by spaces."""
    return " ".join(str(row[k]) for k in QUANTITY_KEYS[table] if has_value(row.get(k)))


def row_finding(study: Study, table: str, row: dict | list[dict], rule: str, quantity: str,
                printed: str, recomputed: str, verdict: str, detail: str = "") -> Finding:
    """A finding about one data row, or several (their row numbers joined by ';', their
    sources named once each)."""
    rows = row if isinstance(row, list) else [row]
    return Finding(
        study_id=study.study_id,
        table=table,
        row=";".join(str(r["row"]) for r in rows),
        source="; ".join(dict.fromkeys(str(r["source"]) for r in rows)),
        rule=rule,
        quantity=quantity,
        printed=printed,
        recomputed=recomputed,
        verdict=verdict,
        detail=detail,
    )
