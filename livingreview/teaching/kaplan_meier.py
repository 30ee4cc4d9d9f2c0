"""Reading a Kaplan-Meier curve: the teaching chapter's examples, tables and figures.

The papers print summaries, not patient records, so every curve here is drawn from pseudo
patient-level data rebuilt by :mod:`livingreview.statistics.reconstruct` (from printed summaries) or
:mod:`livingreview.statistics.guyot` (from a digitised figure), and every figure says so. Examples are
chosen from the curated data by rule, so the chapter follows the data.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..curated.studies import Study, load_studies
from ..curated.integrity import main_analysis_studies
from ..pages.plotting import RECONSTRUCTION_LABEL, _axes, figure_of, plot_reconstructed_km
from ..statistics.reconstruct import (ArmReconstruction, PrintedSurvival, SurvivalInputs, analyse_arm, kaplan_meier,
                           reconstruct, survival_inputs)

# The landmark the chapter reads (the one the review pools): 12 months.
LANDMARK_MONTHS = 12.0
EVENT_TABLE_COLUMNS = ["months", "at risk", "events", "censored", "survival (%)"]


def load_inputs(data_dir: str | Path | None = None) -> tuple[list[Study], list[SurvivalInputs]]:
    """The studies and every arm, population and endpoint with printed survival summaries."""
    data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
    studies = load_studies(data_dir)
    return studies, [i for s in studies for i in survival_inputs(s)]


def printed_points(inputs: SurvivalInputs) -> int:
    """How many survival summaries the paper printed for the arm: median, landmarks, events."""
    printed = inputs.printed
    return (printed.median is not None) + len(printed.landmarks) + (printed.events is not None)


def choose_example(studies: list[Study], inputs: list[SurvivalInputs]) -> SurvivalInputs | None:
    """The arm the chapter reads: rebuilt from printed summaries (not a digitised figure), from
    a study the integrity screen does not flag, with the most printed points (median, landmark
    rates, event count); ties go to the larger arm, then OS before PFS, then study id."""
    trusted = {s.study_id for s in main_analysis_studies(studies)}
    candidates = [i for i in inputs if not i.missing and i.curve is None and i.study_id in trusted]
    if not candidates:
        return None
    return sorted(candidates, key=lambda i: (-printed_points(i), -i.printed.n, i.endpoint,
                                             i.study_id, i.arm, i.population))[0]


def arm_label(studies: list[Study], inputs: SurvivalInputs) -> str:
    """'study, arm label, endpoint (population)' for prose and legends."""
    study = next(s for s in studies if s.study_id == inputs.study_id)
    label = study.arms.get(inputs.arm, {}).get("label", inputs.arm)
    population = next((p["label"] for p in study.meta["populations"] if p["population_id"] == inputs.population),
                      inputs.population)
    return f"{study.name}, {label}, {inputs.endpoint} ({population.lower()})"


def printed_text(studies: list[Study], inputs: SurvivalInputs) -> str:
    """The printed summaries the reconstruction used, as printed (text of the data rows)."""
    study = next(s for s in studies if s.study_id == inputs.study_id)
    rows = study.tables["outcomes"].set_index("row").loc[inputs.rows]
    parts = []
    for row in rows.to_dict("records"):
        if row["measure"] == "median" and row["estimate"]:
            ci = f" (95% CI {row['ci_low']}–{row['ci_high'] or row['ci_high_text']})" if row["ci_low"] else ""
            parts.append(f"median {row['estimate']} months{ci}")
        elif row["measure"] == "landmark" and row["estimate"]:
            parts.append(f"{row['estimate']}% at {row['timepoint_months']} months")
        if row["events"]:
            parts.append(f"{row['events']} events")
    return "; ".join(dict.fromkeys(parts))


def event_table(data: pd.DataFrame) -> pd.DataFrame:
    """The Kaplan-Meier calculation step by step: at each time with an event or a censoring,
    the number at risk just before it, the events, the censorings and the survival estimate
    (the running product of 1 - events / at risk)."""
    if data.empty:
        return pd.DataFrame(columns=EVENT_TABLE_COLUMNS)
    fitter = kaplan_meier(data)
    table = fitter.event_table
    table = table[table["observed"] + table["censored"] > 0]
    survival = fitter.survival_function_.iloc[:, 0].reindex(table.index)
    return pd.DataFrame({"months": table.index.to_numpy(dtype=float), "at risk": table["at_risk"].to_numpy(),
                         "events": table["observed"].to_numpy(), "censored": table["censored"].to_numpy(),
                         "survival (%)": 100 * survival.to_numpy()}, columns=EVENT_TABLE_COLUMNS)


def at_risk(data: pd.DataFrame, months: float) -> int:
    """Patients still under observation (no event, not censored) just after ``months``."""
    return int((data["time"] > months).sum())


def landmark(data: pd.DataFrame, months: float) -> tuple[float, float, float]:
    """Kaplan-Meier survival at ``months`` with its 95% CI (lifelines' Greenwood log(-log)
    interval), in percent; NaN when there are no data."""
    if data.empty:
        return math.nan, math.nan, math.nan
    fitter = kaplan_meier(data)
    estimate = float(fitter.survival_function_at_times(months).iloc[0])
    bounds = fitter.confidence_interval_survival_function_
    row = bounds[bounds.index <= months].iloc[-1]
    return 100 * estimate, 100 * float(row.iloc[0]), 100 * float(row.iloc[1])


def landmark_table(data: pd.DataFrame, times) -> pd.DataFrame:
    """Numbers at risk and Kaplan-Meier survival (95% CI) at each of ``times`` (months)."""
    rows = []
    for months in times:
        estimate, low, high = landmark(data, months)
        rows.append({"months": months, "at risk": at_risk(data, months), "survival (%)": estimate,
                     "95% CI low": low, "95% CI high": high, "CI width (points)": high - low})
    return pd.DataFrame(rows, columns=["months", "at risk", "survival (%)", "95% CI low", "95% CI high",
                                       "CI width (points)"])


def example_data(arm: ArmReconstruction | None) -> pd.DataFrame:
    """The example arm's reconstructed (time, event) data; empty when there is no example."""
    if arm is None:
        return pd.DataFrame({"time": pd.Series(dtype=float), "event": pd.Series(dtype=int)})
    return arm.result.data


