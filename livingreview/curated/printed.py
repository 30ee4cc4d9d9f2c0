"""Numbers as printed: their precision, and whether a computed value rounds to them.

Curated tables keep numbers as the text printed them ("8.70", "10"), so that a recomputed
value can be judged at the printed precision rather than against an arbitrary tolerance.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

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
