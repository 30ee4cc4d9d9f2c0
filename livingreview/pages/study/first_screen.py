"""The first screen of a study page: its title, the key message, the study at a glance
(citation, design, setting, dates, arms, populations) and the facts the opening prose states."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from ...analysis.model import preferred_hazard_ratio, printed_median
from ...curated.integrity import SENSITIVITY, analysis_set
from ...curated.review import design_label, receives_intervention, report_label, study_size
from ...statistics.arms import efficacy_population, two_arm_studies
from ...statistics.survival import printed_hazard_ratios
from ..display import Rich, definition_list, details, doi_link, lower_first, table_html
from ..display import key_message as key_message_box
from .data import NOT_REPORTED, StudyData
from .response import ResponseView

# How a spread around a median follow-up is named on the page.
SPREAD_LABELS = {"iqr": "interquartile range", "range": "range"}


class FirstScreen:
    """What a reader sees first: which study, what it found and its place in the review.

    The key message quotes the response the study found, as the response section states it."""

    def __init__(self, data: StudyData, response: ResponseView):
        self.data = data
        self.response = response

    def facts(self) -> dict[str, object]:
        """The study's label and place in the review, its design, size and curated rows."""
        study, meta = self.data.study, self.data.study.meta
        return {
            "study_label": self.title(),
            "status_label": self.data.status.label,
            "status_reason": self.data.status.reason,
            # Both are read mid-sentence ("a retrospective cohort in first-line treatment ...").
            "design": lower_first(design_label(study)),
            "setting": lower_first(self.data.review.get("setting_groups", {}).get(meta["setting_group"],
                                                                                   meta["setting"])),
            "line_of_therapy": meta["line_of_therapy"],
            "n_patients": study_size(study),
            "n_arms": len(meta["arms"]),
            "report_type": report_label(meta),
            "n_outcome_rows": len(study.tables["outcomes"]),
            "n_baseline_rows": len(study.tables["baseline"]),
            "n_ae_rows": len(study.tables["adverse_events"]),
        }

    def title(self) -> str:
        """The page title: the study's label, its name marked when it is not in the main analyses
        (the navigation shows the title, so the mark shows there too)."""
        label, badge, name = self.data.study.meta["label"], self.data.status.badge, self.data.study.name
        if not badge:
            return label
        if label.startswith(name):
            return f"{name} ({badge}){label[len(name):]}"
        return f"{label} ({badge})"

    def key_message(self):
        """The page's first screen: design, setting, what the study found and its place in the
        review (excluded or sensitivity-only studies say so first)."""
        study, status = self.data.study, self.data.status
        meta = study.meta
        setting = self.data.review.get("setting_groups", {}).get(meta["setting_group"], meta["setting"])
        design = (f"{design_label(study)} ({report_label(meta)})"
                  f" in {lower_first(setting)}, with {study_size(study)} patients.")
        found = []
        orr = self.response.rate_sentence("ORR")
        if orr != NOT_REPORTED:
            found.append(f"objective response {orr}")
        population = efficacy_population(study)
        for endpoint, name in (("PFS", "median progression-free survival"), ("OS", "median overall survival")):
            medians = [printed_median(study, arm, endpoint, population) for arm in self.data.intervention_arms()]
            medians = [m for m in medians if m is not None]
            if medians:
                found.append(f"{name} " + "; ".join(m.text for m in medians))
        if two_arm_studies([study]):
            ratios = printed_hazard_ratios([study])
            for endpoint in ("PFS", "OS"):
                chosen = preferred_hazard_ratio(study, ratios, endpoint)
                if chosen is not None:
                    value, _ = chosen
                    found.append(f"{endpoint} against the control arm {value.text}, {value.detail}")
        found_text = (f"With {self.data.intervention.name}: " + "; ".join(found) + ".") if found \
            else "No efficacy result is printed."
        if study.tables["outcomes"].empty:
            found_text = ("No outcome data: this study's outcomes table has no rows yet, so it is in no efficacy "
                          "analysis (response, survival, comparisons).")
        if status.in_main:
            place = (f"In the review: {status.label.lower()} of its setting"
                     + (" (integrity not screened)." if status.decision == "not_screened" else "."))
        elif analysis_set(study) == SENSITIVITY:
            place = ("In sensitivity analyses only: no finding of the review uses its numbers; the sensitivity "
                     "tables (Risk of bias, integrity and certainty) show what adding it to its setting changes.")
        else:
            place = ("Excluded from every analysis: its numbers stay on this page as printed; no finding, pool, "
                     "comparison or sensitivity analysis uses them.")
        return key_message_box([design, found_text, place], status=status)

    def summary_card(self):
        """Citation, design, setting, dates, arms and populations."""
        meta = self.data.study.meta
        citation = meta.get("citation") or {}
        cited = citation.get("citation_as_printed") or ", ".join(
            str(citation[k]) for k in ("authors", "title", "journal", "year") if citation.get(k))
        enrolment = meta.get("enrolment_period") or {}
        follow_up = meta.get("median_follow_up") or {}
        spread = str(follow_up.get("spread", ""))
        items = [
            ("Citation", Rich(cited) if cited else "No citation is printed in the source document."),
            ("DOI", doi_link(citation.get("doi", "")) or "not printed in the source document"),
            # The curated source's file name is for maintainers (study.yaml); the reader needs
            # to know whether the review saw the full paper or only its abstract.
            ("Source", report_label(meta)),
            ("Design", f"{design_label(self.data.study)}: {meta['design']['description']}"),
            ("Setting", meta["setting"]),
            ("Line of therapy", meta["line_of_therapy"]),
            ("Enrolment", " to ".join(filter(None, [enrolment.get("start"), enrolment.get("end")]))),
            ("Data cut-off", (meta.get("data_cutoff") or {}).get("date", "")),
            ("Median follow-up", f"{follow_up['months']} months ({SPREAD_LABELS.get(spread, spread)} "
                                 f"{follow_up.get('low', '')}–{follow_up.get('high', '')})"
                                 if follow_up else NOT_REPORTED),
        ]
        if meta["design"].get("allocation"):
            items.append(("Allocation", meta["design"]["allocation"]))
        arms = pd.DataFrame([{
            "Arm": a["label"], "Regimen": a["regimen"],
            self.data.intervention.label: a.get("intervention_dose", "") if receives_intervention(a) else "no",
        } for a in meta["arms"]])
        populations = pd.DataFrame([{
            "Population": p["label"], "Arm": self.data.arm_label(p["arm"]), "n": p["n"],
            "Description": p.get("description", ""), "Source": p.get("source", ""),
        } for p in meta["populations"]])
        return HTML('<div class="lr-card">' + definition_list(items) + table_html(arms, "Arms")
                    + details(f"Populations the paper reports ({len(populations)})", table_html(populations))
                    + "</div>")
