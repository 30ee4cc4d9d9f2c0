"""Validation of a curated YAML file: it is UTF-8, parses to a mapping, holds no placeholder
of the new-study template and meets its JSON Schema; and the line of each key, so that a
problem names the line to edit.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import jsonschema
import yaml

from .. import paths
from ..curated.scaffold import PLACEHOLDER
from ..curated.studies import read_yaml
from .encoding import utf8_text
from .problems import Problem, enum_text


def load_yaml(path: Path) -> tuple[object, list[Problem]]:
    """A YAML file that must be a mapping, read: (content, problems); content is None when the
    file is absent, not UTF-8, malformed, not a mapping or still holds a placeholder."""
    file = paths.relative_to_root(path)
    if not path.is_file():
        return None, [Problem(file, None, None, None, "the file to exist")]
    undecodable = utf8_text(path)[1]
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


def optional_yaml(path: Path, schema: Path) -> tuple[dict | None, list[Problem]]:
    """An optional YAML file, read and checked against its schema: (content, problems);
    content is None when the file is absent or has problems."""
    if not path.exists():
        return None, []
    content, problems = load_yaml(path)
    if content is None:
        return None, problems
    problems = schema_problems(paths.relative_to_root(path), content, schema)
    return (None if problems else content), problems


def _placeholders(content, key: str = "") -> list[tuple[str, object]]:
    """(key path, value) of every value still holding the new-study template's placeholder."""
    if isinstance(content, dict):
        return [hit for k, v in content.items() for hit in _placeholders(v, f"{key}.{k}" if key else str(k))]
    if isinstance(content, list):
        return [hit for i, v in enumerate(content) for hit in _placeholders(v, f"{key}[{i}]")]
    return [(key, content)] if isinstance(content, str) and content.startswith(PLACEHOLDER) else []


def schema_problems(file: str, content: dict, schema_file: Path) -> list[Problem]:
    """Where ``content`` (read from ``file``) breaks the JSON Schema in ``schema_file``, one
    problem per error, named by key path."""
    schema = yaml.safe_load(schema_file.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(content), key=lambda e: list(map(str, e.absolute_path))):
        value = error.instance if not isinstance(error.instance, (dict, list)) else None
        problems.append(Problem(file, None, _json_path(error), None if value is None else str(value),
                                error.message if value is None else _schema_expectation(error)))
    return problems


def _json_path(error: jsonschema.ValidationError) -> str:
    parts = []
    for part in error.absolute_path:
        parts.append(f"[{part}]" if isinstance(part, int) else (("." if parts else "") + str(part)))
    return "".join(parts) or "(top level)"


def _schema_expectation(error: jsonschema.ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "pattern":
        return f"text matching {schema.get('pattern')}"
    if error.validator == "enum":
        return enum_text(tuple(map(str, schema.get("enum", ()))))
    if error.validator == "type":
        return f"a value of type {schema.get('type')}"
    return error.message


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
