"""The search and screening record: database exports, deduplicated records and decisions.

Files, under ``data/search/``:

* ``searches.yaml`` (curated): the strategies and every search run or other identification
  method, each with the export file it produced.
* ``exports/<run_id>.ris`` or ``.nbib``: the export exactly as the database wrote it (RIS,
  or PubMed/MEDLINE format), never edited.
* ``records.csv``: one row per record of every imported export, written by
  :func:`import_run`, which also marks duplicates; a reviewer may overrule a duplicate
  decision by hand (``match`` = ``reviewer``).
* ``screening.csv`` (curated): title/abstract and full-text decisions.

Duplicates are found in this order: the same DOI; else the same PMID; else titles that are
nearly identical (:data:`TITLE_MATCH_THRESHOLD`) with the same year and first-author surname.
Each record is compared with every record already in records.csv and with the earlier
records of its own export, and ``duplicate_of`` names the earliest unique record it repeats.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbib
import pandas as pd
import rispy
import yaml
from nbib.exceptions import MalformedLine, UnknownTagFormat
from rapidfuzz import fuzz

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

# rapidfuzz ratio (0-100) of two normalised titles, compared in word order, at or above which
# they count as the same title. Normalising already removes case, accents and punctuation, so
# what is left is spelling (oesophageal / esophageal), a dropped article or a typo: about one
# character in a hundred costs one point. (token_sort_ratio would not do: sorting the words
# moves "oesophageal" and "esophageal" to different places, and one letter costs ten points.)
# 95 accepts those in a title of typical length and rejects a different word. Titles alone are
# not enough: reports of one trial series differ by one character ("phase II" / "phase III")
# and score above 95, so a title match also needs the same year and first author.
TITLE_MATCH_THRESHOLD = 95

RUN_ID_PATTERN = re.compile(r"^[a-z0-9-]+$")
UPDATE_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
ISO_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RUN_KEYS = ("run_id", "update", "method", "source", "strategy_id", "date_run", "export", "records_reported")

RIS_SUFFIX, NBIB_SUFFIX = ".ris", ".nbib"
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_DOI_URL = re.compile(r"doi\.org/(10\.\S+)", re.IGNORECASE)
_PMID_IN_TEXT = re.compile(r"(?:PMID:?\s*|pubmed(?:\.ncbi\.nlm\.nih\.gov)?/)(\d+)", re.IGNORECASE)
# Initials after a surname when an export prints "Li Y" or "Li Y.-H." rather than "Li, Yuan".
_INITIALS = re.compile(r"^(?:[A-Z][.\-]*){1,4}$")
# A RIS tag line: two characters, two spaces, a hyphen, then a space or the end of the line.
_RIS_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")
_NBIB_TAG_LINE = re.compile(r"^([A-Z][A-Z ]{3})- ")


class SearchError(Exception):
    """A search record that cannot be imported as it stands (an unknown run, a broken file)."""


class SearchExportError(SearchError):
    """An export file that cannot be read, naming the file, record number and line."""

    def __init__(self, file: str, problem: str, record: int | None = None, line: int | None = None):
        self.file, self.problem, self.record, self.line = file, problem, record, line
        where = [file]
        if record is not None:
            where.append(f"record {record}")
        if line is not None:
            where.append(f"line {line}")
        super().__init__(f"{', '.join(where)}: {problem}")


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


# ----------------------------------------------------------------------------- normalising


def _one_line(value) -> str:
    """Text with runs of whitespace (line breaks of wrapped tags) as single spaces."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return " ".join(str(value).split())


def normalise_doi(value: str) -> str:
    """A DOI in lower case without ``https://doi.org/``, ``doi:`` or a trailing ``[doi]``."""
    text = _one_line(value)
    text = re.sub(r"\s*\[doi\]$", "", text, flags=re.IGNORECASE)
    return _DOI_PREFIX.sub("", text).strip().lower()


def normalise_pmid(value) -> str:
    """The digits of a PubMed identifier ("PMID: 35012345" -> "35012345"); '' when none."""
    return "".join(ch for ch in _one_line(value) if ch.isdigit())


def _year(*values) -> str:
    for value in values:
        match = _YEAR.search(_one_line(value))
        if match:
            return match.group(1)
    return ""


