"""What the pages show of the search and screening record: the search strategies and runs
(methods page), the PRISMA 2020 flow per update and cumulative (front and methods pages),
and the characteristics of excluded studies (their own page)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from .. import paths
from .display import (Joined, Link, Rich, details, doi_link, glue_facts, html_block, paragraph, study_link, table,
                      table_html)
from ..search.duplicates import TITLE_MATCH_THRESHOLD
from ..search.prisma import ALL_UPDATES, METHOD_LABELS, SearchRecord
from ..search.records import (EXCLUDE, FULL_TEXT, NOT_RETRIEVED, RECORDS_FILE_NAME, SCREENING_FILE_NAME,
                              SEARCHES_FILE_NAME, TITLE_ABSTRACT, load_searches)
from ..search.schedule import search_schedule

NO_RECORD = ("This review has no search and screening record yet (data/search/): its included studies are "
             "listed below, but how they were found is not recorded.")
DECISION_WORDS = {"include": "included", EXCLUDE: "excluded", NOT_RETRIEVED: "not retrieved"}


def _pubmed_link(pmid: str) -> Link | str:
    return Link(f"PMID {pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{int(pmid)}/") if str(pmid).isdigit() else ""


@dataclass
class SearchPage:
    """The search record of a data folder, as pages show it."""

    record: SearchRecord
    strategies: list[dict]
    data_dir: Path

    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> "SearchPage":
        data_dir = paths.DATA_DIR if data_dir is None else Path(data_dir)
        record = SearchRecord.load(data_dir)
        searches = load_searches(data_dir) if not record.is_empty else {}
        return cls(record, list(searches.get("strategies") or []), data_dir)

    # ------------------------------------------------------------------ facts

    def facts(self) -> dict[str, object]:
        """Glue values: the schedule, the counts of the cumulative flow and the dates of the searches."""
        schedule = search_schedule(self.data_dir)
        common = {"search_frequency_months": schedule.frequency_months or "(not stated)",
                  "search_next_due": schedule.next_due or "(not scheduled)",
                  "search_status": schedule.status,
                  "search_title_threshold": TITLE_MATCH_THRESHOLD}
        if self.record.is_empty:
            return common | {"search_n_runs": 0, "search_n_updates": 0, "search_first_date": "not recorded",
                    "search_last_date": "not recorded", "search_n_records": 0, "search_n_screened": 0,
                    "search_n_excluded_reports": 0, "search_n_not_retrieved": 0, "search_n_excluded_abstract": 0}
        flow = self.record.flow(ALL_UPDATES)
        return common | {
            "search_n_runs": len(self.record.runs), "search_n_updates": len(self.record.updates),
            "search_first_date": flow.first_date, "search_last_date": flow.last_date,
            "search_n_records": flow.identified_total, "search_n_screened": flow.screened,
            "search_n_excluded_reports": flow.excluded_reports_total,
            "search_n_not_retrieved": flow.not_retrieved, "search_n_excluded_abstract": flow.excluded_screening,
        }

    def glue_facts(self) -> None:
        glue_facts(self.facts())

    # ------------------------------------------------------------------ flow

    def flow_figure(self, update: str = ALL_UPDATES):
        """The PRISMA 2020 flow diagram of one update or of all (None without a search record)."""
        from .prisma_figure import prisma_flow_figure

        if self.record.is_empty:
            return None
        return prisma_flow_figure(self.record.flow(update))

    def flow_summary(self):
        """One sentence under the diagram: where the strategies and exclusions are listed."""
        if self.record.is_empty:
            return paragraph(NO_RECORD)
        updates = self.record.updates
        text = (f"Counted from the search and screening record ({len(self.record.runs)} identification runs in "
                f"{len(updates)} update{'s' if len(updates) != 1 else ''}). The ")
        return HTML(f'<p class="lr-note">{html.escape(text)}<a href="methods.html#search-and-study-selection">'
                    'methods</a> list the search strategies and every run; <a href="excluded_studies.html">'
                    "excluded studies</a> lists every report excluded at full text, with its reason.</p>")

    def flow_table(self):
        """Every box of the flow, per update and for all updates, one column each."""
        if self.record.is_empty:
            return paragraph(NO_RECORD)
        return table(self.record.flow_table(), "Flow of records and reports, per update and cumulative "
                                               "(PRISMA 2020 boxes)")

    def update_flows(self):
        """The diagram of each update, each in a drop-down, when there is more than one update."""
        from .display import figure_html

        if len(self.record.updates) < 2:
            return HTML("")
        import matplotlib.pyplot as plt

        parts = []
        for update in self.record.updates:
            figure = self.flow_figure(update)
            try:
                parts.append(details(f"Flow of update {update}", figure_html(figure)))
            finally:
                plt.close(figure)
        return HTML("".join(parts))

    # ------------------------------------------------------------------ strategies and runs

    def strategies_html(self):
        """Each database's search strategy (its query as run), its limits and the runs of it."""
        if self.record.is_empty:
            return paragraph(NO_RECORD)
        parts = []
        for strategy in self.strategies:
            runs = [run for run in self.record.runs if run.strategy_id == strategy.get("strategy_id")]
            ran = ("; ".join(f"{run.date_run} (update {run.update}): {run.records_reported} records"
                             for run in runs) if runs else "not run yet: no records from this database so far")
            parts.append(
                f'<div class="lr-card lr-strategy"><p><strong>{html.escape(str(strategy.get("database", "")))}'
                f"</strong></p><pre class=\"lr-query\">{html.escape(str(strategy.get('query', '')).strip())}</pre>"
                f"<p>Limits: {html.escape(str(strategy.get('limits') or 'none'))}</p>"
                f"<p>Runs: {html.escape(ran)}</p></div>")
        if not parts:
            parts.append(paragraph("No database search strategy is recorded.").data)
        return HTML("".join(parts))

    def runs_table(self):
        """Every identification run: update, date, method, source and records."""
        if self.record.is_empty:
            return paragraph(NO_RECORD)
        counts = self.record.records.groupby("run_id").size()
        unique = self.record.records[self.record.records["duplicate_of"] == ""].groupby("run_id").size()
        frame = pd.DataFrame({
            "Update": [run.update for run in self.record.runs],
            "Date run": [str(run.date_run) for run in self.record.runs],
            "Method": [METHOD_LABELS.get(run.method, run.method) for run in self.record.runs],
            "Source": [run.source for run in self.record.runs],
            "Records": [int(counts.get(run.run_id, 0)) for run in self.record.runs],
            "New (not duplicates)": [int(unique.get(run.run_id, 0)) for run in self.record.runs],
        })
        return table(frame, f"Identification runs ({SEARCHES_FILE_NAME}; records in {RECORDS_FILE_NAME})")

    def reasons_table(self):
        """The fixed list of exclusion reasons, each with the criterion it applies."""
        reasons = self.record.reasons
        if not reasons:
            return paragraph("No exclusion reasons are defined (data/vocabulary/exclusion_reasons.yaml).")
        return table(pd.DataFrame({"Reason": [self.record.reason_label(r) for r in reasons],
                                   "Criterion it applies": [str(e.get("criterion") or "") for e in reasons.values()]}))

    # ------------------------------------------------------------------ excluded studies

    def _reports(self, stage: str, decisions: tuple[str, ...]) -> pd.DataFrame:
        screening = self.record.screening
        rows = screening[(screening["stage"] == stage) & screening["decision"].isin(decisions)]
        return rows.merge(self.record.records, on="record_id", how="left", suffixes=("", "_record"))

    @staticmethod
    def _report_cell(row) -> Joined:
        """A report as a reference: first author, year, title, journal and its DOI or PMID link."""
        who = f"{row['first_author'] or '[no author printed]'} {row['year']}".strip()
        journal = f" *{str(row['journal']).rstrip('.')}*." if row["journal"] else ""
        link = doi_link(row["doi"]) or _pubmed_link(row["pmid"])
        return Joined((Rich(f"**{who}**. {str(row['title']).rstrip('.')}.{journal}"), link))

    def excluded_table(self):
        """Characteristics of excluded studies: each report excluded at full text, with its reason."""
        if self.record.is_empty:
            return paragraph(NO_RECORD)
        rows = self._reports(FULL_TEXT, (EXCLUDE,))
        frame = pd.DataFrame({
            "Report": [self._report_cell(r) for _, r in rows.iterrows()],
            "Reason for exclusion": [self.record.reason_label(r) for r in rows["reason"]],
            "Criterion": [str((self.record.reasons.get(r) or {}).get("criterion") or "") for r in rows["reason"]],
            "Note": list(rows["note"]),
            "Decided": [f"{r['date']} ({r['reviewer']})" for _, r in rows.iterrows()],
        })
        return _table_without_blank_columns(frame, "Reports excluded after reading the full text",
                                            "No report has been excluded at full text.")

    def not_retrieved_table(self):
        """Reports that may be eligible but whose full text the review does not have yet."""
        if self.record.is_empty:
            return paragraph(NO_RECORD)
        rows = self._reports(FULL_TEXT, (NOT_RETRIEVED,))
        frame = pd.DataFrame({"Report": [self._report_cell(r) for _, r in rows.iterrows()],
                              "Note": list(rows["note"]),
                              "Recorded": [f"{r['date']} ({r['reviewer']})" for _, r in rows.iterrows()]})
        return _table_without_blank_columns(frame, "Reports sought but not retrieved (awaiting classification)",
                                            "Every report sought was retrieved.")

    def title_abstract_exclusions(self):
        """The records excluded on their title and abstract, counted by reason, with the list in
        a drop-down."""
        if self.record.is_empty:
            return paragraph(NO_RECORD)
        rows = self._reports(TITLE_ABSTRACT, (EXCLUDE,))
        if rows.empty:
            return paragraph("No record has been excluded on its title and abstract.")
        reasons = rows["reason"].map(lambda r: self.record.reason_label(r) if r else "No reason recorded")
        counts = reasons.value_counts().rename_axis("Reason").reset_index(name="Records")
        frame = pd.DataFrame({"Record": [self._report_cell(r) for _, r in rows.iterrows()], "Reason": list(reasons),
                              "Note": list(rows["note"])})
        listing = details(f"Every record excluded on title and abstract ({len(rows)})",
                          f'<div class="lr-table-wrapper">{table_html(_drop_blank(frame))}</div>')
        return html_block(table(counts, "Records excluded on title and abstract, by reason"), listing)

    def integrity_excluded(self):
        """Included reports that the integrity screen left out of every analysis, with links."""
        from ..curated.studies import load_studies
        from ..curated.integrity import EXCLUDED, analysis_set, study_status

        studies = [s for s in load_studies(self.data_dir) if analysis_set(s) == EXCLUDED]
        if not studies:
            return paragraph("No included report has been excluded after the integrity screen.")
        frame = pd.DataFrame({"Study": [study_link(s, "") for s in studies],
                              "Reason": [study_status(s).reason for s in studies]})
        return table(frame, "Included reports excluded from every analysis after the integrity screen")

    def screening_files(self):
        """Where the decisions are kept, for a reader who wants the whole record."""
        return HTML('<p class="lr-note">The whole record is data: '
                    f'<a href="data/{html.escape(SCREENING_FILE_NAME)}">{html.escape(SCREENING_FILE_NAME)}</a> '
                    f'(every decision) and <a href="data/{html.escape(RECORDS_FILE_NAME)}">'
                    f"{html.escape(RECORDS_FILE_NAME)}</a> (every record, with its duplicates).</p>")


def _drop_blank(frame: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in frame.columns if frame[c].map(lambda v: bool(str(v).strip()) if isinstance(v, str)
                                                        else v is not None).any()]
    return frame[keep]


def _table_without_blank_columns(frame: pd.DataFrame, caption: str, empty: str):
    if frame.empty:
        return paragraph(empty)
    return HTML(f'<div class="lr-table-wrapper">{table_html(_drop_blank(frame), caption)}</div>')
