"""HTML views of the review's findings (:mod:`livingreview.analysis.records`): the front page's key
findings, the summary-of-findings tables in the Cochrane layout, and the status of the studies
the main analyses leave out.

Every value is computed; every text is escaped (as in :mod:`livingreview.pages.display`).
"""

from __future__ import annotations

import html
import re

from ..statistics.certainty import CERTAINTY_LEVELS, SYMBOLS
from .display import data_view_href, lower_first, status_badge_html
from ..analysis.records import LABELS, MEASURE_LABELS, Finding, SettingFindings
from ..curated.integrity import StudyStatus

_e = html.escape

ANALYSES_PAGE = "synthesis/analyses.html"  # where each finding's analysis is shown, from the site root
# Where the sensitivity analyses are shown (with the studies the main analyses leave out added).
SENSITIVITY_ANALYSES = "synthesis/bias_integrity_certainty.html#sensitivity-analyses"
SAFETY_CHAPTER = "synthesis/safety.html"


def analysis_href(finding: Finding, site_root: str = "..") -> str:
    """The address of a finding's entry on the analyses page."""
    return f"{site_root}/{ANALYSES_PAGE}#{finding.analysis_id}"


def number_href(finding: Finding, site_root: str = "..") -> str:
    """Where a finding's result links: one study's value read from one data row (a rate from its
    count, a median or hazard ratio as printed) to that row, where it is printed and how it was
    read; a result computed from several rows (an odds ratio from both arms' counts) or from
    several studies to its analysis."""
    from_one_row = finding.kind != "ratio" or finding.measure == "hazard ratio"
    if len(finding.studies) == 1 and from_one_row:
        value = finding.studies[0]
        rows = [r for r in str(value.data_row).replace(";", ",").split(",") if r.strip().isdigit()]
        if rows:
            return data_view_href(value.study_id, value.data_file, int(rows[0]), site_root)
    return analysis_href(finding, site_root)


def certainty_html(finding: Finding) -> str:
    """The certainty as words, then symbols hidden from screen readers (the words say it)."""
    if not finding.reported:
        return ""
    level = finding.level
    if level is None:
        return '<span class="lr-certainty lr-certainty-none">Not graded</span>'
    slug = level.replace(" ", "-")
    return (f'<span class="lr-certainty lr-certainty-{slug}">{_e(level.capitalize())} '
            f'<span class="lr-certainty-symbols" aria-hidden="true">{SYMBOLS[level]}</span></span>')


def result_html(finding: Finding, site_root: str | None = None) -> str:
    """The estimate, bold when it informs; an uninformative one is said to be so, in words. With
    ``site_root``, the result links to where it was made (:func:`number_href`)."""
    text = _e(finding.result)
    if not finding.reported:
        return f'<span class="lr-muted">{text}</span>'
    estimate, _, rest = finding.result.partition(" (")
    # One estimate to read first: a pool, or one study's rate or ratio; never the first of several
    # studies' values shown side by side, which would read as a pool.
    one_estimate = finding.pooled or (len(finding.studies) == 1 and finding.kind != "median")
    if finding.informative and rest and one_estimate:
        text = f"<strong>{_e(estimate)}</strong> ({_e(rest)}"
    if site_root is not None:
        text = f'<a class="lr-number-link" href="{_e(number_href(finding, site_root))}">{text}</a>'
    if not finding.informative:
        text += '<br><span class="lr-uninformative">too imprecise to inform</span>'
    return text


def _study_page(study_id: str, page_root: str) -> str:
    return f"{page_root}/studies/{study_id}.html"


def left_out_html(statuses: list[StudyStatus], names: dict[str, str], page_root: str = ".",
                  empty: str = "", reasons: bool = True) -> str:
    """One line per study the main analyses leave out: its name, its set and (unless
    ``reasons`` is false: the front page keeps to one line) the reason."""
    if not statuses:
        return f'<p class="lr-note">{_e(empty)}</p>' if empty else ""
    screen = f"{page_root}/synthesis/bias_integrity_certainty.html#integrity-screen"
    why = f'Why: each study\'s page and the <a href="{_e(screen)}">integrity screen</a>.'
    named = [f'<a href="{_e(_study_page(s.study_id, page_root))}">{_e(names[s.study_id])}</a> {status_badge_html(s)}'
             for s in statuses]
    if not reasons:
        return f'<p class="lr-left-out">{", ".join(named)}. {why}</p>'
    items = "".join(f"<li>{study}: {_e(s.reason)}</li>" for study, s in zip(named, statuses))
    return f'<ul class="lr-left-out">{items}</ul><p class="lr-left-out-more">{why}</p>'


