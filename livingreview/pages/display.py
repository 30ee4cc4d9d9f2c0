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
    css_class: str = ""

    def to_html(self) -> str:
        title = f' title="{html.escape(self.title)}"' if self.title else ""
        css = f' class="{self.css_class}"' if self.css_class else ""
        return f'<a href="{html.escape(self.href)}"{css}{title}>{html.escape(self.text)}</a>'


@dataclass(frozen=True)
class StudyLink:
    """A study named in a table or list: its name linked to its page, and, when the study is not
    in the main analyses, a badge that says so (``analysis_set`` as in
    :mod:`livingreview.curated.integrity`)."""

    text: str
    href: str
    badge: str = ""
    analysis_set: str = ""

    def to_html(self) -> str:
        link = f'<a href="{html.escape(self.href)}">{html.escape(self.text)}</a>'
        return link + (f" {badge_html(self.badge, self.analysis_set)}" if self.badge else "")


def study_link(study, site_root: str = "..") -> StudyLink:
    """A study's name linked to its page (``site_root`` is the path from the page to the site
    root; '' for a page at the root), with its badge when it is not in the main analyses."""
    from ..curated.integrity import study_status

    status = study_status(study)
    href = f"{site_root}/studies/{study.study_id}.html" if site_root else f"studies/{study.study_id}.html"
    return StudyLink(study.name, href, status.badge, status.analysis_set)


def badge_html(text: str, analysis_set: str) -> str:
    """A small label such as 'excluded' beside a study's name."""
    return (f'<span class="lr-badge lr-badge-{html.escape(analysis_set)}">{html.escape(text)}</span>'
            if text else "")


def status_badge_html(status) -> str:
    """The badge of a :class:`livingreview.curated.integrity.StudyStatus` ('' for the main analyses)."""
    return badge_html(status.badge, status.analysis_set)


def key_message(sentences: list[str], title: str = "Key message", status=None, css_class: str = "") -> HTML:
    """A box at the top of a page: its finding in two or three sentences; with ``status`` (a
    :class:`livingreview.curated.integrity.StudyStatus`) the study's place in the review first."""
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
    from ..curated.dictionary import load_dictionary

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
    first = re.split(r"[;,]", str(row))[0].strip()
    file_name = "study.yaml" if table_name == "study" else f"{table_name}.csv"
    return data_link(study_id, file_name, int(first) if first.isdigit() else None, site_root=site_root)


def cell_html(value) -> str:
    """One table cell: links as links, missing as empty, everything else escaped text."""
    if isinstance(value, (Link, StudyLink, LinkList, Rich, Joined)):
        return value.to_html()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value))


