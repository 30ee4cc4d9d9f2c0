"""Validation harness of the survival reconstruction: simulate trials with known truth,
print what a paper would print, reconstruct, and measure the errors.

Each simulated trial has two arms with Weibull survival (proportional hazards, so the true
hazard ratio is known), staggered entry over an enrolment period, administrative censoring
at a cut-off and, in some scenarios, loss to follow-up. From each arm's simulated data the
harness computes what a paper prints (event count, Kaplan-Meier median, landmark rates at
6 and 12 months, rounded as papers round them), reconstructs pseudo patient-level data
from that alone, and compares: the reconstructed median and landmarks against the printed
ones and against the truth, and the Cox hazard ratio of the reconstructed arms against the
Cox hazard ratio of the simulated data (what the paper would have printed) and the truth.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .reconstruct import PrintedSurvival, _km_at, km_median, reconstruct

LANDMARK_MONTHS = (6.0, 12.0)


@dataclass(frozen=True)
class Scenario:
    """One simulated design."""

    n_per_arm: int
    weibull_shape: float  # < 1 falling hazard, 1 constant, > 1 rising
    control_median: float  # months
    hazard_ratio: float  # experimental vs control (true, proportional hazards)
    accrual_months: float
    min_follow_up_months: float
    loss_hazard: float  # per month; 0 = administrative censoring only

    @property
    def name(self) -> str:
        return (f"n={self.n_per_arm}, shape={self.weibull_shape:g}, HR={self.hazard_ratio:g}, "
                f"loss={self.loss_hazard:g}")


def scenarios(sizes=(30, 60, 120), shapes=(0.7, 1.0, 1.5), losses=(0.0, 0.02)) -> list[Scenario]:
    """The grid of designs: sample sizes x hazard shapes x censoring patterns."""
    return [Scenario(n, k, 8.0, 0.6, 24.0, 12.0, loss) for n, k, loss in itertools.product(sizes, shapes, losses)]


def _weibull_scale(median: float, shape: float) -> float:
    return median / math.log(2) ** (1 / shape)


def true_survival(scenario: Scenario, months: float, experimental: bool) -> float:
    """True survival probability of an arm at ``months``."""
    scale = _weibull_scale(scenario.control_median, scenario.weibull_shape)
    control = math.exp(-((months / scale) ** scenario.weibull_shape))
    return control ** scenario.hazard_ratio if experimental else control


def true_median(scenario: Scenario, experimental: bool) -> float:
    scale = _weibull_scale(scenario.control_median, scenario.weibull_shape)
    ratio = scenario.hazard_ratio if experimental else 1.0
    return scale * (math.log(2) / ratio) ** (1 / scenario.weibull_shape)


def simulate_arm(scenario: Scenario, experimental: bool, rng: np.random.Generator) -> pd.DataFrame:
    """Simulated (time, event) data of one arm."""
    n = scenario.n_per_arm
    scale = _weibull_scale(scenario.control_median, scenario.weibull_shape)
    ratio = scenario.hazard_ratio if experimental else 1.0
    # S(t) = exp(-ratio (t/scale)^k)  =>  T = scale (E / ratio)^(1/k), E ~ Exp(1)
    event_times = scale * (rng.exponential(size=n) / ratio) ** (1 / scenario.weibull_shape)
    follow_up = scenario.min_follow_up_months + rng.uniform(0, scenario.accrual_months, n)
    loss = rng.exponential(1 / scenario.loss_hazard, n) if scenario.loss_hazard > 0 else np.full(n, np.inf)
    limit = np.minimum(follow_up, loss)
    event = event_times <= limit
    return pd.DataFrame({"time": np.where(event, event_times, limit), "event": event.astype(int)})


def printed_from(data: pd.DataFrame, scenario: Scenario, label: str) -> PrintedSurvival:
    """What a paper would print about one arm: events, KM median (2 decimals), landmarks (1 decimal)."""
    times, events = data["time"].to_numpy(), data["event"].to_numpy()
    median = km_median(times, events)
    landmarks = tuple((t, round(100 * _km_at(times, events, t), 1)) for t in LANDMARK_MONTHS
                      if times.max() >= t)
    return PrintedSurvival(
        n=len(data), events=int(events.sum()),
        median=round(median, 2) if math.isfinite(median) else None, landmarks=landmarks,
        accrual_months=scenario.accrual_months, min_follow_up_months=scenario.min_follow_up_months,
        label=label)


def _cox_hr(experimental: pd.DataFrame, control: pd.DataFrame) -> float:
    from lifelines import CoxPHFitter

    frame = pd.concat([experimental.assign(group=1), control.assign(group=0)], ignore_index=True)
    return float(CoxPHFitter().fit(frame, "time", "event").hazard_ratios_["group"])


def run_dataset(scenario: Scenario, seed: int) -> list[dict]:
    """Simulate one trial, reconstruct both arms, and return one row of errors per arm."""
    rng = np.random.default_rng(seed)
    simulated = {arm: simulate_arm(scenario, arm == "experimental", rng) for arm in ("experimental", "control")}
    rebuilt, rows = {}, []
    for arm, data in simulated.items():
        printed = printed_from(data, scenario, f"simulation/{seed}/{arm}")
        result = reconstruct(printed).data
        rebuilt[arm] = result
        times, events = result["time"].to_numpy(), result["event"].to_numpy()
        row = {"scenario": scenario.name, "seed": seed, "arm": arm, "n": scenario.n_per_arm,
               "shape": scenario.weibull_shape, "loss_hazard": scenario.loss_hazard,
               "events_error": int(events.sum()) - printed.events}
        median = km_median(times, events)
        if printed.median is not None and math.isfinite(median):
            row["median_error_vs_printed"] = median - printed.median
            row["median_error_vs_truth"] = median - true_median(scenario, arm == "experimental")
        for t, rate in printed.landmarks:
            reconstructed = 100 * _km_at(times, events, t)
            row[f"landmark_{t:g}_error_vs_printed"] = reconstructed - rate
            row[f"landmark_{t:g}_error_vs_truth"] = reconstructed - 100 * true_survival(
                scenario, t, arm == "experimental")
        rows.append(row)
    data_hr = _cox_hr(simulated["experimental"], simulated["control"])
    rebuilt_hr = _cox_hr(rebuilt["experimental"], rebuilt["control"])
    for row in rows:
        row["log_hr_error_vs_data"] = math.log(rebuilt_hr) - math.log(data_hr)
        row["log_hr_error_vs_truth"] = math.log(rebuilt_hr) - math.log(scenario.hazard_ratio)
    return rows


def run_harness(replicates: int = 3, base_seed: int = 20260101, grid: list[Scenario] | None = None) -> pd.DataFrame:
    """Errors of every arm of every simulated data set (``replicates`` per scenario)."""
    grid = scenarios() if grid is None else grid
    rows = []
    for i, scenario in enumerate(grid):
        for r in range(replicates):
            rows += run_dataset(scenario, base_seed + 1000 * i + r)
    return pd.DataFrame(rows)


ERROR_COLUMNS = ["median_error_vs_printed", "median_error_vs_truth", "landmark_6_error_vs_printed",
                 "landmark_12_error_vs_printed", "landmark_6_error_vs_truth", "landmark_12_error_vs_truth",
                 "log_hr_error_vs_data", "log_hr_error_vs_truth"]


ERROR_LABELS = {
    "median_error_vs_printed": "Median, reconstructed - printed (months)",
    "median_error_vs_truth": "Median, reconstructed - true (months)",
    "landmark_6_error_vs_printed": "6-month rate, reconstructed - printed (points)",
    "landmark_12_error_vs_printed": "12-month rate, reconstructed - printed (points)",
    "landmark_6_error_vs_truth": "6-month rate, reconstructed - true (points)",
    "landmark_12_error_vs_truth": "12-month rate, reconstructed - true (points)",
    "log_hr_error_vs_data": "log HR, reconstructed - simulated data's Cox HR",
    "log_hr_error_vs_truth": "log HR, reconstructed - true HR",
}


def summarise(errors: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Distribution of each error: count, mean, median absolute, 95th-percentile and maximum
    absolute error; one block per value of ``by`` (e.g. ``"n"``) when given."""
    groups = [("all", errors)] if by is None else list(errors.groupby(by, sort=True))
    rows = []
    for key, group in groups:
        for column in ERROR_COLUMNS:
            values = group[column].dropna() if column in group else pd.Series(dtype=float)
            if values.empty:
                continue
            absolute = values.abs()
            rows.append({**({} if by is None else {by: key}), "error": ERROR_LABELS[column],
                         "values": len(values), "mean": values.mean(), "median_abs": absolute.median(),
                         "p95_abs": absolute.quantile(0.95), "max_abs": absolute.max()})
    return pd.DataFrame(rows)
