"""The risk ratio and the risk difference of an arm given the intervention against a control arm,
from the two arms' counts: read beside an odds ratio, which overstates the relative effect when
events are common (an odds ratio of 11 can be a risk ratio of 2).

The risk ratio's CI is the Wald interval on the log scale (Katz et al. 1978), as R metafor's
``escalc(measure="RR")`` computes it (1/2 added to every cell only when a cell is zero). The risk
difference's CI is Newcombe's hybrid score interval (Newcombe 1998, method 10), which keeps within
-1 to 1 and behaves with small arms; statsmodels computes it.
"""

from __future__ import annotations

import math

from scipy import stats


def risk_ratio(events_1: int, total_1: int, events_2: int, total_2: int, level: float = 95.0) -> dict:
    """Risk of arm 1 over risk of arm 2, with its log-scale Wald CI (``estimate``, ``ci_low``,
    ``ci_high``); NaN when both arms have no event or every patient has one."""
    cells = [events_1, total_1 - events_1, events_2, total_2 - events_2]
    if events_1 + events_2 == 0 or cells[1] + cells[3] == 0:
        return {"estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    add = 0.5 if 0 in cells else 0.0
    a, n1, c, n2 = events_1 + add, total_1 + 2 * add, events_2 + add, total_2 + 2 * add
    log_rr = math.log((a / n1) / (c / n2))
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    z = stats.norm.ppf(1 - (1 - level / 100) / 2)
    return {"estimate": math.exp(log_rr), "ci_low": math.exp(log_rr - z * se), "ci_high": math.exp(log_rr + z * se)}


def risk_difference(events_1: int, total_1: int, events_2: int, total_2: int, level: float = 95.0) -> dict:
    """Risk of arm 1 minus risk of arm 2, in percentage points, with Newcombe's hybrid score CI."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(events_1, total_1, events_2, total_2, compare="diff",
                                           method="newcomb", alpha=1 - level / 100)
    return {"estimate": 100 * (events_1 / total_1 - events_2 / total_2), "ci_low": 100 * float(low),
            "ci_high": 100 * float(high)}


def risk_ratio_text(rr: dict) -> str:
    """'RR 2.08 (95% CI 1.36–3.18)' for a :func:`risk_ratio`; 'RR not estimable' without one."""
    if not math.isfinite(rr["estimate"]):
        return "RR not estimable"
    return f"RR {rr['estimate']:.2f} (95% CI {rr['ci_low']:.2f}–{rr['ci_high']:.2f})"


def risk_difference_text(rd: dict) -> str:
    """'risk difference +46.7 percentage points (95% CI 23.2 to 63.9)' for a :func:`risk_difference`."""
    return (f"risk difference {rd['estimate']:+.1f} percentage points (95% CI {rd['ci_low']:.1f} to "
            f"{rd['ci_high']:.1f})")


def risk_measures_text(events_1: int, total_1: int, events_2: int, total_2: int) -> tuple[str, str]:
    """('RR 2.08 (95% CI 1.36–3.18)', 'risk difference +46.7 percentage points (95% CI 23.2 to 63.9)')."""
    return (risk_ratio_text(risk_ratio(events_1, total_1, events_2, total_2)),
            risk_difference_text(risk_difference(events_1, total_1, events_2, total_2)))
