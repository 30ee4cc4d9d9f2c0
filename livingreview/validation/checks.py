"""Validation of the curated data: schema, types, ranges and references.

Schemas are built from the data dictionary with pandera (CSV tables) and JSON Schema
(study.yaml). Every problem becomes one :class:`Problem` naming the file, row, column, the
value found and what was expected; :func:`validate_data_dir` collects them all, so a
maintainer sees every problem at once.

Validation runs in two passes per table. Pass 1 checks what each cell is (type, allowed
value, required, reference to an arm, population or vocabulary term) on the text. Pass 2
checks what values mean together (ranges, count <= denominator, CI containing its
estimate) on the cells that parsed, so a bad cell is reported once, by pass 1, and does not
hide the other problems of its table.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import jsonschema
import pandas as pd
import pandera.pandas as pa
import yaml

from .. import paths
from ..curated.studies import ROW_COLUMN, STUDY_FILE, read_csv_text, read_yaml, study_folders, typed
from ..curated.dictionary import ColumnSpec, TableSpec, load_dictionary
from ..curated.printed import NUMBER_PATTERN, P_VALUE_PATTERN
from ..curated.integrity import INTEGRITY_FILE
from ..curated.risk_of_bias import RISK_OF_BIAS_FILE
from ..curated.scaffold import PLACEHOLDER

ALL_ARMS = "all"
# Rules about plausible values rather than structure. A paper can print an implausible value
# (a CI that excludes its estimate); the curator then marks the row verified_as_printed, the
# validator lets it through and the audit reports it. Structural rules are never waived.
WAIVABLE_RULES = frozenset({
    "count_le_denominator", "ci_ordered", "ci_contains_estimate", "percent_range",
    "ci_percent_range", "range_ordered", "range_contains_value", "count_le_n",
})
RESPONSE_CATEGORIES = ("CR", "PR", "SD", "PD", "NE")
# pandera names its built-in type checks like this; they are reported as "a whole number" etc.
TYPE_WORDS = {"integer": "a whole number", "number": "a number"}


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


# ----------------------------------------------------------------------------- pass 1


def _enum_text(allowed: tuple[str, ...]) -> str:
    return "one of " + ", ".join(allowed)


def _text_check(column: ColumnSpec, references: dict[str, list[str]]) -> pa.Check | None:
    """The pass-1 check of one column's cells (as text), or None for free text."""
    if column.type == "integer":
        return pa.Check.str_matches(r"^\d+$", error="a whole number (digits only)")
    if column.type == "number":
        return pa.Check.str_matches(NUMBER_PATTERN, error="a number as printed, e.g. 8.70")
    if column.type == "p_value":
        return pa.Check.str_matches(P_VALUE_PATTERN, error="a p-value such as 0.023, <0.001 or >0.05")
    if column.type == "enum":
        return pa.Check.isin(column.allowed, error=_enum_text(column.allowed))
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


# ----------------------------------------------------------------------------- pass 2


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


# ----------------------------------------------------------------------------- running


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
    content, undecodable = _utf8_text(path)
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


# ----------------------------------------------------------------------------- study.yaml


def _load_yaml(path: Path) -> tuple[object, list[Problem]]:
    file = paths.relative_to_root(path)
    if not path.is_file():
        return None, [Problem(file, None, None, None, "the file to exist")]
    undecodable = _utf8_text(path)[1]
    if undecodable:
        return None, [undecodable]
    try:
        content = read_yaml(path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(file, None, getattr(exc, "key", None), None, f"well-formed YAML ({reason})",
                              line=line)]
    if not isinstance(content, dict):
        return None, [Problem(file, None, None, None, "a YAML mapping")]
    unfilled = [Problem(file, None, key, str(value), "the extracted value, not the new-study placeholder "
                        "(delete an optional key the paper does not print)")
                for key, value in _placeholders(content)]
    if unfilled:
        return None, unfilled  # the schema's complaints about placeholders would only repeat these
    return content, []