def surname(name: str) -> str:
    """The surname in an author name as exports print it: "Li, Yuan", "Li Y" or "Li Y.-H."
    give "Li"; a group author ("ESMO Guidelines Committee") is kept whole."""
    name = _one_line(name)
    if "," in name:
        return name.split(",", 1)[0].strip()
    tokens = name.split()
    if len(tokens) > 1 and _INITIALS.match(tokens[-1]):
        return " ".join(tokens[:-1])
    return name


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def title_key(title: str) -> str:
    """A title as compared for duplicates: accents, case and punctuation removed."""
    return " ".join(re.sub(r"[\W_]+", " ", _ascii_fold(title)).split())


def author_key(name: str) -> str:
    """A surname as compared for duplicates: "O'Brien", "OBrien" and "o brien" are one."""
    return re.sub(r"[\W_]+", "", _ascii_fold(name))


# ----------------------------------------------------------------------------- parsing


def _read_text(path: Path, file: str) -> str:
    try:
        # utf-8-sig: Windows reference managers start their exports with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SearchExportError(file, "the export file does not exist") from None
    except UnicodeDecodeError as exc:
        raise SearchExportError(file, f"not UTF-8 text ({exc.reason} at byte {exc.start}); "
                                      "export again choosing UTF-8 (Unicode)") from None
    except OSError as exc:
        raise SearchExportError(file, f"the file cannot be read ({exc.strerror})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _ris_blocks(text: str, file: str) -> list[tuple[int, str]]:
    """(first line number, text) of each TY ... ER record.

    rispy itself skips text before a TY and runs on past a missing ER into the next record,
    so a broken export would lose or merge records silently; the structure is checked here
    first and each record handed to rispy on its own."""
    blocks: list[tuple[int, str]] = []
    current: list[str] | None = None
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        tag_line = _RIS_TAG_LINE.match(line)
        tag = tag_line.group(1) if tag_line else None
        if current is None:
            if tag == "TY":
                current, start = [line], number
            elif line.strip():
                raise SearchExportError(file, "text outside a record: the record has no start tag 'TY  - '",
                                        record=len(blocks) + 1, line=number)
            continue
        if tag == "TY":
            raise SearchExportError(file, f"the record starting on line {start} has no end tag 'ER  - ' "
                                          f"before the next 'TY  - ' on line {number}",
                                    record=len(blocks) + 1, line=number)
        current.append(line)
        if tag == "ER":
            blocks.append((start, "\n".join(current)))
            current = None
    if current is not None:
        raise SearchExportError(file, f"the record starting on line {start} has no end tag 'ER  - '",
                                record=len(blocks) + 1, line=start)
    return blocks


def _ris_pmid(entry: dict) -> str:
    database = " ".join(_one_line(entry.get(key)) for key in ("name_of_database", "database_provider"))
    accession = _one_line(entry.get("accession_number"))
    if accession.isdigit() and re.search(r"pubmed|medline", database, re.IGNORECASE):
        return accession
    texts = [accession, *entry.get("notes", []), _one_line(entry.get("note")),
             *entry.get("urls", []), _one_line(entry.get("file_attachments2"))]
    for text in texts:
        match = _PMID_IN_TEXT.search(str(text))
        if match:
            return match.group(1)
    return ""


def _ris_doi(entry: dict) -> str:
    if entry.get("doi"):
        return normalise_doi(entry["doi"])
    for url in entry.get("urls", []):
        match = _DOI_URL.search(url)
        if match:
            return normalise_doi(match.group(1))
    return ""


def _ris_record(entry: dict, file: str, number: int, line: int) -> SearchRecord:
    title = _one_line(entry.get("title") or entry.get("primary_title"))
    if not title:
        raise SearchExportError(file, "the record has no title (TI or T1)", record=number, line=line)
    authors = entry.get("authors") or entry.get("first_authors") or []
    journal = next((_one_line(entry[key]) for key in ("secondary_title", "alternate_title3", "journal_name",
                                                       "alternate_title2", "alternate_title1") if entry.get(key)),
                   "")
    return SearchRecord(
        title=title,
        first_author=surname(authors[0]) if authors else "",
        year=_year(entry.get("year"), entry.get("publication_year"), entry.get("date")),
        journal=journal,
        doi=_ris_doi(entry),
        pmid=_ris_pmid(entry),
    )


def parse_ris(path: Path) -> list[SearchRecord]:
    """The records of a RIS export, in file order (parsed with rispy)."""
    path = Path(path)
    file = paths.relative_to_root(path)
    records = []
    for number, (line, block) in enumerate(_ris_blocks(_read_text(path, file), file), start=1):
        entries = rispy.loads(block, skip_unknown_tags=True)
        if len(entries) != 1:  # the structure check makes this one record; this guards rispy changes
            raise SearchExportError(file, "rispy did not read the record", record=number, line=line)
        records.append(_ris_record(entries[0], file, number, line))
    return records


def _nbib_blocks(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of each record; PubMed separates records by a blank line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _nbib_error_line(message: str, lines: list[str], start: int) -> int:
    """The line nbib complained about: its messages quote the line (or tag value), not its number."""
    for offset, line in enumerate(lines):
        value = line[6:].strip()
        if line in message or (value and value in message):
            return start + offset
    return start


def _nbib_tag_values(lines: list[str], tag: str) -> list[str]:
    return [line[6:].strip() for line in lines if _NBIB_TAG_LINE.match(line) and line[:4].rstrip() == tag]


def _nbib_record(ref: dict, lines: list[str], file: str, number: int, start: int) -> SearchRecord:
    title = _one_line(ref.get("title"))
    if not title:
        raise SearchExportError(file, "the record has no title (TI)", record=number, line=start)
    authors = ref.get("authors") or []
    if authors:
        first = authors[0].get("last_name") or surname(authors[0].get("author", ""))
    else:
        # nbib files an author under its full name (FAU); records indexed before 2002 have only
        # the short form (AU), which nbib drops, and group authors have CN.
        short_names = _nbib_tag_values(lines, "AU")
        first = surname(short_names[0]) if short_names else _one_line(ref.get("corporate_author"))
    doi = ref.get("doi") or next((value for value in _nbib_tag_values(lines, "LID") if value.endswith("[doi]")), "")
    return SearchRecord(
        title=title,
        first_author=first,
        year=_year(ref.get("publication_date")),
        journal=_one_line(ref.get("journal") or ref.get("journal_abbreviated")),
        doi=normalise_doi(doi),
        pmid=normalise_pmid(ref.get("pubmed_id")),
    )


def parse_nbib(path: Path) -> list[SearchRecord]:
    """The records of a PubMed (MEDLINE format) export, in file order (parsed with nbib)."""
    path = Path(path)
    file = paths.relative_to_root(path)
    records = []
    for number, (start, lines) in enumerate(_nbib_blocks(_read_text(path, file)), start=1):
        if not lines[0].startswith("PMID- "):
            raise SearchExportError(file, "the record does not start with 'PMID- '", record=number, line=start)
        try:
            refs = nbib.read("\n".join(lines) + "\n")
        except (MalformedLine, UnknownTagFormat, ValueError, OverflowError) as exc:
            raise SearchExportError(file, f"not PubMed format ({exc})", record=number,
                                    line=_nbib_error_line(str(exc), lines, start)) from None
        records.append(_nbib_record(refs[0], lines, file, number, start))
    return records


PARSERS = {RIS_SUFFIX: parse_ris, NBIB_SUFFIX: parse_nbib}


def parse_export(path: Path) -> list[SearchRecord]:
    """The records of an export file, in file order, by its extension (.ris or .nbib).

    Raises :class:`SearchExportError`, naming the file, record and line, for a file that
    cannot be read, an unknown extension or a malformed record."""
    path = Path(path)
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise SearchExportError(paths.relative_to_root(path),
                                f"unknown export format '{path.suffix}'; expected one of "
                                + ", ".join(PARSERS))
    return parser(path)


# ----------------------------------------------------------------------------- reading


def _search_file(data_dir: Path, name: str) -> Path:
    return Path(data_dir) / name


def load_searches(data_dir: Path = paths.DATA_DIR) -> dict:
    """``search/searches.yaml`` as parsed (strategies and runs)."""
    return read_yaml(_search_file(data_dir, SEARCHES_FILE_NAME)) or {}


def load_runs(data_dir: Path = paths.DATA_DIR) -> list[SearchRun]:
    """The runs of ``search/searches.yaml``, in file (date) order; [] when there is no search record."""
    path = _search_file(data_dir, SEARCHES_FILE_NAME)
    if not path.is_file():
        return []
    return [SearchRun.from_yaml(entry) for entry in load_searches(data_dir).get("runs") or []]


def _load_table(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame({ROW_COLUMN: pd.Series(dtype=int), **{c: pd.Series(dtype=str) for c in columns}})
    return read_csv_text(path)


def load_records(data_dir: Path = paths.DATA_DIR) -> pd.DataFrame:
    """``search/records.csv``: every cell as text ('' when empty), with ``row``, the 1-based
    data row; no rows when nothing has been imported."""
    return _load_table(_search_file(data_dir, RECORDS_FILE_NAME), RECORD_COLUMNS)


def load_screening(data_dir: Path = paths.DATA_DIR) -> pd.DataFrame:
    """``search/screening.csv``: every cell as text ('' when empty), with ``row``, the 1-based
    data row; no rows when nothing has been screened."""
    return _load_table(_search_file(data_dir, SCREENING_FILE_NAME), SCREENING_COLUMNS)


def load_exclusion_reasons(data_dir: Path = paths.DATA_DIR) -> dict[str, dict]:
    """Exclusion reasons by id, each with its ``label`` and ``criterion``; {} when none are defined."""
    path = Path(data_dir) / EXCLUSION_REASONS_FILE_NAME
    return (read_yaml(path) or {}) if path.is_file() else {}


# ----------------------------------------------------------------------------- deduplication


@dataclass(frozen=True)
class _Known:
    """A record already placed, as deduplication compares it."""

    record_id: str
    root: str  # the unique record it is, or duplicates
    doi: str
    pmid: str
    title_key: str
    year: str
    author_key: str

    @classmethod
    def of(cls, record_id: str, duplicate_of: str, record: SearchRecord) -> _Known:
        return cls(record_id, duplicate_of or record_id, record.doi, record.pmid, title_key(record.title),
                   record.year, author_key(record.first_author))


@dataclass(frozen=True)
class Match:
    """Why a record is a duplicate: the unique record it repeats, the rule and the title score."""

    duplicate_of: str
    match: str
    score: float | None = None

    @property
    def score_text(self) -> str:
        return "" if self.score is None else f"{self.score:.1f}"


def find_duplicate(record: SearchRecord, known: list[_Known]) -> Match | None:
    """The earliest of ``known`` (in import order) that ``record`` duplicates, by the first rule
    that finds one (DOI, PMID, title), or None when it is unique.

    A record without year or first author is matched by DOI or PMID only: a title alone is
    not enough (a reviewer can mark such a duplicate by hand)."""
    if record.doi:
        for other in known:
            if other.doi == record.doi:
                return Match(other.root, MATCH_DOI)
    if record.pmid:
        for other in known:
            if other.pmid == record.pmid:
                return Match(other.root, MATCH_PMID)
    key, year, author = title_key(record.title), record.year, author_key(record.first_author)
    if key and year and author:
        for other in known:
            if other.year == year and other.author_key == author:
                score = fuzz.ratio(key, other.title_key)
                if score >= TITLE_MATCH_THRESHOLD:
                    return Match(other.root, MATCH_TITLE, round(score, 1))
    return None


def _known_from_rows(rows: pd.DataFrame) -> list[_Known]:
    known = []
    for _, row in rows.iterrows():
        record = SearchRecord(**{column: row[column] for column in EXPORTED_COLUMNS})
        known.append(_Known.of(row["record_id"], row["duplicate_of"], record))
    return known


def deduplicate(run_id: str, records: list[SearchRecord], existing: pd.DataFrame) -> list[dict]:
    """Rows of records.csv for the records of one run: each compared with ``existing`` rows and
    the earlier records of the run. Existing rows, including a reviewer's, are not changed."""
    known = _known_from_rows(existing)
    rows = []
    for position, record in enumerate(records, start=1):
        record_id = f"{run_id}:{position}"
        match = find_duplicate(record, known)
        duplicate_of = match.duplicate_of if match else ""
        rows.append({"record_id": record_id, "run_id": run_id, "position": str(position),
                     **{column: getattr(record, column) for column in EXPORTED_COLUMNS},
                     "duplicate_of": duplicate_of, "match": match.match if match else "",
                     "match_score": match.score_text if match else ""})
        known.append(_Known.of(record_id, duplicate_of, record))
    return rows


# ----------------------------------------------------------------------------- importing


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


def find_run(data_dir: Path, run_id: str) -> SearchRun:
    """The run ``run_id`` of searches.yaml; :class:`SearchError` naming the known runs if absent."""
    runs = load_runs(data_dir)
    for run in runs:
        if run.run_id == run_id:
            return run
    known = ", ".join(run.run_id for run in runs) or "none"
    raise SearchError(f"{paths.relative_to_root(_search_file(data_dir, SEARCHES_FILE_NAME))} has no run "
                      f"'{run_id}' (runs: {known})")


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
    records_path = _search_file(data_dir, RECORDS_FILE_NAME)
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


# ----------------------------------------------------------------------------- validation


def _is_iso_date(value) -> bool:
    text = str(value)
    if not ISO_DATE_PATTERN.match(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _problem(*args):
    from ..validation.problems import Problem  # validate imports this module to run these checks

    return Problem(*args)


STRATEGY_KEYS = ("strategy_id", "database", "query", "limits")


def _strategy_problems(file: str, entries) -> list:
    """The problems of the strategies of searches.yaml: each must be a mapping with a unique file-name-safe ``strategy_id``, the ``database`` and its ``query``
    as run (``limits`` optional)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [_problem(file, None, "strategies", str(entries), "a list of search strategies")]
    problems, seen = [], set()
    for i, entry in enumerate(entries):
        key = f"strategies[{i}]"
        if not isinstance(entry, dict):
            problems.append(_problem(file, None, key, str(entry), "a mapping with keys " + ", ".join(STRATEGY_KEYS)))
            continue
        problems += [_problem(file, None, f"{key}.{k}", None, "one of the keys " + ", ".join(STRATEGY_KEYS))
                     for k in entry if k not in STRATEGY_KEYS]
        strategy_id = entry.get("strategy_id")
        if not isinstance(strategy_id, str) or not RUN_ID_PATTERN.match(strategy_id):
            problems.append(_problem(file, None, f"{key}.strategy_id", str(strategy_id),
                                     "a file-name-safe id: lower-case letters, digits and hyphens"))
        elif strategy_id in seen:
            problems.append(_problem(file, None, f"{key}.strategy_id", strategy_id, "a strategy id used once"))
        seen.add(strategy_id)
        for name, expected in (("database", "the database the strategy searches"),
                               ("query", "the query as it is run")):
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                problems.append(_problem(file, None, f"{key}.{name}", None, expected))
    return problems


def _run_problems(file: str, searches: dict, data_dir: Path) -> tuple[list[SearchRun], list]:
    """Problems of searches.yaml, and the runs well-formed enough to check further."""
    entries = searches.get("strategies")
    problems = _strategy_problems(file, entries)
    # A run names a strategy by id; a strategy's own problems are reported once, above.
    strategy_ids = {s.get("strategy_id") for s in entries or [] if isinstance(s, dict)} \
        if isinstance(entries, list) else set()
    entries = searches.get("runs")
    if not isinstance(entries, list):
        return [], [_problem(file, None, "runs", None, "a list of search runs")]
    runs, seen, previous_date = [], set(), None
    for i, entry in enumerate(entries):
        key = f"runs[{i}]"
        if not isinstance(entry, dict):
            problems.append(_problem(file, None, key, str(entry), "a mapping with keys " + ", ".join(RUN_KEYS)))
            continue
        missing = [k for k in RUN_KEYS if k not in entry]
        problems += [_problem(file, None, f"{key}.{k}", None, "this key (missing)") for k in missing]
        problems += [_problem(file, None, f"{key}.{k}", None, "one of the keys " + ", ".join(RUN_KEYS))
                     for k in entry if k not in RUN_KEYS]
        if missing:
            continue
        run = SearchRun.from_yaml(entry)
        found = len(problems)
        if not isinstance(run.run_id, str) or not RUN_ID_PATTERN.match(run.run_id):
            problems.append(_problem(file, None, f"{key}.run_id", str(run.run_id),
                                     "a file-name-safe id: lower-case letters, digits and hyphens"))
        elif run.run_id in seen:
            problems.append(_problem(file, None, f"{key}.run_id", run.run_id, "a run id used once"))
        seen.add(run.run_id)
        if not UPDATE_PATTERN.match(str(run.update)):
            problems.append(_problem(file, None, f"{key}.update", str(run.update), "the update as YYYY-MM"))
        if run.method not in METHODS:
            problems.append(_problem(file, None, f"{key}.method", str(run.method), "one of " + ", ".join(METHODS)))
        if not isinstance(run.source, str) or not run.source.strip():
            problems.append(_problem(file, None, f"{key}.source", None, "the database or source searched"))
        if run.method == "database" and run.strategy_id not in strategy_ids:
            problems.append(_problem(file, None, f"{key}.strategy_id", str(run.strategy_id),
                                     "the strategy_id of one of the strategies (a database run)"))
        elif run.method != "database" and run.strategy_id is not None:
            problems.append(_problem(file, None, f"{key}.strategy_id", str(run.strategy_id),
                                     "null (only database runs have a strategy)"))
        if not _is_iso_date(run.date_run):
            problems.append(_problem(file, None, f"{key}.date_run", str(run.date_run), "an ISO date (YYYY-MM-DD)"))
        elif previous_date is not None and str(run.date_run) < previous_date:
            problems.append(_problem(file, None, f"{key}.date_run", str(run.date_run),
                                     f"runs in date order (the run before was on {previous_date})"))
        else:
            previous_date = str(run.date_run)
        if not isinstance(run.records_reported, int) or isinstance(run.records_reported, bool) \
                or run.records_reported < 0:
            problems.append(_problem(file, None, f"{key}.records_reported", str(run.records_reported),
                                     "a whole number of records"))
        if not isinstance(run.export, str) or not run.export:
            problems.append(_problem(file, None, f"{key}.export", str(run.export), "the export file's path"))
        if len(problems) == found:
            runs.append((i, run))
    return runs, problems


def _export_problems(file: str, runs: list[tuple[int, SearchRun]], records: pd.DataFrame,
                     records_file: str, data_dir: Path) -> list:
    """Each export exists, parses, has records_reported records and is imported as it is."""
    problems = []
    for i, run in runs:
        path = run.export_path(data_dir)
        export_file = paths.relative_to_root(path)
        if not path.is_file():
            problems.append(_problem(file, None, f"runs[{i}].export", run.export, "an export file that exists"))
            continue
        try:
            parsed = parse_export(path)
        except SearchExportError as exc:
            problems.append(_problem(export_file, None, None, None, f"a well-formed export ({exc.problem}"
                                     + (f", record {exc.record}" if exc.record else "")
                                     + (f", line {exc.line}" if exc.line else "") + ")"))
            continue
        if len(parsed) != run.records_reported:
            problems.append(_problem(file, None, f"runs[{i}].records_reported", str(run.records_reported),
                                     f"the number of records in {export_file} ({len(parsed)})"))
        imported = records[records["run_id"] == run.run_id]
        if imported.empty:
            problems.append(_problem(file, None, f"runs[{i}].run_id", run.run_id,
                                     f"its {len(parsed)} records imported into {records_file} "
                                     f"(python -m livingreview import-search {run.run_id})"))
            continue
        if len(imported) != len(parsed):
            problems.append(_problem(file, None, f"runs[{i}].run_id", run.run_id,
                                     f"{len(parsed)} records in {records_file}, as in {export_file} "
                                     f"(found {len(imported)})"))
        for _, row in imported.iterrows():
            position = int(row["position"]) if row["position"].isdigit() else 0
            if not 1 <= position <= len(parsed):
                continue  # reported with the row's position
            record = parsed[position - 1]
            for column in EXPORTED_COLUMNS:
                if row[column] != getattr(record, column):
                    problems.append(_problem(records_file, int(row[ROW_COLUMN]), column, row[column],
                                             f"{getattr(record, column)!r}, as in record {position} of "
                                             f"{export_file} (only duplicate_of and match are edited by hand)"))
                    break
    return problems


def _header_problem(file: str, frame: pd.DataFrame, columns: list[str]):
    header = [c for c in frame.columns if c != ROW_COLUMN]
    if header != columns:
        return _problem(file, None, None, ",".join(header), "the columns " + ",".join(columns))
    return None


def _record_problems(records: pd.DataFrame, file: str, run_ids: set[str], sizes: dict[str, int]) -> list:
    """Ids, positions, duplicate links and match values of records.csv."""
    problems = []
    ids = records["record_id"].tolist()
    duplicate_of = dict(zip(records["record_id"], records["duplicate_of"]))
    seen = set()
    for _, row in records.iterrows():
        number, record_id = int(row[ROW_COLUMN]), row["record_id"]
        if record_id in seen:
            problems.append(_problem(file, number, "record_id", record_id, "a record id used once"))
        seen.add(record_id)
        if row["run_id"] not in run_ids:
            problems.append(_problem(file, number, "run_id", row["run_id"], f"a run of {SEARCHES_FILE_NAME}"))
        elif not row["position"].isdigit() or not 1 <= int(row["position"]) <= sizes.get(row["run_id"], 10**9):
            problems.append(_problem(file, number, "position", row["position"],
                                     "the record's 1-based position in its export"))
        elif record_id != f"{row['run_id']}:{row['position']}":
            problems.append(_problem(file, number, "record_id", record_id,
                                     f"'{row['run_id']}:{row['position']}' (run_id:position)"))
        target, match = row["duplicate_of"], row["match"]
        if target:
            if target not in duplicate_of or target == record_id:
                problems.append(_problem(file, number, "duplicate_of", target, "the record_id of another record"))
            elif duplicate_of[target]:
                problems.append(_problem(file, number, "duplicate_of", target,
                                         f"a unique record ({target} is itself a duplicate of "
                                         f"{duplicate_of[target]})"))
            elif ids.index(target) > ids.index(record_id) and match != MATCH_REVIEWER:
                problems.append(_problem(file, number, "duplicate_of", target,
                                         "an earlier record (or match 'reviewer' for a reviewer's choice)"))
        if match not in ("", *MATCHES):
            problems.append(_problem(file, number, "match", match, "one of " + ", ".join(MATCHES) + " or empty"))
        elif target and not match:
            problems.append(_problem(file, number, "match", None,
                                     "why it is a duplicate: " + ", ".join(MATCHES)))
        elif not target and match not in ("", MATCH_REVIEWER):
            problems.append(_problem(file, number, "match", match,
                                     "empty or 'reviewer' on a record that duplicates none"))
        score = row["match_score"]
        if match == MATCH_TITLE:
            if not re.fullmatch(r"\d{1,3}(\.\d)?", score) or float(score) > 100:
                problems.append(_problem(file, number, "match_score", score or None,
                                         "the title score, 0-100 with one decimal"))
        elif score:
            problems.append(_problem(file, number, "match_score", score, "empty unless match is 'title'"))
    return problems


def _screening_problems(screening: pd.DataFrame, file: str, records: pd.DataFrame, records_file: str,
                        reasons: dict, data_dir: Path) -> list:
    """Decisions of screening.csv against records.csv, the reasons and the study folders."""
    problems = []
    duplicate_of = dict(zip(records["record_id"], records["duplicate_of"]))
    study_ids = {p.name for p in paths.studies_dir(data_dir).iterdir() if p.is_dir()} \
        if paths.studies_dir(data_dir).is_dir() else set()
    decided: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for _, row in screening.iterrows():
        number, record_id, stage, decision = int(row[ROW_COLUMN]), row["record_id"], row["stage"], row["decision"]
        if record_id not in duplicate_of:
            problems.append(_problem(file, number, "record_id", record_id or None, f"a record_id of {records_file}"))
            continue
        if duplicate_of[record_id]:
            problems.append(_problem(file, number, "record_id", record_id,
                                     f"a unique record (it duplicates {duplicate_of[record_id]}; "
                                     "duplicates are not screened)"))
            continue
        if stage not in STAGES:
            problems.append(_problem(file, number, "stage", stage or None, "one of " + ", ".join(STAGES)))
            continue
        if decision not in DECISIONS[stage]:
            problems.append(_problem(file, number, "decision", decision or None,
                                     f"one of {', '.join(DECISIONS[stage])} at {stage}"))
        decided.setdefault((record_id, stage), []).append((number, decision))
        reason = row["reason"]
        if reason and decision != EXCLUDE:
            problems.append(_problem(file, number, "reason", reason, "no reason unless the decision is exclude"))
        elif reason and reason not in reasons:
            problems.append(_problem(file, number, "reason", reason,
                                     f"an id of {EXCLUSION_REASONS_FILE_NAME} ({', '.join(reasons) or 'none defined'})"))
        elif not reason and stage == FULL_TEXT and decision == EXCLUDE:
            problems.append(_problem(file, number, "reason", None, "the reason for a full-text exclusion"))
        study_id = row["study_id"]
        if stage == FULL_TEXT and decision == INCLUDE:
            if study_id not in study_ids:
                problems.append(_problem(file, number, "study_id", study_id or None,
                                         "the study folder under studies/ the included report belongs to"))
        elif study_id:
            problems.append(_problem(file, number, "study_id", study_id, "no study_id unless included at full_text"))
        if not row["reviewer"].strip():
            problems.append(_problem(file, number, "reviewer", None, "who made the decision"))
        if not _is_iso_date(row["date"]):
            problems.append(_problem(file, number, "date", row["date"] or None, "an ISO date (YYYY-MM-DD)"))

    for (record_id, stage), rows in decided.items():
        problems += [_problem(file, number, "record_id", record_id,
                              f"one {stage} row per record (row {rows[0][0]} has one already)")
                     for number, _ in rows[1:]]
        if stage == FULL_TEXT:
            title_abstract = [d for _, d in decided.get((record_id, TITLE_ABSTRACT), [])]
            if INCLUDE not in title_abstract:
                problems += [_problem(file, number, "stage", stage,
                                      "a full_text row only for a record included at title_abstract")
                             for number, _ in rows[:1]]
    for _, row in records[records["duplicate_of"] == ""].iterrows():
        record_id, number = row["record_id"], int(row[ROW_COLUMN])
        title_abstract = decided.get((record_id, TITLE_ABSTRACT))
        if not title_abstract:
            problems.append(_problem(records_file, number, "record_id", record_id,
                                     f"a title_abstract row in {file} (unique records are screened)"))
        elif title_abstract[0][1] == INCLUDE and (record_id, FULL_TEXT) not in decided:
            problems.append(_problem(records_file, number, "record_id", record_id,
                                     f"a full_text row in {file} (the record was included at title_abstract)"))
    included_studies = {row["study_id"] for _, row in screening.iterrows()
                        if row["stage"] == FULL_TEXT and row["decision"] == INCLUDE}
    problems += [_problem(paths.relative_to_root(paths.studies_dir(data_dir) / study_id), None, None, None,
                          f"a report included at full_text in {file} with this study_id "
                          "(every included study is traced to the search)")
                 for study_id in sorted(study_ids - included_studies)]
    return problems


def _reason_problems(data_dir: Path) -> tuple[dict, list]:
    path = Path(data_dir) / EXCLUSION_REASONS_FILE_NAME
    file = paths.relative_to_root(path)
    if not path.is_file():
        return {}, [_problem(file, None, None, None, "the file to exist (the exclusion reasons screening uses)")]
    try:
        reasons = read_yaml(path)
    except yaml.YAMLError as exc:
        return {}, [_problem(file, None, None, None, f"well-formed YAML ({getattr(exc, 'problem', exc)})")]
    if not isinstance(reasons, dict):
        return {}, [_problem(file, None, None, None, "a mapping of reason id to label and criterion")]
    problems = [_problem(file, None, str(reason_id), None, "a mapping with a 'label'")
                for reason_id, entry in reasons.items()
                if not isinstance(entry, dict) or not str(entry.get("label") or "").strip()]
    return reasons, problems


def validate_search(data_dir: Path = paths.DATA_DIR) -> list:
    """Every problem of the search and screening record, as :class:`livingreview.validation.problems.Problem`
    (file, 1-based data row, column); [] when the data folder has no ``search/``.

    Checked: searches.yaml (runs, dates, strategies); every export exists, parses, has the
    records reported and is imported row for row; duplicate links point to a unique record;
    every unique record has one title/abstract decision and every record included there one
    full-text decision; duplicates are not screened; decisions, stages, reasons, study ids,
    reviewers and dates are valid; every study folder is traced to an included report."""
    data_dir = Path(data_dir)
    if not (data_dir / SEARCH_DIRNAME).is_dir():
        return []
    searches_path = _search_file(data_dir, SEARCHES_FILE_NAME)
    file = paths.relative_to_root(searches_path)
    if not searches_path.is_file():
        return [_problem(file, None, None, None, "the file to exist (the runs of the search record)")]
    try:
        searches = read_yaml(searches_path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [_problem(file, None, None, None, f"well-formed YAML ({getattr(exc, 'problem', exc)}"
                         + (f", at line {mark.line + 1}" if mark else "") + ")")]
    if not isinstance(searches, dict):
        return [_problem(file, None, None, None, "a YAML mapping with strategies and runs")]
    runs, problems = _run_problems(file, searches, data_dir)

    records_path = _search_file(data_dir, RECORDS_FILE_NAME)
    records_file = paths.relative_to_root(records_path)
    try:
        records = load_records(data_dir)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        return problems + [_problem(records_file, None, None, None, f"well-formed UTF-8 CSV ({exc})")]
    header = _header_problem(records_file, records, RECORD_COLUMNS)
    if header:
        return problems + [header]
    problems += _export_problems(file, runs, records, records_file, data_dir)
    sizes = Counter(records["run_id"])
    all_run_ids = {entry.get("run_id") for entry in searches.get("runs") or [] if isinstance(entry, dict)}
    problems += _record_problems(records, records_file, all_run_ids, dict(sizes))

    reasons, reason_problems = _reason_problems(data_dir)
    problems += reason_problems
    screening_path = _search_file(data_dir, SCREENING_FILE_NAME)
    screening_file = paths.relative_to_root(screening_path)
    if not screening_path.is_file():
        if (records["duplicate_of"] == "").any():
            problems.append(_problem(screening_file, None, None, None,
                                     "the file to exist (the unique records of records.csv are screened)"))
        return problems
    try:
        screening = load_screening(data_dir)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        return problems + [_problem(screening_file, None, None, None, f"well-formed UTF-8 CSV ({exc})")]
    header = _header_problem(screening_file, screening, SCREENING_COLUMNS)
    if header:
        return problems + [header]
    problems += _screening_problems(screening, screening_file, records, records_file, reasons, data_dir)
    return problems
