"""What changed between two builds of the review: the "What changed" page.

The build keeps, beside the published ``results/results.csv``, the results of the build
before it that differed (``results/previous/``). :func:`compare_results` matches the two
tables row by row and sorts every difference into:

- studies added or removed (from each build's ``release.json``);
- statistics that appeared or disappeared;
- statistics whose value or interval moved, with the change;
- pooled analyses whose set of studies changed;
- conclusions that changed: the direction or the significance of a ratio (its side of 1,
  whether its interval excludes 1), and the GRADE certainty of an outcome.

A statistic is identified by what it is (scope, arm, population, endpoint, statistic and
method) rather than by the data row it came from, because rows are appended over time. The
list of pooled studies is part of a pooled row's method text (``...; studies: a, b``); it is
split off so that adding a study shows as a moved estimate with new studies, not as one
statistic replaced by another.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import paths
from ..statistics.certainty import CERTAINTY_LEVELS
from .table import CERTAINTY_STATISTIC

IDENTITY = ["scope", "arm", "population", "endpoint", "statistic", "method"]
STUDIES_SUFFIX = re.compile(r";\s*studies:\s*(?P<studies>.*)$")
# results.csv keeps 10 significant digits (results.FLOAT_FORMAT); closer than this is the same value.
SAME_VALUE_RELATIVE = 1e-9
# Statistics whose null value defines a conclusion's direction and significance.
NULL_VALUES = {"hazard_ratio": 1.0, "odds_ratio": 1.0, "risk_ratio": 1.0}


@dataclass
class Release:
    """What one build was made from: the review's version and its studies."""

    version: str
    studies: list[str]
    data_digest: str = ""  # of the data folder it was built from (release.data_digest)
    date: str = ""  # of a recorded release; empty for a build
    names: dict[str, str] = field(default_factory=dict)  # study id -> the name pages give it

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {"version": self.version, "studies": sorted(self.studies)}
        if self.names:
            content["names"] = dict(sorted(self.names.items()))
        if self.data_digest:
            content["data_digest"] = self.data_digest
        path.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> "Release | None":
        try:
            content = json.loads(Path(path).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return cls(str(content.get("version", "")), list(content.get("studies", [])),
                   str(content.get("data_digest", "")), str(content.get("date", "")),
                   {str(k): str(v) for k, v in (content.get("names") or {}).items()})


@dataclass
class Changes:
    """Every difference between a previous results table and the current one."""

    previous: Release | None
    current: Release
    studies_added: list[str] = field(default_factory=list)
    studies_removed: list[str] = field(default_factory=list)
    appeared: pd.DataFrame = field(default_factory=pd.DataFrame)
    disappeared: pd.DataFrame = field(default_factory=pd.DataFrame)
    moved: pd.DataFrame = field(default_factory=pd.DataFrame)
    pooled_studies: pd.DataFrame = field(default_factory=pd.DataFrame)
    conclusions: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def first_build(self) -> bool:
        return self.previous is None

    @property
    def nothing_changed(self) -> bool:
        return not self.first_build and not (self.studies_added or self.studies_removed) and all(
            frame.empty for frame in (self.appeared, self.disappeared, self.moved, self.pooled_studies,
                                      self.conclusions))


def identified(results: pd.DataFrame) -> pd.DataFrame:
    """Results with the pooled-study list split off the method and one row per identity.

    Rows repeated with the same identity and values (the same number printed in two places)
    are kept once; rows with the same identity but different values are numbered in order
    (``occurrence``) so that each is matched with its counterpart.
    """
    frame = results.copy()
    for column in IDENTITY:
        frame[column] = frame[column].fillna("").astype(str)
    found = frame["method"].str.extract(STUDIES_SUFFIX)
    frame["studies"] = found["studies"].fillna("")
    frame["method"] = frame["method"].str.replace(STUDIES_SUFFIX, "", regex=True)
    for column in ("estimate", "ci_low", "ci_high"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame = frame.drop_duplicates([*IDENTITY, "estimate", "ci_low", "ci_high", "studies"])
    frame["occurrence"] = frame.groupby(IDENTITY, sort=False).cumcount()
    return frame.reset_index(drop=True)


def certainty_name(value: float) -> str:
    """The GRADE level a results-table certainty number stands for."""
    return "none" if pd.isna(value) else CERTAINTY_LEVELS[int(value) - 1]


def _study_scopes(results: pd.DataFrame) -> list[str]:
    # A results table written before release files existed: a study's own rows name a data
    # file of its folder without the folder (chapters name "studies/<id>/<file>").
    own = results[results["data_file"].notna() & ~results["scope"].astype(str).str.contains("/")
                  & ~results["data_file"].astype(str).str.contains("/")]
    return sorted(own["scope"].astype(str).unique())


def _same(a: float, b: float) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    return math.isclose(a, b, rel_tol=SAME_VALUE_RELATIVE, abs_tol=1e-12)


def _verdict(row: dict, suffix: str) -> tuple[str, str] | None:
    """(direction, significance) of a ratio against its null value; None without an estimate."""
    null = NULL_VALUES.get(row["statistic"])
    estimate, low, high = row[f"estimate{suffix}"], row[f"ci_low{suffix}"], row[f"ci_high{suffix}"]
    if null is None or pd.isna(estimate):
        return None
    direction = "below 1" if estimate < null else ("above 1" if estimate > null else "at 1")
    if pd.isna(low) or pd.isna(high):
        significance = "no interval"
    else:
        significance = "interval excludes 1" if (high < null or low > null) else "interval includes 1"
    return direction, significance


def compare_results(previous: pd.DataFrame | None, current: pd.DataFrame,
                    previous_release: Release | None, current_release: Release) -> Changes:
    """Sort every difference between two results tables (see the module docstring)."""
    changes = Changes(previous_release, current_release)
    if previous is None or previous_release is None:
        return changes
    changes.studies_added = sorted(set(current_release.studies) - set(previous_release.studies))
    changes.studies_removed = sorted(set(previous_release.studies) - set(current_release.studies))
    key = [*IDENTITY, "occurrence"]
    merged = identified(previous).merge(identified(current), on=key, how="outer",
                                        suffixes=("_before", "_after"), indicator=True)
    shown = [*IDENTITY]
    changes.appeared = merged.loc[merged["_merge"] == "right_only",
                                  [*shown, "estimate_after", "ci_low_after", "ci_high_after", "studies_after"]]
    changes.disappeared = merged.loc[merged["_merge"] == "left_only",
                                     [*shown, "estimate_before", "ci_low_before", "ci_high_before", "studies_before"]]
    both = merged[merged["_merge"] == "both"].copy()
    value_moved = [not all(_same(r[f"{c}_before"], r[f"{c}_after"]) for c in ("estimate", "ci_low", "ci_high"))
                   for r in both.to_dict("records")]
    moved = both[value_moved].copy()
    moved["change"] = moved["estimate_after"] - moved["estimate_before"]
    changes.moved = moved[[*shown, "estimate_before", "estimate_after", "change", "ci_low_before",
                           "ci_high_before", "ci_low_after", "ci_high_after", "studies_before", "studies_after"]]
    changes.pooled_studies = both.loc[both["studies_before"] != both["studies_after"],
                                      [*shown, "studies_before", "studies_after"]].drop_duplicates(
        ["scope", "arm", "population", "endpoint", "method", "studies_before", "studies_after"])
    conclusions = []
    for row in both.to_dict("records"):
        if row["statistic"] == CERTAINTY_STATISTIC:
            before, after = (certainty_name(row[c]) for c in ("estimate_before", "estimate_after"))
            if before != after:
                conclusions.append({**{c: row[c] for c in shown}, "what": "certainty (GRADE)",
                                    "before": before, "after": after})
            continue
        before, after = _verdict(row, "_before"), _verdict(row, "_after")
        if before is None or after is None:
            continue
        for what, b, a in (("direction", before[0], after[0]), ("significance", before[1], after[1])):
            if b != a:
                conclusions.append({**{c: row[c] for c in shown}, "what": what, "before": b, "after": a})
    changes.conclusions = pd.DataFrame(conclusions, columns=[*shown, "what", "before", "after"])
    return changes


def load_changes(current_dir: Path, previous_dir: Path | None) -> Changes:
    """Compare the results (and release files) in two folders; ``previous_dir`` None or
    without results: the first build."""
    current = pd.read_csv(Path(current_dir) / paths.RESULTS_FILE_NAME, dtype={"data_row": str})
    current_release = Release.read(Path(current_dir) / paths.RELEASE_FILE_NAME) or Release("", [])
    previous = previous_release = None
    if previous_dir is not None and (Path(previous_dir) / paths.RESULTS_FILE_NAME).is_file():
        previous = pd.read_csv(Path(previous_dir) / paths.RESULTS_FILE_NAME, dtype={"data_row": str})
        previous_release = (Release.read(Path(previous_dir) / paths.RELEASE_FILE_NAME)
                            or Release("", _study_scopes(previous)))
    return compare_results(previous, current, previous_release, current_release)
