"""Validation: the valid fixture passes; each deliberately broken input fails with a message
naming the file, row and column, the value and what was expected."""

import csv
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from livingreview import paths
from livingreview.validation.data_folder import validate_data_dir
from livingreview.validation.problems import Problem

from ..conftest import VALID_DATA, edit_csv

STUDY = Path("studies/doe2024")


def _drop_column(data: Path, name: str, column: str) -> None:
    path = data / STUDY / name
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    index = rows[0].index(column)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([r[:index] + r[index + 1:] for r in rows])


def _add_column(data: Path, name: str, column: str) -> None:
    path = data / STUDY / name
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([rows[0] + [column]] + [r + [""] for r in rows[1:]])


def _append_line(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture no longer contains {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


OUT = "tests/fixtures/broken/studies/doe2024/outcomes.csv"

# (id, how to break the valid fixture, substrings the one expected message must contain)
BROKEN_INPUTS = [
    ("missing_column", lambda d: _drop_column(d, "outcomes.csv", "quote"),
     ["outcomes.csv", "column 'quote'", "missing from the header"]),
    ("unknown_column", lambda d: _add_column(d, "outcomes.csv", "comment"),
     ["outcomes.csv", "column 'comment'", "unknown column"]),
    ("columns_out_of_order", lambda d: (edit_csv(d, "baseline.csv", None, "value", "TMP"),
                                        edit_csv(d, "baseline.csv", None, "percent", "value"),
                                        edit_csv(d, "baseline.csv", None, "TMP", "percent")),
     ["baseline.csv", "columns in dictionary order"]),
    ("count_not_a_number", lambda d: edit_csv(d, "outcomes.csv", 2, "count", "twenty-four"),
     ["outcomes.csv", "row 2 (line 3)", "column 'count'", "'twenty-four'", "a whole number"]),
    ("negative_count", lambda d: edit_csv(d, "adverse_events.csv", 1, "count", "-7"),
     ["adverse_events.csv", "row 1", "column 'count'", "'-7'", "a whole number"]),
    ("decimal_comma", lambda d: edit_csv(d, "outcomes.csv", 6, "estimate", "8,4"),
     ["outcomes.csv", "row 6", "column 'estimate'", "'8,4'", "a number as printed"]),
    ("count_above_denominator", lambda d: edit_csv(d, "outcomes.csv", 1, "count", "39"),
     ["outcomes.csv", "row 1", "column 'count'", "'39'", "count <= denominator"]),
    ("ci_not_containing_estimate", lambda d: edit_csv(d, "outcomes.csv", 5, "estimate", "88.4"),
     ["outcomes.csv", "row 5", "column 'estimate'", "'88.4'", "ci_low <= estimate <= ci_high"]),
    ("ci_reversed", lambda d: edit_csv(d, "subgroups.csv", 1, "ci_low", "1.90"),
     ["subgroups.csv", "row 1", "column 'ci_low'", "'1.90'", "ci_low <= ci_high"]),
    ("percent_above_100", lambda d: edit_csv(d, "adverse_events.csv", 2, "percent", "125.0"),
     ["adverse_events.csv", "row 2", "column 'percent'", "'125.0'", "between 0 and 100"]),
    ("unknown_arm", lambda d: edit_csv(d, "outcomes.csv", 3, "arm", "placebo"),
     ["outcomes.csv", "row 3", "column 'arm'", "'placebo'", "an arm defined in study.yaml"]),
    ("unknown_comparator_arm", lambda d: edit_csv(d, "outcomes.csv", 6, "comparator_arm", "control"),
     ["outcomes.csv", "row 6", "column 'comparator_arm'", "'control'", "an arm defined in study.yaml"]),
    ("unknown_population", lambda d: edit_csv(d, "baseline.csv", 2, "population", "itt"),
     ["baseline.csv", "row 2", "column 'population'", "'itt'", "a population defined in study.yaml"]),
    ("population_of_other_arm", lambda d: edit_csv(d, "baseline.csv", 2, "arm", "all"),
     ["baseline.csv", "row 2", "column 'population'", "a population declared for this arm"]),
    ("unmapped_ae_term", lambda d: edit_csv(d, "adverse_events.csv", 1, "term", "Neutrophil count decreased"),
     ["adverse_events.csv", "row 1", "column 'term'", "'Neutrophil count decreased'",
      "a term mapped in data/vocabulary/ae_terms.csv"]),
    ("unknown_endpoint", lambda d: edit_csv(d, "outcomes.csv", 5, "endpoint", "ORRR"),
     ["outcomes.csv", "row 5", "column 'endpoint'", "'ORRR'", "one of CR, PR"]),
    ("unknown_grade", lambda d: edit_csv(d, "adverse_events.csv", 1, "grade", "grade 3"),
     ["adverse_events.csv", "row 1", "column 'grade'", "'grade 3'", "one of any"]),
    ("malformed_p_value", lambda d: edit_csv(d, "subgroups.csv", 1, "p_value", "p=0.53"),
     ["subgroups.csv", "row 1", "column 'p_value'", "'p=0.53'", "a p-value"]),
    ("empty_required_cell", lambda d: edit_csv(d, "outcomes.csv", 4, "quote", ""),
     ["outcomes.csv", "row 4", "column 'quote'", "this column is required"]),
    ("landmark_without_time", lambda d: edit_csv(d, "outcomes.csv", 7, "timepoint_months", ""),
     ["outcomes.csv", "row 7", "column 'timepoint_months'", "a timepoint for a landmark rate"]),
    ("responses_exceed_denominator", lambda d: edit_csv(d, "outcomes.csv", 1, "count", "20"),
     ["outcomes.csv", "row 2", "column 'count'", "'44'", "add up to at most their denominator 38"]),
    ("duplicate_row", lambda d: _append_line(
        d / STUDY / "baseline.csv",
        'examplinib_chemo,enrolled,Sex,Male,n_percent,33,40,82.5,,,,,,table,Table 1,Male 33 (82.5),\n'),
     ["baseline.csv", "row 4 (line 5)", "a unique row (it repeats row 2)"]),
    ("empty_file", lambda d: (d / STUDY / "subgroups.csv").write_text("", encoding="utf-8"),
     ["subgroups.csv", "a header row"]),
    ("missing_file", lambda d: (d / STUDY / "baseline.csv").unlink(),
     ["baseline.csv", "the file to exist"]),
    ("malformed_yaml", lambda d: _replace(d / STUDY / "study.yaml", "  title: A made-up", " title: [A made-up"),
     ["study.yaml, line 10: ", "well-formed YAML"]),
    ("yaml_missing_key", lambda d: _replace(d / STUDY / "study.yaml", "setting: advanced ESCC, first line\n", ""),
     ["study.yaml", "key '(top level)'", "'setting' is a required property"]),
    ("yaml_wrong_type", lambda d: _replace(d / STUDY / "study.yaml", "year: 2024", "year: twenty"),
     ["study.yaml", "key 'citation.year'", "'twenty'", "a value of type integer"]),
    ("yaml_bad_date", lambda d: _replace(d / STUDY / "study.yaml", "start: 2020-01", "start: January 2020"),
     ["study.yaml", "key 'enrolment_period.start'", "'January 2020'", "text matching"]),
    ("yaml_bad_design", lambda d: _replace(d / STUDY / "study.yaml", "type: single_arm_trial", "type: rct"),
     ["study.yaml", "key 'design.type'", "'rct'", "one of randomised_controlled_trial"]),
    ("study_id_not_folder", lambda d: _replace(d / STUDY / "study.yaml", "study_id: doe2024", "study_id: doe2025"),
     ["study.yaml", "key 'study_id'", "'doe2025'", "the folder name 'doe2024'"]),
    ("vocabulary_duplicate_term", lambda d: _append_line(
        d / "vocabulary" / "ae_terms.csv", "Neutropenia,Neutropenia,haematological,no\n"),
     ["ae_terms.csv", "row 4", "a unique row (it repeats row 3)"]),
    ("vocabulary_bad_group", lambda d: _append_line(
        d / "vocabulary" / "ae_terms.csv", "Rash,Rash,skin,no\n"),
     ["ae_terms.csv", "row 4", "column 'group'", "'skin'", "one of haematological"]),
    ("rob_unknown_tool", lambda d: _replace(d / STUDY / "risk_of_bias.yaml", "tool: minors", "tool: nos"),
     ["risk_of_bias.yaml", "key 'tool'", "'nos'", "one of robins_i, minors"]),
    ("rob_missing_domain", lambda d: _replace(d / STUDY / "risk_of_bias.yaml",
                                              "  - domain: aim\n    judgement: \"2\"\n    rationale: The aim is stated.\n", ""),
     ["risk_of_bias.yaml", "key 'domains'", "every MINORS (non-comparative items) domain once, in order"]),
    ("rob_bad_score", lambda d: _replace(d / STUDY / "risk_of_bias.yaml", 'judgement: "0"', 'judgement: "3"'),
     ["risk_of_bias.yaml", "key 'domains[7].judgement'", "'3'", "one of 0, 1, 2"]),
    ("rob_bad_overall", lambda d: _replace(d / STUDY / "risk_of_bias.yaml", "judgement: moderate", "judgement: fine"),
     ["risk_of_bias.yaml", "key 'overall.judgement'", "'fine'", "one of low, moderate"]),
    ("rob_missing_rationale", lambda d: _replace(d / STUDY / "risk_of_bias.yaml",
                                                 "  rationale: Single arm, investigator-assessed.\n", ""),
     ["risk_of_bias.yaml", "key 'overall'", "'rationale' is a required property"]),
    ("review_missing", lambda d: (d / "review.yaml").unlink(),
     ["review.yaml", "the file to exist"]),
    ("curve_rises", lambda d: edit_csv(d, "km_curves.csv", 3, "survival", "99.0"),
     ["km_curves.csv", "row 3 (line 4)", "column 'survival'", "'99.0'", "not above the previous point"]),
    ("curve_not_from_start", lambda d: edit_csv(d, "km_curves.csv", 1, "survival", "95.0"),
     ["km_curves.csv", "row 1 (line 2)", "column 'survival'", "starting at time 0 and 100%"]),
    ("curve_time_backwards", lambda d: edit_csv(d, "km_curves.csv", 3, "time_months", "0.10"),
     ["km_curves.csv", "row 3 (line 4)", "column 'time_months'", "increasing order"]),
    ("at_risk_rises", lambda d: edit_csv(d, "at_risk.csv", 3, "n_at_risk", "35"),
     ["at_risk.csv", "row 3 (line 4)", "column 'n_at_risk'", "'35'", "not above the previous time"]),
    ("at_risk_bad_arm", lambda d: edit_csv(d, "at_risk.csv", 2, "arm", "placebo"),
     ["at_risk.csv", "row 2 (line 3)", "column 'arm'", "'placebo'"]),
]


def test_valid_fixture_passes():
    assert validate_data_dir(VALID_DATA) == []


def test_corpus_is_large_enough():
    assert len(BROKEN_INPUTS) >= 20


@pytest.mark.parametrize("case_id, break_it, expected", BROKEN_INPUTS, ids=[c[0] for c in BROKEN_INPUTS])
def test_broken_input_is_reported(data_copy, case_id, break_it, expected):
    break_it(data_copy)
    problems = validate_data_dir(data_copy)
    messages = [str(p) for p in problems]
    matching = [m for m in messages if all(part in m for part in expected)]
    assert matching, f"no message contains {expected}; got:\n" + "\n".join(messages)
    # One problem, one message: a single defect does not cascade into unrelated complaints.
    assert len(problems) == 1, "\n".join(messages)


def test_problem_message_names_file_row_column_value_and_expectation():
    problem = Problem("data/studies/x/outcomes.csv", 3, "count", "50", "count <= denominator")
    assert str(problem) == ("data/studies/x/outcomes.csv, row 3 (line 4), column 'count': "
                            "found '50'; expected count <= denominator")


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_check_data_command_fails_cleanly_and_writes_nothing(data_copy):
    edit_csv(data_copy, "outcomes.csv", 1, "count", "39")
    before = _tree_digest(data_copy)
    result = subprocess.run([sys.executable, "-m", "livingreview", "--data-dir", str(data_copy), "check-data"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "row 1 (line 2), column 'count': found '39'; expected count <= denominator" in result.stderr
    assert _tree_digest(data_copy) == before


def test_check_data_command_passes_on_valid_data():
    result = subprocess.run([sys.executable, "-m", "livingreview", "--data-dir", str(VALID_DATA), "check-data"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout


def test_a_mean_percent_change_may_be_negative(data_copy):
    """The 0-100 range holds for shares of patients, not for a mean percent change."""
    from ..conftest import append_row

    append_row(data_copy, "outcomes.csv", {
        "arm": "examplinib_chemo", "population": "efficacy", "endpoint": "tumour_shrinkage", "measure": "mean",
        "estimate": "-8.07", "unit": "percent", "source_type": "body", "source": "Results",
        "quote": "Mean shrinkage was -8.07%"})
    assert validate_data_dir(data_copy) == []


# ----------------------------------------------------------------------------- context benchmarks

def _benchmark_copy(tmp_path: Path) -> Path:
    """A data folder with only the context benchmarks (what validate_benchmarks reads)."""
    from livingreview import paths

    target = tmp_path / "data" / "context"
    target.mkdir(parents=True)
    (target / "benchmarks.csv").write_bytes((paths.DATA_DIR / "context" / "benchmarks.csv").read_bytes())
    return tmp_path / "data"


def test_benchmarks_cite_only_doi_or_pubmed_addresses():
    import re

    from livingreview import paths
    from livingreview.validation.vocabularies import BENCHMARK_HOSTS, validate_benchmarks

    assert validate_benchmarks(paths.DATA_DIR) == []
    text = (paths.DATA_DIR / "context" / "benchmarks.csv").read_text(encoding="utf-8")
    hosts = {h.lower().removeprefix("www.") for h in re.findall(r"https?://([^/\s\",]+)", text)}
    assert hosts <= set(BENCHMARK_HOSTS), hosts
    with (paths.DATA_DIR / "context" / "benchmarks.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    confirmed = [r for r in rows if r["status"] == "confirmed"]
    assert confirmed and all(r["doi"] or r["pmid"] or r["citation"] for r in confirmed)
    assert all(r["quote"] and r["source"] for r in confirmed)


@pytest.mark.parametrize("column", ["note", "source", "citation"])
def test_a_benchmark_citing_a_mirror_or_news_page_is_rejected(tmp_path, column):
    from livingreview.validation.vocabularies import validate_benchmarks

    data = _benchmark_copy(tmp_path)
    path = data / "context" / "benchmarks.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[2][column] = rows[2][column] + " read at https://www.journaljams.org/study/keynote-590"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    problems = validate_benchmarks(data)
    assert [(p.row, p.column) for p in problems] == [(3, column)]
    assert "DOI" in problems[0].expected and "PubMed" in problems[0].expected


def test_the_design_vocabulary_matches_the_schema_and_names_known_tools():
    import yaml

    from livingreview.curated.review import load_designs
    from livingreview.curated.risk_of_bias import load_tools

    schema = yaml.safe_load((paths.DATA_DIR / "study.schema.yaml").read_text(encoding="utf-8"))
    enum = schema["properties"]["design"]["properties"]["type"]["enum"]
    designs = load_designs()
    assert list(designs) == enum
    assert all(tool in load_tools() for design in designs.values() for tool in design["rob_tools"])
    for tool in load_tools().values():  # every judgement a tool allows is named and coloured
        assert set(tool["judgements"]) | set(tool["overall_judgements"]) <= set(map(str, tool["levels"]))


@pytest.mark.parametrize("old, new, key, expected", [
    ("start: 2020-01", "start: 2019-13", "enrolment_period.start", "a date on the calendar (month must be in 1..12)"),
    ("date: 2022-03-01", "date: 2022-02-30", "data_cutoff.date", "a date on the calendar (day is out of range"),
])
def test_a_date_that_is_not_on_the_calendar_is_rejected(data_copy, old, new, key, expected):
    path = data_copy / "studies/doe2024/study.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    problems = validate_data_dir(data_copy)
    assert [(p.column, p.value) for p in problems] == [(key, new.split(": ")[1])]
    assert problems[0].expected.startswith(expected)


def test_a_key_repeated_in_a_yaml_mapping_is_rejected_with_its_line(data_copy):
    path = data_copy / "studies/doe2024/study.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith("setting: "))
    lines.insert(number + 1, "setting: a second setting")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (problem,) = validate_data_dir(data_copy)
    assert problem.file.endswith("studies/doe2024/study.yaml")
    assert f"the key 'setting' appears twice (first at line {number + 1})" in problem.expected
    assert problem.line == number + 2 and problem.column == "setting"
    assert str(problem).endswith(f"study.yaml, line {number + 2}, key 'setting': expected well-formed YAML "
                                 f"(the key 'setting' appears twice (first at line {number + 1}); a repeated "
                                 "key's first value would be lost)")


def test_an_implausible_number_of_patients_is_rejected(data_copy):
    path = data_copy / "studies/doe2024/study.yaml"
    text = path.read_text(encoding="utf-8")
    assert "n: 40," in text
    path.write_text(text.replace("n: 40,", "n: 1000000,", 1), encoding="utf-8")
    problems = validate_data_dir(data_copy)
    assert [(p.column, p.value) for p in problems][:1] == [("populations[0].n", "1000000")]
    assert "at most 20,000 patients" in problems[0].expected
