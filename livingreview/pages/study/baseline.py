"""The baseline section of a study page: the baseline characteristics as printed, one column
per arm and population."""

from __future__ import annotations

import pandas as pd

from ..display import details, html_block, paragraph, table
from .data import StudyData


def baseline_value(row: dict) -> str:
    """One printed baseline value as the paper gives it: n (%), median (range or IQR), mean ± SD."""
    statistic = row["statistic"]
    if statistic == "n_percent":
        count, percent = row["count"], row["percent"]
        return f"{count} ({percent}%)" if percent else count
    value, low, high, sd = row["value"], row["value_low"], row["value_high"], row["sd"]
    if statistic in ("median_range", "median_iqr") and low:
        return f"{value} ({low}–{high})"
    if statistic == "mean_sd" and sd:
        return f"{value} ± {sd}"
    return value or row["count"]


class BaselineView:
    """The study's baseline table."""

    def __init__(self, data: StudyData):
        self.data = data

    def characteristics_table(self):
        """Baseline characteristics as printed, one column per arm and population."""
        data = self.data
        text = data.study.table("baseline", as_typed=False)
        if text.empty:
            return paragraph("The source document prints no baseline characteristics.")
        cells = []
        for row in text.to_dict("records"):
            cells.append({
                "Characteristic": row["characteristic"], "Level": row["level"],
                "column": f"{data.arm_label(row['arm'])} ({data.population_label(row['population'])})",
                "value": baseline_value(row), "p": row["p_value"],
                "Data": data.link("baseline.csv", row["row"], row["quote"]),
            })
        frame = pd.DataFrame(cells)
        order = list(dict.fromkeys(frame["column"]))
        wide = frame.pivot_table(index=["Characteristic", "Level"], columns="column", values="value",
                                 aggfunc="first", sort=False).reindex(columns=order)
        extra = frame.groupby(["Characteristic", "Level"], sort=False).agg(
            p=("p", lambda s: next((v for v in s if v), "")), Data=("Data", "first"))
        wide = wide.join(extra).reset_index().rename(columns={"p": "p-value"})
        return table(wide.fillna(""))

    def section(self):
        """The baseline table, behind a drop-down (it is long, and read when needed)."""
        n = len(self.data.study.table("baseline", as_typed=False))
        if not n:
            return self.characteristics_table()
        return html_block(details(f"Show the baseline characteristics ({n} rows as printed)",
                                  self.characteristics_table().data))
