"""The subgroups section of a study page: the hazard ratios printed for subgroups and
regression models, as a forest plot and with their data rows."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from ...statistics.subgroups import subgroup_ratios
from ..display import details, html_block, paragraph, table
from ..plotting import subgroup_forest_figure
from .data import StudyData


class SubgroupView:
    """The study's printed subgroup and model ratios."""

    def __init__(self, data: StudyData):
        self.data = data

    @cached_property
    def ratios(self) -> pd.DataFrame:
        """The printed subgroup and model ratios with both confidence limits."""
        return subgroup_ratios(self.data.study)

    def facts(self) -> dict[str, object]:
        """How many ratios the forest plot draws."""
        return {"n_subgroup_ratios": len(self.ratios)}

    def figure(self):
        """Forest plot of printed subgroup and model hazard ratios; None when there are none."""
        if self.ratios.empty:
            return None
        ratios = self.ratios.assign(population=self.ratios["population"].map(self.data.population_label))
        return self.data.marked(subgroup_forest_figure(ratios))

    def ratio_table(self):
        """The ratios of the forest plot, with their data rows."""
        r = self.ratios
        if r.empty:
            return paragraph("The source document prints no subgroup or model hazard ratios with both "
                             "confidence limits.")
        shown = pd.DataFrame({
            "Endpoint": r["endpoint"], "Analysis": r["analysis"],
            "Population": r["population"].map(self.data.population_label),
            "Subgroup / covariate": r["label"], "Ratio": r["estimate"],
            "95% CI": [f"{a:g}–{b:g}" for a, b in zip(r["ci_low"], r["ci_high"])], "p": r["p_value"],
            "Source": r["source"],
            "Data": [self.data.link("subgroups.csv", row, q) for row, q in zip(r["row"], r["quote"])],
        })
        return table(shown)

    def section(self):
        """The subgroup and model ratios of the forest plot, behind a drop-down."""
        return html_block(details(f"Show the {len(self.ratios)} subgroup and model ratios with their data rows",
                                  self.ratio_table().data)) if not self.ratios.empty else self.ratio_table()
