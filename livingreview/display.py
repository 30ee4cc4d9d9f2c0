"""HTML for the pages, built so that text from data is always shown as text.

Study pages show titles, quotes and notes curated from papers. Any of them could contain
``<``, ``&`` or a whole ``<script>``: everything here goes through :func:`html.escape`, and
links are only built from known, relative or ``https`` addresses. Notebooks display these
objects; they never format HTML themselves.
"""

from __future__ import annotations

import html
import math
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


class GlueText:
    """A value glued for ``{glue:text}`` that pastes as the text itself.

    myst-nb pastes the ``text/plain`` representation; for a ``str`` that is its ``repr``,
    with quotes. This wrapper's ``repr`` is the bare text (Sphinx then escapes it).
    """

    def __init__(self, text: str):
        self.text = str(text)

    def __repr__(self) -> str:
        return self.text


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
    if isinstance(value, Link):
        return value.to_html()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value))


def table_html(frame: pd.DataFrame, caption: str = "", classes: str = "") -> str:
    """An HTML table of ``frame`` (no index), every cell escaped."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell_html(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f'<table class="lr-table {html.escape(classes)}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def table(frame: pd.DataFrame, caption: str = "", empty: str = "Nothing to show.") -> HTML:
    """Display object for :func:`table_html`; a sentence instead of an empty table."""
    if frame.empty:
        return paragraph(empty)
    return HTML(f'<div class="lr-table-wrapper">{table_html(frame, caption)}</div>')


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
