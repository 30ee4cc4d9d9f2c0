"""Confidence intervals for a response rate: the teaching chapter's examples and figures.

Every interval is computed by :func:`livingreview.statistics.intervals.proportion_ci` (the method names
of the data dictionary); the examples are chosen from the curated data by rule, so the chapter
follows the data when a study is added.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .. import paths
from ..audit.findings import MISMATCH
from ..audit.run import audit_studies
from ..curated.studies import Study, load_studies, load_vocabulary
from ..curated.integrity import main_analysis_studies
from ..statistics.intervals import (METHOD_ALIASES, METHOD_LABELS, PROPORTION_CI_METHODS, proportion_ci,
                                    reproducing_methods)
from ..statistics.memo import by_value, memoised
from ..pages.plotting import _axes, figure_of
from ..curated.printed import format_like, implied_count, to_float
from ..statistics.response import primary_rate, response_rates

# The three methods the chapter contrasts: the textbook normal approximation, the score
# interval and the exact interval.
TEACHING_METHODS = ("wald", "wilson", "clopper_pearson")
ENDPOINTS = ("ORR", "DCR")
METHOD_STYLES = {"wald": ":", "wilson": "-", "clopper_pearson": "--", "agresti_coull": "-.", "jeffreys": "-"}


def load_data(data_dir: str | Path | None = None) -> tuple[list[Study], pd.DataFrame]:
    """The studies under ``data_dir`` (default: the project's data/) and the AE vocabulary."""
    data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
    return load_studies(data_dir), load_vocabulary(data_dir=data_dir)


def arm_rates(studies: list[Study], endpoints: tuple[str, ...] = ENDPOINTS) -> pd.DataFrame:
    """One row per study, arm and endpoint: the count and denominator of the study's efficacy
    population (the most detailed place that prints a count), with each teaching method's CI.

    Only the studies of the main analyses are used, as the review's analyses use them.
    """
    rows = []
    for study in main_analysis_studies(studies):
        rates = response_rates(study)
        population = (study.meta.get("analysis_populations") or {}).get("efficacy")
        if population:
            rates = rates[rates["population"] == population]
        for arm_id, arm in study.arms.items():
            for endpoint in endpoints:
                rate = primary_rate(rates, endpoint, arm_id)
                if rate is None:
                    continue
                count, n = int(rate["count"]), int(rate["denominator"])
                row = {"study_id": study.study_id, "arm": arm_id, "arm_label": arm.get("label", arm_id),
                       "endpoint": endpoint, "count": count, "denominator": n,
                       "percent": 100 * count / n, "data_row": int(rate["row"])}
                for method in TEACHING_METHODS:
                    row[f"{method}_low"], row[f"{method}_high"] = proportion_ci(count, n, method)
                rows.append(row)
    return pd.DataFrame(rows, columns=["study_id", "arm", "arm_label", "endpoint", "count", "denominator",
                                       "percent", "data_row"]
                        + [f"{m}_{side}" for m in TEACHING_METHODS for side in ("low", "high")])


def interval_table(rates: pd.DataFrame) -> pd.DataFrame:
    """:func:`arm_rates` for reading: one column per method, limits to one decimal."""
    frame = pd.DataFrame({
        "Study": rates["study_id"], "Arm": rates["arm_label"], "Endpoint": rates["endpoint"],
        "Responders / patients": [f"{c}/{n}" for c, n in zip(rates["count"], rates["denominator"])],
        "Rate (%)": [f"{p:.1f}" for p in rates["percent"]],
    })
    for method in TEACHING_METHODS:
        frame[METHOD_LABELS[method]] = [f"{lo:.1f}–{hi:.1f}" for lo, hi in
                                        zip(rates[f"{method}_low"], rates[f"{method}_high"])]
    return frame


def smallest_denominator(rates: pd.DataFrame) -> pd.Series | None:
    """The arm rate with the fewest patients (ties: the rate nearest 0 or 100%, then study id)."""
    if rates.empty:
        return None
    extremity = np.minimum(rates["percent"], 100 - rates["percent"])
    order = rates.assign(_e=extremity).sort_values(["denominator", "_e", "study_id", "arm", "endpoint"])
    return order.drop(columns="_e").iloc[0]


def most_extreme_rate(rates: pd.DataFrame) -> pd.Series | None:
    """The arm rate nearest 0 or 100% (ties: the smaller denominator, then study id)."""
    if rates.empty:
        return None
    extremity = np.minimum(rates["percent"], 100 - rates["percent"])
    order = rates.assign(_e=extremity).sort_values(["_e", "denominator", "study_id", "arm", "endpoint"])
    return order.drop(columns="_e").iloc[0]


def wald_overshoot(rates: pd.DataFrame) -> pd.Series | None:
    """The arm rate whose raw Wald interval reaches furthest beyond 0-100%; when none
    overshoots, the rate nearest 0 or 100% (:func:`most_extreme_rate`)."""
    if rates.empty:
        return None
    raw = [wald_unclipped(int(c), int(n)) for c, n in zip(rates["count"], rates["denominator"])]
    beyond = np.array([max(-low, high - 100, 0.0) for low, high in raw])
    if beyond.max() <= 0:
        return most_extreme_rate(rates)
    order = rates.assign(_b=-beyond).sort_values(["_b", "denominator", "study_id", "arm", "endpoint"])
    return order.drop(columns="_b").iloc[0]


def wald_unclipped(count: int, n: int, level: float = 95.0) -> tuple[float, float]:
    """The Wald interval in percent *before* it is cut at 0 and 100%.

    :func:`~livingreview.statistics.intervals.proportion_ci` (like statsmodels) truncates the interval to
    0-100%; the raw limits show how far the normal approximation overshoots near the edges.
    """
    z = stats.norm.ppf(1 - (1 - level / 100) / 2)
    p = count / n
    half = z * math.sqrt(p * (1 - p) / n)
    return float(100 * (p - half)), float(100 * (p + half))


def compare_methods(count: int, n: int, methods=tuple(PROPORTION_CI_METHODS), level: float = 95.0) -> pd.DataFrame:
    """Every method's interval for ``count``/``n`` (percent, truncated to 0-100%), with its width."""
    rows = []
    for method in methods:
        low, high = proportion_ci(count, n, method, level)
        rows.append({"method": METHOD_LABELS[method], "low": low, "high": high, "width": high - low})
    return pd.DataFrame(rows, columns=["method", "low", "high", "width"])


@memoised(by_value)
def coverage(n: int, method: str, true_percents, level: float = 95.0) -> np.ndarray:
    """Exact coverage (percent) of a method's interval for ``n`` patients at each true rate.

    Coverage is the probability, over every count 0..n the trial could observe, that the
    interval computed from that count contains the true rate: the sum of the binomial
    probabilities of the counts whose interval covers it. A 95% interval should cover 95%
    of the time.
    """
    counts = np.arange(n + 1)
    limits = np.array([proportion_ci(int(k), n, method, level) for k in counts])
    result = []
    for p in np.asarray(true_percents, dtype=float):
        covered = (limits[:, 0] <= p) & (p <= limits[:, 1])
        result.append(100 * stats.binom.pmf(counts, n, p / 100)[covered].sum())
    return np.array(result)


def coverage_summary(n: int, methods=TEACHING_METHODS, level: float = 95.0,
                     true_percents=None) -> pd.DataFrame:
    """Per method: the lowest and the average coverage over true rates from 1% to 99%."""
    grid = np.linspace(1, 99, 981) if true_percents is None else np.asarray(true_percents)
    rows = []
    for method in methods:
        values = coverage(n, method, grid, level)
        rows.append({"method": METHOD_LABELS[method], "minimum coverage (%)": values.min(),
                     "average coverage (%)": values.mean()})
    return pd.DataFrame(rows)


def plot_coverage(n: int, methods=TEACHING_METHODS, ax=None, level: float = 95.0):
    """Coverage of each method's interval against the true rate, for ``n`` patients."""
    ax = _axes(ax)
    grid = np.linspace(0.5, 99.5, 995)
    for method in methods:
        ax.plot(grid, coverage(n, method, grid, level), METHOD_STYLES.get(method, "-"), linewidth=1,
                label=METHOD_LABELS[method])
    ax.axhline(level, color="grey", linewidth=0.8)
    ax.set_xlim(0, 100)
    ax.set_ylim(max(0, min(ax.get_ylim()[0], level - 10)), 100.5)
    ax.set_xlabel("True response rate (%)")
    ax.set_ylabel("Coverage (%)")
    ax.set_title(f"Coverage of nominal {level:g}% intervals with {n} patients", loc="left")
    ax.legend(frameon=False, fontsize=9, loc="lower center")
    return ax


def coverage_figure(n: int, methods=TEACHING_METHODS):
    """Figure of :func:`plot_coverage`."""
    summary = coverage_summary(n, methods)
    return figure_of(plot_coverage, n, methods, figsize=(8, 4.2),
                     description=f"Coverage of nominal 95% intervals for a response rate with {n} patients, by true "
                                 "rate: " + "; ".join(f"{r['method']} lowest {r['minimum coverage (%)']:.1f}%, average "
                                                      f"{r['average coverage (%)']:.1f}%"
                                                      for r in summary.to_dict("records")) + ".")


def plot_intervals_by_count(n: int, methods=TEACHING_METHODS, ax=None, level: float = 95.0):
    """Each method's interval for every count 0..n a trial of ``n`` patients could observe."""
    ax = _axes(ax)
    offsets = np.linspace(-0.25, 0.25, len(methods))
    for offset, method in zip(offsets, methods):
        for k in range(n + 1):
            low, high = proportion_ci(k, n, method, level)
            ax.vlines(k + offset, low, high, linestyles=METHOD_STYLES.get(method, "-"), linewidth=1,
                      color=f"C{TEACHING_METHODS.index(method) if method in TEACHING_METHODS else 3}",
                      label=METHOD_LABELS[method] if k == 0 else None)
    ax.plot(np.arange(n + 1), 100 * np.arange(n + 1) / n, "k.", markersize=3, label="observed rate")
    ax.set_xlabel(f"Responders out of {n}")
    ax.set_ylabel("Response rate (%)")
    ax.set_ylim(-2, 102)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    return ax


def intervals_by_count_figure(n: int, methods=TEACHING_METHODS):
    """Figure of :func:`plot_intervals_by_count`."""
    at_zero = "; ".join(f"{METHOD_LABELS[m]} {proportion_ci(0, n, m)[0]:.1f}–{proportion_ci(0, n, m)[1]:.1f}%"
                        for m in methods)
    return figure_of(plot_intervals_by_count, n, methods, figsize=(8, 4.2),
                     description=f"Each method's 95% interval for every number of responders from 0 to {n} of {n} "
                                 f"patients, beside the observed rate; with 0 responders: {at_zero}.")


# ----------------------------------------------------------------------------- the audit's cases


def _outcome_row(study: Study, row: int) -> dict:
    frame = study.tables["outcomes"]
    return frame[frame["row"] == int(row)].iloc[0].to_dict()


def ci_method_findings(studies: list[Study], vocabulary: pd.DataFrame) -> pd.DataFrame:
    """The audit's ``ci_method`` findings, each with the printed row's count, denominator,
    printed limits and stated method (data-dictionary id)."""
    findings = audit_studies(studies, vocabulary)
    findings = findings[findings["rule"] == "ci_method"]
    by_id = {s.study_id: s for s in studies}
    rows = []
    for f in findings.to_dict("records"):
        source = _outcome_row(by_id[f["study_id"]], int(f["row"]))
        stated = source["ci_method_stated"] or "not_stated"
        rows.append({**f, "count": implied_count(source), "denominator": int(source["denominator"]),
                     "ci_low": source["ci_low"], "ci_high": source["ci_high"],
                     "ci_level": to_float(source["ci_level"]) if source["ci_level"] else 95.0,
                     "stated_method": stated, "printed_estimate": source["estimate"]})
    return pd.DataFrame(rows, columns=[*findings.columns, "count", "denominator", "ci_low", "ci_high", "ci_level",
                                       "stated_method", "printed_estimate"])


def stated_method_mismatches(ci_findings: pd.DataFrame) -> pd.DataFrame:
    """Rows where the paper names a single-proportion CI method that does not reproduce the
    interval it printed (the audit's ``ci_method`` mismatches with a stated method)."""
    stated = ci_findings["stated_method"].map(lambda m: METHOD_ALIASES.get(m, m))
    chosen = ci_findings[(ci_findings["verdict"] == MISMATCH) & stated.isin(list(PROPORTION_CI_METHODS))]
    rows = []
    for f in chosen.to_dict("records"):
        method = METHOD_ALIASES.get(f["stated_method"], f["stated_method"])
        low, high = proportion_ci(f["count"], f["denominator"], method, f["ci_level"])
        found = reproducing_methods(f["count"], f["denominator"], f["ci_low"], f["ci_high"], f["ci_level"])
        rows.append({"study_id": f["study_id"], "outcomes row": int(f["row"]), "quantity": f["quantity"],
                     "responders / patients": f"{f['count']}/{f['denominator']}",
                     "printed CI": f"{f['ci_low']}–{f['ci_high']}",
                     "stated method": METHOD_LABELS[f["stated_method"]],
                     "stated method gives": f"{format_like(low, f['ci_low'])}–{format_like(high, f['ci_high'])}",
                     "reproduced by": ", ".join(METHOD_LABELS[m] for m in found) or "none"})
    return pd.DataFrame(rows, columns=["study_id", "outcomes row", "quantity", "responders / patients", "printed CI",
                                       "stated method", "stated method gives", "reproduced by"])


def fitting_denominators(count: int, ci_low: str, ci_high: str, level: float = 95.0,
                         largest: int | None = None) -> pd.DataFrame:
    """Denominators n (from ``count`` to ``largest``, by default ten times the count) for which some method turns count/n into
    the printed limits: a printed CI is a fingerprint of the denominator it was computed on."""
    largest = max(10 * count, count + 100) if largest is None else largest
    rows = []
    for n in range(max(count, 1), largest + 1):
        found = reproducing_methods(count, n, ci_low, ci_high, level)
        if found:
            rows.append({"denominator": n, "reproduced by": ", ".join(METHOD_LABELS[m] for m in found)})
    return pd.DataFrame(rows, columns=["denominator", "reproduced by"])


def unreproduced_intervals(ci_findings: pd.DataFrame) -> pd.DataFrame:
    """Printed CIs that no method reproduces from the printed count and denominator, with the
    denominators that would reproduce them."""
    rows = []
    for f in ci_findings[ci_findings["recomputed"].notna()].to_dict("records"):
        if reproducing_methods(f["count"], f["denominator"], f["ci_low"], f["ci_high"], f["ci_level"]):
            continue
        fits = fitting_denominators(f["count"], f["ci_low"], f["ci_high"], f["ci_level"],
                                    largest=max(4 * f["denominator"], 50))
        rows.append({"study_id": f["study_id"], "outcomes row": int(f["row"]), "quantity": f["quantity"],
                     "responders / printed denominator": f"{f['count']}/{f['denominator']}",
                     "printed rate (%)": f["printed_estimate"], "printed CI": f"{f['ci_low']}–{f['ci_high']}",
                     "denominators that reproduce the CI":
                         "; ".join(f"{d} ({m})" for d, m in zip(fits["denominator"], fits["reproduced by"]))
                         or "none up to four times the printed one"})
    return pd.DataFrame(rows, columns=["study_id", "outcomes row", "quantity", "responders / printed denominator",
                                       "printed rate (%)", "printed CI", "denominators that reproduce the CI"])


# ----------------------------------------------------------------------------- prose


def _fmt_ci(low: float, high: float) -> str:
    return f"{low:.1f}–{high:.1f}%"


def _rate_label(rate: pd.Series, names: dict[str, str]) -> str:
    return (f"{names.get(rate['study_id'], rate['study_id'])}, {rate['arm_label']}, {rate['endpoint']} "
            f"{rate['count']}/{rate['denominator']}")


def facts(rates: pd.DataFrame, ci_findings: pd.DataFrame, studies=()) -> dict[str, object]:
    """Every data-dependent value the chapter's prose states, by glue key; ``studies`` name the
    studies as readers know them (Li 2022), never by id."""
    names = {s.study_id: s.name for s in studies}
    facts: dict[str, object] = {"ri_n_rates": len(rates), "ri_n_studies": int(rates["study_id"].nunique())}
    small = smallest_denominator(rates)
    if small is None:
        facts.update({"ri_small_label": "none (no arm prints a response count)", "ri_small_n": "no",
                      "ri_small_wald": "not computed", "ri_small_wilson": "not computed",
                      "ri_small_exact": "not computed"})
    else:
        facts.update({"ri_small_label": _rate_label(small, names), "ri_small_n": int(small["denominator"]),
                      "ri_small_wald": _fmt_ci(small["wald_low"], small["wald_high"]),
                      "ri_small_wilson": _fmt_ci(small["wilson_low"], small["wilson_high"]),
                      "ri_small_exact": _fmt_ci(small["clopper_pearson_low"], small["clopper_pearson_high"])})
    extreme = wald_overshoot(rates)
    if extreme is None:
        facts.update({"ri_extreme_label": "none", "ri_extreme_wald_raw": "not computed",
                      "ri_extreme_wald": "not computed"})
    else:
        raw_low, raw_high = wald_unclipped(int(extreme["count"]), int(extreme["denominator"]))
        facts.update({"ri_extreme_label": _rate_label(extreme, names),
                      "ri_extreme_wald_raw": f"{raw_low:.1f}–{raw_high:.1f}%",
                      "ri_extreme_wald": _fmt_ci(extreme["wald_low"], extreme["wald_high"]),
                      "ri_extreme_exact": _fmt_ci(extreme["clopper_pearson_low"], extreme["clopper_pearson_high"])})
    facts.setdefault("ri_extreme_exact", "not computed")
    if small is not None:
        summary = coverage_summary(int(small["denominator"]))
        for method, row in zip(TEACHING_METHODS, summary.to_dict("records")):
            facts[f"ri_cov_min_{method}"] = f"{row['minimum coverage (%)']:.1f}%"
    else:
        for method in TEACHING_METHODS:
            facts[f"ri_cov_min_{method}"] = "not computed"
    mismatches = stated_method_mismatches(ci_findings)
    facts["ri_n_stated_mismatch"] = len(mismatches)
    facts["ri_stated_mismatch"] = ("; ".join(
        f"{names.get(r['study_id'], r['study_id'])} (outcomes row {r['outcomes row']}: {r['responders / patients']}, printed "
        f"{r['printed CI']}, stated {r['stated method']}, which gives {r['stated method gives']}; "
        f"reproduced by {r['reproduced by']})" for r in mismatches.to_dict("records"))
        or "no row in the current data: every stated method reproduces its interval")
    unreproduced = unreproduced_intervals(ci_findings)
    facts["ri_n_unreproduced"] = len(unreproduced)
    facts["ri_unreproduced"] = ("; ".join(
        f"{names.get(r['study_id'], r['study_id'])} (outcomes row {r['outcomes row']}: "
        f"{r['responders / printed denominator']}, printed "
        f"{r['printed CI']}; fits denominator {r['denominators that reproduce the CI']})"
        for r in unreproduced.to_dict("records"))
        or "no row in the current data: every printed interval is reproduced from its own count and denominator")
    facts["ri_n_ci_checked"] = len(ci_findings)
    return facts
