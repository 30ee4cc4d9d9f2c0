"""The PRISMA 2020 flow of the search and screening record, per update and cumulative.

Every count is computed from ``data/search/`` (:mod:`livingreview.search.records`): the runs
of ``searches.yaml`` (each belongs to one update), the records of ``records.csv`` (a record
with ``duplicate_of`` is a duplicate, removed before screening) and the decisions of
``screening.csv``. The boxes follow the PRISMA 2020 flow diagram (Page et al., BMJ 2021)
with one path for every identification method, since every record of this review is screened
the same way whatever found it; a living review shows the flow of each update and of all
updates together (Kahale et al., F1000Research 2021;10:192).

Each box is the sum of the boxes below it (:meth:`Flow.arithmetic_problems`):
identified = duplicates + screened; screened = excluded + sought (+ awaiting screening);
sought = not retrieved + assessed (+ awaiting assessment); assessed = excluded with reasons +
reports included.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import paths
from .records import (EXCLUDE, FULL_TEXT, INCLUDE, NOT_RETRIEVED, TITLE_ABSTRACT, SearchRun,
                      load_exclusion_reasons, load_records, load_runs, load_screening)

METHOD_LABELS = {"database": "Databases", "citation_searching": "Citation searching", "other": "Other sources"}
ALL_UPDATES = "all"


@dataclass(frozen=True)
class Flow:
    """The counts of one flow diagram: one update, or all of them (``update`` = 'all')."""

    update: str
    first_date: str
    last_date: str
    identified: dict[str, int]  # source as searches.yaml names it -> records, in run order
    identified_by_method: dict[str, int]  # method -> records
    duplicates: int
    screened: int
    excluded_screening: int
    awaiting_screening: int
    sought: int
    not_retrieved: int
    awaiting_assessment: int
    assessed: int
    excluded_reports: dict[str, int]  # exclusion reason label -> reports, most first
    reports_included: int
    studies_new: tuple[str, ...]  # study ids first included in this update (all: every study)
    studies_total: tuple[str, ...]  # study ids included in this update or earlier

    @property
    def identified_total(self) -> int:
        return sum(self.identified.values())

    @property
    def excluded_reports_total(self) -> int:
        return sum(self.excluded_reports.values())

    @property
    def is_cumulative(self) -> bool:
        return self.update == ALL_UPDATES

    @property
    def label(self) -> str:
        """'All updates (2026-12 to 2027-06)' or 'Update 2026-12'."""
        if self.is_cumulative:
            return "All updates"
        return f"Update {self.update}"

    @property
    def dates(self) -> str:
        """The dates the update's searches were run: one date or 'first to last'."""
        if not self.first_date:
            return ""
        return self.first_date if self.first_date == self.last_date else f"{self.first_date} to {self.last_date}"

    def arithmetic_problems(self) -> list[str]:
        """Every box that is not the sum of the boxes it splits into; [] when all add up."""
        checks = [
            ("records identified", self.identified_total, self.duplicates + self.screened),
            ("records screened", self.screened, self.excluded_screening + self.sought + self.awaiting_screening),
            ("reports sought", self.sought, self.not_retrieved + self.assessed + self.awaiting_assessment),
            ("reports assessed", self.assessed, self.excluded_reports_total + self.reports_included),
            ("records identified by method", self.identified_total, sum(self.identified_by_method.values())),
        ]
        return [f"{name}: {total} is not the sum of its parts ({parts})" for name, total, parts in checks
                if total != parts]

    def rows(self) -> list[tuple[str, int | str]]:
        """The flow as (box, count) rows, in the diagram's order, for a table; a part of a box
        is named after it ("Records identified: citation searching")."""
        rows: list[tuple[str, int | str]] = [("Records identified", self.identified_total)]
        rows += [(f"Records identified: {METHOD_LABELS.get(method, method).lower()}", n)
                 for method, n in self.identified_by_method.items()]
        rows += [("Duplicate records removed", self.duplicates), ("Records screened", self.screened),
                 ("Records excluded at title and abstract", self.excluded_screening)]
        if self.awaiting_screening:
            rows.append(("Records awaiting screening", self.awaiting_screening))
        rows += [("Reports sought for retrieval", self.sought), ("Reports not retrieved", self.not_retrieved)]
        if self.awaiting_assessment:
            rows.append(("Reports awaiting assessment", self.awaiting_assessment))
        rows += [("Reports assessed for eligibility", self.assessed),
                 ("Reports excluded", self.excluded_reports_total)]
        rows += [(f"Reports excluded: {reason[:1].lower()}{reason[1:]}", n) for reason, n in self.excluded_reports.items()]
        rows.append(("Reports of included studies", self.reports_included))
        if not self.is_cumulative:
            rows.append(("New studies included in this update", len(self.studies_new)))
        rows.append(("Studies included in the review (to date)", len(self.studies_total)))
        return rows