def left_out_box_html(studies, names: dict[str, str], page_root: str, title: str, empty: str,
                      reasons: bool = True) -> str:
    """A box listing the studies the main analyses leave out (:func:`left_out_html`), or a note
    that there are none."""
    from ..curated.integrity import left_out_of_main

    statuses = left_out_of_main(studies)
    if not statuses:
        return f'<p class="lr-note">{_e(empty)}</p>'
    if not reasons:
        return (f'<div class="lr-left-out-box lr-left-out-line"><strong>{_e(title)}:</strong> '
                + left_out_html(statuses, names, page_root, reasons=False) + "</div>")
    return (f'<div class="lr-left-out-box"><p><strong>{_e(title)}</strong></p>'
            + left_out_html(statuses, names, page_root) + "</div>")


def bottom_line_html(settings: list[SettingFindings], page_root: str = ".") -> str:
    """The review in one sentence, from the analysis model: the first result of the first
    setting with one (linked to how it was computed), and the certainty of every graded
    result, lowest to highest."""
    first = next(((setting, f) for setting in settings for f in setting.arm_findings if f.reported), None)
    if first is None:
        return '<p class="lr-bottom-line"><strong>Bottom line:</strong> no study is in the main analyses yet.</p>'
    setting, finding = first
    levels = sorted({f.level for s in settings for f in s.findings if f.level is not None},
                    key=CERTAINTY_LEVELS.index)
    certainty = (f"all of {levels[0]} certainty" if len(levels) == 1 else
                 f"of {levels[0]} to {levels[-1]} certainty" if levels else "not graded")
    return (f'<p class="lr-bottom-line"><strong>Bottom line:</strong> in {_e(lower_first(setting.setting))}, '
            f"{_e(LABELS[finding.endpoint].lower())} with {_e(setting.intervention)}-containing regimens "
            f"{result_html(finding, page_root)} ({_e(finding.evidence)}); the review's results are {certainty}.</p>")


def key_findings_html(settings: list[SettingFindings], names: dict[str, str], page_root: str = ".") -> str:
    """Per setting: a compact table of each main outcome (result, evidence, certainty) with its
    plain-language sentence under it; comparisons that no study reports are left to the
    summary-of-findings tables."""
    blocks = []
    sof = f"{page_root}/synthesis/summary_of_findings.html"
    for setting in settings:
        rows = []
        compared = [f for f in setting.comparison_findings if f.reported]
        groups = [(f"With {setting.intervention}-containing regimens", setting.arm_findings)]
        if compared:
            groups.append((f"Compared with the same regimen without {setting.intervention} "
                           f"({', '.join(c[2] for c in setting.comparisons)})", compared))
        for title, findings in groups:
            if len(groups) > 1:
                rows.append(f'<tr class="lr-kf-group"><th colspan="4" scope="rowgroup">{_e(title)}</th></tr>')
            for finding in findings:
                label = _e(LABELS[finding.endpoint]) + (f' <span class="lr-muted">({_e(finding.measure)})</span>'
                                                        if finding.measure else "")
                rows.append(
                    f'<tr class="lr-kf-row"><th scope="row">{label}</th><td>{result_html(finding, page_root)}</td>'
                    f"<td>{_linked(finding.evidence, analysis_href(finding, page_root))}</td>"
                    f"<td>{certainty_html(finding)}</td></tr>"
                    f'<tr class="lr-kf-sentence"><td colspan="4">{_e(finding.sentence)}</td></tr>')
        anchor = f"{sof}#{_anchor(setting.setting)}"
        heading = (f'<h3 class="lr-kf-setting"><a href="{_e(anchor)}">{_e(setting.setting)}</a></h3>')
        if not rows:
            names_left = ", ".join(f"{names[s.study_id]} ({s.badge})" for s in setting.left_out)
            body = (f'<p class="lr-note">No study of this setting is in the main analyses'
                    f"{': ' + _e(names_left) if names_left else ''}.</p>")
        else:
            body = (f"<div class=\"lr-table-wrapper\"><table class=\"lr-table lr-kf\">"
                    "<thead><tr><th scope=\"col\">Outcome</th><th scope=\"col\">Result (95% interval)</th>"
                    "<th scope=\"col\">Evidence</th><th scope=\"col\">Certainty</th></tr></thead>"
                    f"<tbody>{''.join(rows)}</tbody></table></div>")
        blocks.append(f'<section class="lr-kf-block">{heading}{body}</section>')
    return f'<div class="lr-key-findings">{"".join(blocks)}</div>'


