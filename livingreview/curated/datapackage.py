"""data/datapackage.json (Frictionless Data Package), generated from the data dictionary.

The package lists every curated file with a table schema, so the data can be reused and
checked with any Frictionless tool. It is generated, never edited: ``make datapackage``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .. import __version__, paths
from .studies import STUDY_FILE, study_folders
from .dictionary import ColumnSpec, TableSpec, load_dictionary
from .printed import NUMBER_PATTERN, P_VALUE_PATTERN
from .review import load_review


def _field(column: ColumnSpec) -> dict:
    field = {"name": column.name, "description": column.description}
    constraints = {}
    if column.type in ("integer", "number"):
        # Kept as printed text ("8.70") so that precision survives; the pattern says it is a number.
        field["type"] = "string"
        constraints["pattern"] = r"\d+" if column.type == "integer" else NUMBER_PATTERN.strip("^$")
        field["format"] = "default"
        field["x-printed-number"] = column.type
    else:
        field["type"] = "string"
    if column.type == "enum":
        constraints["enum"] = list(column.allowed)
    if column.type == "p_value":
        constraints["pattern"] = P_VALUE_PATTERN.strip("^$")
    if column.required:
        constraints["required"] = True
    if column.unique:
        constraints["unique"] = True
    if constraints:
        field["constraints"] = constraints
    if column.unit:
        field["x-unit"] = column.unit
    return field


def table_schema(spec: TableSpec) -> dict:
    """Frictionless table schema of one dictionary table."""
    return {"fields": [_field(c) for c in spec.columns], "missingValues": [""]}


def package_name(review: dict) -> str:
    """The package's name: review.yaml's ``data_package``, else its title in lower case with
    hyphens (a Frictionless name allows lower-case letters, digits, '-', '.' and '_')."""
    return review.get("data_package") or re.sub(r"[^a-z0-9]+", "-", review["title"].lower()).strip("-")


def build_datapackage(data_dir: Path = paths.DATA_DIR) -> dict:
    """The data package descriptor for a data folder."""
    data_dir = Path(data_dir)
    review = load_review(data_dir)
    dictionary = load_dictionary()
    resources = []
    for name, spec in dictionary.vocabularies.items():
        resources.append({"name": name.replace("_", "-"), "path": spec.file, "profile": "tabular-data-resource",
                          "description": spec.description, "schema": table_schema(spec)})
    for folder in study_folders(data_dir):
        study = folder.name
        relative = folder.relative_to(data_dir).as_posix()
        resources.append({"name": f"{study}-study", "path": f"{relative}/{STUDY_FILE}", "format": "yaml",
                          "description": f"Metadata of study {study} (schema: study.schema.yaml)."})
        for name, spec in dictionary.study_tables.items():
            if not spec.required and not (folder / spec.file).exists():
                continue
            resources.append({"name": f"{study}-{name}".replace("_", "-"), "path": f"{relative}/{spec.file}",
                              "profile": "tabular-data-resource", "description": spec.description,
                              "schema": table_schema(spec)})
    return {
        "name": package_name(review),
        "title": f"{review['title']}: curated evidence",
        "description": ("Numbers extracted from the included studies, each with the place it was printed "
                        "and a verbatim quote. Numbers are kept as printed text to preserve precision."),
        "version": __version__,
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": resources,
    }


def render_datapackage(data_dir: Path = paths.DATA_DIR) -> str:
    """The descriptor as the exact text written to datapackage.json."""
    return json.dumps(build_datapackage(data_dir), indent=2, ensure_ascii=False) + "\n"


def write_datapackage(data_dir: Path = paths.DATA_DIR) -> Path:
    """Write data/datapackage.json; returns its path."""
    path = Path(data_dir) / "datapackage.json"
    path.write_text(render_datapackage(data_dir), encoding="utf-8")
    return path
