"""The search schedule of a living review: when the literature was last searched (the newest
run of ``search/searches.yaml``) and when the next search is due (review.yaml's
``search.update_frequency_months``)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .. import paths
from ..curated.review import load_review
from .records import SEARCHES_FILE_NAME, load_searches, search_file


def last_search_date(data_dir: Path = paths.DATA_DIR) -> str:
    """Date of the newest search run recorded in ``search/searches.yaml`` (ISO), else the
    ``search.last_search`` of review.yaml, else empty."""
    if search_file(data_dir, SEARCHES_FILE_NAME).is_file():
        dates = [str(run.get("date_run") or "") for run in load_searches(data_dir).get("runs", [])]
        dates = [d for d in dates if d]
        if dates:
            return max(dates)
    return str((load_review(data_dir).get("search") or {}).get("last_search") or "")


@dataclass(frozen=True)
class SearchSchedule:
    """When the review was last searched and when the next search is due."""

    last_search: str  # ISO date, or empty when none is recorded
    frequency_months: int | None
    next_due: str  # ISO date, or empty when it cannot be computed

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
    last = last_search_date(data_dir)
    frequency = (load_review(data_dir).get("search") or {}).get("update_frequency_months")
    due = _add_months(date.fromisoformat(last), int(frequency)).isoformat() if last and frequency else ""
    return SearchSchedule(last, int(frequency) if frequency else None, due)