def _anchor(text: str) -> str:
    """The id Sphinx gives a heading with this text."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Footnotes:
    """Lettered footnotes of one table: the same text gets the same letter, and each letter
    links to its note (``prefix`` keeps the notes of the page's tables apart)."""

    def __init__(self, prefix: str):
        self.prefix = re.sub(r"[^a-z0-9]+", "-", prefix.lower()).strip("-")
        self.texts: list[str] = []

    @staticmethod
    def _letter(index: int) -> str:
        return chr(ord("a") + index)

    def _id(self, letter: str) -> str:
        return f"note-{self.prefix}-{letter}"

    def mark(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        letter = self._letter(self.texts.index(text))
        return (f'<sup class="lr-footnote-mark"><a class="lr-footnote-link" href="#{self._id(letter)}" '
                f'aria-label="note {letter}">{letter}</a></sup>')

    def html(self) -> str:
        if not self.texts:
            return ""
        items = "".join(f'<li id="{self._id(self._letter(i))}">{_e(t)}</li>' for i, t in enumerate(self.texts))
        return f'<ol class="lr-footnotes" type="a">{items}</ol>'


def _certainty_cell(finding: Finding, notes: Footnotes) -> str:
    if finding.level is None:
        return certainty_html(finding)
    judgement = finding.judgement
    marks = notes.mark(f"Starts at {judgement.start} certainty: {judgement.start_reason}")
    marks += "".join(notes.mark(d.text) for d in judgement.downgrades)
    return certainty_html(finding) + marks


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _comments(finding: Finding) -> str:
    parts = []
    if finding.method:
        parts.append(_sentence_case(finding.method) + ".")
    if len(finding.studies) > 1 and finding.kind != "median":
        parts.append("Studies: " + "; ".join(f"{s.name} {s.text}" for s in finding.studies) + ".")
    elif finding.studies and finding.studies[0].counts:
        parts.append(f"{finding.studies[0].name}: {finding.studies[0].counts}.")
    if finding.risk_difference_text:
        parts.append(finding.risk_difference_text + ".")
    if finding.absolute is not None:
        parts.append(f"Comparator risk: {finding.absolute.basis}.")
    parts += finding.notes
    if finding.sensitivity:
        parts.append(finding.sensitivity)
    if not finding.informative:
        parts.append("The CI spans nearly every possible value: this estimate does not inform.")
    return " ".join(_e(p) for p in parts)


def _linked(text: str, href: str) -> str:
    """``text`` (escaped) as a link to ``href``; nothing for no text."""
    return f'<a class="lr-number-link" href="{_e(href)}">{_e(text)}</a>' if text else ""


def _participants(finding: Finding, site_root: str) -> str:
    """'76 (2 studies)', linked to the analysis that lists them."""
    if not finding.reported:
        return ""
    k = len(finding.studies)
    return _linked(f"{finding.patients} ({k} {'study' if k == 1 else 'studies'})", analysis_href(finding, site_root))


def _comment_row(finding: Finding, columns: int) -> str:
    comments = _comments(finding)
    return f'<tr class="lr-sof-comment"><td colspan="{columns}">{comments}</td></tr>' if comments else ""


def _outcome_cell(finding: Finding, detail: str) -> str:
    return (f'<th scope="row">{_e(LABELS[finding.endpoint])}'
            f'{"<br><span class=" + chr(34) + "lr-muted" + chr(34) + ">" + _e(detail) + "</span>" if detail else ""}</th>')


def _labelled_cells(columns: list[str], values: list[str]) -> str:
    """Cells of HTML values, each carrying its column's name (a phone shows it beside the value)."""
    return "".join(f'<td data-label="{_e(column)}">{value}</td>' for column, value in zip(columns, values))


def _sof_table(columns: list[str], rows: list[str]) -> str:
    """A summary-of-findings table: its column names as the header, then its rows."""
    head = "".join(f'<th scope="col">{_e(column)}</th>' for column in columns)
    return ('<div class="lr-table-wrapper"><table class="lr-table lr-sof-table">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def summary_of_findings_html(setting: SettingFindings, names: dict[str, str], page_root: str = "..") -> str:
    """The setting's summary-of-findings tables in the Cochrane layout: the comparison (when a
    study has a control arm), then the outcomes with the intervention; comments under each outcome and
    one lettered footnote per downgrade."""
    parts = []
    population = _e(setting.setting)
    if setting.comparison_findings:
        columns = ["Outcome", "Risk with the comparator", f"Risk with {setting.intervention}",
                   "Relative effect (95% CI)", "Participants (studies)", "Certainty (GRADE)"]
        notes = Footnotes(f"{setting.setting} comparison")
        rows = []
        for f in setting.comparison_findings:
            absolute = f.absolute
            detail = f"{f.measure}; {absolute.event}" if absolute else f.measure
            if f.reported:
                analysis = analysis_href(f, page_root)
                risk_control = _linked(absolute.control_text, analysis) if absolute else "not estimable"
                risk_treated = (f"{_linked(absolute.treated_range_text, analysis)}<br><span class=\"lr-muted\">"
                                f"{_e(absolute.difference_text)}</span>" if absolute else "not estimable")
                cells = _labelled_cells(columns[1:], [risk_control, risk_treated, result_html(f, page_root),
                                                      _participants(f, page_root), _certainty_cell(f, notes)])
                rows.append(f'<tr class="lr-sof-row">{_outcome_cell(f, detail)}{cells}</tr>'
                            f"{_comment_row(f, len(columns))}")
            else:
                rows.append(f'<tr class="lr-sof-row">{_outcome_cell(f, f.measure)}'
                            f'<td colspan="{len(columns) - 1}" class="lr-muted">'
                            "not reported by the comparative studies</td></tr>")
        intervention, comparator = (setting.comparisons[0][:2] if len(setting.comparisons) == 1 else
                                    (f"{setting.intervention}-containing regimens",
                                     f"the same regimens without {setting.intervention}"))
        studies = "; ".join(f"{c[2]} ({c[3].lower()})" for c in setting.comparisons)
        parts.append(
            f'<div class="lr-sof"><p class="lr-sof-title"><strong>{_e(_sentence_case(intervention))} compared with '
            f"{_e(comparator)}</strong></p>"
            f'<p class="lr-sof-meta">Patients: {population}. Intervention: {_e(intervention)}. Comparison: '
            f"{_e(comparator)}. Studies: {_e(studies)}.</p>"
            f"{_sof_table(columns, rows)}{notes.html()}</div>")
    if setting.arm_findings:
        columns = ["Outcome", f"With {setting.intervention} (95% interval)", "Participants (studies)",
                   "Certainty (GRADE)"]
        notes = Footnotes(f"{setting.setting} outcomes")
        rows = []
        for f in setting.arm_findings:
            if f.reported:
                cells = _labelled_cells(columns[1:], [result_html(f, page_root), _participants(f, page_root),
                                                      _certainty_cell(f, notes)])
                rows.append(f'<tr class="lr-sof-row">{_outcome_cell(f, _measure(f))}{cells}</tr>'
                            f"{_comment_row(f, len(columns))}")
            else:
                sensitivity = (": " + _linked(f.sensitivity, f"{page_root}/{SENSITIVITY_ANALYSES}")
                               if f.sensitivity else "")
                if f.reported_instead:
                    sensitivity += ". " + _linked(f.reported_instead, f"{page_root}/{SAFETY_CHAPTER}")
                rows.append(f'<tr class="lr-sof-row">{_outcome_cell(f, _measure(f))}'
                            f'<td colspan="{len(columns) - 1}" class="lr-muted">not reported{sensitivity}</td></tr>')
        parts.append(
            f'<div class="lr-sof"><p class="lr-sof-title"><strong>Outcomes with {_e(setting.intervention)}-containing '
            'regimens '
            f'(no comparator)</strong></p><p class="lr-sof-meta">Patients: {population}. Studies in the main '
            f"analyses: {_e(', '.join(names[s] for s in setting.main_studies))}.</p>"
            f"{_sof_table(columns, rows)}{notes.html()}</div>")
    if not parts:
        parts.append('<p class="lr-note">No study of this setting is in the main analyses.</p>')
    left_out = left_out_html(setting.left_out, names, page_root)
    if left_out:
        parts.append(f'<p class="lr-sof-meta">Not in the main analyses:</p>{left_out}')
    return "".join(parts)


def _measure(finding: Finding) -> str:
    return MEASURE_LABELS[finding.endpoint]


CERTAINTY_MEANINGS = {  # the GRADE Working Group's definitions of the four levels
    "high": "the true effect is probably close to the estimate",
    "moderate": "the true effect is probably close to the estimate, but may be substantially different",
    "low": "the true effect may be substantially different from the estimate",
    "very low": "the true effect is probably substantially different from the estimate",
}


def certainty_legend_html() -> str:
    """What each GRADE level means, from high to very low."""
    items = "".join(f'<li><span class="lr-certainty lr-certainty-{k.replace(" ", "-")}">{_e(k.capitalize())} '
                    f'<span aria-hidden="true">{SYMBOLS[k]}</span></span>: {_e(v)}.</li>'
                    for k, v in CERTAINTY_MEANINGS.items())
    return f'<p class="lr-legend-title">Certainty of the evidence (GRADE)</p><ul class="lr-certainty-legend">{items}</ul>'
