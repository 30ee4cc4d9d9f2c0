"""Rules about what the values of one row of a curated table mean together: ranges, count <=
denominator, a CI containing its estimate, a population declared for the row's arm.

They are pass 2 of a table's validation (:mod:`livingreview.validation.tables`), run on the
cells that parsed. A rule about plausible values may be waived for a row the curator marked
``verified_as_printed``; the audit applies those rules again to show such values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd
import pandera.pandas as pa

# Rules about plausible values rather than structure. A paper can print an implausible value
# (a CI that excludes its estimate); the curator then marks the row verified_as_printed, the
# validator lets it through and the audit reports it. Structural rules are never waived.
WAIVABLE_RULES = frozenset({
    "count_le_denominator", "ci_ordered", "ci_contains_estimate", "percent_range",
    "ci_percent_range", "range_ordered", "range_contains_value", "count_le_n",
})


@dataclass(frozen=True)
class RowRule:
    """A rule about values of one row; ``column`` is the cell blamed when it fails."""

    name: str
    column: str
    expected: str
    holds: Callable[[pd.DataFrame], pd.Series]

    @property
    def waivable(self) -> bool:
        return self.name in WAIVABLE_RULES

    def check(self, df: pd.DataFrame) -> pd.Series:
        """Whether each row satisfies the rule, honouring verified_as_printed."""
        result = self.holds(df)
        if self.waivable and "verified_as_printed" in df:
            result = result | df["verified_as_printed"].eq("yes")
        return result


def _has(df: pd.DataFrame, *columns: str) -> pd.Series:
    present = pd.Series(True, index=df.index)
    for column in columns:
        present &= df[column].notna()
    return present


def _no_more_than(small: str, large: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: ~_has(df, small, large) | (df[small] <= df[large])


def _within(low: str, value: str, high: str) -> Callable[[pd.DataFrame], pd.Series]:
    # A reversed interval is reported by its own rule, not again here.
    return lambda df: (~_has(df, low, value, high) | (df[low] > df[high])
                       | ((df[low] <= df[value]) & (df[value] <= df[high])))


# Measures whose percentages are shares of patients; a mean percent change may be negative.
RATE_MEASURES = ("count", "proportion", "landmark")


def _percent_range(column: str, unit_column: str | None = None) -> Callable[[pd.DataFrame], pd.Series]:
    def holds(df: pd.DataFrame) -> pd.Series:
        is_percent = (df[unit_column].eq("percent") & df["measure"].isin(RATE_MEASURES)
                      if unit_column else pd.Series(True, index=df.index))
        return ~(is_percent & df[column].notna()) | df[column].between(0, 100)

    return holds


def _required_when(column: str, condition: Callable[[pd.DataFrame], pd.Series]) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: ~condition(df) | df[column].notna()


def _measure_is(*measures: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: df["measure"].isin(measures)


def _pair_declared(pairs: set[tuple[str, str]]) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: pd.Series(
        [(a, p) in pairs for a, p in zip(df["arm"], df["population"])], index=df.index, dtype=bool
    )


def row_rules(table: str, pairs: set[tuple[str, str]]) -> list[RowRule]:
    """Pass-2 rules of a table. ``pairs`` are the declared (arm, population) pairs."""
    declared = RowRule(
        "population_of_arm", "population", "a population declared for this arm in study.yaml",
        _pair_declared(pairs),
    )
    counts = [
        RowRule("count_le_denominator", "count", "count <= denominator", _no_more_than("count", "denominator")),
        RowRule("denominator_positive", "denominator", "denominator >= 1",
                lambda df: ~_has(df, "denominator") | (df["denominator"] >= 1)),
    ]
    interval = [
        RowRule("ci_ordered", "ci_low", "ci_low <= ci_high", _no_more_than("ci_low", "ci_high")),
        RowRule("ci_contains_estimate", "estimate", "ci_low <= estimate <= ci_high",
                _within("ci_low", "estimate", "ci_high")),
    ]
    if table == "outcomes":
        return [declared, *counts, *interval,
                RowRule("percent_range", "estimate", "a percentage between 0 and 100",
                        _percent_range("estimate", "unit")),
                RowRule("ci_percent_range", "ci_high", "a percentage between 0 and 100",
                        _percent_range("ci_high", "unit")),
                RowRule("landmark_time", "timepoint_months", "a timepoint for a landmark rate",
                        _required_when("timepoint_months", _measure_is("landmark"))),
                RowRule("ratio_positive", "estimate", "a ratio > 0",
                        lambda df: ~(_measure_is("hazard_ratio", "odds_ratio")(df) & df["estimate"].notna())
                        | (df["estimate"] > 0)),
                RowRule("value_present", "estimate", "an estimate, a count, estimate_text or a p-value",
                        lambda df: _has(df, "estimate") | _has(df, "count") | _has(df, "estimate_text")
                        | _has(df, "p_value"))]
    if table == "adverse_events":
        return [declared, *counts,
                RowRule("percent_range", "percent", "a percentage between 0 and 100", _percent_range("percent")),
                RowRule("value_present", "count", "a count, a percent or count_text",
                        lambda df: _has(df, "count") | _has(df, "percent") | _has(df, "count_text"))]
    if table == "baseline":
        return [declared, *counts,
                RowRule("percent_range", "percent", "a percentage between 0 and 100", _percent_range("percent")),
                RowRule("range_ordered", "value_low", "value_low <= value_high", _no_more_than("value_low", "value_high")),
                RowRule("range_contains_value", "value", "value_low <= value <= value_high",
                        _within("value_low", "value", "value_high"))]
    if table == "subgroups":
        return [declared, *interval,
                RowRule("count_le_n", "count", "count <= n", _no_more_than("count", "n")),
                RowRule("ratio_positive", "estimate", "a ratio > 0",
                        lambda df: ~(_measure_is("hazard_ratio", "odds_ratio")(df) & df["estimate"].notna())
                        | (df["estimate"] > 0))]
    return []


def rule_schema(rules: list[RowRule]) -> pa.DataFrameSchema:
    """Pass-2 pandera schema made of row rules (DataFrame-level checks)."""
    return pa.DataFrameSchema(checks=[pa.Check(r.check, name=r.name, error=r.expected) for r in rules])
