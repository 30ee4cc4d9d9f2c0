"""Time-to-event results as the papers print them: medians, landmark rates, events, HRs.

Nothing here is recomputed: a paper's survival summaries cannot be checked without its
patient-level data. They are gathered into one readable table per study, each row linked
to its data row.
"""

from __future__ import annotations

import pandas as pd

from ..curated.studies import Study

SURVIVAL_ENDPOINTS = ("PFS", "OS", "DoR")
SURVIVAL_MEASURES = ("median", "landmark", "events", "hazard_ratio")
SUMMARY_COLUMNS = ["endpoint", "arm", "population", "measure", "timepoint_months", "value", "ci",
                   "events", "comparison", "p_value", "model", "source_type", "source", "row", "quote"]


def _value(row: dict) -> str:
    value = row["estimate"] or row["estimate_text"]
    if row["measure"] == "events":
        return row["events"] or row["count"]
    unit = {"months": " months", "percent": "%", "days": " days"}.get(row["unit"], "")
    return f"{value}{unit}" if value else ""


def _ci(row: dict) -> str:
    if not row["ci_low"]:
        return ""
    level = row["ci_level"] or "95"
    return f"{level}% CI {row['ci_low']}–{row['ci_high'] or row['ci_high_text']}"


def printed_survival(study: Study) -> pd.DataFrame:
    """One row per printed survival summary (see :data:`SUMMARY_COLUMNS`), values as printed."""
    text = study.table("outcomes", as_typed=False)
    chosen = text[text["endpoint"].isin(SURVIVAL_ENDPOINTS) & text["measure"].isin(SURVIVAL_MEASURES)]
    records = []
    for row in chosen.to_dict("records"):
        comparison = ""
        if row["comparator_arm"]:
            comparison = f"{row['arm']} vs {row['comparator_arm']}"
        records.append({
            "endpoint": row["endpoint"], "arm": row["arm"], "population": row["population"],
            "measure": row["measure"], "timepoint_months": row["timepoint_months"],
            "value": _value(row), "ci": _ci(row),
            "events": row["events"] if row["measure"] != "events" else "",
            "comparison": comparison, "p_value": row["p_value"], "model": row["model"],
            "source_type": row["source_type"], "source": row["source"], "row": row["row"],
            "quote": row["quote"],
        })
    frame = pd.DataFrame(records, columns=SUMMARY_COLUMNS)
    order = {name: i for i, name in enumerate(SURVIVAL_ENDPOINTS)}
    measure_order = {name: i for i, name in enumerate(SURVIVAL_MEASURES)}
    return (frame.assign(_e=frame["endpoint"].map(order), _m=frame["measure"].map(measure_order))
            .sort_values(["_e", "_m", "arm", "row"], kind="stable")
            .drop(columns=["_e", "_m"]).reset_index(drop=True))