def _utf8_text(path: Path) -> tuple[str, Problem | None]:
    """The text of ``path``, or "" and a problem naming its first byte that is not UTF-8 (its
    offset and line)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return "", Problem(paths.relative_to_root(path), None, None, f"byte 0x{raw[exc.start]:02x}",
                           f"UTF-8 text (the byte at offset {exc.start}, on line {line}, is not UTF-8: save the "
                           "file as UTF-8)")


def yaml_key_lines(path: Path) -> dict[str, int]:
    """The line (1-based) of each key path of a YAML file, as validation names keys:
    "data_cutoff.date", "populations[0].n"; empty when the file does not parse."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, UnicodeDecodeError):
        return {}
    lines: dict[str, int] = {}

    def walk(node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = f"{prefix}.{key.value}" if prefix else str(key.value)
                lines.setdefault(name, key.start_mark.line + 1)
                walk(value, name)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                name = f"{prefix}[{index}]"
                lines.setdefault(name, item.start_mark.line + 1)
                walk(item, name)

    walk(root, "")
    return lines


def with_yaml_lines(problems: list[Problem]) -> list[Problem]:
    """Each problem about a YAML key, with the key's line added where the file shows it."""
    found: dict[str, dict[str, int]] = {}
    located = []
    for problem in problems:
        if problem.file.endswith((".yaml", ".yml")) and problem.column and problem.line is None:
            if problem.file not in found:
                path = Path(problem.file)
                found[problem.file] = yaml_key_lines(path if path.is_absolute() else paths.PROJECT_ROOT / path)
            line = found[problem.file].get(problem.column)
            if line is not None:
                problem = replace(problem, line=line)
        located.append(problem)
    return located


def _placeholders(content, key: str = "") -> list[tuple[str, object]]:
    """(key path, value) of every value still holding the new-study template's placeholder."""
    if isinstance(content, dict):
        return [hit for k, v in content.items() for hit in _placeholders(v, f"{key}.{k}" if key else str(k))]
    if isinstance(content, list):
        return [hit for i, v in enumerate(content) for hit in _placeholders(v, f"{key}[{i}]")]
    return [(key, content)] if isinstance(content, str) and content.startswith(PLACEHOLDER) else []


def _json_path(error: jsonschema.ValidationError) -> str:
    parts = []
    for part in error.absolute_path:
        parts.append(f"[{part}]" if isinstance(part, int) else (("." if parts else "") + str(part)))
    return "".join(parts) or "(top level)"


def _schema_problems(file: str, content: dict, schema_file: Path) -> list[Problem]:
    schema = yaml.safe_load(schema_file.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(content), key=lambda e: list(map(str, e.absolute_path))):
        value = error.instance if not isinstance(error.instance, (dict, list)) else None
        problems.append(Problem(file, None, _json_path(error), None if value is None else str(value),
                                error.message if value is None else _schema_expectation(error)))
    return problems


def _optional_yaml(path: Path, schema: Path) -> tuple[dict | None, list[Problem]]:
    """An optional YAML file, read and checked against its schema: (content, problems);
    content is None when the file is absent or has problems."""
    if not path.exists():
        return None, []
    content, problems = _load_yaml(path)
    if content is None:
        return None, problems
    problems = _schema_problems(paths.relative_to_root(path), content, schema)
    return (None if problems else content), problems


def validate_risk_of_bias(folder: Path, tools: dict[str, dict]) -> list[Problem]:
    """Problems of a study's risk_of_bias.yaml (absent file: not appraised, no problem)."""
    path = folder / RISK_OF_BIAS_FILE
    judgement, problems = _optional_yaml(path, paths.RISK_OF_BIAS_SCHEMA_FILE)
    if judgement is None:
        return problems
    file = paths.relative_to_root(path)
    tool = tools.get(judgement["tool"])
    if tool is None:
        return [Problem(file, None, "tool", judgement["tool"], _enum_text(tuple(tools)))]
    domain_ids = [d["id"] for d in tool["domains"]]
    judged = [d["domain"] for d in judgement["domains"]]
    if judged != domain_ids:
        problems.append(Problem(file, None, "domains", ", ".join(judged),
                                f"every {tool['name']} domain once, in order: {', '.join(domain_ids)}"))
    for i, domain in enumerate(judgement["domains"]):
        if str(domain["judgement"]) not in tool["judgements"]:
            problems.append(Problem(file, None, f"domains[{i}].judgement", str(domain["judgement"]),
                                    _enum_text(tuple(tool["judgements"]))))
    overall = str(judgement["overall"]["judgement"])
    if overall not in tool["overall_judgements"]:
        problems.append(Problem(file, None, "overall.judgement", overall,
                                _enum_text(tuple(tool["overall_judgements"]))))
    return problems


def validate_study_meta(folder: Path) -> tuple[dict | None, list[Problem]]:
    """Problems of study.yaml (schema, ids); returns the metadata when it can be read."""
    path = folder / STUDY_FILE
    file = paths.relative_to_root(path)
    meta, problems = _load_yaml(path)
    if meta is None:
        return None, problems
    problems += _schema_problems(file, meta, paths.STUDY_SCHEMA_FILE)
    if problems:
        return None, problems
    if meta["study_id"] != folder.name:
        problems.append(Problem(file, None, "study_id", meta["study_id"],
                                f"the folder name '{folder.name}'"))
    arm_ids = [a["arm_id"] for a in meta["arms"]]
    for i, arm_id in enumerate(arm_ids):
        if arm_ids.index(arm_id) != i:
            problems.append(Problem(file, None, f"arms[{i}].arm_id", arm_id, "a unique arm id"))
    seen = set()
    for i, population in enumerate(meta["populations"]):
        key = (population["population_id"], population["arm"])
        if key in seen:
            problems.append(Problem(file, None, f"populations[{i}]", "/".join(key),
                                    "each population declared once per arm"))
        seen.add(key)
        if population["arm"] not in [*arm_ids, ALL_ARMS]:
            problems.append(Problem(file, None, f"populations[{i}].arm", population["arm"],
                                    f"an arm id ({', '.join(arm_ids)}) or '{ALL_ARMS}'"))
    declared = sorted({p["population_id"] for p in meta["populations"]})
    for role, population_id in meta["analysis_populations"].items():
        if role in POPULATION_ROLES and population_id not in declared:
            problems.append(Problem(file, None, f"analysis_populations.{role}", population_id,
                                    f"a declared population ({', '.join(declared)})"))
    problems += _date_problems(file, meta)
    problems += _implausible(file, meta)
    return (meta if not problems else None), problems


# The keys of analysis_populations that name a declared population.
POPULATION_ROLES = ("efficacy", "comparison", "safety")


def _implausible(file: str, meta: dict) -> list[Problem]:
    """Values of study.yaml beyond the data dictionary's plausibility bounds."""
    bounds = load_dictionary().plausibility
    problems = []
    most_patients = bounds.get("patients_per_population")
    for i, population in enumerate(meta["populations"]):
        if most_patients is not None and population["n"] > most_patients:
            problems.append(Problem(file, None, f"populations[{i}].n", str(population["n"]),
                                    f"at most {most_patients:,} patients (the data dictionary's plausibility "
                                    "bound: larger is a typing error, or a registry that is not a study of "
                                    "this review)"))
    longest = bounds.get("follow_up_months")
    for key, value in (meta.get("median_follow_up") or {}).items():
        if key in ("months", "low", "high") and longest is not None and value > longest:
            problems.append(Problem(file, None, f"median_follow_up.{key}", str(value),
                                    f"at most {longest:g} months of follow-up (the data dictionary's "
                                    "plausibility bound: larger is a typing error, e.g. days for months)"))
    return problems

# Where study.yaml holds dates as printed (as precise as printed: 2021, 2021-03 or 2021-03-15).
DATE_KEYS = [("enrolment_period", "start"), ("enrolment_period", "end"), ("data_cutoff", "date"),
             ("dates", "received"), ("dates", "revised"), ("dates", "accepted"), ("dates", "published")]


def _date_problems(file: str, meta: dict) -> list[Problem]:
    """Dates that match the printed-date pattern but are not on the calendar (2019-13-45)."""
    import datetime

    problems = []
    for section, key in DATE_KEYS:
        value = str((meta.get(section) or {}).get(key) or "")
        parts = value.split("-")
        if len(parts) < 2:
            continue
        try:
            datetime.date(int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) > 2 else 1)
        except ValueError as exc:
            problems.append(Problem(file, None, f"{section}.{key}", value, f"a date on the calendar ({exc})"))
    return problems