def table_html(frame: pd.DataFrame, caption: str = "", classes: str = "", names: dict[str, str] | None = None) -> str:
    """An HTML table of ``frame`` (no index), every cell escaped; column names and codes in text
    cells are shown as words (:func:`humanise`, with ``names`` for the studies' ids)."""
    headers = [html.escape(humanise(str(c), names=names)) for c in frame.columns]
    head = "".join(f'<th scope="col">{h}</th>' for h in headers)
    # Each cell carries its column's name: on a phone the stylesheet shows every row as a card,
    # each value under that name, instead of a table that scrolls sideways.
    body = "".join(
        "<tr>" + "".join(f'<td data-label="{h}">{cell_html(humanise(v, names=names) if isinstance(v, str) else v)}'
                         "</td>" for h, v in zip(headers, row)) + "</tr>"
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


def tables_by(frame: pd.DataFrame, column: str, empty: str = "Nothing to show.", studies=None) -> HTML:
    """One table per value of ``column`` (captioned with it, the column left out), in the
    order the values first appear: a setting's rows under the setting's name, so that no table
    carries a column of long repeated labels."""
    if frame.empty:
        return paragraph(empty)
    names = study_names(studies)
    parts = [table_html(group.drop(columns=column), str(value), names=names)
             for value, group in frame.groupby(column, sort=False)]
    return HTML("".join(f'<div class="lr-table-wrapper">{part}</div>' for part in parts))


def shared_columns(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, str]:
    """Of ``columns``, those with one value in every row of a table of several rows, moved
    into a caption ("Arm: ... · Population: ..."): a single-arm study's table then does not
    repeat its arm on every line. Returns the table without them and the caption."""
    if len(frame) < 2:
        return frame, ""
    shared = [c for c in columns if c in frame and frame[c].astype(str).nunique() == 1]
    caption = " · ".join(f"{c}: {plain_text(str(frame[c].iloc[0]))}" for c in shared)
    return frame.drop(columns=shared), caption


def details(summary: str, inner: str, opened: bool = False) -> str:
    """A drop-down: ``summary`` (text) opens ``inner`` (HTML). The full detail of a section
    sits in one, behind its reader table."""
    return (f'<details class="lr-details"{" open" if opened else ""}><summary>{html.escape(summary)}</summary>'
            f"{inner}</details>")


def html_block(*parts) -> HTML:
    """Display object joining HTML strings and display objects (their HTML)."""
    return HTML("".join(p.data if hasattr(p, "data") else str(p) for p in parts))


def paragraph(text: str, css_class: str = "lr-note") -> HTML:
    """A paragraph of escaped text."""
    return HTML(f'<p class="{css_class}">{html.escape(text)}</p>')


def definition_list(items: list[tuple[str, object]]) -> str:
    """``<dl>`` of (term, value) pairs; values are shown as table cells are (:func:`cell_html`)."""
    return "<dl>" + "".join(f"<dt>{html.escape(term)}</dt><dd>{cell_html(value)}</dd>"
                            for term, value in items) + "</dl>"


def lower_first(text: str) -> str:
    """'First-line treatment of ... ESCC' -> 'first-line treatment of ... ESCC': ``text`` with its
    first letter in lower case, to be read mid-sentence."""
    return text[:1].lower() + text[1:]


def doi_link(doi: str) -> Link | str:
    """A https://doi.org link for a DOI; the DOI is percent-encoded into the address."""
    doi = str(doi or "").strip()
    if not doi:
        return ""
    return Link(doi, "https://doi.org/" + quote(doi, safe="/:.;()-_"))


def data_view_href(study_id: str, file_name: str, row: int | None = None, site_root: str = "..") -> str:
    """Address of a curated table's data view (one HTML page per table, written by the build,
    :mod:`livingreview.pages.dataview`), at the row's anchor; ``study.yaml`` itself is served as is."""
    if not file_name.endswith(".csv"):
        return f"{site_root}/data/studies/{quote(study_id)}/{quote(file_name)}"
    page = f"{site_root}/data/studies/{quote(study_id)}/{quote(file_name[:-4])}.html"
    return page + (f"#row-{int(row)}" if row is not None else "")


# How pages name a study's data files: by what they hold, not by their file names.
TABLE_LABELS = {"study": "Study record", "km_curves": "Digitised curves", "at_risk": "Numbers at risk",
                "integrity": "Integrity screen", "risk_of_bias": "Risk of bias"}


def table_label(file_name: str) -> str:
    """'Outcomes' for outcomes.csv, 'Adverse events' for adverse_events.csv, 'Study record' for
    study.yaml: a data file as a reader's link names it."""
    stem = file_name.rsplit("/", 1)[-1].split(".")[0]
    return TABLE_LABELS.get(stem, stem.replace("_", " ").capitalize())


def data_link(study_id: str, file_name: str, row: int | None = None, quote_text: str = "",
              site_root: str = "..") -> Link:
    """Link from a page to a curated data row, on its table's data view (which shows the row's
    values, where the paper prints them, its quote and its audit verdicts).

    ``site_root`` is the relative path from the page to the site root (``..`` from
    ``studies/<id>.html``). ``quote_text`` is kept for the callers' sake: the quote is read on
    the data view, where it is rendered, not in a hover text.
    """
    text = table_label(file_name) if row is None else f"{table_label(file_name)} row {row}"
    return Link(text, data_view_href(study_id, file_name, row, site_root))


@dataclass(frozen=True)
class LinkList:
    """Several links in one table cell ("rows 12, 13")."""

    links: tuple[Link, ...]
    prefix: str = ""

    def to_html(self) -> str:
        return html.escape(self.prefix) + ", ".join(link.to_html() for link in self.links)


def row_links(study_id: str, file_name: str, rows, site_root: str = "..") -> LinkList | str:
    """Links to each data row named in ``rows`` (an int, or text such as '12, 13' or '12;29'),
    shown as 'Outcomes rows 12, 13' (:func:`table_label`)."""
    numbers = [int(r) for r in re.split(r"[;,\s]+", str(rows)) if r.strip().isdigit()]
    if not numbers:
        return str(rows)
    # A row number is a short link: the class gives it a tap target of a finger's size.
    links = tuple(Link(str(n), data_view_href(study_id, file_name, n, site_root), css_class="lr-row-link")
                  for n in numbers)
    return LinkList(links, f"{table_label(file_name)} row{'s' if len(numbers) > 1 else ''} ")


def ref_links(study_id: str, refs: str, site_root: str = "..") -> Joined | str:
    """Links to the data rows named as ``table:row`` joined by ';' (``outcomes:24;baseline:3``),
    one link list per table ("Outcomes rows 24, 25"); study.yaml as a link to the study record."""
    from ..curated.rowrefs import STUDY_FILE_REF, parse_row_refs

    by_table: dict[str, list[int]] = {}
    for table, row in parse_row_refs(refs):
        by_table.setdefault(table, [])
        if row is not None:
            by_table[table].append(row)
    parts = []
    for table, rows in by_table.items():
        if table == STUDY_FILE_REF:
            parts.append(data_link(study_id, "study.yaml", site_root=site_root))
        else:
            parts.append(row_links(study_id, f"{table}.csv", ";".join(map(str, rows)), site_root))
    return Joined(tuple(parts)) if parts else ""


def side_html(study_id: str, source: str, quote: str, refs: str, site_root: str = "..") -> Joined | str:
    """One side of a curator's finding: where it is printed, its quote (rendered) and its data rows."""
    if not str(quote or "").strip():
        return ""
    links = ref_links(study_id, refs, site_root) if str(refs or "").strip() else ""
    return Joined((Rich(f"*{source}*: “{quote}”"), links))


def finding_columns(study_ids, findings: list[dict]) -> dict[str, list]:
    """The columns every table of curator findings shows: what is inconsistent, and each side
    as printed with its data rows (``findings`` are rows of findings.csv, one per study id)."""
    return {
        "What is inconsistent": [Rich(f["explanation"]) for f in findings],
        "One side": [side_html(s, f["source_a"], f["quote_a"], f["rows_a"]) for s, f in zip(study_ids, findings)],
        "Other side": [side_html(s, f["source_b"], f["quote_b"], f["rows_b"]) for s, f in zip(study_ids, findings)],
    }


# ----------------------------------------------------------------------------- curated text

_LATEX_WORDS = {r"\leq": "≤", r"\geq": "≥", r"\le": "≤", r"\ge": "≥", r"\pm": "±", r"\times": "×",
                r"\%": "%", r"\,": " ", r"\;": " ", r"\ ": " ", r"\sim": "~", r"\approx": "≈",
                r"\lt": "&lt;", r"\gt": "&gt;", r"\cdot": "·", r"\alpha": "α", r"\beta": "β", r"\chi": "χ",
                r"\mu": "μ", r"\infty": "∞"}
_ALLOWED_TAGS = ("sup", "sub", "em", "i", "strong", "b")


def _latex(match: re.Match) -> str:
    """The text a reader would see for an inline formula: symbols for their commands,
    superscripts and subscripts, and the braces of \\text{...} dropped."""
    formula = match.group(1)
    for command, symbol in _LATEX_WORDS.items():
        formula = re.sub(re.escape(command) + r"(?![A-Za-z])", symbol.replace("\\", "\\\\"), formula)
    formula = re.sub(r"\\(?:text|mathrm|mathit|operatorname)\{([^{}]*)\}", r"\1", formula)
    formula = re.sub(r"\^\{([^{}]*)\}|\^(\w)", lambda m: f"<sup>{m.group(1) or m.group(2)}</sup>", formula)
    formula = re.sub(r"_\{([^{}]*)\}|_(\w)", lambda m: f"<sub>{m.group(1) or m.group(2)}</sub>", formula)
    return formula.replace("{", "").replace("}", "").strip()


def rich_text(text) -> str:
    """Curated text (a quote, a citation, a rationale) as HTML that shows what the source meant:
    the text is escaped first, then a few kinds of markup the source texts carry are rendered
    (superscript and italic tags, markdown emphasis, inline LaTeX, autolinks shown as their
    address). Nothing else can become markup, so nothing in the data is ever executed."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    escaped = html.escape(str(text))
    for tag in _ALLOWED_TAGS:
        escaped = re.sub(rf"&lt;{tag}&gt;(.*?)&lt;/{tag}&gt;", rf"<{tag}>\1</{tag}>", escaped, flags=re.S)
    escaped = re.sub(r"\$\s*([^$]+?)\s*\$", _latex, escaped)  # inline formulas
    escaped = re.sub(r"\*\*(\S(?:.*?\S)?)\*\*", r"<strong>\1</strong>", escaped)
    escaped = re.sub(r"(?<![\w*\\])\*(\S(?:[^*]*?\S)?)\*(?![\w*])", r"<em>\1</em>", escaped)
    escaped = escaped.replace("\\*", "*")  # an escaped asterisk is an asterisk
    escaped = re.sub(r"&lt;(https?://[^\s&]+)&gt;", r"\1", escaped)  # <https://...> autolinks
    return escaped


def plain_text(text) -> str:
    """:func:`rich_text` without its tags, for where no markup can go (alt text, titles)."""
    return html.unescape(re.sub(r"<[^>]+>", "", rich_text(text)))


@dataclass(frozen=True)
class Joined:
    """Several cell values shown one after the other in one cell (a link, then a quote)."""

    parts: tuple

    def to_html(self) -> str:
        return " ".join(cell_html(part) for part in self.parts)


@dataclass(frozen=True)
class Rich:
    """A table cell of curated text, rendered by :func:`rich_text`."""

    text: str

    def to_html(self) -> str:
        return rich_text(self.text)


# Figures are shown at most this wide (the text column at 1280 px, in CSS pixels); on a
# narrower screen they keep at least the narrow width below and scroll inside their box.
FIGURE_COLUMN_PX = 688
FIGURE_NARROW_PX = 560
MIN_FONT_PX = 10.0  # the smallest text a figure may show, at the size it is shown
CSS_PX_PER_INCH = 96
POINTS_PER_INCH = 72


def figure_description(figure) -> str:
    """The alt text a figure's builder gave it (:func:`livingreview.pages.plotting.describe`)."""
    text = getattr(figure, "lr_description", "")
    if not text:
        raise ValueError("a figure has no description: its builder must call plotting.describe(fig, text), "
                         "which becomes the figure's alt text")
    return text


def enforce_min_font(figure, min_px: float = MIN_FONT_PX, narrow_px: float = FIGURE_NARROW_PX) -> None:
    """Raise every text of ``figure`` to at least ``min_px`` CSS pixels at the narrowest width
    the figure is shown at, then lay it out again."""
    import warnings

    width_px = figure.get_figwidth() * CSS_PX_PER_INCH
    scale = min(1.0, narrow_px / width_px)
    min_points = min_px / scale * POINTS_PER_INCH / CSS_PX_PER_INCH
    changed = False
    # Tick labels are made again whenever the figure is drawn, at the size the axis keeps.
    for ax in figure.axes:
        for axis, name in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            for which, ticks in (("major", axis.get_major_ticks()), ("minor", axis.get_minor_ticks())):
                if ticks and ticks[0].label1.get_fontsize() < min_points:
                    ax.tick_params(axis=name, which=which, labelsize=min_points)
                    changed = True
    for text in figure.findobj(lambda artist: hasattr(artist, "get_fontsize") and hasattr(artist, "get_text")):
        if text.get_text() and text.get_fontsize() < min_points:
            text.set_fontsize(min_points)
            changed = True
    # A figure with a layout engine (constrained layout) lays itself out when drawn; the others
    # were laid out tight by their builders and are laid out again.
    if changed and figure.get_layout_engine() is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            figure.tight_layout()


def figure_html(figure) -> str:
    """The figure as an SVG image (sharp at any size) with its description as alt text, in a
    box that scrolls on a screen narrower than the figure's narrow width."""
    import base64
    import io

    import matplotlib

    enforce_min_font(figure)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "livingreview"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, facecolor="white")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    width = round(figure.get_figwidth() * CSS_PX_PER_INCH)
    height = round(figure.get_figheight() * CSS_PX_PER_INCH)
    return (f'<figure class="lr-figure"><div class="lr-figure-box"><img src="data:image/svg+xml;base64,{data}" '
            f'width="{width}" height="{height}" alt="{html.escape(figure_description(figure))}" '
            f'style="--lr-figure-width: {width}px"></div></figure>')


def show_figure(figure) -> None:
    """Display a figure once as the cell's output (an SVG image with its description as alt
    text, :func:`figure_html`) and close it."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    if figure is None:
        return
    try:
        display(HTML(figure_html(figure)))
    finally:
        plt.close(figure)


def show_figures(figures) -> None:
    """Display each figure of a list once, and close it."""
    for figure in figures:
        show_figure(figure)
