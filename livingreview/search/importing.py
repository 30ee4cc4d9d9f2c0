"""Importing a search run (``make import-search RUN=<run_id>``): its export is parsed, each
record compared with those already imported (:mod:`livingreview.search.duplicates`) and
appended to ``search/records.csv``, and the maintainer told what is new.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..curated.studies import ROW_COLUMN
from .duplicates import deduplicate
from .exports import parse_export
from .records import (MATCH_DOI, MATCH_PMID, MATCH_TITLE, RECORD_COLUMNS, RECORDS_FILE_NAME, SearchError,
                      find_run, load_records, search_file)


@dataclass
class ImportReport:
    """What importing one run did: records read, duplicates by rule and the new unique records."""

    run_id: str
    export: str
    already_imported: bool
    records_read: int
    duplicates: dict[str, int] = field(default_factory=dict)  # match rule -> records
    new_records: list[dict] = field(default_factory=list)  # rows added that are unique

    @property
    def duplicates_found(self) -> int:
        return sum(self.duplicates.values())

    @property
    def new_unique(self) -> int:
        return len(self.new_records)

    def summary(self) -> str:
        """A plain-text account for the maintainer: counts, then each new unique record."""
        if self.already_imported:
            return (f"Run {self.run_id} is already imported: its {self.records_read} records are in "
                    f"{RECORDS_FILE_NAME}; nothing changed.")
        kinds = ", ".join(f"{count} by {kind.upper() if kind != MATCH_TITLE else 'title'}"
                          for kind, count in self.duplicates.items() if count)
        lines = [f"Imported run {self.run_id} from {self.export}: {self.records_read} records read.",
                 f"Duplicates found: {self.duplicates_found}" + (f" ({kinds})." if kinds else "."),
                 f"New unique records since the last run: {self.new_unique}" + (":" if self.new_records else ".")]
        for row in self.new_records:
            author = row["first_author"] or "[no author]"
            year = row["year"] or "[no year]"
            lines.append(f"  - {author} {year}: {row['title']}")
        return "\n".join(lines)


def _csv_lines(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def import_run(data_dir: Path, run_id: str) -> ImportReport:
    """Add the records of run ``run_id`` to ``search/records.csv``, marking duplicates.

    The run's export is parsed and its rows appended (the file is created with its header when
    missing); rows already there are never rewritten, so a reviewer's edits stay as they are.
    A run already in records.csv is not imported again: the file is left byte-identical and
    the report says so."""
    data_dir = Path(data_dir)
    run = find_run(data_dir, run_id)
    records_path = search_file(data_dir, RECORDS_FILE_NAME)
    existing = load_records(data_dir)
    header = [c for c in existing.columns if c != ROW_COLUMN]
    if header != RECORD_COLUMNS:
        raise SearchError(f"{paths.relative_to_root(records_path)} has columns {','.join(header)}; "
                          f"expected {','.join(RECORD_COLUMNS)}")
    export = paths.relative_to_root(run.export_path(data_dir))
    already = existing[existing["run_id"] == run_id]
    if len(already):
        return ImportReport(run_id, export, already_imported=True, records_read=len(already))

    rows = deduplicate(run_id, parse_export(run.export_path(data_dir)), existing)
    text = "" if records_path.is_file() else _csv_lines([RECORD_COLUMNS])
    if records_path.is_file():
        current = records_path.read_text(encoding="utf-8")
        if current and not current.endswith("\n"):  # a hand edit saved without a final line break
            text = "\n"
    text += _csv_lines([[row[c] for c in RECORD_COLUMNS] for row in rows])
    records_path.parent.mkdir(parents=True, exist_ok=True)
    with records_path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(text)
    counts = Counter(row["match"] for row in rows if row["duplicate_of"])
    return ImportReport(run_id, export, already_imported=False, records_read=len(rows),
                        duplicates={kind: counts.get(kind, 0) for kind in (MATCH_DOI, MATCH_PMID, MATCH_TITLE)},
                        new_records=[row for row in rows if not row["duplicate_of"]])
