"""The page that shows how each finding was computed: for every finding of the analysis model
(:mod:`livingreview.analysis.model`), under an anchor named by its analysis id, the studies and
data rows it rests on, the method, the rule that chose it and what the computation is checked
against. The front page and the summary of findings link each number here (or, for a single
study's value, to its data row)."""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML

from ...analysis.records import Finding
from ..display import row_links, table_html
from ..findings import _anchor
from .base import Chapter

_e = html.escape


def _facts_table(items: list[tuple[str, str]]) -> str:
    """(term, text) pairs as a two-column table: compact on a phone and a desktop alike."""
    rows = "".join(f'<tr><th scope="row">{_e(term)}</th><td>{_e(text)}</td></tr>' for term, text in items)
    return f'<table class="lr-table lr-analysis-facts"><tbody>{rows}</tbody></table>'


class AnalysesChapter(Chapter):
    """Every finding's analysis, as the analysis model made it."""

    def _inputs(self, finding: Finding) -> str:
        rows = [{"Study": self._study_link(v.study_id), "Value": v.text,
                 "What it is": "; ".join(x for x in (v.regimen, v.detail, v.counts and f"counts {v.counts}") if x),
                 "Data": row_links(v.study_id, v.data_file, v.data_row)} for v in finding.studies]
        return table_html(pd.DataFrame(rows), classes="lr-analysis-inputs")

    def _entry(self, finding: Finding) -> str:
        items = [("Result", finding.result), ("Evidence", finding.evidence),
                 ("Method", finding.method[:1].upper() + finding.method[1:] + "." if finding.method else ""),
                 ("Why this method", finding.rule), ("Computed by", finding.computed_by),
                 ("Risk difference", finding.risk_difference_text.removeprefix("Risk difference ")
                  + (" (Newcombe's hybrid score CI); the risk ratio's CI is the log-scale Wald interval"
                     if finding.risk_difference_text else ""))]
        if finding.absolute is not None:
            a = finding.absolute
            items.append(("Per 1,000 patients", f"{a.text[:1].upper()}{a.text[1:]}. Comparator risk: {a.basis}; the risk with "
                                                f"{a.intervention} applies the relative effect to it (Cochrane "
                                                "Handbook, chapter 14)."))
        sof = f"summary_of_findings.html#{_anchor(finding.setting)}"
        items.append(("Certainty", finding.certainty or "not graded"))
        items += [("Note", note) for note in finding.notes]
        if finding.sensitivity:
            items.append(("Sensitivity analysis", finding.sensitivity))
        label = finding.label
        return (f'<section class="lr-analysis" id="{_e(finding.analysis_id)}">'
                f'<p class="lr-analysis-title"><strong>{_e(label)}</strong> '
                f'<span class="lr-muted">(<a href="{_e(sof)}">summary of findings</a>)</span></p>'
                f"{_facts_table([(t, v) for t, v in items if v])}{self._inputs(finding)}</section>")

    def analyses_html(self):
        """Every setting's findings that a study reports, each under its analysis id."""
        parts = []
        for setting in self.findings.settings:
            reported = [f for f in setting.findings if f.reported]
            if not reported:
                continue
            parts.append(f'<section class="lr-analysis-setting"><p class="lr-analysis-setting-title">'
                         f"<strong>{_e(setting.setting)}</strong></p>"
                         + "".join(self._entry(f) for f in reported) + "</section>")
        if not parts:
            return HTML('<p class="lr-note">No study in the main analyses reports a finding.</p>')
        return HTML("".join(parts))