def naive_landmarks(data: pd.DataFrame, months: float) -> dict[str, float]:
    """Two wrong ways to estimate survival at ``months`` beside the Kaplan-Meier estimate.

    *Censored as event-free* counts every patient without an observed event by ``months`` as
    alive (too optimistic); *censored dropped* leaves out patients censored before ``months``
    altogether (too pessimistic, since they survived part of the way). Kaplan-Meier uses each
    patient for as long as they were observed.
    """
    if data.empty:  # no arm could be rebuilt: nothing to estimate
        return {"censored counted as event-free (%)": math.nan, "censored dropped (%)": math.nan,
                "Kaplan-Meier (%)": math.nan, "censored before the landmark": 0}
    events_before = int(((data["time"] <= months) & (data["event"] == 1)).sum())
    censored_before = int(((data["time"] <= months) & (data["event"] == 0)).sum())
    n = len(data)
    return {
        "censored counted as event-free (%)": 100 * (n - events_before) / n,
        "censored dropped (%)": 100 * (n - events_before - censored_before) / (n - censored_before)
        if n > censored_before else math.nan,
        "Kaplan-Meier (%)": landmark(data, months)[0],
        "censored before the landmark": censored_before,
    }


def _short_months(value: float) -> str:
    return "not reached" if not np.isfinite(value) else f"{value:.1f}"


def median_summary(arm: ArmReconstruction | None) -> dict[str, str]:
    """The reconstructed Kaplan-Meier median and its 95% CI beside the printed CI (as printed);
    a limit the curve never reaches is 'not reached'. Empty when there is no example."""
    if arm is None:
        return {}
    return {"reconstructed median (months)": _short_months(arm.median),
            "reconstructed 95% CI": f"{_short_months(arm.median_ci[0])}–{_short_months(arm.median_ci[1])}",
            "printed 95% CI": arm.inputs.median_ci_printed or "not printed"}


def open_median_intervals(arms: list[ArmReconstruction]) -> list[ArmReconstruction]:
    """Arms whose reconstructed median has a 95% CI with no upper limit: the lower confidence
    band never falls to 50% within follow-up."""
    return [a for a in arms if not np.isfinite(a.median_ci[1])]


def without_landmarks(printed: PrintedSurvival) -> PrintedSurvival:
    """The same printed summaries minus the landmark rates (median and events kept)."""
    return replace(printed, landmarks=())


def shape_example(inputs: list[SurvivalInputs], studies: list[Study]) -> SurvivalInputs | None:
    """The arm to show how much a reconstruction depends on what is printed: one with both a
    printed median and landmark rates (the chapter's rule for :func:`choose_example` among them)."""
    with_both = [i for i in inputs if i.printed.median is not None and i.printed.landmarks and not i.missing]
    return choose_example(studies, with_both)


