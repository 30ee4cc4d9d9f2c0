"""The data dictionary (data/dictionary.yaml): table and column definitions.

The validator builds its schemas from it and datapackage.json is generated from it, so a
column is defined in one place only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from . import paths


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a curated table."""

    name: str
    type: str
    required: bool
    description: str
    allowed: tuple[str, ...] = ()
    references: str | None = None
    unit: str | None = None
    unique: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One curated table: its file name and its columns in order."""

    name: str
    file: str
    description: str
    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)
    required: bool = True  # an optional table's file may be absent from a study folder

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def columns_of_type(self, *types: str) -> list[ColumnSpec]:
        return [c for c in self.columns if c.type in types]


def _column(name: str, spec: dict, shared: dict) -> ColumnSpec:
    if spec.get("shared"):
        spec = shared[name]
    return ColumnSpec(
        name=name,
        type=spec["type"],
        required=bool(spec.get("required", False)),
        description=" ".join(str(spec.get("description", "")).split()),
        allowed=tuple(str(a) for a in spec.get("allowed", ())),
        references=spec.get("references"),
        unit=spec.get("unit"),
        unique=bool(spec.get("unique", False)),
    )


def _table(name: str, spec: dict, shared: dict) -> TableSpec:
    columns = tuple(_column(c, s, shared) for c, s in spec["columns"].items())
    return TableSpec(
        name=name,
        file=spec["file"],
        description=" ".join(str(spec.get("description", "")).split()),
        columns=columns,
        required=bool(spec.get("required", True)),
    )


@dataclass(frozen=True)
class Dictionary:
    """Parsed data dictionary."""

    study_tables: dict[str, TableSpec]
    vocabularies: dict[str, TableSpec]


@lru_cache(maxsize=4)
def load_dictionary(path: Path = paths.DICTIONARY_FILE) -> Dictionary:
    """Read and parse the data dictionary."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    shared = raw.get("shared_columns", {})
    return Dictionary(
        study_tables={n: _table(n, s, shared) for n, s in raw["tables"].items()},
        vocabularies={n: _table(n, s, shared) for n, s in raw.get("vocabulary", {}).items()},
    )