def _schema_expectation(error: jsonschema.ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "pattern":
        return f"text matching {schema.get('pattern')}"
    if error.validator == "enum":
        return _enum_text(tuple(map(str, schema.get("enum", ()))))
    if error.validator == "type":
        return f"a value of type {schema.get('type')}"
    return error.message


# ----------------------------------------------------------------------------- everything


def validate_vocabulary(data_dir: Path) -> tuple[list[str] | None, list[Problem]]:
    """Problems of the AE vocabulary; returns its printed terms."""
    spec = load_dictionary().vocabularies["ae_terms"]
    path = Path(data_dir) / spec.file
    problems = validate_table(path, spec, {}, set())
    if problems:
        return None, problems
    return read_csv_text(path)["printed_term"].tolist(), []


# The only addresses a benchmark may carry: its DOI or its PubMed record (the pages link there).
BENCHMARK_HOSTS = ("doi.org", "pubmed.ncbi.nlm.nih.gov")
URL_PATTERN = re.compile(r"https?://([^/\s]+)")


def validate_benchmarks(data_dir: Path) -> list[Problem]:
    """Problems of the context benchmarks table (absent: no context shown, no problem). A
    number needs its quote and a citation of the publication it is confirmed in; an unconfirmed
    row has no number; no cell holds an address other than a DOI or PubMed link."""
    spec = load_dictionary().vocabularies["benchmarks"]
    path = Path(data_dir) / spec.file
    if not path.exists():
        return []
    problems = validate_table(path, spec, {}, set())
    if problems:
        return problems
    file = paths.relative_to_root(path)
    for number, row in enumerate(read_csv_text(path).to_dict("records"), start=1):
        unconfirmed = row["status"] == "unconfirmed"
        if unconfirmed and row["estimate"]:
            problems.append(Problem(file, number, "estimate", row["estimate"], "no value on an unconfirmed row"))
        if not unconfirmed and not (row["estimate"] and row["quote"] and row["source"]):
            problems.append(Problem(file, number, "quote", row["quote"] or None,
                                    "a value, its source and a verbatim quote (or status 'unconfirmed')"))
        for column, value in row.items():
            for host in URL_PATTERN.findall(str(value)):
                if host.lower().removeprefix("www.") not in BENCHMARK_HOSTS:
                    problems.append(Problem(file, number, column, value,
                                            "no address but a DOI (doi column) or a PubMed link: cite the "
                                            "trial's own publication"))
    return problems


def validate_integrity(folder: Path, checks: dict[str, dict]) -> list[Problem]:
    """Problems of a study's integrity.yaml (absent file: not screened, no problem)."""
    path = folder / INTEGRITY_FILE
    screen, problems = _optional_yaml(path, paths.INTEGRITY_SCHEMA_FILE)
    if screen is None:
        return problems
    file = paths.relative_to_root(path)
    if screen["study_id"] != folder.name:
        problems.append(Problem(file, None, "study_id", screen["study_id"], f"the folder name '{folder.name}'"))
    answered = [c["check"] for c in screen["checks"]]
    if sorted(answered) != sorted(checks) or len(set(answered)) != len(answered):
        problems.append(Problem(file, None, "checks", ", ".join(answered),
                                f"every check once: {', '.join(checks)}"))
    return problems


def validate_study(folder: Path, vocabulary_terms: list[str] | None,
                   rob_tools: dict[str, dict] | None = None,
                   integrity_checks: dict[str, dict] | None = None) -> list[Problem]:
    """All problems of one study folder."""
    meta, problems = validate_study_meta(folder)
    if rob_tools is not None:
        problems += validate_risk_of_bias(folder, rob_tools)
    if integrity_checks is not None:
        problems += validate_integrity(folder, integrity_checks)
    if meta is None:
        return problems
    arm_ids = [a["arm_id"] for a in meta["arms"]]
    references = {
        "arm": [*arm_ids, ALL_ARMS],
        "population": sorted({p["population_id"] for p in meta["populations"]}),
        "ae_term": vocabulary_terms,
    }
    pairs = {(p["arm"], p["population_id"]) for p in meta["populations"]}
    for spec in load_dictionary().study_tables.values():
        if not spec.required and not (folder / spec.file).exists():
            continue
        problems += validate_table(folder / spec.file, spec, references, pairs)
    if not problems:
        problems += validate_curves(folder)
        problems += validate_references(folder)
    return problems


def _table_sizes(folder: Path) -> dict[str, int]:
    """Data rows of each curated table the study folder has."""
    return {name: len(read_csv_text(folder / spec.file)) for name, spec in load_dictionary().study_tables.items()
            if (folder / spec.file).is_file()}


# What each claim needs besides its quote: (columns that must be filled, number of data rows).
CLAIM_NEEDS = {"fold_change": (("stated",), (2, 2)), "all": ((), (1, None)), "none": ((), (1, None)),
               "schedule": (("stated", "range_start", "range_end"), (0, 0))}


def _errata_problems(path: Path, sizes: dict[str, int]) -> list[Problem]:
    """Each erratum replaces an existing row by a later row of the same table, once, on a date."""
    from ..curated.rowrefs import parse_row_refs, ref_problems

    file, problems, replaced = paths.relative_to_root(path), [], {}
    for row in read_csv_text(path).to_dict("records"):
        number = int(row[ROW_COLUMN])
        wrong = {c: ref_problems(row[c], sizes) for c in ("superseded", "replaced_by")}
        problems += [Problem(file, number, c, row[c], "; ".join(w)) for c, w in wrong.items() if w]
        if any(wrong.values()):
            continue
        refs = {c: parse_row_refs(row[c]) for c in ("superseded", "replaced_by")}
        single = [c for c, r in refs.items() if len(r) != 1 or r[0][1] is None]
        problems += [Problem(file, number, c, row[c], "one data row, as table:row") for c in single]
        if single:
            continue
        (old_table, old_row), (new_table, new_row) = refs["superseded"][0], refs["replaced_by"][0]
        if new_table != old_table or new_row <= old_row:
            problems.append(Problem(file, number, "replaced_by", row["replaced_by"],
                                    f"a later row of the same table as {row['superseded']} (an appended row)"))
        if row["superseded"] in replaced:
            problems.append(Problem(file, number, "superseded", row["superseded"],
                                    f"a row replaced once (row {replaced[row['superseded']]} replaces it already)"))
        replaced.setdefault(row["superseded"], number)
        if not re.fullmatch(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", row["date"]):
            problems.append(Problem(file, number, "date", row["date"], "an ISO date as precise as printed"))
    return problems


def validate_references(folder: Path) -> list[Problem]:
    """Row references of claims.csv and findings.csv name existing data rows; each claim has
    what its rule needs; finding ids are F1, F2, ... used once; a finding's second side has
    both its place and its quote."""
    from ..curated.rowrefs import parse_row_refs, ref_problems

    problems = []
    sizes = _table_sizes(folder)
    claims_path, findings_path = folder / "claims.csv", folder / "findings.csv"
    if claims_path.is_file():
        file = paths.relative_to_root(claims_path)
        for row in read_csv_text(claims_path).to_dict("records"):
            number, wrong = int(row[ROW_COLUMN]), ref_problems(row["rows"], sizes)
            if wrong:
                problems.append(Problem(file, number, "rows", row["rows"], "; ".join(wrong)))
                continue
            needed, (least, most) = CLAIM_NEEDS[row["claim"]]
            problems += [Problem(file, number, column, None, f"a value (a {row['claim']} claim needs it)")
                         for column in needed if not row[column].strip()]
            n = len(parse_row_refs(row["rows"]))
            if n < least or (most is not None and n > most):
                count = {(2, 2): "two data rows (the larger rate first)", (1, None): "at least one data row",
                         (0, 0): "no data rows"}[(least, most)]
                problems.append(Problem(file, number, "rows", row["rows"] or None, f"{count} for a {row['claim']} claim"))
    if findings_path.is_file():
        file = paths.relative_to_root(findings_path)
        seen: dict[str, int] = {}
        for row in read_csv_text(findings_path).to_dict("records"):
            number = int(row[ROW_COLUMN])
            if not re.fullmatch(r"F[1-9][0-9]*", row["finding_id"]):
                problems.append(Problem(file, number, "finding_id", row["finding_id"], "an id F1, F2, ..."))
            elif row["finding_id"] in seen:
                problems.append(Problem(file, number, "finding_id", row["finding_id"],
                                        f"an id used once (row {seen[row['finding_id']]} has it)"))
            seen.setdefault(row["finding_id"], number)
            for column in ("rows_a", "rows_b"):
                wrong = ref_problems(row[column], sizes)
                if wrong:
                    problems.append(Problem(file, number, column, row[column], "; ".join(wrong)))
            if bool(row["source_b"].strip()) != bool(row["quote_b"].strip()):
                missing = "quote_b" if row["source_b"].strip() else "source_b"
                problems.append(Problem(file, number, missing, None,
                                        "both the place and the quote of the second side, or neither"))
    errata_path = folder / "errata.csv"
    if errata_path.is_file():
        problems += _errata_problems(errata_path, sizes)
    integrity_path = folder / INTEGRITY_FILE
    if integrity_path.is_file():
        known = set(read_csv_text(findings_path)["finding_id"]) if findings_path.is_file() else set()
        screen = read_yaml(integrity_path) or {}
        for i, check in enumerate(screen.get("checks") or []):
            for finding_id in check.get("findings") or []:
                if finding_id not in known:
                    problems.append(Problem(paths.relative_to_root(integrity_path), None, f"checks[{i}].findings",
                                            finding_id, "the finding_id of a row of findings.csv"))
    return problems


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


def validate_data_dir(data_dir: Path = paths.DATA_DIR, known_valid=None) -> list[Problem]:
    """Every problem in a data folder (empty list: valid).

    ``known_valid``, when given, is called with each study folder; a folder for which it
    returns True is not validated again (the build passes folders whose files, and everything
    they are checked against, are unchanged since they last passed)."""
    data_dir = Path(data_dir)
    terms, problems = validate_vocabulary(data_dir)
    if problems:
        terms = None  # an invalid vocabulary is reported; terms are not checked against it
    folders = study_folders(data_dir)
    if not folders:
        problems.append(Problem(paths.relative_to_root(paths.studies_dir(data_dir)), None, None, None,
                                "at least one study folder"))
    review_file = data_dir / paths.REVIEW_FILE_NAME
    review, review_problems = _load_yaml(review_file)
    if review is not None:
        review_problems = _schema_problems(paths.relative_to_root(review_file), review,
                                           paths.REVIEW_SCHEMA_FILE)
    problems += review_problems
    rob_tools, tool_problems = _load_yaml(data_dir / paths.ROB_TOOLS_FILE_NAME)
    problems += tool_problems
    integrity_checks, check_problems = _load_yaml(data_dir / paths.INTEGRITY_CHECKS_FILE_NAME)
    problems += check_problems
    problems += validate_benchmarks(data_dir)
    # Absent: no summary-of-findings table.
    problems += _optional_yaml(data_dir / paths.CERTAINTY_FILE_NAME, paths.CERTAINTY_SCHEMA_FILE)[1]
    for folder in folders:
        if known_valid is None or not known_valid(folder):
            problems += validate_study(folder, terms, rob_tools, integrity_checks)
            if review is not None and not review_problems:
                problems += eligibility_problems(folder, review)
    problems += validate_search(data_dir)
    return with_yaml_lines(problems)


def eligibility_problems(folder: Path, review: dict) -> list[Problem]:
    """Criteria of the review that an included study (a folder under studies/) fails."""
    from ..search.eligibility import eligibility_failures

    path = folder / STUDY_FILE
    try:
        meta = read_yaml(path)
    except Exception:  # an unreadable study.yaml is reported by validate_study
        return []
    if not isinstance(meta, dict):
        return []
    file = paths.relative_to_root(path)
    return [Problem(file, None, failure.key, failure.value,
                    f"{failure.criterion}; a report that fails the review's criteria is recorded as excluded "
                    "in search/screening.csv, not as a study folder")
            for failure in eligibility_failures(meta, review)]


def validate_search(data_dir: Path) -> list[Problem]:
    """Problems of the search and screening record (search/); none when there is none."""
    if not (Path(data_dir) / "search").is_dir():
        return []
    from ..search.records import validate_search as search_problems

    return search_problems(Path(data_dir))


def data_warnings(data_dir: Path = paths.DATA_DIR) -> list[str]:
    """What valid data leave out without saying so: a study whose outcomes table has no rows
    is in no efficacy analysis. Warnings do not stop the build; check-data and the build print
    them."""
    data_dir = Path(data_dir)
    settings = (read_yaml(data_dir / paths.REVIEW_FILE_NAME) or {}).get("setting_groups", {})
    warnings = []
    for folder in study_folders(data_dir):
        outcomes = folder / "outcomes.csv"
        if outcomes.is_file() and not outcomes.read_text(encoding="utf-8").strip().count("\n"):
            meta = read_yaml(folder / STUDY_FILE) or {}
            setting = settings.get(meta.get("setting_group"), meta.get("setting_group", "its setting"))
            warnings.append(f"{paths.relative_to_root(outcomes)} has no rows: {meta.get('short_name', folder.name)} "
                            f"({folder.name}) is left out of the objective response and disease control pools, "
                            f"the survival analyses and the comparisons of {setting[:1].lower() + setting[1:]}")
    return warnings


def require_valid(data_dir: Path = paths.DATA_DIR) -> None:
    """Raise :class:`DataValidationError` listing every problem, if there is any."""
    problems = validate_data_dir(data_dir)
    if problems:
        raise DataValidationError(problems)
