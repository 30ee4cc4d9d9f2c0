"""Curator findings: inconsistencies a reader of the paper found that no rule can compute.

A study's optional ``findings.csv`` records each one: the kind (text contradicts a table,
numbers contradict each other, an implausible value, a reporting gap), a grade of how sure it
is (arithmetic certainty, conflicting statements, plausibility flag), both sides as the paper
prints them (where, the verbatim quote, and the curated data rows they concern) and a
one-line explanation. The audit reports each as a finding beside the computed rules
(:func:`curator_findings`), so a reader of the audit sees every inconsistency the review has
found, whichever way it was found.
"""

from __future__ import annotations

from ..curated.rowrefs import format_refs, parse_row_refs
from ..curated.studies import Study
from .findings import MISMATCH, Finding

FINDINGS_TABLE = "findings"
CURATOR_RULE = "curator_finding"


def curator_findings(study: Study) -> list[Finding]:
    """The study's curator findings as audit findings (rule ``curator_finding``, verdict
    ``mismatch``): each links to its own row of findings.csv, which shows both sides, and
    names both sides' data rows in ``other_rows``."""
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
