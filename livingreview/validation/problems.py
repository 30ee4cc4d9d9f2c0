"""What validation reports: one :class:`Problem` per thing wrong, naming the file, row,
column, the value found and what was expected, so a maintainer sees every problem at once;
and the error that lists them when the data must be valid."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One validation problem, located as precisely as the input allows."""

    file: str
    row: int | None  # a table's data row (1-based); None for YAML files
    column: str | None  # a table's column, or a YAML file's key path ("populations[0].n")
    value: str | None
    expected: str
    line: int | None = None  # a YAML file's line (1-based)

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row} (line {self.row + 1})")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            kind = "key" if self.file.endswith((".yaml", ".yml")) else "column"
            where.append(f"{kind} '{self.column}'")
        found = "" if self.value is None else f"found {self.value!r}; "
        return f"{', '.join(where)}: {found}expected {self.expected}"


class DataValidationError(Exception):
    """Raised by :func:`require_valid` when the data has problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in the curated data:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


def enum_text(allowed: tuple[str, ...]) -> str:
    """What a value must be when only some are allowed: "one of a, b, c"."""
    return "one of " + ", ".join(allowed)
