"""The search and screening record: the runs of each search, the records they found and the
screening decisions, as read from ``data/search/``.

Files, under ``data/search/``:

* ``searches.yaml`` (curated): the strategies and every search run or other identification
  method, each with the export file it produced.
* ``exports/<run_id>.ris`` or ``.nbib``: the export exactly as the database wrote it (RIS,
  or PubMed/MEDLINE format), never edited (read by :mod:`livingreview.search.exports`).
* ``records.csv``: one row per record of every imported export, written by
  :func:`livingreview.search.importing.import_run`, which also marks duplicates; a reviewer
  may overrule a duplicate decision by hand (``match`` = ``reviewer``).
* ``screening.csv`` (curated): title/abstract and full-text decisions.

The reasons a report is excluded at full text are in ``data/vocabulary/exclusion_reasons.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from ..curated.studies import ROW_COLUMN, read_csv_text, read_yaml

SEARCH_DIRNAME = "search"
SEARCHES_FILE_NAME = "search/searches.yaml"
RECORDS_FILE_NAME = "search/records.csv"
SCREENING_FILE_NAME = "search/screening.csv"
EXCLUSION_REASONS_FILE_NAME = "vocabulary/exclusion_reasons.yaml"

RECORD_COLUMNS = ["record_id", "run_id", "position", "title", "first_author", "year", "journal", "doi",
                  "pmid", "duplicate_of", "match", "match_score"]
# The columns import copies from the export; a reviewer edits only duplicate_of and match.
EXPORTED_COLUMNS = ["title", "first_author", "year", "journal", "doi", "pmid"]
SCREENING_COLUMNS = ["record_id", "stage", "decision", "reason", "reviewer", "date", "study_id", "note"]

METHODS = ("database", "citation_searching", "other")
TITLE_ABSTRACT = "title_abstract"
FULL_TEXT = "full_text"
STAGES = (TITLE_ABSTRACT, FULL_TEXT)
INCLUDE, EXCLUDE, NOT_RETRIEVED = "include", "exclude", "not_retrieved"
DECISIONS = {TITLE_ABSTRACT: (INCLUDE, EXCLUDE), FULL_TEXT: (INCLUDE, EXCLUDE, NOT_RETRIEVED)}
MATCH_DOI, MATCH_PMID, MATCH_TITLE, MATCH_REVIEWER = "doi", "pmid", "title", "reviewer"
MATCHES = (MATCH_DOI, MATCH_PMID, MATCH_TITLE, MATCH_REVIEWER)
# The keys of a run of searches.yaml, all required.
RUN_KEYS = ("run_id", "update", "method", "source", "strategy_id", "date_run", "export", "records_reported")


class SearchError(Exception):
    """A search record that cannot be imported as it stands (an unknown run, a broken file)."""


@dataclass(frozen=True)
class SearchRecord:
    """One record of an export, reduced to what deduplication and the review need."""

    title: str
    first_author: str = ""
    year: str = ""
    journal: str = ""
    doi: str = ""
    pmid: str = ""


@dataclass(frozen=True)
class SearchRun:
    """One run of ``searches.yaml``: a database search or another identification method."""

    run_id: str
    update: str
    method: str
    source: str
    strategy_id: str | None
    date_run: str
    export: str  # relative to the data folder
    records_reported: int

    @classmethod
    def from_yaml(cls, entry: dict) -> SearchRun:
        return cls(**{key: entry.get(key) for key in RUN_KEYS})

    def export_path(self, data_dir: Path) -> Path:
        return Path(data_dir) / self.export


def search_file(data_dir: Path, name: str) -> Path:
    """The path of a file of the search record (one of the ``*_FILE_NAME`` above) in ``data_dir``."""
    return Path(data_dir) / name


def load_searches(data_dir: Path = paths.DATA_DIR) -> dict:
    """``search/searches.yaml`` as parsed (strategies and runs)."""
    return read_yaml(search_file(data_dir, SEARCHES_FILE_NAME)) or {}


def load_runs(data_dir: Path = paths.DATA_DIR) -> list[SearchRun]:
    """The runs of ``search/searches.yaml``, in file (date) order; [] when there is no search record."""
    path = search_file(data_dir, SEARCHES_FILE_NAME)
    if not path.is_file():
        return []
    return [SearchRun.from_yaml(entry) for entry in load_searches(data_dir).get("runs") or []]


def find_run(data_dir: Path, run_id: str) -> SearchRun:
    """The run ``run_id`` of searches.yaml; :class:`SearchError` naming the known runs if absent."""
    runs = load_runs(data_dir)
    for run in runs:
        if run.run_id == run_id:
            return run
    known = ", ".join(run.run_id for run in runs) or "none"
    raise SearchError(f"{paths.relative_to_root(search_file(data_dir, SEARCHES_FILE_NAME))} has no run "
                      f"'{run_id}' (runs: {known})")


def _load_table(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame({ROW_COLUMN: pd.Series(dtype=int), **{c: pd.Series(dtype=str) for c in columns}})
    return read_csv_text(path)


def load_records(data_dir: Path = paths.DATA_DIR) -> pd.DataFrame:
    """``search/records.csv``: every cell as text ('' when empty), with ``row``, the 1-based
    data row; no rows when nothing has been imported."""
    return _load_table(search_file(data_dir, RECORDS_FILE_NAME), RECORD_COLUMNS)


def load_screening(data_dir: Path = paths.DATA_DIR) -> pd.DataFrame:
    """``search/screening.csv``: every cell as text ('' when empty), with ``row``, the 1-based
    data row; no rows when nothing has been screened."""
    return _load_table(search_file(data_dir, SCREENING_FILE_NAME), SCREENING_COLUMNS)


def load_exclusion_reasons(data_dir: Path = paths.DATA_DIR) -> dict[str, dict]:
    """Exclusion reasons by id, each with its ``label`` and ``criterion``; {} when none are defined."""
    path = Path(data_dir) / EXCLUSION_REASONS_FILE_NAME
    return (read_yaml(path) or {}) if path.is_file() else {}
