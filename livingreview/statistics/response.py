"""Best response and response rates, recomputed from the printed counts.

For every printed response number (a best-response category, ORR or DCR) this module
recomputes the percentage from count / denominator and its confidence interval by the exact
(Clopper-Pearson) method, by the method the paper states, and lists which methods
reproduce the printed interval (:func:`livingreview.statistics.intervals.reproducing_methods`).
"""

from __future__ import annotations

import math

import pandas as pd

from ..curated.studies import Study
from .intervals import METHOD_ALIASES, METHOD_LABELS, PROPORTION_CI_METHODS, proportion_ci, reproducing_methods
from ..curated.printed import implied_count, to_float

RESPONSE_ENDPOINTS = ("CR", "PR", "SD", "PD", "NE", "ORR", "DCR")
EXACT = "clopper_pearson"
RATE_COLUMNS = [
    "arm", "population", "endpoint", "qualifier", "source_type", "source", "row", "quote",
    "count", "count_origin", "denominator", "printed_percent", "percent", "printed_ci",
    "ci_level", "stated_method", "exact_low", "exact_high", "stated_low", "stated_high",
    "reproduced_by",
]


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def response_rates(study: Study) -> pd.DataFrame:
    """One row per printed response number with a denominator (see :data:`RATE_COLUMNS`).

    ``count_origin`` says whether the count is printed or the only whole count the printed
    percentage allows ("implied"); rows where neither holds keep the printed values only.
    """
    text = study.table("outcomes", as_typed=False)
    rows = []
    for row in text.to_dict("records"):
        if row["endpoint"] not in RESPONSE_ENDPOINTS or row["measure"] not in ("count", "proportion"):
            continue
        if not row["denominator"]:
            continue
        n = int(row["denominator"])
        count = implied_count(row)
        level = to_float(row["ci_level"]) if row["ci_level"] else 95.0
        stated = row["ci_method_stated"] or "not_stated"
        stated_method = METHOD_ALIASES.get(stated, stated)
        record = {
            "arm": row["arm"], "population": row["population"], "endpoint": row["endpoint"],
            "qualifier": row["qualifier"], "source_type": row["source_type"], "source": row["source"],
            "row": row["row"], "quote": row["quote"], "count": count,
            "count_origin": "" if count is None else ("printed" if row["count"] else "implied"),
            "denominator": n, "printed_percent": row["estimate"] if row["unit"] == "percent" else "",
            "percent": math.nan, "printed_ci": (f"{row['ci_low']}–{row['ci_high'] or row['ci_high_text']}"
                                               if row["ci_low"] else ""),
            "ci_level": level, "stated_method": stated, "exact_low": math.nan, "exact_high": math.nan,
            "stated_low": math.nan, "stated_high": math.nan, "reproduced_by": "",
        }
        if count is not None and n > 0:
            record["percent"] = 100 * count / n
            record["exact_low"], record["exact_high"] = proportion_ci(count, n, EXACT, level)
            if stated_method in PROPORTION_CI_METHODS:
                record["stated_low"], record["stated_high"] = proportion_ci(count, n, stated_method, level)
            if row["ci_low"] and row["ci_high"]:
                found = reproducing_methods(count, n, row["ci_low"], row["ci_high"], level)
                record["reproduced_by"] = ", ".join(METHOD_LABELS[m] for m in found) or "none"
        rows.append(record)
    frame = pd.DataFrame(rows, columns=RATE_COLUMNS)
    frame["count"] = frame["count"].astype("Int64")
    return frame


def format_ci(low: float, high: float, digits: int = 1) -> str:
    """'12.3–45.6', or '' when not computed."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return ""
    return f"{low:.{digits}f}–{high:.{digits}f}"


def primary_rate(rates: pd.DataFrame, endpoint: str, arm: str) -> pd.Series | None:
    """The recomputed rate the page states in prose: the endpoint's row for ``arm`` with a
    count, preferring tables, then the body text, then the abstract; None if there is none."""
    rank = {"table": 0, "body": 1, "supplement": 2, "figure_legend": 3, "abstract": 4}
    candidates = rates[(rates["endpoint"] == endpoint) & (rates["arm"] == arm)
                       & rates["percent"].notna() & (rates["qualifier"] == "")]
    if candidates.empty:
        return None
    order = candidates["source_type"].map(rank).fillna(9)
    return candidates.assign(_rank=order).sort_values(["_rank", "row"]).iloc[0]


def method_label(method: str) -> str:
    """Readable name of a CI method id."""
    return METHOD_LABELS.get(method, method)
