"""The search status, worded once: only a database search is "the last search" and sets when the
next is due; reports held and reference lists are records, not a search of the literature."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
import yaml

from livingreview import paths
from livingreview.search.schedule import search_schedule


@pytest.fixture()
def review_copy(tmp_path):
    """The review's question and search record, writable."""
    shutil.copy2(paths.DATA_DIR / "review.yaml", tmp_path / "review.yaml")
    shutil.copytree(paths.DATA_DIR / "search", tmp_path / "search")
    return tmp_path


def _add_run(data_dir, **run) -> None:
    path = data_dir / "search" / "searches.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    content["runs"].append({"update": "2027-01", "export": "search/exports/x.ris", "records_reported": 0, **run})
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_without_a_database_search_the_status_says_so_and_nothing_is_due():
    schedule = search_schedule(paths.DATA_DIR)
    assert schedule.last_search == "" and schedule.next_due == ""
    assert schedule.status == ("No bibliographic database searched yet (records so far: reports held or handed in, "
                               "reference lists; last added 2026-12-04)")
    assert schedule.warning(date(2030, 1, 1)) is None


def test_a_database_search_is_the_last_search_and_a_later_report_does_not_reset_it(review_copy):
    _add_run(review_copy, run_id="2027-01-pubmed", method="database", source="PubMed", strategy_id="pubmed",
             date_run="2027-01-10")
    _add_run(review_copy, run_id="2027-02-colleague", method="other", source="A report from a colleague",
             strategy_id=None, date_run="2027-02-01")
    schedule = search_schedule(review_copy)
    assert schedule.last_search == "2027-01-10" and schedule.last_record_date == "2027-02-01"
    assert schedule.frequency_months == 6 and schedule.next_due == "2027-07-10"  # review.yaml: every 6 months
    assert schedule.status == f"Last database search: 2027-01-10 (PubMed (MEDLINE)); next due {schedule.next_due}"