def shape_comparison(inputs: SurvivalInputs | None, months: float = LANDMARK_MONTHS) -> dict[str, float]:
    """Survival at ``months`` as printed, from the reconstruction with every printed point and
    from one rebuilt from the median (and events) alone; empty when there is no such arm."""
    if inputs is None:
        return {}
    full = reconstruct(inputs.printed).data
    reduced = reconstruct(without_landmarks(inputs.printed)).data
    printed = dict(inputs.printed.landmarks).get(months, math.nan)
    return {"printed (%)": printed, "all printed points (%)": landmark(full, months)[0],
            "median and events only (%)": landmark(reduced, months)[0]}


def plot_shape_comparison(inputs: SurvivalInputs, label: str, ax=None):
    """Two reconstructions of one arm: from every printed point and from the median alone,
    with the printed points marked. Between the printed points the shape is assumed."""
    ax = _axes(ax)
    for printed, name, style in ((inputs.printed, "rebuilt from median, landmarks and events", "-"),
                                 (without_landmarks(inputs.printed), "rebuilt from median and events only", "--")):
        kaplan_meier(reconstruct(printed).data, name).plot_survival_function(
            ax=ax, ci_show=False, show_censors=False, linestyle=style)
    for months, rate in inputs.printed.landmarks:
        ax.plot(months, rate / 100, "o", mfc="none", color="black", markersize=7)
    if inputs.printed.median is not None:
        ax.plot([inputs.printed.median], [0.5], "o", mfc="none", color="black", markersize=7,
                label="printed median and landmark rates")
    _finish(ax, f"{label}: two reconstructions")
    return ax


def digitised_arms(inputs: list[SurvivalInputs]) -> list[SurvivalInputs]:
    """Arms with a digitised Kaplan-Meier figure and its numbers at risk."""
    return [i for i in inputs if i.curve is not None]


def plot_digitised(inputs: SurvivalInputs, label: str, ax=None):
    """A digitised figure's points beside two reconstructions of the same arm: from the
    digitised curve and numbers at risk (Guyot et al. 2012) and from the printed summaries."""
    ax = _axes(ax)
    ax.step(inputs.curve["time_months"], inputs.curve["survival"] / 100, where="post", color="grey",
            linewidth=3, alpha=0.5, label="digitised points of the printed figure")
    guyot = analyse_arm(inputs)
    kaplan_meier(guyot.result.data, "rebuilt from the digitised curve (Guyot)").plot_survival_function(
        ax=ax, ci_show=False, show_censors=True, censor_styles={"ms": 4, "marker": "|"})
    if inputs.printed.median is not None or inputs.printed.landmarks:
        if inputs.printed.min_follow_up_months is not None:
            kaplan_meier(reconstruct(inputs.printed).data, "rebuilt from printed summaries only").plot_survival_function(
                ax=ax, ci_show=False, show_censors=False, linestyle="--")
    _finish(ax, f"{label}: digitised figure and reconstructions")
    return ax


def _finish(ax, title: str) -> None:
    ax.axhline(0.5, color="grey", linewidth=0.5, linestyle=":")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel("Months")
    ax.set_ylabel("Survival probability")
    ax.set_title(title, loc="left")
    ax.legend(fontsize=9, frameon=False, loc="lower left")
    ax.text(0.99, 0.98, RECONSTRUCTION_LABEL, transform=ax.transAxes, ha="right", va="top", fontsize=9,
            style="italic", color="#444")


def example_figure(arm: ArmReconstruction | None, label: str):
    """The example arm's reconstructed curve with censoring ticks and numbers at risk, or None."""
    if arm is None:
        return None
    return figure_of(plot_reconstructed_km, [arm], {arm.inputs.arm: label}, figsize=(8, 5),
                     title=f"{label}: reconstructed Kaplan-Meier curve",
                     description=f"Kaplan-Meier curve of {label}, reconstructed from its printed summaries (not "
                                 f"patient records), with censoring ticks and numbers at risk: "
                                 f"{_printed_points(arm.inputs)}; median of the rebuilt data {_months(arm.median)}.")


def shape_figure(inputs: SurvivalInputs | None, label: str):
    """Figure of :func:`plot_shape_comparison`, or None when no arm fits."""
    if inputs is None:
        return None
    return figure_of(plot_shape_comparison, inputs, label, figsize=(8, 4.6),
                     description=f"Two reconstructions of {label}: one from every printed point, one from the "
                                 f"median and events alone; printed points: {_printed_points(inputs)}. Between the "
                                 "printed points the curves' shape is assumed.")


