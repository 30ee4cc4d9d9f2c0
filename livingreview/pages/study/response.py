"""The response section of a study page: each printed response rate recomputed from its count
and denominator with an exact CI, beside what the paper printed, and the sentence the first
screen states about the arms given the intervention."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from ...statistics.intervals import METHOD_LABELS
from ...statistics.response import format_ci, primary_rate, response_rates
from ...statistics.safety import format_percent
from ..display import details, html_block, humanise, paragraph, row_links, shared_columns, table
from .data import NOT_REPORTED, StudyData, is_blank


class ResponseView:
    """The study's response rates, as a reader table and in full."""

    def __init__(self, data: StudyData):
        self.data = data

    @cached_property
    def rates(self) -> pd.DataFrame:
        """Every printed response count with its denominator, recomputed (one row per place)."""
        return response_rates(self.data.study)

    def facts(self) -> dict[str, object]:
        """The objective response and disease control rates with the intervention, as sentences."""
        return {f"{endpoint.lower()}_intervention": self.rate_sentence(endpoint) for endpoint in ("ORR", "DCR")}

    def rate_sentence(self, endpoint: str) -> str:
        """The rate in the efficacy population the synthesis uses (so the page and the chapters
        show the same number), naming the population, and any other population's printed rate."""
        data = self.data
        efficacy = data.study.meta["analysis_populations"]["efficacy"]
        parts = []
        for arm in data.intervention_arms():
            rate = primary_rate(self.rates[self.rates["population"] == efficacy], endpoint, arm)
            others = [primary_rate(self.rates[self.rates["population"] == p], endpoint, arm)
                      for p in dict.fromkeys(self.rates["population"]) if p != efficacy]
            if rate is None:
                continue
            text = (f"{rate['percent']:.1f}% ({rate['count']} of {rate['denominator']}, "
                    f"{data.population_label(rate['population']).lower()}, the study's main analysis "
                    f"population; exact 95% CI {format_ci(rate['exact_low'], rate['exact_high'])})")
            also = [f"{o['percent']:.1f}% ({o['count']} of {o['denominator']})"
                    f" over {data.population_label(o['population']).lower()}" for o in others
                    if o is not None and round(o["percent"], 1) != round(rate["percent"], 1)]
            if also:
                text += "; " + " and ".join(also)
            parts.append(text)
        return "; ".join(parts) or NOT_REPORTED

    def summary(self):
        """One row per response quantity (endpoint, arm, population): the recomputed rate with its
        exact CI from the most detailed place that prints a count, what the paper printed, and
        every place it is printed; the full detail of each place behind a drop-down."""
        rates = self.rates
        if rates.empty:
            return paragraph("The source document prints no response counts with a denominator.")
        order = {e: i for i, e in enumerate(("ORR", "DCR", "CR", "PR", "SD", "PD", "NE"))}
        rank = {"table": 0, "body": 1, "supplement": 2, "figure_legend": 3, "abstract": 4}
        rows = []
        keys = ["endpoint", "qualifier", "arm", "population"]
        for (endpoint, qualifier, arm, population), group in rates.groupby(keys, sort=False):
            ranked = group.assign(_has=group["percent"].isna(), _rank=group["source_type"].map(rank).fillna(9))
            best = ranked.sort_values(["_has", "_rank", "row"]).iloc[0]
            if pd.isna(best["percent"]):
                result = f"count not printed; n = {best['denominator']}"
            else:
                implied = " (count implied by the printed %)" if best["count_origin"] == "implied" else ""
                result = (f"{best['count']}/{best['denominator']} = {best['percent']:.1f}% "
                          f"(exact 95% CI {format_ci(best['exact_low'], best['exact_high'])}){implied}")
            printed = " / ".join(dict.fromkeys(f"{v}%" for v in group["printed_percent"] if v))
            cis = " / ".join(dict.fromkeys(c for c in group["printed_ci"] if c))
            rows.append({
                "_order": (order.get(endpoint, 9), endpoint, qualifier),
                "Quantity": endpoint + (f" ({humanise(qualifier)})" if qualifier else ""),
                "Arm": self.data.arm_label(arm), "Population": self.data.population_label(population),
                "Recomputed": result,
                "Printed": printed + (f" (CI {cis})" if cis else ""),
                "Data": row_links(self.data.study_id, "outcomes.csv", ", ".join(map(str, group["row"]))),
            })
        frame = pd.DataFrame(rows).sort_values("_order", kind="stable").drop(columns="_order")
        frame, caption = shared_columns(frame, ["Arm", "Population"])
        return html_block(table(frame, caption=caption), details(f"Every place a response number is printed ({len(rates)} rows), "
                                                "with the CI methods that reproduce it",
                                                self.full_table().data))

    def full_table(self):
        """Printed response numbers beside the recomputed ones."""
        rates = self.rates
        if rates.empty:
            return paragraph("The source document prints no response counts with a denominator.")
        data = self.data
        shown = pd.DataFrame({
            "Arm": rates["arm"].map(data.arm_label), "Population": rates["population"].map(data.population_label),
            "Endpoint": rates["endpoint"] + rates["qualifier"].map(lambda q: f" ({humanise(q)})" if q else ""),
            "Count / n": [(f"not printed / {n}" if is_blank(c) else f"{c}/{n}") + (" (implied)" if o == "implied" else "")
                          for c, n, o in zip(rates["count"], rates["denominator"], rates["count_origin"])],
            "Printed %": rates["printed_percent"],
            "Recomputed %": rates["percent"].map(format_percent),
            "Printed CI": rates["printed_ci"],
            "Exact 95% CI": [format_ci(a, b) for a, b in zip(rates["exact_low"], rates["exact_high"])],
            "Stated method": rates["stated_method"].map(
                lambda m: METHOD_LABELS.get(m, data.code_label("outcomes", "ci_method_stated", m))),
            "Stated-method CI": [format_ci(a, b) for a, b in zip(rates["stated_low"], rates["stated_high"])],
            "Reproduced by": rates["reproduced_by"],
            "Source": rates["source"],
            "Data": [data.link("outcomes.csv", r, q) for r, q in zip(rates["row"], rates["quote"])],
        })
        return table(shown)
