"""What the reconstruction-validation page shows: the harness run and its summaries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .display import glue_facts, table
from .plotting import harness_figure
from ..results.table import RESULT_COLUMNS, write_results
from ..statistics.simulation import ERROR_LABELS, run_harness, scenarios, summarise

SHOWN_ERRORS = ["median_error_vs_printed", "landmark_12_error_vs_printed", "log_hr_error_vs_data"]


@dataclass
class ValidationPage:
    """One run of the validation harness."""

    errors: pd.DataFrame
    replicates: int

    @classmethod
    def run(cls, replicates: int = 3) -> "ValidationPage":
        return cls(run_harness(replicates=replicates), replicates)

    def facts(self) -> dict[str, object]:
        summary = summarise(self.errors).set_index("error")
        p95 = summary["p95_abs"]
        return {
            "n_trials": int(self.errors["seed"].nunique()),
            "n_scenarios": len(scenarios()),
            "true_hr": f"{scenarios()[0].hazard_ratio:g}",
            "p95_median_printed": f"{p95[ERROR_LABELS['median_error_vs_printed']]:.2f}",
            "p95_landmark_printed": f"{max(p95[ERROR_LABELS['landmark_6_error_vs_printed']], p95[ERROR_LABELS['landmark_12_error_vs_printed']]):.1f}",
            "p95_hr_factor": f"{math.exp(p95[ERROR_LABELS['log_hr_error_vs_data']]):.2f}",
        }

    def glue_facts(self) -> None:
        glue_facts(self.facts())

    def figure(self):
        return harness_figure(self.errors, {c: ERROR_LABELS[c] for c in SHOWN_ERRORS})

    def summary_table(self):
        summary = summarise(self.errors, by="n")
        shown = summary.rename(columns={"n": "Patients per arm", "error": "Error", "values": "Values",
                                        "mean": "Mean", "median_abs": "Median |error|",
                                        "p95_abs": "95th percentile |error|", "max_abs": "Max |error|"})
        for column in ["Mean", "Median |error|", "95th percentile |error|", "Max |error|"]:
            shown[column] = shown[column].map(lambda v: f"{v:.3f}")
        return table(shown)

    def write_results(self, path: str | Path) -> pd.DataFrame:
        """The harness summary as result rows (scope ``reconstruction_validation``)."""
        summary = summarise(self.errors, by="n")
        rows = [{"scope": "reconstruction_validation", "arm": "", "population": f"n={r['n']} per arm",
                 "endpoint": r["error"], "statistic": "p95 absolute error", "estimate": r["p95_abs"],
                 "ci_low": math.nan, "ci_high": math.nan,
                 "method": f"simulation harness, {self.replicates} trials per design", "printed": "",
                 "data_file": "", "data_row": ""} for r in summary.to_dict("records")]
        frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
        write_results(frame, Path(path))
        return frame