@dataclass
class SearchRecord:
    """The search and screening record of a data folder, joined for counting."""

    runs: list[SearchRun]
    records: pd.DataFrame  # records.csv, with the run's update and method
    screening: pd.DataFrame  # screening.csv
    reasons: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> "SearchRecord":
        """The record of ``data_dir`` (default: the project's data/); empty when it has no search/."""
        data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
        runs = load_runs(data_dir)
        records = load_records(data_dir)
        by_run = {run.run_id: run for run in runs}
        records = records.assign(
            update=[by_run[r].update if r in by_run else "" for r in records["run_id"]],
            method=[by_run[r].method if r in by_run else "" for r in records["run_id"]],
            source=[by_run[r].source if r in by_run else "" for r in records["run_id"]])
        return cls(runs, records, load_screening(data_dir), load_exclusion_reasons(data_dir))

    @property
    def is_empty(self) -> bool:
        return not self.runs

    @property
    def updates(self) -> list[str]:
        """The updates, oldest first."""
        return sorted({run.update for run in self.runs})

    def reason_label(self, reason_id: str) -> str:
        entry = self.reasons.get(reason_id) or {}
        return str(entry.get("label") or reason_id.replace("_", " "))

    def decisions(self, stage: str) -> dict[str, pd.Series]:
        """The decision row of each record at ``stage`` (title_abstract or full_text)."""
        rows = self.screening[self.screening["stage"] == stage]
        return {row["record_id"]: row for _, row in rows.iterrows()}

    def included_reports(self) -> pd.DataFrame:
        """The records included at full text, with their study ids and updates, oldest first."""
        full_text = self.screening[(self.screening["stage"] == FULL_TEXT) & (self.screening["decision"] == INCLUDE)]
        return full_text.merge(self.records, on="record_id", suffixes=("", "_record"))

    def flow(self, update: str = ALL_UPDATES) -> Flow:
        """The counts of the flow of ``update`` ('all': every update together)."""
        runs = [run for run in self.runs if update == ALL_UPDATES or run.update == update]
        run_ids = [run.run_id for run in runs]
        records = self.records[self.records["run_id"].isin(run_ids)]
        unique = records[records["duplicate_of"] == ""]
        title_abstract, full_text = self.decisions(TITLE_ABSTRACT), self.decisions(FULL_TEXT)
        first = Counter(title_abstract[r]["decision"] if r in title_abstract else "" for r in unique["record_id"])
        sought_ids = [r for r in unique["record_id"] if r in title_abstract
                      and title_abstract[r]["decision"] == INCLUDE]
        second = Counter(full_text[r]["decision"] if r in full_text else "" for r in sought_ids)
        reasons = Counter(self.reason_label(full_text[r]["reason"]) for r in sought_ids
                          if r in full_text and full_text[r]["decision"] == EXCLUDE)

        identified: dict[str, int] = {}
        by_method: dict[str, int] = {}
        counts = Counter(records["run_id"])
        for run in runs:
            identified[run.source] = identified.get(run.source, 0) + counts.get(run.run_id, 0)
            by_method[run.method] = by_method.get(run.method, 0) + counts.get(run.run_id, 0)

        included = self.included_reports()
        earlier = [u for u in self.updates if update == ALL_UPDATES or u <= update]
        so_far = included[included["update"].isin(earlier)]
        before = included[included["update"] < update] if update != ALL_UPDATES else included.iloc[0:0]
        now = included[included["run_id"].isin(run_ids)]
        new = sorted(set(now["study_id"]) - set(before["study_id"]))
        dates = sorted(str(run.date_run) for run in runs)
        return Flow(
            update=update, first_date=dates[0] if dates else "", last_date=dates[-1] if dates else "",
            identified=identified, identified_by_method=by_method,
            duplicates=int((records["duplicate_of"] != "").sum()), screened=len(unique),
            excluded_screening=first.get(EXCLUDE, 0), awaiting_screening=first.get("", 0),
            sought=len(sought_ids), not_retrieved=second.get(NOT_RETRIEVED, 0), awaiting_assessment=second.get("", 0),
            assessed=second.get(INCLUDE, 0) + second.get(EXCLUDE, 0),
            excluded_reports=dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
            reports_included=second.get(INCLUDE, 0),
            studies_new=tuple(new), studies_total=tuple(sorted(set(so_far["study_id"]))))

    def flows(self) -> list[Flow]:
        """One flow per update, oldest first, then the cumulative flow."""
        return [self.flow(update) for update in self.updates] + [self.flow(ALL_UPDATES)]

    def flow_table(self) -> pd.DataFrame:
        """The boxes of every update's flow and of all updates, one column each."""
        flows = self.flows()
        if len(flows) == 2:  # one update: its flow is the cumulative one
            flows = flows[1:]
        columns = {}
        order: list[str] = []
        for flow in flows:
            rows = flow.rows()
            for box, _ in rows:
                if box not in order:
                    order.append(box)
            heading = flow.label + (f" ({flow.dates})" if flow.dates and not flow.is_cumulative else "")
            columns[heading] = dict(rows)
        # A box an update does not have (a reason no report of it was excluded for) is empty.
        frame = pd.DataFrame({heading: [values.get(box, "") for box in order] for heading, values in columns.items()})
        frame.insert(0, "Box", order)
        return frame


def flow_description(flow: Flow) -> str:
    """The flow in words, for the diagram's alt text: every box and its count."""
    sources = ", ".join(f"{source} {n}" for source, n in flow.identified.items())
    reasons = ", ".join(f"{reason} {n}" for reason, n in flow.excluded_reports.items()) or "none"
    return (f"PRISMA 2020 flow diagram, {flow.label.lower()}: {flow.identified_total} records identified "
            f"({sources}); {flow.duplicates} duplicates removed; {flow.screened} records screened, "
            f"{flow.excluded_screening} excluded; {flow.sought} reports sought for retrieval, "
            f"{flow.not_retrieved} not retrieved; {flow.assessed} reports assessed for eligibility, "
            f"{flow.excluded_reports_total} excluded ({reasons}); {len(flow.studies_total)} studies included "
            f"in the review in {flow.reports_included} reports.")
