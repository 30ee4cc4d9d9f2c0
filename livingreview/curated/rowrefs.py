"""References to curated data rows: ``<table>:<row>`` (``outcomes:24``), several joined by
``;``, and ``study`` for study.yaml itself.

A curator's finding (findings.csv) and a claim (claims.csv) name the data rows they concern
this way; the validator checks that each names an existing row, and pages link each to it.
"""

from __future__ import annotations

import re

STUDY_FILE_REF = "study"
_REF = re.compile(r"^(?P<table>[a-z_]+)(?::(?P<row>\d+))?$")


def parse_row_refs(text) -> list[tuple[str, int | None]]:
    """``"outcomes:24; baseline:3"`` as [("outcomes", 24), ("baseline", 3)]; ``study`` as
    [("study", None)]. Raises ValueError naming the part that is not a reference."""
    refs = []
    for part in re.split(r"\s*;\s*", str(text or "").strip()):
        if not part:
            continue
        match = _REF.match(part)
        if not match or (match["table"] != STUDY_FILE_REF and match["row"] is None):
            raise ValueError(f"'{part}' is not a data row reference such as outcomes:24 (or 'study')")
        refs.append((match["table"], int(match["row"]) if match["row"] else None))
    return refs


def ref_problems(text, study_tables: dict[str, int]) -> list[str]:
    """What is wrong with the references in ``text``, given each table's number of rows; [] when
    every reference names an existing row."""
    try:
        refs = parse_row_refs(text)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    for table, row in refs:
        if table == STUDY_FILE_REF:
            continue
        if table not in study_tables:
            problems.append(f"'{table}' is not a table of this study ({', '.join(sorted(study_tables))})")
        elif not 1 <= row <= study_tables[table]:
            problems.append(f"{table}:{row} is not a data row of {table}.csv ({study_tables[table]} rows)")
    return problems


def format_refs(refs: list[tuple[str, int | None]]) -> str:
    """References back to their text form, in order, without repeats."""
    return ";".join(dict.fromkeys(table if row is None else f"{table}:{row}" for table, row in refs))
