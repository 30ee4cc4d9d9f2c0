"""The safety section of a study page: adverse-event rates per harmonised term and arm (any
grade and grade 3 or higher) recomputed from the printed counts, and deaths from adverse
events as printed."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from ...statistics.safety import GRADE_3_PLUS, ae_rates, band_note, format_percent, grade5_events
from ..display import details, html_block, paragraph, row_links, shared_columns, table
from ..plotting import ae_rate_figure
from .data import NOT_REPORTED, StudyData, is_blank


class SafetyView:
    """The study's adverse events."""

    def __init__(self, data: StudyData):
        self.data = data

    @cached_property
    def rates(self) -> pd.DataFrame:
        """Adverse-event rates per harmonised term, arm and grade band, with their data rows."""
        return ae_rates(self.data.study, self.data.vocabulary)

    def facts(self) -> dict[str, object]:
        """How many harmonised terms are printed, and the rate of grade 3 or higher adverse
        events with the intervention, as a sentence."""
        return {"n_ae_terms": int(self.rates.loc[self.rates["group"] != "any", "term"].nunique()),
                "grade3_any_intervention": self._grade3_sentence()}

    def _grade3_sentence(self) -> str:
        rates = self.rates
        chosen = rates[(rates["term"] == "Any adverse event") & (rates["band"] == GRADE_3_PLUS)
                       & rates["arm"].isin(self.data.intervention_arms())]
        parts = [f"{row.percent:.1f}% ({row.category}"
                 + (f", {band_note(row.band_counted)}" if band_note(row.band_counted) else "")
                 + (f", {row.count} of {row.denominator}" if not is_blank(row.count) else ", as printed")
                 + ")" for row in chosen.itertuples()]
        return "; ".join(parts) or NOT_REPORTED

    def figure(self):
        """Bar chart of AE rates per arm (any grade and grade >= 3); None when nothing to draw."""
        rates = self.rates
        if rates[rates["group"] != "any"].empty:
            return None
        return self.data.marked(ae_rate_figure(rates, {a: self.data.arm_label(a) for a in self.data.study.arms}))

    def summary(self):
        """One row per harmonised term and arm: any grade and grade >= 3, each as count/n (%)
        with the rows it comes from; the full detail (basis, source) behind a drop-down."""
        rates = self.rates
        if rates.empty:
            return paragraph("The source document prints no adverse-event rates.")

        def cell(band_rows: pd.DataFrame) -> str:
            if band_rows.empty:
                return "not printed"
            r = band_rows.iloc[0]
            value = f"{format_percent(r['percent'])}%"
            # A grade >= 3 cell read from a grade 3-4 row says so (and whether deaths are left out).
            band = f"; {band_note(r['band_counted'])}" if band_note(r["band_counted"]) else ""
            return (f"{r['count']}/{r['denominator']} ({value}{band})" if not is_blank(r["count"])
                    else f"{value} (printed; no count{band})")
        rows = []
        for (term, arm, category), group in rates.groupby(["term", "arm", "category"], sort=False):
            rows.append({"Term": term, "Arm": self.data.arm_label(arm), "Counted": category,
                         "Any grade": cell(group[group["band"] == "any grade"]),
                         "Grade ≥3": cell(group[group["band"] == GRADE_3_PLUS]),
                         "Data": row_links(self.data.study_id, "adverse_events.csv", ", ".join(group["rows"]))})
        frame = pd.DataFrame(rows)
        frame = frame.assign(_any=frame["Term"] != "Any adverse event").sort_values(["_any", "Term"], kind="stable")
        frame, caption = shared_columns(frame.drop(columns="_any"), ["Arm", "Counted"])
        return html_block(table(frame, caption=caption),
                          details("How each rate is read from the printed grade bands, and where it is printed",
                                  self.full_table().data))

    def full_table(self):
        """AE rates per harmonised term, arm and band, with the rows they come from."""
        rates = self.rates
        if rates.empty:
            return paragraph("The source document prints no adverse-event rates.")
        shown = pd.DataFrame({
            "Term": rates["term"], "Class effect": rates["class_effect"].map({True: "yes", False: ""}),
            "Category": rates["category"], "Arm": rates["arm"].map(self.data.arm_label),
            "Band": rates["band_counted"],
            "Count / n": [("" if is_blank(c) else f"{c}") + ("" if is_blank(n) else f"/{n}")
                          for c, n in zip(rates["count"], rates["denominator"])],
            "Recomputed %": rates["percent"].map(format_percent), "Printed %": rates["printed_percent"],
            "Basis": rates["basis"], "Source": rates["source"],
            "Data rows": [row_links(self.data.study_id, "adverse_events.csv", r) for r in rates["rows"]],
        })
        return table(shown)

    def deaths_table(self):
        """Deaths from adverse events (grade 5) as printed, each linked to its data row."""
        data = self.data
        deaths = grade5_events(data.study)
        if deaths.empty:
            return paragraph("The report says nothing about grade 5 (fatal) adverse events.")
        shown = pd.DataFrame({
            "Arm": deaths["arm"].map(data.arm_label),
            "Events": [data.code_label("adverse_events", "category", c) for c in deaths["category"]],
            "Term": deaths["term"].map(lambda t: "Any adverse event" if t == "Any" else t),
            "Deaths, as printed": deaths["deaths"], "Patients": deaths["denominator"],
            "Printed in": deaths["source"],
            "Data": [data.link("adverse_events.csv", r) for r in deaths["row"]],
        })
        return table(shown, "Deaths from adverse events (grade 5), as the report prints them")
