"""Validation of a study's digitised Kaplan-Meier curves and numbers at risk: each curve
starts at (0, 100%), its times increase and its survival and numbers at risk never rise."""

from __future__ import annotations

from pathlib import Path

from .. import paths
from ..curated.studies import ROW_COLUMN, read_csv_text
from .problems import Problem


def validate_curves(folder: Path) -> list[Problem]:
    """A digitised curve starts at (0, 100%) and never rises; numbers at risk never rise."""
    problems = []
    checks = [("km_curves.csv", "survival", "a survival not above the previous point's"),
              ("at_risk.csv", "n_at_risk", "a number at risk not above the previous time's")]
    for file_name, column, expectation in checks:
        path = folder / file_name
        if not path.is_file():
            continue
        table = read_csv_text(path)
        file = paths.relative_to_root(path)
        for _, rows in table.groupby(["arm", "population", "endpoint"], sort=False):
            times = rows["time_months"].astype(float)
            values = rows[column].astype(float)
            if not times.is_monotonic_increasing:
                first = rows[times.diff() < 0].iloc[0]
                problems.append(Problem(file, int(first[ROW_COLUMN]), "time_months", first["time_months"],
                                        "times in increasing order within a curve"))
                continue
            if file_name == "km_curves.csv" and (times.iloc[0] != 0 or values.iloc[0] != 100):
                first = rows.iloc[0]
                problems.append(Problem(file, int(first[ROW_COLUMN]), "survival", first["survival"],
                                        "a curve starting at time 0 and 100%"))
                continue  # the rest of the curve is judged once its start is right
            outside = rows[(values < 0) | (values > 100)] if column == "survival" else rows.iloc[0:0]
            if not outside.empty:
                first = outside.iloc[0]
                problems.append(Problem(file, int(first[ROW_COLUMN]), column, first[column],
                                        "a survival percentage from 0 to 100"))
                continue
            rising = rows[values.diff() > 0]
            if not rising.empty:
                first = rising.iloc[0]
                problems.append(Problem(file, int(first[ROW_COLUMN]), column, first[column], expectation))
    return problems
