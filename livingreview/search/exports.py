"""Reading a database export: RIS (parsed with rispy) or PubMed's MEDLINE format (``.nbib``,
parsed with nbib), each record reduced to a :class:`~livingreview.search.records.SearchRecord`
(title, first author's surname, year, journal, DOI, PMID).

An export that cannot be read is an error naming the file, the record and the line
(:class:`SearchExportError`), never a record lost or merged in silence.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbib
import rispy
from nbib.exceptions import MalformedLine, UnknownTagFormat

from .. import paths
from .records import SearchError, SearchRecord

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
