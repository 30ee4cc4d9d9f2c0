"""The PRISMA 2020 flow: counted from the search and screening record, adding up at every box,
per update and cumulative; and the pages that show it and the excluded studies."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from livingreview import paths
from livingreview.search.prisma import ALL_UPDATES, SearchRecord
from livingreview.search.records import RECORD_COLUMNS, SCREENING_COLUMNS, SearchRun, load_records


def _run(run_id: str, update: str, method: str = "database", date: str = "2026-12-01") -> SearchRun:
    return SearchRun(run_id, update, method, f"Source of {run_id}", "pubmed" if method == "database" else None,
                     date, f"search/exports/{run_id}.ris", 0)


def _record(record_id: str, duplicate_of: str = "") -> dict:
    run_id, position = record_id.split(":")
    row = dict.fromkeys(RECORD_COLUMNS, "")
    row.update(record_id=record_id, run_id=run_id, position=position, title=f"Title {record_id}",
               duplicate_of=duplicate_of, match="doi" if duplicate_of else "")
    return row


def _decision(record_id: str, stage: str, decision: str, reason: str = "", study_id: str = "") -> dict:
    return {"record_id": record_id, "stage": stage, "decision": decision, "reason": reason, "reviewer": "R1",
            "date": "2026-12-02", "study_id": study_id, "note": ""}


def _record_of(runs, records, decisions, reasons=None) -> SearchRecord:
    frame = pd.DataFrame(records, columns=RECORD_COLUMNS)
    by_run = {run.run_id: run for run in runs}
    frame = frame.assign(update=[by_run[r].update for r in frame["run_id"]],
                         method=[by_run[r].method for r in frame["run_id"]],
                         source=[by_run[r].source for r in frame["run_id"]])
    return SearchRecord(runs, frame, pd.DataFrame(decisions, columns=SCREENING_COLUMNS),
                        reasons or {"anlotinib_monotherapy": {"label": "Anlotinib monotherapy"}})


@pytest.fixture
def two_updates() -> SearchRecord:
    """Update 1: a database run of four records and a citation run repeating one of them;
    update 2: a database run repeating one earlier record and adding a report of a new study."""
    runs = [_run("u1-db", "2026-12"), _run("u1-cite", "2026-12", "citation_searching", "2026-12-02"),
            _run("u2-db", "2027-06", date="2027-06-01")]
    records = [_record("u1-db:1"), _record("u1-db:2"), _record("u1-db:3"), _record("u1-db:4"),
               _record("u1-cite:1", "u1-db:1"), _record("u1-cite:2"),
               _record("u2-db:1", "u1-db:2"), _record("u2-db:2"), _record("u2-db:3")]
    decisions = [
        _decision("u1-db:1", "title_abstract", "include"), _decision("u1-db:1", "full_text", "include", study_id="a"),
        _decision("u1-db:2", "title_abstract", "exclude"),
        _decision("u1-db:3", "title_abstract", "include"),
        _decision("u1-db:3", "full_text", "exclude", "anlotinib_monotherapy"),
        _decision("u1-db:4", "title_abstract", "include"), _decision("u1-db:4", "full_text", "not_retrieved"),
        _decision("u1-cite:2", "title_abstract", "include"),
        _decision("u1-cite:2", "full_text", "include", study_id="a"),  # a second report of study a
        _decision("u2-db:2", "title_abstract", "include"), _decision("u2-db:2", "full_text", "include", study_id="b"),
        # u2-db:3 not screened yet
    ]
    return _record_of(runs, records, decisions)


def test_each_update_and_all_updates_are_counted_box_by_box(two_updates):
    first, second, everything = (two_updates.flow(u) for u in ("2026-12", "2027-06", ALL_UPDATES))
    assert (first.identified_total, first.duplicates, first.screened, first.excluded_screening) == (6, 1, 5, 1)
    assert (first.sought, first.not_retrieved, first.assessed, first.reports_included) == (4, 1, 3, 2)
    assert first.excluded_reports == {"Anlotinib monotherapy": 1}
    assert first.identified_by_method == {"database": 4, "citation_searching": 2}
    assert (first.studies_new, first.studies_total) == (("a",), ("a",))
    # A record repeating an earlier update's is a duplicate of this update; a new study is new.
    assert (second.identified_total, second.duplicates, second.screened, second.awaiting_screening) == (3, 1, 2, 1)
    assert (second.studies_new, second.studies_total) == (("b",), ("a", "b"))
    assert (everything.identified_total, everything.duplicates, everything.screened) == (9, 2, 7)
    assert (everything.reports_included, everything.studies_total) == (3, ("a", "b"))
    assert everything.first_date == "2026-12-01" and everything.last_date == "2027-06-01"


def test_every_box_is_the_sum_of_the_boxes_it_splits_into(two_updates):
    for flow in two_updates.flows():
        assert flow.arithmetic_problems() == []


def test_a_box_that_does_not_add_up_is_named():
    runs = [_run("u1-db", "2026-12")]
    record = _record_of(runs, [_record("u1-db:1")], [_decision("u1-db:1", "title_abstract", "include")])
    flow = record.flow()
    assert flow.awaiting_assessment == 1 and flow.arithmetic_problems() == []
    broken = flow.__class__(**{**flow.__dict__, "screened": flow.screened + 1})
    assert broken.arithmetic_problems() == [
        "records identified: 1 is not the sum of its parts (2)",
        "records screened: 2 is not the sum of its parts (1)"]


def test_the_flow_table_has_a_column_per_update_and_one_for_all(two_updates):
    frame = two_updates.flow_table()
    assert list(frame.columns) == ["Box", "Update 2026-12 (2026-12-01 to 2026-12-02)", "Update 2027-06 (2027-06-01)",
                                   "All updates"]
    rows = frame.set_index("Box")
    assert rows.loc["Records identified"].tolist() == [6, 3, 9]
    assert rows.loc["Studies included in the review (to date)"].tolist() == [1, 2, 2]


def test_the_diagram_is_described_with_its_numbers_and_grows_with_its_boxes(two_updates):
    import matplotlib.pyplot as plt

    from livingreview.pages.prisma_figure import prisma_flow_figure

    small = prisma_flow_figure(two_updates.flow("2027-06"))
    large = prisma_flow_figure(two_updates.flow())
    try:
        assert large.lr_description.startswith("PRISMA 2020 flow diagram, all updates: 9 records identified")
        assert "2 duplicates removed; 7 records screened" in large.lr_description
        assert "excluded (Anlotinib monotherapy 1)" in large.lr_description
        assert large.get_figheight() > small.get_figheight() > 3
    finally:
        plt.close(small)
        plt.close(large)


# ----------------------------------------------------------------------------- the review's own record


@pytest.fixture(scope="module")
def review_record() -> SearchRecord:
    record = SearchRecord.load(paths.DATA_DIR)
    if record.is_empty:
        pytest.fail("the review has no search record in data/search/")
    return record


def test_the_reviews_flow_adds_up_and_reaches_every_included_study(review_record):
    from livingreview.curated.studies import study_folders

    everything = review_record.flow()
    assert everything.arithmetic_problems() == []
    assert everything.identified_total == len(load_records(paths.DATA_DIR))
    assert set(everything.studies_total) == {folder.name for folder in study_folders(paths.DATA_DIR)}
    assert everything.reports_included >= len(everything.studies_total)
    for flow in review_record.flows():
        assert flow.arithmetic_problems() == []


def test_a_report_excluded_at_full_text_is_listed_with_its_reason_and_is_in_no_analysis(tmp_path):
    """A report awaiting its full text is read and excluded: the record stays valid, the flow
    counts it under its reason and the excluded studies page lists it; no study folder (and so
    no analysis) is made of it."""
    import csv
    import shutil

    from livingreview.curated.studies import study_folders
    from livingreview.pages.search import SearchPage
    from livingreview.validation.search_record import validate_search

    data = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, data)
    path = data / "search" / "screening.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    awaiting = next(row for row in rows if row["decision"] == "not_retrieved")
    awaiting.update(decision="exclude", reason="anlotinib_monotherapy", note="Both arms without a partner.")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SCREENING_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    assert validate_search(data) == []
    record = SearchRecord.load(data)
    flow = record.flow()
    assert flow.excluded_reports.get("Anlotinib monotherapy") == 1 and flow.arithmetic_problems() == []
    page = SearchPage.load(data).excluded_table().data
    author = load_records(data).set_index("record_id").loc[awaiting["record_id"], "first_author"]
    assert "Anlotinib monotherapy" in page and author in page and "Both arms without a partner." in page
    assert len(study_folders(data)) == len(flow.studies_total)


def test_the_reviews_exclusions_and_reports_awaiting_full_text_are_on_the_page(review_record):
    from livingreview.pages.search import SearchPage

    page = SearchPage.load(paths.DATA_DIR)
    screening = review_record.screening
    records = review_record.records.set_index("record_id")
    awaiting = screening[screening["decision"] == "not_retrieved"]
    excluded = screening[(screening["stage"] == "title_abstract") & (screening["decision"] == "exclude")]
    shown_awaiting, shown_excluded = page.not_retrieved_table().data, page.title_abstract_exclusions().data
    for record_id in awaiting["record_id"]:
        assert records.loc[record_id, "first_author"] in shown_awaiting
    for _, row in excluded.iterrows():
        assert review_record.reason_label(row["reason"]) in shown_excluded
    assert f"Every record excluded on title and abstract ({len(excluded)})" in shown_excluded
