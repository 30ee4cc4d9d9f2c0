"""Numbers and dates as printed: their precision, whether a computed value rounds to them,
which counts a printed percentage allows and which days a printed partial date can mean.

Curated tables keep numbers as the text printed them ("8.70", "10"), so that a recomputed
value can be judged at the printed precision rather than against an arbitrary tolerance.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

import pandas as pd

NUMBER_PATTERN = r"^-?\d+(\.\d+)?$"
P_VALUE_PATTERN = r"^(<|>|<=|>=)?(0?\.\d+|0|1|1\.0+|0\.\d+)$"

# A recomputed value counts as matching when it lies within half a unit of the printed last
# digit. The tiny slack absorbs binary floating-point error at the boundary (e.g. 8.695 stored
# as 8.69499999...), so that both round-half-up and round-half-even printings are accepted.
FLOAT_SLACK = 1e-9


def decimals(printed: str) -> int:
    """Number of digits after the decimal point in a printed number ("8.70" -> 2)."""
    text = str(printed).strip()
    if "." not in text:
        return 0
    return len(text.split(".", 1)[1])


def half_unit(printed: str) -> float:
    """Half a unit of the printed last digit ("76.1" -> 0.05)."""
    return 0.5 * 10 ** (-decimals(printed))


def to_float(printed: str | float | None) -> float:
    """Parse a printed number; NaN for an empty cell."""
    if printed is None:
        return math.nan
    if isinstance(printed, float):
        return printed
    text = str(printed).strip()
    if not text:
        return math.nan
    try:
        return float(Decimal(text))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {printed!r}") from exc


def matches_printed(value: float, printed: str) -> bool:
    """Whether ``value`` rounds to ``printed`` at the printed precision."""
    return abs(value - to_float(printed)) <= half_unit(printed) + FLOAT_SLACK


def format_like(value: float, printed: str) -> str:
    """``value`` formatted with as many decimals as ``printed`` has."""
    return f"{value:.{decimals(printed)}f}"


def parse_p_value(printed: str) -> tuple[str, float]:
    """Split a printed p-value into its relation ('=', '<', '>') and number."""
    text = str(printed).strip().replace(" ", "")
    match = re.match(r"^(<=|>=|<|>)?(.*)$", text)
    relation = match.group(1) or "="
    relation = {"<=": "<", ">=": ">"}.get(relation, relation)
    return relation, float(match.group(2))


def has_value(cell) -> bool:
    """Whether a table cell holds a value: not None, NaN or empty text."""
    return cell is not None and not (isinstance(cell, float) and math.isnan(cell)) and cell != ""


def attainable_counts(printed_percent: str, denominator: int) -> list[int]:
    """Whole counts k for which 100 k / denominator rounds to the printed percentage."""
    return [k for k in range(denominator + 1) if matches_printed(100 * k / denominator, printed_percent)]


def implied_count(row: dict, count_col: str = "count", denominator_col: str = "denominator",
                  percent_col: str = "estimate") -> int | None:
    """The printed count, or the only count the printed percentage allows; None if neither."""
    if has_value(row.get(count_col)):
        return int(row[count_col])
    if has_value(row.get(percent_col)) and has_value(row.get(denominator_col)):
        counts = attainable_counts(row[percent_col], int(row[denominator_col]))
        if len(counts) == 1:
            return counts[0]
    return None


def date_bounds(printed: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Earliest and latest day a printed (possibly partial) date can mean."""
    parts = printed.split("-")
    start = pd.Timestamp(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
    if len(parts) == 3:
        return start, start
    if len(parts) == 2:
        return start, start + pd.offsets.MonthEnd(0)
    return start, pd.Timestamp(int(parts[0]), 12, 31)
