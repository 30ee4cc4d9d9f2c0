"""The reconstructed survival of a study page: Kaplan-Meier curves rebuilt from the printed
summaries, the check of the rebuilt data against what was printed, what could not be rebuilt,
and the comparison between arms."""

from __future__ import annotations

import math
from functools import cached_property

import pandas as pd

from ...statistics.reconstruct import analyse_arm, compare_arms, survival_inputs
from ..display import details, format_p, html_block, paragraph, row_links, table
from ..plotting import km_figures
from .data import StudyData


def median_text(median: float, ci: tuple[float, float]) -> str:
    """A reconstructed median with its CI in months; 'NR' where the curve does not reach it."""
    def months(value: float) -> str:
        return "NR" if not math.isfinite(value) else f"{value:.2f}"

    return f"{months(median)} ({months(ci[0])}–{months(ci[1])})"


class ReconstructionView:
    """The study's survival rebuilt from its printed summaries."""

    def __init__(self, data: StudyData):
        self.data = data

    @cached_property
    def survival_inputs(self) -> list:
        """What the report prints for each arm, population and endpoint, with what is missing."""
        return survival_inputs(self.data.study)

    @cached_property
    def reconstructions(self) -> dict[tuple[str, str], list]:
        """(population, endpoint) -> reconstructed arms, for what prints enough."""
        groups: dict[tuple[str, str], list] = {}
        for inputs in self.survival_inputs:
            if not inputs.missing:
                groups.setdefault((inputs.population, inputs.endpoint), []).append(analyse_arm(inputs))
        return groups

    @cached_property
    def comparisons(self) -> list[dict]:
        """Intervention arm against control arm, per reconstructed population and endpoint:
        Cox HR (CI) and log-rank p from the reconstructed data, with the printed HR rows."""
        found = []
        printed_ratios = self.data.study.table("outcomes", as_typed=False)
        printed_ratios = printed_ratios[printed_ratios["measure"] == "hazard_ratio"]
        for (population, endpoint), arms in self.reconstructions.items():
            by_arm = {a.inputs.arm: a for a in arms}
            treated = [a for a in self.data.intervention_arms() if a in by_arm]
            controls = [a for a in by_arm if a not in self.data.intervention_arms()]
            for arm in treated:
                for control in controls:
                    printed = printed_ratios[(printed_ratios["endpoint"] == endpoint)
                                             & (printed_ratios["population"] == population)
                                             & (printed_ratios["arm"] == arm)
                                             & (printed_ratios["comparator_arm"] == control)]
                    found.append({"endpoint": endpoint, "population": population, "arm": arm,
                                  "control": control, **compare_arms(by_arm[arm], by_arm[control]),
                                  "method": by_arm[arm].inputs.method if by_arm[arm].inputs.method
                                  == by_arm[control].inputs.method else "mixed reconstruction methods",
                                  "printed": [r for r in printed.to_dict("records") if r["ci_low"]]})
        return found

    def facts(self) -> dict[str, object]:
        """How many arm and endpoint combinations were rebuilt, and how many could not be."""
        return {"n_reconstructed": sum(len(arms) for arms in self.reconstructions.values()),
                "n_not_reconstructed": sum(1 for i in self.survival_inputs if i.missing)}

    def km_figures(self) -> list:
        """Reconstructed Kaplan-Meier curves, one figure per population and endpoint."""
        data = self.data
        labels = {a: data.arm_label(a) for a in data.study.arms}
        groups = {(data.population_label(p), e): arms for (p, e), arms in self.reconstructions.items()}
        return [data.marked(f) for f in km_figures(groups, labels)]

    def check_table(self):
        """Printed against reconstructed: events, median (CI), landmark rates."""
        if not self.reconstructions:
            return paragraph("Nothing could be reconstructed: " + self._not_reconstructed_text())
        data = self.data
        rows = []
        for (population, endpoint), arms in self.reconstructions.items():
            for arm in arms:
                printed = arm.inputs.printed
                rows.append({
                    "Endpoint": endpoint, "Population": data.population_label(population),
                    "Arm": data.arm_label(arm.inputs.arm),
                    "Rebuilt from": "digitised curve" if arm.inputs.curve is not None else "printed summaries",
                    "Patients": printed.n,
                    "Events printed": arm.inputs.events_shown,
                    "Events reconstructed": int(arm.result.data["event"].sum()),
                    "Median printed (95% CI)": "" if printed.median is None else (
                        f"{printed.median:g}" + (f" ({arm.inputs.median_ci_printed})"
                                                 if arm.inputs.median_ci_printed else "")),
                    "Median reconstructed (95% CI)": median_text(arm.median, arm.median_ci),
                    "Landmarks printed → reconstructed (%)": "; ".join(
                        f"{t:g} mo: {p:g} → {r:.1f}" for t, p, r in arm.landmarks),
                    "Not used": "; ".join(arm.inputs.conflicts + arm.result.set_aside),
                    "Data rows": row_links(data.study_id, "outcomes.csv", ", ".join(map(str, arm.inputs.rows))),
                })
        return table(pd.DataFrame(rows))

    def notes(self):
        """What could not be reconstructed, and why."""
        text = self._not_reconstructed_text()
        return paragraph(text) if text else paragraph("Every arm and endpoint with a printed median or "
                                                      "landmark rate was reconstructed.")

    def _not_reconstructed_text(self) -> str:
        missing = [i for i in self.survival_inputs if i.missing]
        if not self.survival_inputs:
            return "the report prints no median or landmark survival rate."
        return " ".join(f"{i.endpoint} ({self.data.arm_label(i.arm)}, "
                        f"{self.data.population_label(i.population).lower()}): not reconstructed, "
                        f"because {i.missing}." for i in missing)

    def section(self):
        """Printed against reconstructed values, and what could not be rebuilt, behind a drop-down."""
        return html_block(details("Show the reconstruction check: printed values beside the rebuilt data's",
                                  self.check_table().data + self.notes().data))

    def comparison_table(self):
        """For two-arm groups: Cox HR and log-rank p from reconstructed data beside the printed HRs."""
        data = self.data
        rows = [{
            "Endpoint": c["endpoint"], "Population": data.population_label(c["population"]),
            "Comparison": f"{data.arm_label(c['arm'])} vs {data.arm_label(c['control'])}",
            "Cox HR, reconstructed (95% CI)": f"{c['hazard_ratio']:.2f} ({c['ci_low']:.2f}–{c['ci_high']:.2f})",
            "Log-rank p, reconstructed": format_p(c["logrank_p"], prefix=""),
            "HR printed (95% CI)": "; ".join(
                f"{r['estimate']} ({r['ci_low']}–{r['ci_high']})" + (" adjusted" if r["adjusted"] == "yes" else "")
                for r in c["printed"]) or "not printed",
            "Data": row_links(data.study.study_id, "outcomes.csv", ";".join(str(r["row"]) for r in c["printed"]))
            if c["printed"] else "",
        } for c in self.comparisons]
        if not rows:
            return paragraph("No two-arm comparison can be reconstructed for this study.")
        return table(pd.DataFrame(rows))
