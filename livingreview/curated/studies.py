"""Loading curated data: study metadata (YAML) and tidy tables (CSV).

Tables are read with every cell as text, exactly as curated, so that printed precision is
kept ("8.70"); :func:`typed` converts a table to numbers for computation. Each loaded row
carries ``row``, its 1-based data row in the file (the header is line 1, so row N is line
N + 1), so that any number can be traced back to its line of ``data/``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import yaml

from .. import paths
from .dictionary import TableSpec, load_dictionary

ROW_COLUMN = "row"
STUDY_FILE = "study.yaml"


# libyaml's parser when PyYAML was built with it (about ten times faster), else PyYAML's own.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextDateLoader(_SafeLoader):
    """YAML loader that keeps dates as the text printed (2021-03-15 stays a string)."""


_TextDateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key repeated in one YAML mapping; ``key`` names it, ``problem_mark`` its second line."""

    def __init__(self, key, first_line: int, context_mark, problem_mark):
        super().__init__("while reading a mapping", context_mark,
                         f"the key '{key}' appears twice (first at line {first_line}); a repeated key's first "
                         "value would be lost", problem_mark)
        self.key = str(key)


def _mapping_without_duplicate_keys(loader, node, deep=False):
    """A YAML mapping whose keys are all different: a repeated key is an error naming both
    lines, where YAML itself would keep the second value and lose the first silently."""
    seen: dict = {}
    for key_node, _ in node.value:
        try:
            key = loader.construct_object(key_node, deep=True)
            first = seen.setdefault(key, key_node.start_mark.line)
        except TypeError:  # an unhashable key: the schema reports it
            continue
        if first != key_node.start_mark.line:
            raise DuplicateKeyError(key, first + 1, node.start_mark, key_node.start_mark)
    return loader.construct_mapping(node, deep=deep)


_TextDateLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicate_keys)


def read_yaml(path: Path):
    """Parse a YAML file, keeping dates as text and refusing a key repeated in one mapping."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_TextDateLoader)


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a CSV keeping every cell as text; empty cells become ''."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    frame.insert(0, ROW_COLUMN, range(1, len(frame) + 1))
    return frame


def typed(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """A copy of a text table with integer and number columns converted; '' -> missing."""
    out = frame.copy()
    for column in spec.columns:
        if column.name not in out:
            continue
        values = out[column.name].replace("", None)
        if column.type == "integer":
            out[column.name] = pd.to_numeric(values).astype("Int64")
        elif column.type == "number":
            out[column.name] = pd.to_numeric(values).astype(float)
        else:
            out[column.name] = values
    return out


ERRATA_TABLE = "errata"


class StudyTables(Mapping):
    """A study's tables by name, each read from its file when first used.

    Reading lazily keeps a page's recorded data dependencies (see :mod:`livingreview.build.kernel`)
    to the files it uses: a page that shows adverse events does not depend on outcomes.csv.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._read: dict[str, pd.DataFrame] = {}
        self._current: dict[str, pd.DataFrame] = {}  # without the rows an erratum replaced

    def raw(self, name: str) -> pd.DataFrame:
        """The table as curated, every row, superseded ones included (the data views' history)."""
        if name not in self._read:
            spec = load_dictionary().study_tables[name]  # KeyError for an unknown table
            path = self.folder / spec.file
            self._read[name] = (read_csv_text(path) if spec.required or path.is_file()
                                else empty_table(spec))
        return self._read[name]

    def corrections(self) -> list[tuple[str, int, int, dict]]:
        """Each erratum of errata.csv as (table, row it replaces, row replacing it, the
        erratum's row): validation has checked that both name a row of one table."""
        if not (self.folder / f"{ERRATA_TABLE}.csv").is_file():
            return []
        found = []
        for erratum in self.raw(ERRATA_TABLE).to_dict("records"):
            table, old = str(erratum["superseded"]).split(":")
            found.append((table, int(old), int(str(erratum["replaced_by"]).split(":")[1]), erratum))
        return found

    def __getitem__(self, name: str) -> pd.DataFrame:
        """The table's current rows: a row an erratum replaced is left out (its replacement, a
        later row, holds the corrected value)."""
        if name not in self._current:
            frame = self.raw(name)
            gone = {old for table, old, _, _ in self.corrections() if table == name} if name != ERRATA_TABLE else set()
            self._current[name] = frame[~frame[ROW_COLUMN].isin(gone)] if gone else frame
        return self._current[name]

    def __iter__(self):
        return iter(load_dictionary().study_tables)

    def __len__(self) -> int:
        return len(load_dictionary().study_tables)


@dataclass
class Study:
    """One study folder: metadata and its curated tables (text, as curated)."""

    folder: Path
    meta: dict
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def study_id(self) -> str:
        return self.meta["study_id"]

    @property
    def name(self) -> str:
        """How pages name the study ("Li 2022"): its ``short_name``."""
        return self.meta["short_name"]

    @cached_property
    def arms(self) -> dict[str, dict]:
        return {arm["arm_id"]: arm for arm in self.meta["arms"]}

    def table(self, name: str, as_typed: bool = True) -> pd.DataFrame:
        """A table of this study, typed (numbers) by default, with a ``study_id`` column."""
        frame = self.tables[name]
        if as_typed:
            frame = typed(frame, load_dictionary().study_tables[name])
        frame = frame.copy()
        frame.insert(0, "study_id", self.study_id)
        return frame

    def file_of(self, name: str) -> Path:
        return self.folder / load_dictionary().study_tables[name].file


def study_folders(data_dir: Path = paths.DATA_DIR) -> list[Path]:
    """Study folders under data/studies, sorted; a folder is a study if it has study.yaml."""
    root = paths.studies_dir(data_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def empty_table(spec: TableSpec) -> pd.DataFrame:
    """A table with the dictionary's columns and no rows (an optional table not curated)."""
    return pd.DataFrame({ROW_COLUMN: pd.Series(dtype=int),
                         **{c: pd.Series(dtype=str) for c in spec.column_names}})


def load_study(folder: Path) -> Study:
    """Load one study folder (assumes it passed validation)."""
    folder = Path(folder)
    return Study(folder=folder, meta=read_yaml(folder / STUDY_FILE), tables=StudyTables(folder))


def load_studies(data_dir: Path = paths.DATA_DIR) -> list[Study]:
    """All studies under ``data_dir``, sorted by folder name."""
    return [load_study(folder) for folder in study_folders(data_dir)]


def load_vocabulary(name: str = "ae_terms", data_dir: Path = paths.DATA_DIR) -> pd.DataFrame:
    """A vocabulary table (text)."""
    spec = load_dictionary().vocabularies[name]
    return read_csv_text(Path(data_dir) / spec.file)


def stack_rows(frames, columns=None) -> pd.DataFrame:
    """The rows of several tables, one after another.

    A table without rows adds nothing; with none to stack, the result is an empty table with
    ``columns`` (or the first table's columns). A column that is empty in one table (a study
    that prints no CI) keeps the type the other tables give it; pandas warns that this will
    change, and the warning is silenced here, the one place tables are stacked.
    """
    frames = list(frames)
    kept = [f for f in frames if not f.empty]
    if not kept:
        return pd.DataFrame(columns=columns if columns is not None else (frames[0].columns if frames else []))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The behavior of DataFrame concatenation with empty or all-NA",
                                FutureWarning)
        return pd.concat(kept, ignore_index=True)


def combined(studies: list[Study], name: str, as_typed: bool = True) -> pd.DataFrame:
    """One table concatenated across studies, with ``study_id`` first."""
    return stack_rows(s.table(name, as_typed=as_typed) for s in studies)
