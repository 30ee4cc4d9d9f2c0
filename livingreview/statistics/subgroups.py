"""Subgroup and model hazard ratios as printed, ready for a forest plot."""

from __future__ import annotations

import pandas as pd

from ..curated.studies import Study

FOREST_COLUMNS = ["endpoint", "analysis", "population", "label", "estimate", "ci_low", "ci_high",
                  "p_value", "row", "source", "quote"]


def subgroup_ratios(study: Study) -> pd.DataFrame:
    """Printed hazard (or odds) ratios with both CI limits, one row per level (see
    :data:`FOREST_COLUMNS`); rows with a missing limit cannot be drawn and are left out."""
    frame = study.table("subgroups")
    text = study.table("subgroups", as_typed=False)
    keep = (frame["measure"].isin(["hazard_ratio", "odds_ratio"]) & frame["estimate"].notna()
            & frame["ci_low"].notna() & frame["ci_high"].notna())
    frame, text = frame[keep], text[keep]
    labels = [
        v + (f": {lvl}" if lvl else "") + (f" vs {ref}" if ref else "")
        for v, lvl, ref in zip(text["variable"], text["level"], text["reference_level"])
    ]
    out = pd.DataFrame({
        "endpoint": frame["endpoint"], "analysis": frame["analysis"], "population": frame["population"],
        "label": labels, "estimate": frame["estimate"], "ci_low": frame["ci_low"],
        "ci_high": frame["ci_high"], "p_value": text["p_value"], "row": frame["row"],
        "source": frame["source"], "quote": frame["quote"],
    }, columns=FOREST_COLUMNS)
    return out.reset_index(drop=True)
