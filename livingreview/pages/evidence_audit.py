"""Cross-study chapters that need no pooling: the evidence map and the audit of all studies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .. import paths
from ..audit.rules import MISMATCH, OK, RULE_LABELS, RULES, VERDICT_WORDS, audit_studies
from ..curated.studies import Study, load_studies, load_vocabulary
from ..curated.rowrefs import CURATOR_RULE, GRADES, KINDS, finding_rows
from .display import (Joined, finding_columns, finding_link, glue_facts, html_block, humanise, paragraph,
                      ref_links, study_link, table, tables_by)
from ..statistics.reconstruct import follow_up_window
from ..curated.review import design_label, load_review, report_label, study_size

NOT_PRINTED = "not printed"


@dataclass
class SynthesisPage:
    """All included studies, for the chapters that set them side by side."""

    studies: list[Study]
    review: dict
    vocabulary: pd.DataFrame
    data_dir: Path = paths.DATA_DIR

    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> "SynthesisPage":
        data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
        return cls(load_studies(data_dir), load_review(data_dir), load_vocabulary(data_dir=data_dir), data_dir)

    # ------------------------------------------------------------------ evidence map

    def evidence_table(self):
        """The studies side by side, each linked to its page."""
        rows = []
        settings = self.review.get("setting_groups", {})
        for study in self.studies:
            meta = study.meta
            anlotinib_arms = [a for a in meta["arms"] if a.get("anlotinib")]
            follow_up = meta.get("median_follow_up") or {}
            rows.append({
                "Study": study_link(study),
                "Design": f"{design_label(study)} ({report_label(meta)})",
                "Setting": f"{settings.get(meta['setting_group'], meta['setting'])} ({meta['line_of_therapy']})",
                "Patients (arms)": f"{study_size(study)} ({len(meta['arms'])})",
                "Median follow-up": (f"{follow_up['months']} months" if follow_up.get("months") is not None
                                     else NOT_PRINTED),
                "Anlotinib regimen": " | ".join(a["regimen"] for a in anlotinib_arms),
                "Anlotinib dose": " | ".join(a.get("anlotinib_dose", NOT_PRINTED) for a in anlotinib_arms),
                "Primary endpoint": meta["design"].get("primary_endpoint", NOT_PRINTED),
            })
        frame = pd.DataFrame(rows)
        regimens = frame[["Study", "Anlotinib regimen", "Anlotinib dose", "Primary endpoint"]]
        return html_block(table(frame.drop(columns=["Anlotinib regimen", "Anlotinib dose", "Primary endpoint"])),
                          table(regimens, caption="Regimens and primary endpoints, as printed"))

    def timeline(self) -> pd.DataFrame:
        """Enrolment start and end and data cut-off per study, as printed (text dates)."""
        from ..curated.integrity import study_status

        rows = []
        for study in self.studies:
            enrolment = study.meta.get("enrolment_period") or {}
            badge = study_status(study).badge
            rows.append({"study_id": study.study_id, "label": study.name + (f" ({badge})" if badge else ""),
                         "status": badge, "enrolment_start": enrolment.get("start", ""),
                         "enrolment_end": enrolment.get("end", ""),
                         "data_cutoff": (study.meta.get("data_cutoff") or {}).get("date", "")})
        return pd.DataFrame(rows)

    def included_reports_figure(self):
        """The included reports by kind of report, design, setting and analysis set."""
        import matplotlib.pyplot as plt

        from .plotting import describe, plot_study_flow
        from ..curated.review import flow_stages

        stages = flow_stages(self.studies, self.review)
        fig, ax = plt.subplots(figsize=(8, 1.1 * len(stages)))
        plot_study_flow(stages, ax=ax)
        fig.tight_layout()
        return describe(fig, "The included reports by kind, design, setting and analysis set: " + "; ".join(
            f"{title}: " + ", ".join(f"{label} {n}" for label, n in boxes) for title, boxes in stages) + ".")

    def timeline_figure(self):
        import matplotlib.pyplot as plt

        from .plotting import describe, plot_timeline

        timeline = self.timeline()
        fig, ax = plt.subplots(figsize=(8, 0.6 * len(self.studies) + 1.6))
        plot_timeline(timeline, ax=ax)
        fig.tight_layout()
        return describe(fig, "Timeline of enrolment periods (bars) and data cut-offs (diamonds), as printed: " + "; ".join(
            f"{r['label']}: enrolment {r['enrolment_start'] or 'not printed'} to {r['enrolment_end'] or 'not printed'}, "
            f"cut-off {r['data_cutoff'] or 'not printed'}" for r in timeline.to_dict("records")) + ".")

    def evidence_facts(self) -> dict[str, object]:
        timeline = self.timeline()
        windows = [follow_up_window(s.meta) for s in self.studies]
        return {
            "map_n_studies": len(self.studies),
            "map_n_with_dates": int(sum(1 for _, after in windows if after is not None)),
            "map_n_without_dates": int(sum(1 for _, after in windows if after is None)),
            "map_first_enrolment": min((d for d in timeline["enrolment_start"] if d), default=NOT_PRINTED),
            "map_last_cutoff": max((d for d in timeline["data_cutoff"] if d), default=NOT_PRINTED),
        }

    def evidence_key_message(self):
        from .display import key_message
        from ..curated.integrity import EXCLUDED, MAIN, SENSITIVITY, analysis_set

        settings = self.review.get("setting_groups", {})
        present = {s.meta["setting_group"] for s in self.studies}
        used = [label for group, label in settings.items() if group in present]
        used += sorted(present - set(settings))
        designs = [design_label(s).lower() for s in self.studies]
        design_counts = {d: designs.count(d) for d in dict.fromkeys(designs)}

        def counted(design: str, n: int) -> str:
            return f"{n} {design}" if n == 1 else f"{n} {design}s"

        sets = [analysis_set(s) for s in self.studies]
        return key_message([
            f"{len(self.studies)} reports in {len(used)} settings: " + "; ".join(used) + ".",
            "Designs: " + ", ".join(counted(d, n) for d, n in design_counts.items()) + ".",
            f"{sets.count(MAIN)} in the main analyses, {sets.count(SENSITIVITY)} in sensitivity analyses only, "
            f"{sets.count(EXCLUDED)} excluded after the integrity screen."])

    def glue_evidence_facts(self) -> None:
        glue_facts(self.evidence_facts())

    # ------------------------------------------------------------------ audit

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
        from .display import key_message

        mismatches = self.audit[self.audit["verdict"] == MISMATCH]
        per_study = (mismatches.groupby("study_id").size() / self.audit.groupby("study_id").size() * 100).dropna()
        names = {s.study_id: s.name for s in self.studies}
        worst = (f"Most mismatches per 100 checks: {names[per_study.idxmax()]} ({per_study.max():.1f})."
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
        from ..curated.dictionary import load_dictionary

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
        from ..curated.dictionary import load_dictionary

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
