"""The summary-of-findings chapter: every setting's findings in GRADE summary-of-findings
tables (the estimate, its absolute effect where there is a comparator, and its certainty),
the legend of the certainty symbols, and each finding's row of the results file."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from ...results.table import RESULT_COLUMNS, write_results
from ...analysis.records import ARM_OUTCOMES, LABELS
from ..display import glue_facts, key_message
from ..findings import _anchor, certainty_legend_html, summary_of_findings_html
from .base import Chapter
from .result_rows import result_row


class SummaryOfFindingsChapter(Chapter):
    """The findings of every setting, as summary-of-findings tables."""

    @staticmethod
    def certainty_legend():
        return HTML(certainty_legend_html())

    def sof_facts(self) -> dict[str, object]:
        labels = [LABELS[o].lower() for o in ARM_OUTCOMES]
        return {"sof_outcomes": ", ".join(labels[:-1]) + " and " + labels[-1],
                "sof_n_main": len(self.main_studies), "sof_bayes_max": str(self.pooling_rules.bayesian_max_studies)}

    def glue_sof_facts(self) -> None:
        glue_facts(self.intervention_facts() | self.sof_facts())

    def sof_key_message(self):
        sentences = [self.findings.summary_sentence(s) for s in self.findings.settings]
        return key_message(sentences + [self._left_out_sentence()])

    def summary_of_findings_tables(self):
        """Every setting's summary-of-findings tables (:func:`livingreview.pages.findings.summary_of_findings_html`),
        each under a heading a link can point to."""
        parts = [f'<section class="lr-sof-setting"><h2 id="{_anchor(s.setting)}">{html.escape(s.setting)}</h2>'
                 f"{summary_of_findings_html(s, self.names, '..')}</section>" for s in self.findings.settings]
        return HTML("".join(parts))

    def ungraded_findings(self) -> list:
        """Reported findings without a certainty judgement (the SoF shows them as not graded)."""
        return [f for f in self.findings.all_findings() if f.reported and f.judgement is None]

    def write_sof_results(self, path: str | Path) -> None:
        """Every finding's estimate (and absolute effect), for results.csv."""
        rows = []
        for f in self.findings.all_findings():
            if not f.reported:
                continue
            studies = ", ".join(v.study_id for v in f.studies)
            method = f"{f.method}; studies: {studies}"
            if f.kind == "median":
                for v in f.studies:
                    rows.append(result_row("synthesis/summary_of_findings", f.setting_group, self.intervention_arms_label,
                                           f"{f.outcome} ({v.study_id})", "median_months", v.estimate, v.ci_low,
                                           v.ci_high, "as printed", v.printed, f"studies/{v.study_id}/{v.data_file}",
                                           v.data_row))
                continue
            # A pooled rate is the pool the response and safety chapters report: the same statistic
            # of the same analysis, so the results table can show that both say one value.
            statistic = {"rate": "pooled_percent" if f.pooled else "percent",
                         "ratio": f.measure.replace(" ", "_")}[f.kind]
            rows.append(result_row("synthesis/summary_of_findings", f.setting_group, self.intervention_arms_label, f.outcome,
                                   statistic, f.estimate, f.ci_low, f.ci_high, method, analysis_id=f.analysis_id))
            for measure, values in (("risk_ratio", f.risk_ratio), ("risk_difference_points", f.risk_difference)):
                if values is not None:
                    rows.append(result_row("synthesis/summary_of_findings", f.setting_group, self.comparison_label,
                                           f.outcome, measure, values["estimate"], values["ci_low"],
                                           values["ci_high"], f"{method}; from the same counts as the odds ratio",
                                           analysis_id=f.analysis_id))
            if f.absolute is not None:
                a = f.absolute
                rows.append(result_row("synthesis/summary_of_findings", f.setting_group, self.comparison_label,
                                       f.outcome, f"per_1000_with_{self.intervention.name}", a.treated, a.treated_low,
                                       a.treated_high, f"{method}; comparator risk: {a.basis}",
                                       analysis_id=f.analysis_id))
                rows.append(result_row("synthesis/summary_of_findings", f.setting_group, self.comparison_label,
                                       f.outcome, "per_1000_with_comparator", a.control,
                                       method=f"comparator risk: {a.basis}", analysis_id=f.analysis_id))
        write_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), Path(path))
