"""What the "What changed" page shows: the differences :mod:`livingreview.results.changes` finds
between this build's results and the previous published build's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..results.changes import Changes, certainty_name, compare_results, load_changes
from ..results.release import RecordedRelease, recorded_releases
from .display import Link, glue_facts, paragraph, table
from ..results.table import CERTAINTY_STATISTIC


def _number(value) -> str:
    return "" if pd.isna(value) else f"{value:.4g}"


def _value(estimate, low, high) -> str:
    interval = f" ({_number(low)} to {_number(high)})" if not (pd.isna(low) and pd.isna(high)) else ""
    return (_number(estimate) + interval).strip() or "none"


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def _shown(row: dict, suffix: str) -> str:
    """A statistic's value and interval, before (suffix ``_before``) or now (``_after``)."""
    if row["statistic"] == CERTAINTY_STATISTIC:
        return certainty_name(row[f"estimate{suffix}"])
    return _value(row[f"estimate{suffix}"], row[f"ci_low{suffix}"], row[f"ci_high{suffix}"])


def _statistic(row: dict) -> str:
    parts = [row["arm"], row["population"], row["endpoint"], row["statistic"]]
    return " · ".join(str(p) for p in parts if str(p))


def summary(changes: Changes) -> str:
    """One sentence counting what changed."""
    c = changes
    if c.first_build:
        return "This is the first build: there is no earlier version to compare with."
    if c.nothing_changed:
        return "No statistic differs."
    return (f"Studies: {len(c.studies_added)} added, {len(c.studies_removed)} removed. "
            f"Statistics: {len(c.moved)} moved, {len(c.appeared)} new, {len(c.disappeared)} no longer "
            f"reported. {_count(len(c.conclusions), 'conclusion', 'conclusions')} changed.")


