"""The context chapter: randomised standard-of-care trials in the review's settings, their
numbers as their own publications print them, shown beside the review's results and never
pooled with them."""

from __future__ import annotations

import html
from functools import cached_property

import pandas as pd

from ...curated.dictionary import load_dictionary
from ...curated.studies import read_csv_text
from ..display import (Link, Rich, details, doi_link, glue_facts, html_block, humanise, key_message, paragraph,
                       study_names, table_html)
from .base import Chapter
from .benchmarks import (CITED, CONFIRMED, UNCONFIRMED, abbreviations, arm_text, confirmed_count, endpoint_short,
                         kind_order,
                         order_sentence, shown_rows, trial_description, trial_order, unconfirmed_kinds,
                         unconfirmed_line, value_lines, value_text)


class ContextChapter(Chapter):
    """The benchmark trials of each setting, with the words that print their numbers."""

    def context_key_message(self):
        frame = self.benchmarks
        confirmed = confirmed_count(frame)
        trials = int(frame["trial"].nunique()) if not frame.empty else 0
        return key_message([f"{trials} randomised standard-of-care trials give the context: {confirmed} of their "
                            "numbers are confirmed in the trials' own publications. They are shown beside the "
                            "review's results, never pooled with them."])

    @cached_property
    def reader_names(self) -> dict[str, str]:
        """Study ids by the names readers know (a benchmark's source may be an included study)."""
        return study_names(self.studies)

    @cached_property
    def benchmarks(self) -> pd.DataFrame:
        spec = load_dictionary().vocabularies["benchmarks"]
        path = self.data_dir / spec.file
        return read_csv_text(path) if path.exists() else pd.DataFrame()

    @cached_property
    def _labels(self) -> dict:
        """The data dictionary's columns of the benchmarks table that pages label."""
        spec = load_dictionary().vocabularies["benchmarks"]
        return {c.name: c for c in spec.columns if c.name in ("status", "endpoint", "measure")}

    @staticmethod
    def benchmark_link(row: dict, full: bool = False) -> Link | str:
        """The publication a benchmark is cited to: its DOI link, else its PubMed record, else the
        citation as text; by its first authors unless ``full`` (the whole citation)."""
        citation = row["citation"]
        short = citation.split(". ")[0] if len(citation) > 60 and not full else citation
        if row["doi"]:
            return Link(short, doi_link(row["doi"]).href, citation)
        if row["pmid"]:
            return Link(short, f"https://pubmed.ncbi.nlm.nih.gov/{row['pmid']}/", citation)
        return short

    def _endpoint(self, row: dict) -> str:
        labels = self._labels
        return f"{labels['endpoint'].label(row['endpoint'])}, {labels['measure'].label(row['measure'])}"

    def _value(self, row: dict) -> str:
        """The number, and how it is known when not confirmed in the trial's own publication."""
        status = "" if row["status"] == CONFIRMED else f" ({self._labels['status'].label(row['status'])})"
        return value_text(row) + status

    def _table(self, frame: pd.DataFrame, caption: str = "") -> str:
        return f'<div class="lr-table-wrapper">{table_html(frame, caption, names=self.reader_names)}</div>'

    def _value_tables(self, rows: pd.DataFrame) -> str:
        """A trial's values, one table per population (its caption): a line per arm and
        publication, a column per kind of value (OS median, OS hazard ratio, ...), so that no
        arm, population or publication is repeated for each number."""
        parts = []
        for population, group in shown_rows(rows).groupby("population", sort=False):
            lines = value_lines(group)
            kinds = sorted({kind for line in lines for kind in line.values}, key=kind_order)
            columns = {"Arm": [arm_text(line.first) for line in lines]}
            for kind in kinds:
                label = endpoint_short(dict(zip(("endpoint", "measure"), kind)), self._labels["endpoint"].label)
                columns[label[:1].upper() + label[1:]] = [self._value(line.values[kind]) if kind in line.values
                                                          else "" for line in lines]
            columns["Publication"] = [self.benchmark_link(line.first) for line in lines]
            parts.append(self._table(pd.DataFrame(columns), population))
        return "".join(parts)

    def _unconfirmed_table(self, rows: pd.DataFrame) -> str:
        """Each unconfirmed value of a trial: what it is, the publication it was looked for in,
        and the curator's note of where it was looked for and why it carries no value."""
        records = rows[rows["status"] == UNCONFIRMED].to_dict("records")
        return self._table(pd.DataFrame({
            "Population": [r["population"] for r in records], "Arm": [arm_text(r) for r in records],
            "Endpoint": [self._endpoint(r) for r in records],
            "Publication": [self.benchmark_link(r) for r in records],
            "Where it was looked for": [Rich(r["note"]) for r in records]})) if records else ""

    def _trial_block(self, trial: str, rows: pd.DataFrame) -> str:
        """A trial with confirmed values: its name, what it compares and its counts, its values
        by population, then its unconfirmed values collapsed under one line."""
        counts = rows["status"].value_counts()
        words = [f"{counts.get(CONFIRMED, 0)} confirmed"]
        if counts.get(CITED, 0):
            words.append(f"{counts[CITED]} {self._labels['status'].label(CITED)}")
        if counts.get(UNCONFIRMED, 0):
            words.append(f"{counts[UNCONFIRMED]} not confirmed")
        line = unconfirmed_line(rows, self._labels["endpoint"].label)
        return (f'<section class="lr-trial"><h3>{html.escape(trial)}</h3>'
                f'<p class="lr-trial-what">{html.escape(trial_description(rows))}. '
                f'Values: {html.escape(", ".join(words))}.</p>{self._value_tables(rows)}'
                + (details(line, self._unconfirmed_table(rows)) if line else "") + "</section>")

    def _trials_without_confirmed_values(self, frame: pd.DataFrame, trials: list[str]) -> str:
        """The trials with no confirmed value, after the others and collapsed: one line each
        (its name, what it compares and how many values are not confirmed), which opens to
        what it holds."""
        if not trials:
            return ""
        lines = []
        for trial in trials:
            rows = frame[frame["trial"] == trial]
            n_missing = int((rows["status"] == UNCONFIRMED).sum())
            n_cited = int((rows["status"] == CITED).sum())
            line = (f"{trial}: {trial_description(rows)}. Values not confirmed: {n_missing}"
                    + (f" ({unconfirmed_kinds(rows, self._labels['endpoint'].label)})" if n_missing else "")
                    + (f"; values as an included paper cites them: {n_cited}" if n_cited else ""))
            lines.append(details(line, self._value_tables(rows) + self._unconfirmed_table(rows)))
        plural = "s" if len(trials) > 1 else ""
        return details(f"{len(trials)} trial{plural} with no confirmed value, one line each",
                       "".join(lines))

    def _quotes(self, frame: pd.DataFrame) -> str:
        """The words of each publication that print the numbers shown, with the whole citation."""
        records = frame[frame["status"] != UNCONFIRMED].to_dict("records")
        if not records:
            return ""
        return details("The words of each publication that print these numbers", self._table(pd.DataFrame({
            "Trial": [r["trial"] for r in records],
            "Number": [f"{self._endpoint(r)}: {self._value(r)}" for r in records],
            "Arm (population)": [f"{arm_text(r)} ({r['population']})" for r in records],
            "As printed": [Rich(f"{humanise(r['source'], names=self.reader_names)}: “{r['quote']}”")
                           if r["quote"] else Rich(r["note"]) for r in records],
            "Publication": [self.benchmark_link(r, full=True) for r in records]})))

    def benchmark_table(self, setting_group: str):
        """A setting's benchmark trials: those with confirmed values first, the most confirmed
        first, each as a block whose unconfirmed values are collapsed under one line; then the
        trials with no confirmed value, one line each under one collapsed line; then the words
        that print every number shown."""
        frame = self.benchmarks
        if frame.empty:
            return paragraph("No benchmark table is curated.")
        frame = frame[frame["setting_group"] == setting_group]
        if frame.empty:
            return paragraph("No benchmark for this setting.")
        leading, rest = trial_order(frame)
        blocks = [self._trial_block(t, frame[frame["trial"] == t]) for t in leading]
        in_order = pd.concat([shown_rows(frame[frame["trial"] == t]) for t in leading + rest])
        return html_block(*blocks, self._trials_without_confirmed_values(frame, rest), self._quotes(in_order))

    def context_facts(self) -> dict[str, object]:
        """The chapter's counts and sentences, glued into its prose."""
        frame = self.benchmarks
        counts = frame["status"].value_counts() if not frame.empty else pd.Series(dtype=int)
        return {"bench_n_trials": int(frame["trial"].nunique()) if not frame.empty else 0,
                "bench_n_rows": len(frame), "bench_n_confirmed": int(counts.get(CONFIRMED, 0)),
                "bench_n_cited": int(counts.get(CITED, 0)), "bench_n_unconfirmed": int(counts.get(UNCONFIRMED, 0)),
                "bench_order": order_sentence(frame),
                "bench_abbreviations": abbreviations(self._labels["endpoint"].label),
                "orr_by_setting": self._settings_sentence("ORR")}

    def glue_context_facts(self) -> None:
        glue_facts(self.intervention_facts() | self.context_facts())
