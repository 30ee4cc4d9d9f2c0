"""The data dictionary (data/dictionary.yaml): table and column definitions.

The validator builds its schemas from it and datapackage.json is generated from it, so a
column is defined in one place only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .. import paths


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
    labels: tuple[tuple[str, str], ...] = ()  # (code, how pages name it) for each allowed value

    def label(self, code: str) -> str:
        """How pages name an allowed value ('figure_legend' -> 'figure legend'); the code itself
        when it has no label (free text, numbers)."""
        return dict(self.labels).get(str(code), str(code))


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
        labels=tuple((str(k), str(v)) for k, v in (spec.get("labels") or {}).items()),
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
    plausibility: dict[str, float] = field(default_factory=dict)  # bound name -> largest plausible value

    def column(self, table: str, column: str) -> ColumnSpec:
        """A column of a study table or vocabulary, by their names."""
        spec = self.study_tables.get(table) or self.vocabularies[table]
        return next(c for c in spec.columns if c.name == column)

    def label(self, table: str, column: str, code: str) -> str:
        """How pages name ``code``, an allowed value of ``table.column``."""
        return self.column(table, column).label(code)

    def code_labels(self) -> dict[str, str]:
        """Every allowed value that has a label, with the first label given for it."""
        found: dict[str, str] = {}
        for spec in [*self.study_tables.values(), *self.vocabularies.values()]:
            for column in spec.columns:
                for code, label in column.labels:
                    found.setdefault(code, label)
        return found

    def codes(self) -> set[str]:
        """Every allowed value and column name of every table: the codes pages never show raw."""
        found: set[str] = set()
        for spec in [*self.study_tables.values(), *self.vocabularies.values()]:
            for column in spec.columns:
                found.add(column.name)
                found.update(column.allowed)
        return found


@lru_cache(maxsize=4)
def load_dictionary(path: Path = paths.DICTIONARY_FILE) -> Dictionary:
    """Read and parse the data dictionary."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    shared = raw.get("shared_columns", {})
    return Dictionary(
        study_tables={n: _table(n, s, shared) for n, s in raw["tables"].items()},
        vocabularies={n: _table(n, s, shared) for n, s in raw.get("vocabulary", {}).items()},
        plausibility=dict(raw.get("plausibility", {})),
    )
