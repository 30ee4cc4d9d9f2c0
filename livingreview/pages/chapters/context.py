"""The context chapter: randomised standard-of-care trials in the review's settings, their
numbers as their own publications print them, shown beside the review's results and never
pooled with them."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from ...curated.dictionary import load_dictionary
from ...curated.studies import read_csv_text
from ..display import (Link, Rich, details, doi_link, glue_facts, html_block, humanise, key_message, paragraph,
                       study_names, table, tables_by)
from .base import Chapter


class ContextChapter(Chapter):
    """The benchmark trials of each setting, with the words that print their numbers."""

    def context_key_message(self):
        frame = self.benchmarks
        confirmed = int((frame["status"] == "confirmed").sum()) if not frame.empty else 0
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

    @staticmethod
    def benchmark_link(row: dict) -> Link | str:
        """The publication a benchmark is cited to: its DOI link, else its PubMed record, else the
        citation as text."""
        citation = row["citation"]
        short = citation.split(". ")[0] if len(citation) > 60 else citation
        if row["doi"]:
            return Link(short, doi_link(row["doi"]).href, citation)
        if row["pmid"]:
            return Link(short, f"https://pubmed.ncbi.nlm.nih.gov/{row['pmid']}/", citation)
        return citation

    def benchmark_table(self, setting_group: str):
        frame = self.benchmarks
        if frame.empty:
            return paragraph("No benchmark table is curated.")
        frame = frame[frame["setting_group"] == setting_group]
        spec = load_dictionary().vocabularies["benchmarks"]
        status_column = next(c for c in spec.columns if c.name == "status")
        endpoint_column = next(c for c in spec.columns if c.name == "endpoint")
        measure_column = next(c for c in spec.columns if c.name == "measure")

        def value(r):
            if r["status"] == "unconfirmed":
                return "not confirmed (no value shown)"
            unit = {"percent": "%", "months": " months", "ratio": ""}[r["unit"]]
            ci = f" ({r['ci_low']}–{r['ci_high']}, {r['ci_level'] or '95'}% CI)" if r["ci_low"] else ""
            return f"{r['estimate']}{unit}{ci}"
        records = frame.to_dict("records")
        shown = pd.DataFrame({
            "Trial": frame["trial"],
            "Arm (population)": [f"{r['arm']}" + (f", n = {r['n']}" if r["n"] else "") + f" ({r['population']})"
                                 for r in records],
            "Endpoint": [f"{endpoint_column.label(r['endpoint'])}, {measure_column.label(r['measure'])}"
                         for r in records],
            "Value": [value(r) + ("" if r["status"] == "confirmed" else f" ({status_column.label(r['status'])})")
                      for r in records],
            "Publication": [self.benchmark_link(r) for r in records],
        })
        quotes = pd.DataFrame({"Trial": frame["trial"], "Number": shown["Value"],
                               "Where, as printed": [Rich(f"{humanise(r['source'], names=self.reader_names)}: "
                                                          f"“{r['quote']}”") if r["quote"]
                                                     else Rich(r["note"]) for r in records]})
        if shown.empty:
            return paragraph("No benchmark for this setting.")
        return html_block(tables_by(shown, "Trial"),
                          details("The words of each publication that print these numbers", table(quotes).data))

    def context_facts(self) -> dict[str, object]:
        frame = self.benchmarks
        counts = frame["status"].value_counts() if not frame.empty else pd.Series(dtype=int)
        return {"bench_n_trials": int(frame["trial"].nunique()) if not frame.empty else 0,
                "bench_n_rows": len(frame), "bench_n_confirmed": int(counts.get("confirmed", 0)),
                "bench_n_cited": int(counts.get("cited_by_included_paper", 0)),
                "bench_n_unconfirmed": int(counts.get("unconfirmed", 0)),
                "orr_by_setting": self._settings_sentence("ORR")}

    def glue_context_facts(self) -> None:
        glue_facts(self.intervention_facts() | self.context_facts())
