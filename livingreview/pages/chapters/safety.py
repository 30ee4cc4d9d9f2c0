"""The safety chapter: adverse events of the arms given the intervention by harmonised term, the
share of patients with any grade ≥3 event pooled within settings (only among studies that count
the same events), deaths from adverse events and the class effects of the intervention."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import pandas as pd

from ...results.table import RESULT_COLUMNS, write_results
from ...statistics import safety
from ...statistics.arms import response_denominator
from ...statistics.pooling import ALL_SETTINGS, definition_label, setting_groups
from ..display import (data_link, glue_facts, html_block, lower_first, paragraph, row_links, study_link, table,
                       tables_by)
from .formatting import interval, pct, pool_sentence
from .pooled import PooledRatesChapter
from .result_rows import pooled_result_rows, result_row


class SafetyChapter(PooledRatesChapter):
    """Adverse events: heatmaps by term, grade ≥3 rates and their pools, deaths, class effects."""

    def safety_key_message(self):
        return self.key_message(("grade3", "grade3 odds ratio"))

    @cached_property
    def safety_rates(self) -> pd.DataFrame:
        return safety.safety_rates(self.main_studies, self.vocabulary)

    def heatmap(self, band: str):
        import matplotlib.pyplot as plt

        from ..plotting import describe, plot_ae_heatmap

        matrix = safety.heatmap_matrix(self.safety_rates, band)
        fig, ax = plt.subplots(figsize=(8, 0.3 * max(len(matrix), 4) + 1.8))
        if matrix.empty:
            ax.set_axis_off()
            return describe(fig, f"No study of the main analyses prints {band} adverse events by term.")
        matrix = matrix.rename(columns=lambda c: self._arm_column_label(c))
        plot_ae_heatmap(matrix, ax=ax)
        ax.set_title(f"Adverse events, {band}: patients (%) per term; grey = not printed", loc="left")
        fig.tight_layout()
        top = matrix.max(axis=1).sort_values(ascending=False).head(8)
        return describe(fig, f"Heatmap of {band} adverse events: {len(matrix)} harmonised terms (rows) by study arm "
                             f"(columns: {', '.join(matrix.columns)}); grey cells are terms a study does not print. "
                             "Highest rates: " + "; ".join(
                                 f"{term} {matrix.loc[term].max():.0f}% ({matrix.loc[term].idxmax()})"
                                 for term in top.index) + ".")

    def _arm_column_label(self, column: str) -> str:
        """'li2022: <arm label>' -> 'Li 2022: <arm label>'."""
        study_id, _, arm = column.partition(": ")
        return f"{self.names.get(study_id, study_id)}: {arm}" if arm else column

    def grade3_table(self):
        rates = self.grade3
        shown = pd.DataFrame({
            "Setting": [self.setting_label(g) for g in rates["setting_group"]],
            "Study": [self._study_link(s) for s in rates["study_id"]], "Arm": rates["arm_label"],
            "Events counted": rates["category"],
            "Patients with grade ≥3": [safety.arm_count_text(e, t, o, b) for e, t, o, b in
                                       zip(rates["events"], rates["total"], rates["count_origin"],
                                           rates["band_counted"])],
            "Counts over": [response_denominator(self._study(s)) for s in rates["study_id"]],
            "Rate % (exact 95% CI)": [f"{pct(r)} ({interval(lo, hi)})" for r, lo, hi in
                                      zip(rates["percent"], rates["exact_low"], rates["exact_high"])],
            "Data": [row_links(s, "adverse_events.csv", r) for s, r in zip(rates["study_id"], rates["data_row"])],
        })
        return tables_by(shown, "Setting", empty="No study prints the share of patients with any grade ≥3 event.")

    def grade3_pooled_table(self):
        return self.pooled_table_view(self.grade3_pools)

    def grade3_forest(self):
        return self.rate_forest(self.grade3, self.grade3_pools, f"Any grade ≥3 adverse event, {self.intervention.name}-containing arms",
                                xlabel="Patients with a grade ≥3 adverse event (%)")

    def deaths_table(self):
        """Every study's deaths from adverse events (grade 5), as printed, per arm; a study that
        says nothing about grade 5 is named as such."""
        rows, silent = [], []
        for study in self.studies:
            deaths = safety.grade5_events(study)
            if deaths.empty:
                silent.append(study.name)
                continue
            for d in deaths.to_dict("records"):
                arm = study.arms.get(d["arm"], {}).get("label", "All patients")
                rows.append({
                    "Study": study_link(study),
                    "Arm": arm, "Term": "Any adverse event" if d["term"] == "Any" else d["term"],
                    "Deaths, as printed": d["deaths"], "Patients": d["denominator"],
                    "Data": data_link(study.study_id, "adverse_events.csv", int(d["row"]))})
        parts = [table(pd.DataFrame(rows), "Deaths from adverse events (grade 5), as each report prints them",
                       empty="No study reports grade 5 events.")]
        if silent:
            parts.append(paragraph("Not reported (the report says nothing about grade 5 events): "
                                   + ", ".join(silent) + "."))
        return html_block(*parts)

    def class_effect_table(self):
        rates = safety.class_effects(self.safety_rates)
        if rates.empty:
            return paragraph("No study prints a class-effect term.")
        pivot = rates.assign(value=[f"{pct(p)}%" + ("" if pd.notna(c) else " (printed %)") for p, c in
                                    zip(rates["percent"], rates["count"])])
        pivot = pivot.pivot_table(index=["term", "band_counted"],
                                  columns=pivot["study_id"].map(self.names) + ": " + pivot["arm_label"],
                                  values="value", aggfunc="first", fill_value="not printed")
        return table(pivot.reset_index().rename(columns={"term": "Term", "band_counted": "Band"}))

    def safety_facts(self) -> dict[str, object]:
        parts = []
        for group, members in setting_groups(self.grade3, self.order):
            if group == ALL_SETTINGS:
                continue
            sentence = pool_sentence(self.grade3_pools, group, self.names, self.grade3)
            if sentence:
                parts.append(f"{lower_first(self.setting_label(group))}: {sentence}")
            else:
                r = members.iloc[0]
                parts.append(f"{lower_first(self.setting_label(group))}: one study only ({self.names[r['study_id']]}, "
                             f"{pct(r['percent'])}%)")
        terms = safety.heatmap_matrix(self.safety_rates, safety.ANY_GRADE)
        return {"safety_n_studies": int(self.safety_rates["study_id"].nunique()) if not self.safety_rates.empty else 0,
                "safety_n_terms": len(terms), "grade3_by_setting": "; ".join(parts) or "not estimable",
                "grade3_categories": ", ".join(definition_label(c) for c in sorted(set(self.grade3["category"])))
                or "none"}

    def glue_safety_facts(self) -> None:
        glue_facts(self.intervention_facts() | self.safety_facts())

    def write_safety_results(self, path: str | Path) -> None:
        rows = pooled_result_rows("synthesis/safety", self.grade3_pools, f"{self.intervention_arms_label}, safety population")
        for r in self.grade3.to_dict("records"):
            band = r["band_counted"] if r["band_counted"] and r["band_counted"] != safety.GRADE_3_PLUS else "grade ≥3"
            rows.append(result_row("synthesis/safety", r["arm"], r["population"],
                                   f"any {band} {r['category']} ({r['study_id']})", "percent", r["percent"],
                                   r["exact_low"], r["exact_high"], f"{r['count_origin']} count/denominator, "
                                   "Clopper-Pearson CI", r["printed"], f"studies/{r['study_id']}/adverse_events.csv",
                                   r["data_row"]))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))
