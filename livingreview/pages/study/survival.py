"""The survival section of a study page: medians, landmark rates, event counts and hazard
ratios as printed, one row per arm, and every place they are printed."""

from __future__ import annotations

import pandas as pd

from ...statistics.survival import printed_survival
from ..display import details, html_block, paragraph, row_links, shared_columns, table
from .data import StudyData


class SurvivalView:
    """The study's printed survival summaries (they cannot be recomputed from the report)."""

    def __init__(self, data: StudyData):
        self.data = data

    def facts(self) -> dict[str, object]:
        """How many survival rows the report prints."""
        return {"n_survival_rows": len(printed_survival(self.data.study))}

    def summary(self):
        """Per endpoint, arm and population: the printed median, landmark rates and events (one
        row each, with every place that prints them), and every distinct printed hazard ratio;
        each place in full behind a drop-down."""
        data = self.data
        summary = printed_survival(data.study)
        if summary.empty:
            return paragraph("The source document prints no survival summaries.")
        rows = []
        arms = summary[summary["comparison"] == ""]
        for (endpoint, arm, population), group in arms.groupby(["endpoint", "arm", "population"], sort=False):
            medians = group[group["measure"] == "median"]
            with_ci = medians[medians["ci"] != ""]
            median = (with_ci if not with_ci.empty else medians)
            landmarks = group[group["measure"] == "landmark"].drop_duplicates(["timepoint_months", "value", "ci"])
            events = group[group["measure"] == "events"]["value"].drop_duplicates()
            rows.append({
                "Endpoint": endpoint, "Arm": data.arm_label(arm), "Population": data.population_label(population),
                "Median": "" if median.empty else f"{median.iloc[0]['value']}"
                                                  + (f" ({median.iloc[0]['ci']})" if median.iloc[0]["ci"] else ""),
                "Landmark rates": "; ".join(f"{r['timepoint_months']} months: {r['value']}"
                                            + (f" ({r['ci']})" if r["ci"] else "") for r in landmarks.to_dict("records")),
                "Events": ", ".join(events),
                "Data": row_links(data.study_id, "outcomes.csv", ", ".join(map(str, group["row"]))),
            })
        frame, caption = shared_columns(pd.DataFrame(rows), ["Arm", "Population"])
        parts = [table(frame, caption=caption, empty="No median, landmark rate or event count is printed.")]
        ratios = summary[summary["comparison"] != ""]
        if not ratios.empty:
            shown = []
            for (endpoint, comparison, value, ci, model), group in ratios.groupby(
                    ["endpoint", "comparison", "value", "ci", "model"], sort=False):
                treated, control = comparison.split(" vs ")
                shown.append({"Endpoint": endpoint,
                              "Comparison": f"{data.arm_label(treated)} vs {data.arm_label(control)}",
                              "Hazard ratio": f"{value}" + (f" ({ci})" if ci else ""),
                              "p": ", ".join(dict.fromkeys(v for v in group["p_value"] if v)),
                              "Model": model or "not stated",
                              "Data": row_links(data.study_id, "outcomes.csv", ", ".join(map(str, group["row"])))})
            parts.append(table(pd.DataFrame(shown), caption="Hazard ratios as printed"))
        parts.append(details(f"Every place a survival number is printed ({len(summary)} rows)",
                             self.full_table().data))
        return html_block(*parts)

    def full_table(self):
        """Survival summaries as printed."""
        data = self.data
        summary = printed_survival(data.study)
        if summary.empty:
            return paragraph("The source document prints no survival summaries.")
        shown = pd.DataFrame({
            "Endpoint": summary["endpoint"],
            "Arm": [data.arm_label(a) + (f" vs {data.arm_label(c.split(' vs ')[1])}" if c else "")
                    for a, c in zip(summary["arm"], summary["comparison"])],
            "Population": summary["population"].map(data.population_label),
            "Measure": summary["measure"].map(lambda m: data.code_label("outcomes", "measure", m)),
            "Time (months)": summary["timepoint_months"], "Value": summary["value"], "CI": summary["ci"],
            "Events": summary["events"], "p": summary["p_value"], "Model": summary["model"],
            "Source": summary["source"],
            "Data": [data.link("outcomes.csv", r, q) for r, q in zip(summary["row"], summary["quote"])],
        })
        return table(shown)
