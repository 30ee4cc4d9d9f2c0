"""Finding duplicate records: the same report found by two searches, or twice by one.

Duplicates are found in this order: the same DOI; else the same PMID; else titles that are
nearly identical (:data:`TITLE_MATCH_THRESHOLD`) with the same year and first-author surname.
Each record is compared with every record already in records.csv and with the earlier
records of its own export, and ``duplicate_of`` names the earliest unique record it repeats.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz

from .records import EXPORTED_COLUMNS, MATCH_DOI, MATCH_PMID, MATCH_TITLE, SearchRecord

# rapidfuzz ratio (0-100) of two normalised titles, compared in word order, at or above which
# they count as the same title. Normalising already removes case, accents and punctuation, so
# what is left is spelling (oesophageal / esophageal), a dropped article or a typo: about one
# character in a hundred costs one point. (token_sort_ratio would not do: sorting the words
# moves "oesophageal" and "esophageal" to different places, and one letter costs ten points.)
# 95 accepts those in a title of typical length and rejects a different word. Titles alone are
# not enough: reports of one trial series differ by one character ("phase II" / "phase III")
# and score above 95, so a title match also needs the same year and first author.
TITLE_MATCH_THRESHOLD = 95


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def title_key(title: str) -> str:
    """A title as compared for duplicates: accents, case and punctuation removed."""
    return " ".join(re.sub(r"[\W_]+", " ", _ascii_fold(title)).split())


def author_key(name: str) -> str:
    """A surname as compared for duplicates: "O'Brien", "OBrien" and "o brien" are one."""
    return re.sub(r"[\W_]+", "", _ascii_fold(name))


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
