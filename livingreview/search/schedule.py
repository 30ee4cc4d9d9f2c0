"""The search schedule of a living review: when a bibliographic database was last searched (the
newest ``database`` run of ``search/searches.yaml``), when the next search is due (review.yaml's
``search.update_frequency_months``), and the review's search status in the one wording every page
shows. Reports held or handed in and reference lists are records too, but not a search of the
literature: they never make a search "last" or reset when the next one is due."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .. import paths
from ..curated.review import load_review
from .records import SEARCHES_FILE_NAME, load_searches, search_file


DATABASE = "database"
# How the status names the runs that are not database searches (searches.yaml ``method``).
OTHER_METHODS = {"citation_searching": "reference lists", "other": "reports held or handed in"}


def _searches(data_dir: Path) -> dict:
    """``search/searches.yaml`` as parsed; {} when the review has no search record."""
    return load_searches(data_dir) if search_file(data_dir, SEARCHES_FILE_NAME).is_file() else {}


def _dated_runs(searches: dict) -> list[dict]:
    return [run for run in searches.get("runs") or [] if run.get("date_run")]


def _last_search(runs: list[dict], review: dict) -> str:
    dates = [str(run["date_run"]) for run in runs if run.get("method") == DATABASE]
    return max(dates) if dates else str((review.get("search") or {}).get("last_search") or "")


def last_search_date(data_dir: Path = paths.DATA_DIR) -> str:
    """Date of the newest database search recorded in ``search/searches.yaml`` (ISO), else the
    ``search.last_search`` of review.yaml, else empty."""
    return _last_search(_dated_runs(_searches(data_dir)), load_review(data_dir))


@dataclass(frozen=True)
class SearchSchedule:
    """When the review was last searched and when the next search is due."""

    last_search: str  # ISO date of the newest database search, or empty when none is recorded
    frequency_months: int | None
    next_due: str  # ISO date, or empty when it cannot be computed
    databases: tuple[str, ...] = ()  # the databases searched, as searches.yaml names them
    other_sources: tuple[str, ...] = ()  # the other identification methods recorded, in words
    last_record_date: str = ""  # ISO date of the newest run of any method

    @property
    def status(self) -> str:
        """The review's search status, worded once for every page that shows it: 'Last database
        search: 2027-01-10 (PubMed, Embase); next due 2027-07-10', or, while no database has
        been searched, 'No bibliographic database searched yet (records so far: reference
        lists, reports held or handed in; last added 2026-12-04)'."""
        if self.last_search:
            text = f"Last database search: {self.last_search}"
            text += f" ({', '.join(self.databases)})" if self.databases else ""
            return text + (f"; next due {self.next_due}" if self.next_due else "")
        if self.last_record_date:
            return (f"No bibliographic database searched yet (records so far: {', '.join(self.other_sources)}; "
                    f"last added {self.last_record_date})")
        return "No search recorded yet"

    def overdue(self, today: date) -> bool:
        return bool(self.next_due) and today.isoformat() > self.next_due

    def warning(self, today: date) -> str | None:
        """The build's warning when the next search is overdue (None when it is not)."""
        if not self.overdue(today):
            return None
        return (f"the literature search is overdue: last search {self.last_search}, next due {self.next_due} "
                f"(every {self.frequency_months} months, data/review.yaml); run the searches and import them "
                "(see How to update)")


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def search_schedule(data_dir: Path = paths.DATA_DIR) -> SearchSchedule:
    """The search schedule from review.yaml's update frequency and the last recorded search."""
    searches, review = _searches(data_dir), load_review(data_dir)  # each file read once
    runs = _dated_runs(searches)
    last = _last_search(runs, review)
    frequency = (review.get("search") or {}).get("update_frequency_months")
    due = _add_months(date.fromisoformat(last), int(frequency)).isoformat() if last and frequency else ""
    strategies = {s.get("strategy_id"): s.get("database") for s in searches.get("strategies") or []}
    databases = tuple(dict.fromkeys(str(strategies.get(r.get("strategy_id")) or r.get("source") or "")
                                    for r in runs if r.get("method") == DATABASE))
    others = tuple(dict.fromkeys(OTHER_METHODS.get(r.get("method"), str(r.get("method")))
                                 for r in runs if r.get("method") != DATABASE))
    return SearchSchedule(last, int(frequency) if frequency else None, due, databases, others,
                          max((str(r["date_run"]) for r in runs), default=""))
