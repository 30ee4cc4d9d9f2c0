"""HTML for the pages, built so that text from data is always shown as text.

Study pages show titles, quotes and notes curated from papers. Any of them could contain
``<``, ``&`` or a whole ``<script>``: everything here goes through :func:`html.escape`, and
links are only built from known, relative or ``https`` addresses. Notebooks display these
objects; they never format HTML themselves.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from urllib.parse import quote

import pandas as pd
from IPython.display import HTML


@dataclass(frozen=True)
class Link:
    """A table cell that links somewhere; ``title`` becomes the hover text."""

    text: str
    href: str
    title: str = ""

    def to_html(self) -> str:
        title = f' title="{html.escape(self.title)}"' if self.title else ""
        return f'<a href="{html.escape(self.href)}"{title}>{html.escape(self.text)}</a>'


@dataclass(frozen=True)
class StudyLink:
    """A study named in a table or list: its name linked to its page, and, when the study is not
    in the main analyses, a badge that says so (``analysis_set`` as in
    :mod:`livingreview.integrity`)."""

    text: str
    href: str
    badge: str = ""
    analysis_set: str = ""

    def to_html(self) -> str:
        link = f'<a href="{html.escape(self.href)}">{html.escape(self.text)}</a>'
        return link + (f" {badge_html(self.badge, self.analysis_set)}" if self.badge else "")


def badge_html(text: str, analysis_set: str) -> str:
    """A small label such as 'excluded' beside a study's name."""
    return (f'<span class="lr-badge lr-badge-{html.escape(analysis_set)}">{html.escape(text)}</span>'
            if text else "")


def status_badge_html(status) -> str:
    """The badge of a :class:`livingreview.integrity.StudyStatus` ('' for the main analyses)."""
    return badge_html(status.badge, status.analysis_set)


def key_message(sentences: list[str], title: str = "Key message", status=None, css_class: str = "") -> HTML:
    """A box at the top of a page: its finding in two or three sentences; with ``status`` (a
    :class:`livingreview.integrity.StudyStatus`) the study's place in the review first."""
    head = ""
    if status is not None and not status.in_main:
        head = (f'<p class="lr-status lr-status-{html.escape(status.analysis_set)}"><strong>'
                f"{html.escape(status.label)}.</strong> {html.escape(status.reason)}</p>")
    body = "".join(f"<p>{html.escape(s)}</p>" for s in sentences if s)
    return HTML(f'<aside class="lr-key-message {html.escape(css_class)}" aria-label="{html.escape(title)}">'
                f'<p class="lr-key-message-title">{html.escape(title)}</p>{head}{body}</aside>')


class GlueText:
    """A value glued for ``{glue:text}`` that pastes as the text itself.

    myst-nb pastes the ``text/plain`` representation; for a ``str`` that is its ``repr``,
    with quotes. This wrapper's ``repr`` is the bare text (Sphinx then escapes it).
    """

    def __init__(self, text: str):
        self.text = str(text)

    def __repr__(self) -> str:
        return self.text


# Column names that reach a page inside a computed text (an audit finding's "printed" cell) or
# as the header of a teaching table.
COLUMN_WORDS = {"ci_low": "lower CI limit", "ci_high": "upper CI limit", "ci_high_text": "upper CI limit",
                "estimate": "estimate", "count": "count", "denominator": "denominator", "study_id": "study",
                "setting_group": "setting", "timepoint_months": "time (months)", "p_value": "p",
                "ci_level": "CI level", "data_row": "data row", "data_rows": "data rows"}
# A word not inside a path, a file name or an address ("adverse_events.csv" stays as it is).
_TOKEN = re.compile(r"(?<![\w/.-])([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*)(?![\w/-])(?!\.\w)")


def study_names(studies) -> dict[str, str]:
    """Every id a page may meet in the studies' data, with what pages call it: study ids by the
    study's name, arm and population ids by their labels (the first study's, where ids repeat)."""
    names: dict[str, str] = {}
    for study in studies or []:
        names.setdefault(study.study_id, study.name)
        for p in study.meta["populations"]:
            names.setdefault(p["population_id"], p["label"].lower())
        for a in study.meta["arms"]:
            names.setdefault(a["arm_id"], a["label"])
    return names


def humanise(text: str, study=None, names: dict[str, str] | None = None) -> str:
    """``text`` with the internal codes it holds replaced by what pages call them: a study's arm
    and population ids by their labels (``study``, or ``names`` from :func:`study_names`), the
    data dictionary's codes by their labels, column names by words, and any other snake_case
    code by its words. Paths and file names are left as they are."""
    from .dictionary import load_dictionary

    known = dict(names or {})
    if study is not None:
        known.update(study_names([study]))
    codes = load_dictionary().code_labels()

    def replace(match: re.Match) -> str:
        word = match.group(1)
        if word in known:
            return known[word]
        if word in COLUMN_WORDS:
            return COLUMN_WORDS[word]
        if "_" in word:
            return codes.get(word, word.replace("_", " "))
        return word

    return _TOKEN.sub(replace, str(text))


