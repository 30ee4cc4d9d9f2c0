"""Curator findings: inconsistencies a reader of the paper found that no rule can compute.

A study's optional ``findings.csv`` records each one: the kind (text contradicts a table,
numbers contradict each other, an implausible value, a reporting gap), a grade of how sure it
is (arithmetic certainty, conflicting statements, plausibility flag), both sides as the paper
prints them (where, the verbatim quote, and the curated data rows they concern) and a
one-line explanation. The audit reports each as a finding beside the computed rules
(:func:`curator_findings`), so a reader of the audit sees every inconsistency the review has
found, whichever way it was found.

Data rows are named ``<table>:<row>`` (``outcomes:24``), several joined by ``;``; ``study``
names study.yaml itself.
"""

from __future__ import annotations

import re

from .studies import Study

# The kinds and grades, in the order pages list them (the dictionary gives their labels).
KINDS = ("text_contradicts_table", "numbers_contradict", "implausible_value", "reporting_gap")
GRADES = ("arithmetic_certainty", "conflicting_statements", "plausibility_flag")
FINDINGS_TABLE = "findings"
CURATOR_RULE = "curator_finding"
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


def curator_findings(study: Study) -> list:
    """The study's curator findings as audit findings (rule ``curator_finding``, verdict
    ``mismatch``): each links to its own row of findings.csv, which shows both sides, and
    names both sides' data rows in ``other_rows``."""
    from ..audit.rules import MISMATCH, Finding

    findings = []
    for row in study.tables[FINDINGS_TABLE].to_dict("records"):
        sides = [side for side in ("a", "b") if str(row.get(f"quote_{side}") or "").strip()]
        refs = [ref for side in ("a", "b") for ref in parse_row_refs(row.get(f"rows_{side}"))]
        findings.append(Finding(
            study_id=study.study_id, table=FINDINGS_TABLE, row=str(row["row"]),
            source="; ".join(str(row[f"source_{side}"]) for side in sides if str(row.get(f"source_{side}") or "")),
            rule=CURATOR_RULE, quantity=str(row["finding_id"]),
            printed=str(row["quote_a"]), recomputed=str(row.get("quote_b") or ""),
            verdict=MISMATCH, detail=str(row["explanation"]), kind=str(row["kind"]), grade=str(row["grade"]),
            other_rows=format_refs(refs)))
    return findings


def finding_rows(curated, studies: dict[str, Study]) -> list[dict]:
    """The findings.csv row behind each curator finding of an audit table (its ``row``), for
    pages that show both sides; each study's table is indexed once."""
    tables = {study_id: studies[study_id].tables[FINDINGS_TABLE].set_index("row")
              for study_id in set(curated["study_id"])}
    return [tables[s].loc[int(r)].to_dict() for s, r in zip(curated["study_id"], curated["row"])]
