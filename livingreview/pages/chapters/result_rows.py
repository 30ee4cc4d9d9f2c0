"""The rows a chapter writes to its results file (columns of
:data:`livingreview.results.table.RESULT_COLUMNS`): one statistic each, and the four rows of a
pooled rate."""

from __future__ import annotations

import math

import pandas as pd


def result_row(scope: str, arm: str, population: str, endpoint: str, statistic: str, estimate: float,
               low: float = math.nan, high: float = math.nan, method: str = "", printed: str = "",
               data_file: str = "", data_row: str = "", analysis_id: str = "") -> dict:
    """One statistic of a chapter, with how it was computed, the data row it comes from and the
    analysis it belongs to (:func:`livingreview.analysis.records.analysis_id`)."""
    return {"scope": scope, "arm": arm, "population": population, "endpoint": endpoint,
            "statistic": statistic, "estimate": estimate, "ci_low": low, "ci_high": high, "method": method,
            "printed": printed, "data_file": data_file, "data_row": data_row, "analysis_id": analysis_id}


def pooled_result_rows(scope: str, pools: pd.DataFrame, population: str) -> list[dict]:
    """Each pool's estimate, prediction interval, tau² and I², one row each."""
    rows = []
    for p in pools.to_dict("records"):
        base = {"scope": scope, "arm": p["group"], "population": population, "endpoint": p["endpoint"],
                "method": f"{p['model']}; studies: {p['studies']}" + (f"; not pooled: {p['note']}" if p["note"]
                                                                      else ""), "printed": "",
                "data_file": "", "data_row": "", "analysis_id": p.get("analysis_id", "")}
        rows.append({**base, "statistic": "pooled_percent", "estimate": p["estimate"], "ci_low": p["ci_low"],
                     "ci_high": p["ci_high"]})
        rows.append({**base, "statistic": "prediction_interval_percent", "estimate": math.nan,
                     "ci_low": p["pi_low"], "ci_high": p["pi_high"]})
        rows.append({**base, "statistic": "tau2_logit", "estimate": p["tau2"], "ci_low": math.nan,
                     "ci_high": math.nan})
        rows.append({**base, "statistic": "i2_percent", "estimate": p["i2"], "ci_low": math.nan,
                     "ci_high": math.nan})
    return rows