@dataclass
class ChangesPage:
    """The comparison of the current build with the latest recorded release (or, before the
    first release, with the previous build on this machine)."""

    changes: Changes
    releases: list[RecordedRelease]
    site_status: str  # "Release 0.3.0 (2026-12-03)", "Draft since release ...": the build's

    @classmethod
    def load(cls, current_dir: str | Path, previous_dir: str | Path | None,
             releases_dir: str | Path | None = None, site_status: str = "") -> "ChangesPage":
        previous = None if previous_dir in (None, "") else Path(previous_dir)
        releases = recorded_releases(None if releases_dir in (None, "") else Path(releases_dir))
        return cls(load_changes(Path(current_dir), previous), releases, site_status)

    def compared_with(self) -> str:
        """What this page compares with, in words."""
        previous = self.changes.previous
        if previous is None:
            if self.releases:
                return "This build is the first recorded release: there is no earlier release to compare with."
            return "This is the first build: there is no earlier version to compare with."
        if self.releases:
            recorded = next((r for r in self.releases if r.folder.name == previous.version), None)
            named = recorded.label if recorded else previous.version
            status = f" ({self.site_status[0].lower()}{self.site_status[1:]})" if self.site_status else ""
            return (f"This build{status} is compared with release {named}, "
                    "the results its readers saw.")
        return ("No release is recorded yet, so this build is compared with the previous build on this "
                "machine whose results differed.")

    @cached_property
    def names(self) -> dict[str, str]:
        """Study ids by the names pages give them, as the two builds recorded them."""
        previous = self.changes.previous.names if self.changes.previous is not None else {}
        return previous | self.changes.current.names

    @cached_property
    def _study_ids(self) -> re.Pattern | None:
        """Any study id of :attr:`names` as a whole word, longest first; None without names."""
        if not self.names:
            return None
        return re.compile(r"(?<![\w/.-])(" + "|".join(map(re.escape, sorted(self.names, key=len, reverse=True)))
                          + r")(?![\w/-])")

    def _reader(self, text: str) -> str:
        """``text`` (a method, a list of studies) with every study id replaced by its name."""
        if self._study_ids is None or not isinstance(text, str):
            return text
        return self._study_ids.sub(lambda m: self.names[m.group(1)], text)

    def _where(self, scope: str) -> Link | str:
        """The page a statistic is on: a study page, a chapter, or (no page) the scope's name."""
        if scope in self.changes.current.studies:
            return Link(self.names.get(scope, scope), f"studies/{scope}.html")
        if "/" in scope:
            return Link(scope.rsplit("/", 1)[-1].replace("_", " ").capitalize(), f"{scope}.html")
        return scope

    def facts(self) -> dict[str, object]:
        c = self.changes
        previous = c.previous.version if c.previous else ""
        return {
            "compared_with": self.compared_with(),
            "site_status": self.site_status or "unversioned",
            "site_status_in_sentence": (self.site_status[:1].lower() + self.site_status[1:]) if self.site_status
            else "unversioned",
            "release_now": c.current.version or "unversioned",
            "release_before": previous or ("none" if c.first_build else "unversioned"),
            "changes_summary": summary(c),
            "n_studies_now": len(c.current.studies),
            "n_studies_added": len(c.studies_added),
            "n_conclusions_changed": len(c.conclusions),
            "n_moved": len(c.moved),
        }

    def glue_facts(self) -> None:
        glue_facts(self.facts())

    def studies_table(self):
        c = self.changes
        counts = c.appeared.groupby("scope").size() if not c.appeared.empty else pd.Series(dtype=int)
        rows = [{"Study": Link(self.names.get(s, s), f"studies/{s}.html"), "Change": "added",
                 "Statistics it adds to its page": int(counts.get(s, 0))} for s in c.studies_added]
        rows += [{"Study": self.names.get(s, s), "Change": "removed", "Statistics it adds to its page": 0} for s in c.studies_removed]
        return table(pd.DataFrame(rows), empty="No study was added or removed.")

    def conclusions_table(self):
        rows = [{"Where": self._where(r["scope"]), "Statistic": self._reader(_statistic(r)), "Method": self._reader(r["method"]),
                 "What changed": r["what"], "Before": r["before"], "Now": r["after"]}
                for r in self.changes.conclusions.to_dict("records")]
        return table(pd.DataFrame(rows), empty="No conclusion changed: every hazard or odds ratio kept its side "
                                                "of 1 and its significance, and every GRADE certainty its level.")

    def moved_table(self):
        frame = self.changes.moved.copy()
        if not frame.empty:
            frame = frame.reindex(frame["change"].abs().sort_values(ascending=False, na_position="last").index)
        rows = [{"Where": self._where(r["scope"]), "Statistic": self._reader(_statistic(r)), "Method": self._reader(r["method"]),
                 "Before": _shown(r, "_before"), "Now": _shown(r, "_after"),
                 "Change": "" if pd.isna(r["change"]) else f"{r['change']:+.4g}"}
                for r in frame.to_dict("records")]
        return table(pd.DataFrame(rows), empty="No statistic moved.")

    def pooled_studies_table(self):
        rows = [{"Where": self._where(r["scope"]), "Analysis": f"{r['arm']} · {r['endpoint']}", "Method": self._reader(r["method"]),
                 "Studies before": self._reader(r["studies_before"]), "Studies now": self._reader(r["studies_after"])}
                for r in self.changes.pooled_studies.to_dict("records")]
        return table(pd.DataFrame(rows), empty="Every pooled analysis pools the same studies as before.")

    def appeared_table(self):
        """Statistics that are new, apart from the pages of added studies (counted above)."""
        c = self.changes
        frame = c.appeared[~c.appeared["scope"].isin(c.studies_added)] if not c.appeared.empty else c.appeared
        rows = [{"Where": self._where(r["scope"]), "Statistic": self._reader(_statistic(r)), "Method": self._reader(r["method"]),
                 "Value": _shown(r, "_after")}
                for r in frame.to_dict("records")]
        return table(pd.DataFrame(rows), empty="No new statistic outside the pages of added studies.")

    def disappeared_table(self):
        rows = [{"Where": self._where(r["scope"]), "Statistic": self._reader(_statistic(r)), "Method": self._reader(r["method"]),
                 "Value": _shown(r, "_before")}
                for r in self.changes.disappeared.to_dict("records")]
        return table(pd.DataFrame(rows), empty="No statistic disappeared.")

    def releases_table(self):
        """Every recorded release, newest first, with what it changed from the one before and
        its results to download."""
        import pandas as pd

        from ..results.changes import Release

        rows = []
        for index, recorded in enumerate(self.releases):
            if index == 0:
                changed = "First recorded release."
            else:
                before = self.releases[index - 1]
                changed = summary(compare_results(
                    pd.read_csv(before.results, dtype={"data_row": str}),
                    pd.read_csv(recorded.results, dtype={"data_row": str}),
                    Release(before.version, list(before.studies)), Release(recorded.version, list(recorded.studies))))
            rows.append({"Release": recorded.version, "Date": recorded.date, "Studies": len(recorded.studies),
                         "Last database search": recorded.search_date or "none",
                         "Changes from the release before": changed,
                         "Results": Link("download", f"releases/{recorded.version}/results.csv")})
        return table(pd.DataFrame(rows[::-1]), empty="No release is recorded yet.")

    def first_build_note(self):
        if self.changes.first_build:
            return paragraph("The next build that changes any result will list here what changed.")
        return None
