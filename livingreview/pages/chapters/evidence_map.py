"""The evidence map: the included studies side by side (design, setting, size, follow-up,
regimen and dose as printed), the reports by kind, design, setting and analysis set, and the
timeline of their enrolment and data cut-offs."""

from __future__ import annotations

import pandas as pd

from ...curated.integrity import EXCLUDED, MAIN, SENSITIVITY, analysis_set, study_status
from ...curated.review import design_label, flow_stages, receives_intervention, report_label, study_size
from ...statistics.reconstruct import follow_up_window
from ..display import glue_facts, html_block, key_message, study_link, table
from .base import Chapter

NOT_PRINTED = "not printed"


class EvidenceMapChapter(Chapter):
    """The included studies side by side; nothing is pooled."""

    def evidence_table(self):
        """The studies side by side, each linked to its page."""
        rows = []
        settings = self.review.get("setting_groups", {})
        regimen, dose = f"{self.intervention.label} regimen", f"{self.intervention.label} dose"
        for study in self.studies:
            meta = study.meta
            given = [a for a in meta["arms"] if receives_intervention(a)]
            follow_up = meta.get("median_follow_up") or {}
            rows.append({
                "Study": study_link(study),
                "Design": f"{design_label(study)} ({report_label(meta)})",
                "Setting": f"{settings.get(meta['setting_group'], meta['setting'])} ({meta['line_of_therapy']})",
                "Patients (arms)": f"{study_size(study)} ({len(meta['arms'])})",
                "Median follow-up": (f"{follow_up['months']} months" if follow_up.get("months") is not None
                                     else NOT_PRINTED),
                regimen: " | ".join(a["regimen"] for a in given),
                dose: " | ".join(a.get("intervention_dose", NOT_PRINTED) for a in given),
                "Primary endpoint": meta["design"].get("primary_endpoint", NOT_PRINTED),
            })
        frame = pd.DataFrame(rows)
        regimens = frame[["Study", regimen, dose, "Primary endpoint"]]
        return html_block(table(frame.drop(columns=[regimen, dose, "Primary endpoint"])),
                          table(regimens, caption="Regimens and primary endpoints, as printed"))

    def timeline(self) -> pd.DataFrame:
        """Enrolment start and end and data cut-off per study, as printed (text dates)."""
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

        from ..plotting import describe, plot_study_flow

        stages = flow_stages(self.studies, self.review)
        fig, ax = plt.subplots(figsize=(8, 1.1 * len(stages)))
        plot_study_flow(stages, ax=ax)
        fig.tight_layout()
        return describe(fig, "The included reports by kind, design, setting and analysis set: " + "; ".join(
            f"{title}: " + ", ".join(f"{label} {n}" for label, n in boxes) for title, boxes in stages) + ".")

    def timeline_figure(self):
        import matplotlib.pyplot as plt

        from ..plotting import describe, plot_timeline

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
        glue_facts(self.intervention_facts() | self.evidence_facts())