def format_p(p: float, prefix: str = "p ") -> str:
    """A p-value as journals print it: 'p < 0.001', 'p = 0.004' (three decimals below 0.01),
    'p = 0.03' (two decimals otherwise), 'p > 0.99'; ``prefix=""`` for a table cell ('< 0.001')."""
    if p < 0.001:
        return f"{prefix}< 0.001"
    if p > 0.99:
        return f"{prefix}> 0.99"
    value = f"{p:.3f}" if p < 0.01 else f"{p:.2f}"
    return f"{prefix}= {value}" if prefix else value


def degrees_of_freedom(df: int) -> str:
    """'1 degree of freedom', '2 degrees of freedom'."""
    return f"{df} degree{'' if df == 1 else 's'} of freedom"


def glue_facts(facts: dict[str, object]) -> None:
    """Glue each fact for ``{glue:text}``: numbers as numbers (the page may format them),
    everything else as verbatim text."""
    from myst_nb import glue

    for key, value in facts.items():
        glue(key, value if isinstance(value, (int, float)) else GlueText(value), display=False)


def finding_link(study_id: str, table_name: str, row, site_root: str = "..") -> Link:
    """Link from an audit finding to the data it is about: the first row it names in the
    table's file (or the whole file, or study.yaml for study-level findings)."""
    first = str(row).split(",")[0].strip()
    file_name = "study.yaml" if table_name == "study" else f"{table_name}.csv"
    return data_link(study_id, file_name, int(first) if first.isdigit() else None, site_root=site_root)


def cell_html(value) -> str:
    """One table cell: links as links, missing as empty, everything else escaped text."""
    if isinstance(value, (Link, StudyLink)):
        return value.to_html()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value))


def table_html(frame: pd.DataFrame, caption: str = "", classes: str = "", names: dict[str, str] | None = None) -> str:
    """An HTML table of ``frame`` (no index), every cell escaped; column names and codes in text
    cells are shown as words (:func:`humanise`, with ``names`` for the studies' ids)."""
    head = "".join(f"<th>{html.escape(humanise(str(c), names=names))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell_html(humanise(v, names=names) if isinstance(v, str) else v)}</td>"
                         for v in row) + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    cap = f"<caption>{html.escape(humanise(caption, names=names))}</caption>" if caption else ""
    return (f'<table class="lr-table {html.escape(classes)}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def table(frame: pd.DataFrame, caption: str = "", empty: str = "Nothing to show.", studies=None) -> HTML:
    """Display object for :func:`table_html`; a sentence instead of an empty table. With
    ``studies``, their ids in the cells are shown by name and label."""
    if frame.empty:
        return paragraph(empty)
    return HTML(f'<div class="lr-table-wrapper">{table_html(frame, caption, names=study_names(studies))}</div>')


def paragraph(text: str, css_class: str = "lr-note") -> HTML:
    """A paragraph of escaped text."""
    return HTML(f'<p class="{css_class}">{html.escape(text)}</p>')


def definition_list(items: list[tuple[str, object]]) -> str:
    """``<dl>`` of (term, value) pairs; values are shown as table cells are (:func:`cell_html`)."""
    return "<dl>" + "".join(f"<dt>{html.escape(term)}</dt><dd>{cell_html(value)}</dd>"
                            for term, value in items) + "</dl>"


def doi_link(doi: str) -> Link | str:
    """A https://doi.org link for a DOI; the DOI is percent-encoded into the address."""
    doi = str(doi or "").strip()
    if not doi:
        return ""
    return Link(doi, "https://doi.org/" + quote(doi, safe="/:.;()-_"))


def data_link(study_id: str, file_name: str, row: int | None = None, quote_text: str = "",
              site_root: str = "..") -> Link:
    """Link from a page to a curated data file on the site (and which row to read).

    The site carries a copy of ``data/`` at ``<site>/data/``; ``site_root`` is the relative
    path from the page to the site root (``..`` from ``studies/<id>.html``).
    """
    text = file_name if row is None else f"{file_name} row {row}"
    href = f"{site_root}/data/studies/{quote(study_id)}/{quote(file_name)}"
    return Link(text, href, quote_text)


def show_figure(figure) -> None:
    """Display a figure once as the cell's output and close it (so it is not shown twice)."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    if figure is None:
        return
    display(figure)
    plt.close(figure)


def show_figures(figures) -> None:
    """Display each figure of a list once, and close it."""
    for figure in figures:
        show_figure(figure)
