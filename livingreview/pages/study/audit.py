"""The audit section of a study page: the printed numbers the audit recomputed and found to
disagree, the inconsistencies the curator found in reading the paper, the audit's notes, and
the numbers a published correction changed."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from ...audit.curator_findings import CURATOR_RULE, finding_rows
from ...audit.findings import INFO, MISMATCH, OK, RULE_LABELS
from ...audit.run import audit_study
from ..display import (Joined, Link, Rich, data_view_href, details, finding_columns, finding_link, html_block,
                       humanise, paragraph, ref_links, table)
from .data import StudyData


class AuditView:
    """The audit of the study's printed numbers, and its corrections."""

    def __init__(self, data: StudyData):
        self.data = data

    @cached_property
    def findings(self) -> pd.DataFrame:
        """Every check of the study's printed numbers, with its verdict (the curator's findings
        among them)."""
        return audit_study(self.data.study, self.data.vocabulary)

    def facts(self) -> dict[str, object]:
        """How many checks were made, and how many agree, disagree, are the curator's or notes."""
        verdicts = self.findings["verdict"].value_counts()
        return {"n_audit_checks": len(self.findings),
                "n_audit_ok": int(verdicts.get(OK, 0)),
                "n_audit_mismatch": int(verdicts.get(MISMATCH, 0)),
                "n_audit_curated": int((self.findings["rule"] == CURATOR_RULE).sum()),
                "n_audit_info": int(verdicts.get(INFO, 0))}

    def summary(self):
        """The curator's findings with both sides, the computed mismatches, each linked to its
        data rows; the notes behind a drop-down."""
        curated = self.findings[self.findings["rule"] == CURATOR_RULE]
        computed = self.findings[self.findings["rule"] != CURATOR_RULE]
        mismatches = computed[computed["verdict"] == MISMATCH]
        notes = computed[computed["verdict"] == INFO]
        parts = []
        if not curated.empty:
            parts.append(self.curator_findings_table(curated))
        parts.append(self._checks_view(mismatches) if not mismatches.empty else
                     paragraph("Every computed check of this study agrees with what the paper printed."))
        if not notes.empty:
            parts.append(details(f"Notes of the audit ({len(notes)}): facts, not errors",
                                 self._checks_view(notes).data))
        return html_block(*parts)

    def checks_table(self):
        """The audit's findings that are not ``ok``, each linked to its data row."""
        return self._checks_view(self.findings[self.findings["verdict"] != OK])

    def curator_findings_table(self, curated: pd.DataFrame | None = None):
        """The curator's findings: kind and grade, the explanation, and both sides as printed,
        each with its data rows."""
        data = self.data
        if curated is None:
            curated = self.findings[self.findings["rule"] == CURATOR_RULE]
        if curated.empty:
            return paragraph("The curator recorded no inconsistency beyond the computed checks.")
        records = finding_rows(curated, {data.study_id: data.study})
        shown = pd.DataFrame({
            "Finding": [Link(f"{r['finding_id']}", data_view_href(data.study_id, "findings.csv", int(n)))
                        for n, r in zip(curated["row"], records)],
            "Kind (how sure)": [f"{data.code_label('findings', 'kind', k)} ({data.code_label('findings', 'grade', g)})"
                                for k, g in zip(curated["kind"], curated["grade"])],
            **finding_columns(curated["study_id"], records),
        })
        return table(shown, "Inconsistencies the curator found in reading the paper")

    def _checks_view(self, findings: pd.DataFrame):
        data = self.data
        if findings.empty:
            return paragraph("Every check of this study agrees with what the paper printed.")
        links = [Joined((finding_link(data.study_id, t, r), ref_links(data.study_id, o) if o else ""))
                 for t, r, o in zip(findings["table"], findings["row"], findings["other_rows"])]
        shown = pd.DataFrame({
            "Rule": findings["rule"].map(RULE_LABELS),
            "Finding": [humanise(f"{q}: {d}" if d else q, data.study)
                        for q, d in zip(findings["quantity"], findings["detail"])],
            "Printed → recomputed": [humanise(f"{p} → {r}", data.study)
                                     for p, r in zip(findings["printed"], findings["recomputed"])],
            "Data": links,
        })
        return table(shown)

    def corrections_table(self):
        """Numbers a published correction changed: the first value and the corrected one, each
        linked to its data row, with the correction's date and source."""
        data = self.data
        corrections = data.study.tables.corrections()
        if not corrections:
            return paragraph("No correction of this report has been recorded.")
        rows = []
        for table_name, old, new, erratum in corrections:
            raw = data.study.tables.raw(table_name).set_index("row")
            rows.append({"Published": erratum["date"], "Correction": Rich(f"*{erratum['source']}*: “{erratum['quote']}”"),
                         "First printed": Joined((Rich(raw.loc[old, "quote"]), data.link(f"{table_name}.csv", old))),
                         "Now": Joined((Rich(raw.loc[new, "quote"]), data.link(f"{table_name}.csv", new)))})
        return table(pd.DataFrame(rows), "Corrections: pages and analyses use the corrected value")