def digitised_figure(inputs: SurvivalInputs | None, label: str):
    """Figure of :func:`plot_digitised`, or None when no figure has been digitised."""
    if inputs is None:
        return None
    return figure_of(plot_digitised, inputs, label, figsize=(8, 4.6),
                     description=f"{label}: the digitised Kaplan-Meier figure beside the curves rebuilt from it and "
                                 f"from the printed summaries; printed points: {_printed_points(inputs)}.")


def _printed_points(inputs: SurvivalInputs) -> str:
    """'median 18.53 months, 12 months 71.8%, 23 events' for a description."""
    printed = inputs.printed
    parts = ([f"median {printed.median:g} months"] if printed.median is not None else [])
    parts += [f"{months:g} months {rate:g}%" for months, rate in printed.landmarks]
    parts += [f"{printed.events} events"] if printed.events is not None else []
    return ", ".join(parts) or "none"


def _months(value: float) -> str:
    return "not reached" if not np.isfinite(value) else f"{value:.1f} months"


def facts(studies: list[Study], inputs: list[SurvivalInputs], example: ArmReconstruction | None,
          months: float = LANDMARK_MONTHS) -> dict[str, object]:
    """Every data-dependent value the chapter's prose states, by glue key."""
    rebuilt = [i for i in inputs if not i.missing]
    facts: dict[str, object] = {
        "km_n_arms": len(inputs), "km_n_rebuilt": len(rebuilt), "km_n_not_rebuilt": len(inputs) - len(rebuilt),
        "km_landmark": f"{months:g}",
        "km_not_rebuilt": "; ".join(f"{arm_label(studies, i)}: {i.missing}" for i in inputs if i.missing) or "none",
    }
    if example is None:
        facts.update({k: "no example in the current data" for k in (
            "km_example", "km_example_printed", "km_example_median", "km_example_median_ci",
            "km_example_median_printed", "km_example_landmark", "km_example_at_risk", "km_example_naive_free",
            "km_example_naive_dropped", "km_example_censored_before")})
        facts.update({"km_example_n": "no", "km_example_events": "no", "km_example_censored": "no"})
    else:
        data = example.result.data
        label = arm_label(studies, example.inputs)
        estimate, low, high = landmark(data, months)
        naive = naive_landmarks(data, months)
        summary = median_summary(example)
        facts.update({
            "km_example": label, "km_example_printed": printed_text(studies, example.inputs),
            "km_example_n": len(data), "km_example_events": int(data["event"].sum()),
            "km_example_censored": int((data["event"] == 0).sum()),
            "km_example_median": _months(example.median),
            "km_example_median_ci": f"{summary['reconstructed 95% CI']}",
            "km_example_median_printed": next((p for p in printed_text(studies, example.inputs).split("; ")
                                               if p.startswith("median")), "no median"),
            "km_example_landmark": f"{estimate:.1f}% (95% CI {low:.1f}–{high:.1f}%)",
            "km_example_at_risk": at_risk(data, months),
            "km_example_censored_before": naive["censored before the landmark"],
            "km_example_naive_free": f"{naive['censored counted as event-free (%)']:.1f}%",
            "km_example_naive_dropped": f"{naive['censored dropped (%)']:.1f}%",
        })
    arms = [analyse_arm(i) for i in rebuilt]
    open_ci = open_median_intervals(arms)
    facts["km_n_open_ci"] = len(open_ci)
    facts["km_open_ci"] = "; ".join(
        f"{arm_label(studies, a.inputs)} (median {_months(a.median)}, 95% CI from {a.median_ci[0]:.1f} months, "
        "upper limit not reached)" for a in open_ci) or "no arm in the current data"
    shape = shape_example(inputs, studies)
    if shape is None:
        facts.update({"km_shape_example": "no arm in the current data prints both a median and landmark rates",
                      "km_shape_printed": "not available", "km_shape_full": "not available",
                      "km_shape_reduced": "not available"})
    else:
        comparison = shape_comparison(shape, months)
        printed = comparison["printed (%)"]
        facts.update({"km_shape_example": arm_label(studies, shape),
                      "km_shape_printed": "not printed" if math.isnan(printed) else f"{printed:g}%",
                      "km_shape_full": f"{comparison['all printed points (%)']:.1f}%",
                      "km_shape_reduced": f"{comparison['median and events only (%)']:.1f}%"})
    digitised = digitised_arms(inputs)
    facts["km_n_digitised"] = len(digitised)
    facts["km_digitised"] = "; ".join(arm_label(studies, i) for i in digitised) or (
        "none yet: no figure of the included papers has been digitised into the review's data")
    return facts
