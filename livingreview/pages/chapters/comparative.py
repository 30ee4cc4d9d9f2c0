"""The comparative chapter: every study that compares an intervention arm with a control arm, its
odds ratio of response from counts, its printed hazard ratios and those of the reconstructed
data, side by side and not pooled, with how patients came to be in each arm."""

from __future__ import annotations

import html
from functools import cached_property
from pathlib import Path

import pandas as pd

from ...curated.integrity import MAIN, analysis_set, study_status
from ...curated.review import design_label, is_randomised
from ...curated.risk_of_bias import load_judgement
from ...results.table import RESULT_COLUMNS, write_results
from ...statistics.arms import comparison_population, control_arms, intervention_arms, is_matched, two_arm_studies
from ...statistics.risk_measures import risk_measures_text
from ...statistics.odds_ratios import SMALL_CELL, WALD_OR, response_odds_ratios, shown_odds_ratio
from ...statistics.reconstruct import compare_arms
from ..display import Rich, glue_facts, html_block, lower_first, paragraph, row_links, status_badge_html, table
from .base import Chapter
from .result_rows import result_row


def odds_ratio_source(ratio: dict, matched: bool) -> str:
    """How an odds ratio from counts was computed, for a table's source column: the counts, the
    method shown (exact where a cell is small, with the Wald one beside it), and whether it
    ignores a matching."""
    text = (f"computed from counts ({ratio['events_arm']}/{ratio['total_arm']} vs "
            f"{ratio['events_control']}/{ratio['total_control']}), ")
    if ratio["small"]:
        text += (f"exact (Fisher), a cell is below {SMALL_CELL}; Wald {ratio['estimate']:.2f} "
                 f"({ratio['ci_low']:.2f}–{ratio['ci_high']:.2f})")
    else:
        text += WALD_OR
    if matched:
        text += "; ignores the matching"
    return text


def _short_source(source: str) -> str:
    """'printed, adjusted (multivariable Cox)' -> 'printed, adjusted', for a forest plot's label."""
    if source.startswith("computed from counts"):
        return "from counts, exact" if "exact (Fisher)" in source else "from counts"
    if source.startswith("Cox model on reconstructed"):
        return "reconstructed data"
    return source.split(" (")[0]


