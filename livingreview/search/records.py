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
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbib
import pandas as pd
import rispy
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
    raise SearchError(f"{paths.relative_to_root(search_file(data_dir, SEARCHES_FILE_NAME))} has no run "
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
