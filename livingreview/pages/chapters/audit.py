"""The audit chapter: the papers' printed numbers recomputed by every rule of
the audit (:mod:`livingreview.audit.run`) and the curators' findings, counted by rule, kind and grade,
and every finding that is not ok linked to its data rows."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from ...audit.curator_findings import CURATOR_RULE, finding_rows
from ...audit.findings import GRADES, KINDS, MISMATCH, OK, RULE_LABELS, RULES, VERDICT_WORDS
from ...audit.run import audit_studies
from ...curated.dictionary import load_dictionary
from ..display import (Joined, finding_columns, finding_link, glue_facts, humanise, key_message, paragraph,
                       ref_links, study_link, table, tables_by)
from .base import Chapter


class AuditChapter(Chapter):
    """The audit of all studies, computed and curated findings together."""

    @cached_property
    def audit(self) -> pd.DataFrame:
        return audit_studies(self.studies, self.vocabulary)

    def audit_facts(self) -> dict[str, object]:
        verdicts = self.audit["verdict"].value_counts()
        return {"audit_n_checks": len(self.audit), "audit_n_ok": int(verdicts.get(OK, 0)),
                "audit_n_mismatch": int(verdicts.get(MISMATCH, 0)),
                "audit_n_not_ok": int((self.audit["verdict"] != OK).sum()),
                "audit_n_curated": int((self.audit["rule"] == CURATOR_RULE).sum()),
                "audit_n_rules": len(RULES)}

    def audit_key_message(self):
        mismatches = self.audit[self.audit["verdict"] == MISMATCH]
        per_study = (mismatches.groupby("study_id").size() / self.audit.groupby("study_id").size() * 100).dropna()
        worst = (f"Most mismatches per 100 checks: {self.names[per_study.idxmax()]} ({per_study.max():.1f})."
                 if len(per_study) else "")
        return key_message([f"The audit recomputed {len(self.audit)} printed numbers: {len(mismatches)} do not agree "
                            f"with what the paper printed elsewhere or with its own arithmetic, in "
                            f"{mismatches['study_id'].nunique()} of {len(self.studies)} studies.", worst,
                            "The curated data keep every printed value; the mismatches are shown, not corrected."])

    def glue_audit_facts(self) -> None:
        glue_facts(self.audit_facts())

    def audit_counts(self):
        """Checks per rule and verdict, with each study's count of findings that are not ok."""
        counts = self.audit.pivot_table(index="rule", columns="verdict", values="study_id", aggfunc="count",
                                        fill_value=0).reindex(list(RULES), fill_value=0)
        counts = counts.rename(columns=VERDICT_WORDS)
        counts.index = [RULE_LABELS[r] for r in counts.index]
        return table(counts.rename_axis("Rule").reset_index())

    def audit_by_kind(self):
        """The findings that are not ok, computed and curated together, by kind and grade."""
        found = self.audit[self.audit["verdict"] != OK]
        if found.empty:
            return paragraph("Every check agrees with what the papers printed.")
        dictionary = load_dictionary()
        counts = found.pivot_table(index="kind", columns="grade", values="study_id", aggfunc="count", fill_value=0)
        counts = counts.reindex(index=[k for k in KINDS if k in counts.index],
                                columns=[g for g in GRADES if g in counts.columns], fill_value=0)
        counts["All"] = counts.sum(axis=1)
        counts.index = [dictionary.label("findings", "kind", k).capitalize() for k in counts.index]
        counts.columns = [c if c == "All" else dictionary.label("findings", "grade", c).capitalize() for c in counts.columns]
        curated = (found["rule"] == CURATOR_RULE).sum()
        return table(counts.rename_axis("Kind").reset_index(),
                     f"Findings that are not ok, by kind and how sure they are ({curated} of "
                     f"{len(found)} recorded by the curator, the rest computed)")

    def curator_findings(self):
        """Every curator's finding, grouped by kind, with both sides and their data rows."""
        curated = self.audit[self.audit["rule"] == CURATOR_RULE]
        if curated.empty:
            return paragraph("The curators recorded no inconsistency beyond the computed checks.")
        dictionary = load_dictionary()
        by_id = {s.study_id: s for s in self.studies}
        records = finding_rows(curated, by_id)
        order = {k: i for i, k in enumerate(KINDS)}
        shown = pd.DataFrame({
            "Kind": [dictionary.label("findings", "kind", k).capitalize() for k in curated["kind"]],
            "Study": [study_link(by_id[s]) for s in curated["study_id"]],
            "How sure": [dictionary.label("findings", "grade", g) for g in curated["grade"]],
            **finding_columns(curated["study_id"], records),
            "_order": [order[k] for k in curated["kind"]],
        }).sort_values("_order", kind="stable").drop(columns="_order")
        return tables_by(shown, "Kind")

    def audit_findings(self):
        """Every computed finding that is not ok, grouped by rule, each linked to its data rows."""
        findings = self.audit[(self.audit["verdict"] != OK) & (self.audit["rule"] != CURATOR_RULE)].sort_values(
            ["rule", "study_id", "table"], kind="stable")
        links = [Joined((finding_link(s, t, r), ref_links(s, o) if o else ""))
                 for s, t, r, o in zip(findings["study_id"], findings["table"], findings["row"], findings["other_rows"])]
        by_id = {s.study_id: s for s in self.studies}
        shown = pd.DataFrame({
            "Rule": findings["rule"].map(RULE_LABELS) + " (" + findings["verdict"].map(VERDICT_WORDS) + ")",
            "Study": [study_link(by_id[s]) for s in findings["study_id"]],
            "Finding": [humanise(f"{q}: {d}" if d else q, by_id[s])
                        for q, d, s in zip(findings["quantity"], findings["detail"], findings["study_id"])],
            "Printed → recomputed": [humanise(f"{p} → {r}", by_id[s]) for p, r, s in
                                     zip(findings["printed"], findings["recomputed"], findings["study_id"])],
            "Data": links,
        })
        return tables_by(shown, "Rule", empty="Every check agrees with what the papers printed.")
