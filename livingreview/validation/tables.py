"""Validation of one curated CSV table against the data dictionary, with pandera.

A table is validated in two passes. Pass 1 checks what each cell is (type, allowed value,
required, reference to an arm, population or vocabulary term) on the text. Pass 2 checks what
values mean together (:mod:`livingreview.validation.row_rules`: ranges, count <= denominator,
CI containing its estimate) on the cells that parsed, so a bad cell is reported once, by
pass 1, and does not hide the other problems of its table.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from .. import paths
from ..curated.dictionary import ColumnSpec, TableSpec
from ..curated.printed import NUMBER_PATTERN, P_VALUE_PATTERN
from ..curated.studies import ROW_COLUMN, read_csv_text, typed
from .encoding import utf8_text
from .problems import Problem, enum_text
from .row_rules import row_rules, rule_schema

# The best-response categories, as the endpoint column of outcomes.csv names them.
RESPONSE_CATEGORIES = ("CR", "PR", "SD", "PD", "NE")


def _text_check(column: ColumnSpec, references: dict[str, list[str]]) -> pa.Check | None:
    """The pass-1 check of one column's cells (as text), or None for free text."""
    if column.type == "integer":
        return pa.Check.str_matches(r"^\d+$", error="a whole number (digits only)")
    if column.type == "number":
        return pa.Check.str_matches(NUMBER_PATTERN, error="a number as printed, e.g. 8.70")
    if column.type == "p_value":
        return pa.Check.str_matches(P_VALUE_PATTERN, error="a p-value such as 0.023, <0.001 or >0.05")
    if column.type == "enum":
        return pa.Check.isin(column.allowed, error=enum_text(column.allowed))
    if column.type == "id":
        known = references.get(column.references)
        if known is None:
            return None  # the list itself is invalid and reported on its own
        what = {
            "arm": "an arm defined in study.yaml",
            "population": "a population defined in study.yaml",
            "ae_term": "a term mapped in data/vocabulary/ae_terms.csv",
        }[column.references]
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        return pa.Check.isin(known, error=f"{what} ({shown})")
    return None


def text_schema(spec: TableSpec, references: dict[str, list[str]]) -> pa.DataFrameSchema:
    """Pass-1 pandera schema: types, allowed values, required cells, references."""
    columns = {}
    for column in spec.columns:
        check = _text_check(column, references)
        columns[column.name] = pa.Column(
            str,
            nullable=not column.required,
            checks=[check] if check is not None else [],
            unique=column.unique,
            report_duplicates="exclude_first",
        )
    return pa.DataFrameSchema(columns, strict=False)


def _failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return errors.failure_cases
    return pd.DataFrame()


def _cell(frame: pd.DataFrame, index, column: str | None) -> str | None:
    if column is None or column not in frame or index not in frame.index:
        return None
    value = frame.at[index, column]
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _duplicate_problems(text: pd.DataFrame, file: str) -> list[Problem]:
    content = text.drop(columns=[ROW_COLUMN])
    duplicated = content.duplicated(keep="first")
    problems = []
    for index in content.index[duplicated]:
        first = content.index[(content == content.loc[index]).all(axis=1)][0]
        problems.append(Problem(file, int(text.at[index, ROW_COLUMN]), None, None,
                                f"a unique row (it repeats row {int(text.at[first, ROW_COLUMN])})"))
    return problems


def _response_sum_problems(values: pd.DataFrame, file: str) -> list[Problem]:
    """Best-response categories of one arm, population and place must not exceed their denominator."""
    if values.empty:
        return []
    categories = values[values["endpoint"].isin(RESPONSE_CATEGORIES) & values["measure"].eq("count")]
    problems = []
    for (arm, population, source), group in categories.groupby(["arm", "population", "source"]):
        total = group["count"].sum()
        denominators = group["denominator"].dropna().unique()
        if len(denominators) == 1 and total > denominators[0]:
            last = group.iloc[-1]
            problems.append(Problem(
                file, int(last[ROW_COLUMN]), "count", str(int(total)),
                f"best-response counts of arm '{arm}', population '{population}' in '{source}' "
                f"to add up to at most their denominator {int(denominators[0])}",
            ))
    return problems


def validate_table(path: Path, spec: TableSpec, references: dict[str, list[str]],
                   pairs: set[tuple[str, str]]) -> list[Problem]:
    """All problems of one CSV table."""
    file = paths.relative_to_root(path)
    if not path.is_file():
        return [Problem(file, None, None, None, f"the file to exist (table '{spec.name}')")]
    content, undecodable = utf8_text(path)
    if undecodable:
        return [undecodable]
    if not content.strip():
        return [Problem(file, None, None, None, "a header row: " + ",".join(spec.column_names))]
    try:
        text = read_csv_text(path)
    except pd.errors.ParserError as exc:  # the text decodes (checked above)
        return [Problem(file, None, None, None, f"well-formed UTF-8 CSV ({exc})")]

    header = [c for c in text.columns if c != ROW_COLUMN]
    problems = [Problem(file, None, c, None, "a column of the data dictionary (unknown column)")
                for c in header if c not in spec.column_names]
    problems += [Problem(file, None, c, None, "this column (missing from the header)")
                 for c in spec.column_names if c not in header]
    if problems:
        return problems
    if header != spec.column_names:
        return [Problem(file, None, None, ",".join(header),
                        "columns in dictionary order: " + ",".join(spec.column_names))]

    problems += [Problem(file, int(text.at[i, ROW_COLUMN]), c, None, "no line break inside a cell")
                 for c in spec.column_names for i in text.index[text[c].str.contains("\n")]]
    duplicates = _duplicate_problems(text, file)
    problems += duplicates
    duplicate_rows = {p.row for p in duplicates}

    cells = text.replace("", None)
    failures = _failures(text_schema(spec, references), cells)
    bad_cells = set()
    for _, failure in failures.iterrows():
        if failure["index"] is None or pd.isna(failure["index"]):
            continue
        index, column = failure["index"], failure["column"]
        check = str(failure["check"])
        if check == "not_nullable":
            expected = "a value (this column is required)"
        elif check.startswith("field_uniqueness"):
            if int(text.at[index, ROW_COLUMN]) in duplicate_rows:
                continue  # the whole row repeats, and is reported as such
            expected = "a value not already used in an earlier row"
        else:
            expected = check
        bad_cells.add((index, column))
        problems.append(Problem(file, int(text.at[index, ROW_COLUMN]), column,
                                _cell(cells, index, column), expected))

    # Pass 2 on the rows whose cells all passed: a bad cell is reported once, by pass 1.
    failed_rows = {index for index, _ in bad_cells}
    values = typed(cells.drop(index=list(failed_rows)).fillna(""), spec)
    rules = row_rules(spec.name, pairs)
    for _, failure in _failures(rule_schema(rules), values).iterrows():
        if failure["index"] is None or pd.isna(failure["index"]):
            continue
        rule = next(r for r in rules if r.expected == failure["check"])
        index = failure["index"]
        failed_rows.add(index)
        problems.append(Problem(file, int(text.at[index, ROW_COLUMN]), rule.column,
                                _cell(cells, index, rule.column), rule.expected))
    if spec.name == "outcomes":
        problems += _response_sum_problems(values.drop(index=list(failed_rows), errors="ignore"), file)
    return sorted(set(problems), key=lambda p: (p.row or 0, p.column or "", p.expected))
