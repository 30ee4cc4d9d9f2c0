"""Errata as data: a correction replaces a row by a later one; analyses use the corrected
value, the data view keeps the first as its history, and validation names a bad erratum."""

from __future__ import annotations

import csv

import pytest

from livingreview.audit.run import audit_data_dir
from livingreview.curated.studies import load_study
from livingreview.validation.data_folder import validate_data_dir

from ..conftest import FIXTURE_STUDY, append_row

ERRATA_COLUMNS = ["superseded", "replaced_by", "date", "source_type", "source", "quote", "note"]


def _errata(data, *rows: dict) -> None:
    with (data / FIXTURE_STUDY / "errata.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ERRATA_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows([{"date": "2027-02-01", "source_type": "correction", "source": "Correction, Table 2",
                           "quote": "the number of complete responses should read 3", **row} for row in rows])


@pytest.fixture
def corrected(data_copy):
    """The fixture's CR count (outcomes row 1, 2 of 38) corrected to 3 of 38 in row 8."""
    append_row(data_copy, "outcomes.csv", {
        "arm": "examplinib_chemo", "population": "efficacy", "endpoint": "CR", "measure": "count", "count": "3",
        "denominator": "38", "estimate": "7.9", "unit": "percent", "source_type": "correction",
        "source": "Correction, Table 2", "quote": "3 (7.9%) complete responses"})
    _errata(data_copy, {"superseded": "outcomes:1", "replaced_by": "outcomes:8"})
    return data_copy


def test_a_correction_replaces_its_row_in_every_analysis_and_keeps_it_as_history(corrected):
    assert validate_data_dir(corrected) == []
    study = load_study(corrected / FIXTURE_STUDY)
    current = study.tables["outcomes"]
    assert 1 not in set(current["row"]) and 8 in set(current["row"])
    assert 1 in set(study.tables.raw("outcomes")["row"])
    audit = audit_data_dir(corrected)
    assert not any("1" in str(r).split(";") for r in audit.loc[audit["table"] == "outcomes", "row"])


def test_the_data_view_marks_the_first_value_superseded_and_the_study_page_shows_both(corrected):
    from livingreview.pages.dataview import write_data_views
    from livingreview.pages.study.page import StudyPage

    written = write_data_views(corrected, corrected.parent / "site")
    view = next(p for p in written if p.name == "outcomes.html").read_text(encoding="utf-8")
    assert 'Superseded by <a href="#row-8">row 8</a>' in view and 'Corrects <a href="#row-1">row 1</a>' in view
    shown = StudyPage.load("doe2024", corrected).audit.corrections_table().data
    assert "2027-02-01" in shown and "2 (5.3%) complete responses" in shown and "3 (7.9%) complete responses" in shown


@pytest.mark.parametrize("erratum, column, expected", [
    ({"superseded": "outcomes:2", "replaced_by": "outcomes:1"}, "replaced_by", "a later row of the same table"),
    ({"superseded": "outcomes:1", "replaced_by": "baseline:3"}, "replaced_by", "a later row of the same table"),
    ({"superseded": "outcomes:1", "replaced_by": "outcomes:99"}, "replaced_by", "not a data row"),
    ({"superseded": "outcomes:1;outcomes:2", "replaced_by": "outcomes:8"}, "superseded", "one data row"),
    ({"superseded": "outcomes:1", "replaced_by": "outcomes:8", "date": "1 Feb 2027"}, "date", "an ISO date"),
])
def test_an_erratum_that_cannot_be_applied_is_named_by_file_row_and_column(corrected, erratum, column, expected):
    _errata(corrected, erratum)
    problems = [p for p in validate_data_dir(corrected) if p.file.endswith("errata.csv")]
    assert [(p.row, p.column) for p in problems] == [(1, column)]
    assert expected in problems[0].expected