class ComparativeChapter(Chapter):
    """Between-arm estimates of the comparative studies, and why they are not pooled."""

    def comparative_key_message(self):
        comparative = two_arm_studies(self.main_studies)
        lead = (f"{len(comparative)} {'study compares' if len(comparative) == 1 else 'studies compare'} the same "
                f"regimen with and without {self.intervention.name} in the main analyses: "
                + ", ".join(f"{s.name} ({design_label(s).lower()})" for s in comparative) + "."
                if comparative else f"No study in the main analyses compares a regimen with and without {self.intervention.name}.")
        return self.key_message(("ORR odds ratio", "PFS hazard ratio", "OS hazard ratio", "grade3 odds ratio"), lead)

    @cached_property
    def odds_ratios(self) -> pd.DataFrame:
        return response_odds_ratios(self.studies)

    @cached_property
    def reconstructed_hazard_ratios(self) -> pd.DataFrame:
        """Cox HRs from reconstructed data, intervention arm against control, comparison population."""
        rows = []
        comparative = two_arm_studies(self.studies)
        arms = [pair for study in comparative for pair in self.arms_of(study)]
        for study in comparative:
            population = comparison_population(study)
            mine = [a for s, a in arms if s.study_id == study.study_id and a.inputs.population == population]
            for endpoint in ("PFS", "OS"):
                by_arm = {a.inputs.arm: a for a in mine if a.inputs.endpoint == endpoint}
                for arm in intervention_arms(study):
                    for control in control_arms(study):
                        if arm in by_arm and control in by_arm:
                            rows.append({"study_id": study.study_id, "endpoint": endpoint, "arm": arm,
                                         "control": control, "population": population,
                                         **compare_arms(by_arm[arm], by_arm[control]),
                                         "data_rows": ", ".join(map(str, by_arm[arm].inputs.rows
                                                                    + by_arm[control].inputs.rows))})
        return pd.DataFrame(rows)

    def _integrity_label(self, study_id: str) -> str:
        return study_status(self._study(study_id)).badge

    @cached_property
    def comparison_rows(self) -> pd.DataFrame:
        """Every between-arm estimate: OR for ORR from counts, printed HRs, reconstructed HRs."""
        rows = []
        for r in self.odds_ratios.to_dict("records"):
            estimate, low, high, method = shown_odds_ratio(r)
            rows.append({"study_id": r["study_id"], "endpoint": "ORR", "measure": "odds ratio",
                         "source": odds_ratio_source(r, is_matched(self._study(r["study_id"]),
                                                                             r["population"])),
                         "estimate": estimate, "ci_low": low, "ci_high": high,
                         "ci_level": "95", "data_rows": r["data_rows"], "population": r["population"],
                         "beside": "; ".join(risk_measures_text(int(r["events_arm"]), int(r["total_arm"]),
                                                                int(r["events_control"]), int(r["total_control"])))})
        for r in self.printed_hazard_ratios.to_dict("records"):
            kind = "adjusted" if r["adjusted"] else "unadjusted"
            rows.append({"study_id": r["study_id"], "endpoint": r["endpoint"], "measure": "hazard ratio",
                         "source": f"printed, {kind} ({r['model']})", "estimate": r["estimate"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "ci_level": r["ci_level"],
                         "data_rows": str(r["data_row"]), "population": r["population"]})
        for r in self.reconstructed_hazard_ratios.to_dict("records"):
            rows.append({"study_id": r["study_id"], "endpoint": r["endpoint"], "measure": "hazard ratio",
                         "source": "Cox model on reconstructed data", "estimate": r["hazard_ratio"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "ci_level": "95",
                         "data_rows": r["data_rows"], "population": r["population"]})
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        frame["integrity"] = [self._integrity_label(s) for s in frame["study_id"]]
        frame["analysis_set"] = [analysis_set(self._study(s)) for s in frame["study_id"]]
        return frame.sort_values(["endpoint", "study_id"], kind="stable").reset_index(drop=True)

    def comparison_table(self):
        frame = self.comparison_rows
        if frame.empty:
            return paragraph(f"No study compares {self.intervention.with_article} arm with a control arm.")
        shown = pd.DataFrame({
            "Endpoint": frame["endpoint"], "Study": [self._study_link(s) for s in frame["study_id"]],
            "Population": [self.population_label(s, p) for s, p in zip(frame["study_id"], frame["population"])],
            "Measure": frame["measure"], "Source": frame["source"],
            "Estimate (CI)": [f"{e:.2f} ({lo:.2f}–{hi:.2f}, {lvl}%)" for e, lo, hi, lvl in
                              zip(frame["estimate"], frame["ci_low"], frame["ci_high"], frame["ci_level"])],
            "Risk ratio; risk difference": frame["beside"].fillna("") if "beside" in frame else "",
            "Data rows": [row_links(s, "outcomes.csv", r) for s, r in zip(frame["study_id"], frame["data_rows"])],
        })
        return table(shown)

    def comparison_forest(self):
        """Between-arm estimates in two panels, odds ratios and hazard ratios apart (each on its
        own log axis, with the direction of benefit on it); not pooled."""
        import matplotlib.pyplot as plt

        from ..plotting import describe, forest_layout, plot_forest

        frame = self.comparison_rows
        if frame.empty:
            fig, ax = plt.subplots(figsize=(8, 1.5))
            ax.set_axis_off()
            return describe(fig, f"No study compares {self.intervention.with_article} arm with a control arm.")
        frame = frame.assign(label=[f"{self.names[s]}" + (f" ({i})" if i else "") + f" · {e} · {_short_source(src)}"
                                    for s, e, src, i in zip(frame["study_id"], frame["endpoint"], frame["source"],
                                                            frame["integrity"])],
                             status=frame["integrity"])
        panels = [(m, frame[frame["measure"] == m]) for m in ("odds ratio", "hazard ratio")
                  if (frame["measure"] == m).any()]
        fig, pairs = forest_layout([0.42 * len(rows) + 1.4 for _, rows in panels])
        directions = {"odds ratio": f"Odds ratio of response (log scale):\nabove 1 favours the {self.intervention.name} arm",
                      "hazard ratio": f"Hazard ratio (log scale):\nbelow 1 favours the {self.intervention.name} arm"}
        for (ax, text_ax), (measure, rows) in zip(pairs, panels):
            plot_forest(rows.reset_index(drop=True), ax=ax, xlabel=directions[measure], text_ax=text_ax,
                        value_header=f"{'OR' if measure == 'odds ratio' else 'HR'} (95% CI)")
            ax.set_title(f"{measure.capitalize()}s (not pooled)", loc="left")
        return describe(fig, "Forest plots of the between-arm estimates, odds ratios and hazard ratios in separate "
                             "panels, not pooled: " + "; ".join(
                                 f"{r['label']}: {r['estimate']:.2f} ({r['ci_low']:.2f}–{r['ci_high']:.2f})"
                                 for r in frame.to_dict("records")) + ".")

    def comparative_facts(self) -> dict[str, object]:
        frame = self.comparison_rows
        main = frame[frame["analysis_set"] == MAIN] if not frame.empty else frame
        return {"comp_n_studies": int(frame["study_id"].nunique()) if not frame.empty else 0,
                "comp_n_main": int(main["study_id"].nunique()) if not main.empty else 0,
                "comp_studies": ", ".join(self.names[s] + (f" ({self._integrity_label(s)})"
                                                           if self._integrity_label(s) else "")
                                          for s in sorted(frame["study_id"].unique())) if not frame.empty else "none"}

    def _comparative_studies(self) -> list:
        frame = self.comparison_rows
        ids = sorted(frame["study_id"].unique()) if not frame.empty else []
        return [s for s in self.studies if s.study_id in ids]

    def comparative_differences(self) -> str:
        """Why the comparative studies are not pooled, from their settings and designs."""
        studies = self._comparative_studies()
        if len(studies) < 2:
            return "With one comparative study there is nothing to pool."
        settings = list(dict.fromkeys(self.setting_label(s.meta["setting_group"]) for s in studies))
        designs = list(dict.fromkeys(design_label(s) for s in studies))
        parts = []
        if len(settings) > 1:
            parts.append("setting (" + "; ".join(lower_first(x) for x in settings) + ")")
        if len(designs) > 1:
            parts.append("design (" + "; ".join(lower_first(x) for x in designs) + ")")
        if not parts:
            return "They share setting and design but are too few to pool with any confidence."
        return "The studies are not pooled: they differ in " + " and ".join(parts) + "."

    def allocation_list(self):
        """How patients came to be in each arm of every comparative study: its design, the
        allocation as the report states it (study.yaml), and the risk-of-bias rationale on
        confounding or randomisation."""
        studies = self._comparative_studies()
        if not studies:
            return paragraph(f"No study compares {self.intervention.with_article} arm with a control arm.")
        items = []
        for study in studies:
            allocation = (study.meta.get("design") or {}).get("allocation") or "Allocation not stated in the report."
            judgement = load_judgement(study.folder) or {}
            bias = next((d for d in judgement.get("domains", []) if d["domain"] in ("confounding", "randomisation")), None)
            text = " ".join(str(allocation).split())
            if bias:
                text += f" Risk of bias ({bias['domain']}): {' '.join(str(bias['rationale']).split())}"
            badge = status_badge_html(study_status(study))
            items.append(f"<li><strong>{html.escape(study.name)}</strong>{' ' + badge if badge else ''} "
                         f"<strong>({html.escape(lower_first(design_label(study)))}).</strong> "
                         f"{Rich(text).to_html()}</li>")
        randomised = [s.name for s in studies if is_randomised(s)]
        observational = [s.name for s in studies if not is_randomised(s)]
        closing = []
        if observational:
            closing.append(f"Without randomisation ({', '.join(observational)}) the ratios estimate association, "
                           f"not the effect of adding {self.intervention.name}.")
        if randomised:
            closing.append(f"With randomisation ({', '.join(randomised)}) they estimate the effect of being assigned "
                           f"the {self.intervention.name} arm, within that trial's risk of bias.")
        return html_block(f"<ul>{''.join(items)}</ul>", paragraph(" ".join(closing)))

    def glue_comparative_facts(self) -> None:
        glue_facts(self.intervention_facts() | self.comparative_facts() | {"comp_not_pooled": self.comparative_differences()})

    def write_comparative_results(self, path: str | Path) -> None:
        rows = []
        for r in self.comparison_rows.to_dict("records"):
            statistic = "odds_ratio" if r["measure"] == "odds ratio" else "hazard_ratio"
            rows.append(result_row("synthesis/comparative", self.comparison_label, r["population"],
                                   f"{r['endpoint']} ({r['study_id']})", statistic, r["estimate"], r["ci_low"],
                                   r["ci_high"], r["source"] + (f"; {r['integrity']}" if r["integrity"] else ""),
                                   data_file=f"studies/{r['study_id']}/outcomes.csv", data_row=r["data_rows"]))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))
