"""Data views: one HTML page per curated table of each study, written by the build beside the
table's CSV on the site (``<site>/data/studies/<study_id>/<table>.html``).

Every number on the pages links to its row here (``#row-N``, N the data row, so an anchor stays
put when rows are appended). A row shows its values with the dictionary's labels, where the
paper prints it, its verbatim quote (rendered: italics, superscripts and formulas as the paper
shows them) and the audit's verdicts on it, and the page links to the CSV to download. The
views are made from the data at every build that assembles the site, so they never go stale.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from ..audit.findings import OK, RULE_LABELS, VERDICT_WORDS
from ..audit.run import audit_study
from ..curated.studies import Study, load_studies, load_vocabulary
from ..curated.dictionary import TableSpec, load_dictionary
from .display import humanise, rich_text

# Columns every row shows in its heading or its quote block, not in its list of values.
SHOWN_APART = ("source_type", "source", "quote")
FINDINGS_TABLE = "findings"
SIDES = ("source_a", "quote_a", "source_b", "quote_b")  # a finding's two sides, shown as its quotes
STYLE = """
:root { color-scheme: light dark; --fg: #1a1a1a; --muted: #555; --bg: #fff; --line: #d0d7de; --mark: #fff4c2;
        --link: #0b5cad; --ok: #1b6e35; --bad: #a4161a; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8e8; --muted: #b0b0b0; --bg: #14181d; --line: #3a434e; --mark: #3d3500; --link: #8ab4f8;
          --ok: #7ee2a0; --bad: #ff9a9a; } }
body { font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto;
       max-width: 52rem; padding: 1rem; overflow-wrap: anywhere; }
a { color: var(--link); }
header p { margin: 0.25rem 0; color: var(--muted); }
article { border-top: 1px solid var(--line); padding: 0.5rem 0 0.75rem; scroll-margin-top: 1rem; }
article:target { background: var(--mark); outline: 2px solid var(--line); padding-left: 0.5rem; }
article h2 { font-size: 1rem; margin: 0.25rem 0; }
dl { display: grid; grid-template-columns: minmax(7rem, max-content) 1fr; gap: 0.1rem 1rem; margin: 0.25rem 0; }
dt { color: var(--muted); }
dd { margin: 0; }
blockquote { margin: 0.4rem 0; padding: 0.2rem 0.8rem; border-left: 0.25rem solid var(--line); }
ul.verdicts { margin: 0.25rem 0; padding-left: 1.2rem; }
.mismatch { color: var(--bad); font-weight: 600; }
.agrees { color: var(--ok); }
"""


def _findings_by_row(findings: pd.DataFrame) -> dict[tuple[str, int], list[dict]]:
    """The audit's findings per (table, data row): a finding naming rows '12;29' is on both."""
    from ..curated.rowrefs import parse_row_refs

    found: dict[tuple[str, int], list[dict]] = {}
    for finding in findings.to_dict("records"):
        places = [(finding["table"], int(part)) for part in str(finding["row"]).replace(",", ";").split(";")
                  if part.strip().isdigit()]
        # A claim or a curator's finding also names the rows it is about: it shows on them too.
        places += [(table, row) for table, row in parse_row_refs(finding.get("other_rows")) if row is not None]
        for place in dict.fromkeys(places):
            found.setdefault(place, []).append(finding)
    return found


def _verdicts_html(findings: list[dict], study: Study) -> str:
    if not findings:
        return ""
    items = []
    for f in findings:
        word = VERDICT_WORDS.get(f["verdict"], f["verdict"])
        css = "agrees" if f["verdict"] == OK else ("mismatch" if f["verdict"] == "mismatch" else "")
        detail = f" — {html.escape(humanise(f['detail'], study))}" if f["detail"] else ""
        items.append(f'<li><span class="{css}">{html.escape(word)}</span>: '
                     f"{html.escape(RULE_LABELS.get(f['rule'], f['rule']))}{detail}</li>")
    return f'<p>Audit of this row:</p><ul class="verdicts">{"".join(items)}</ul>'


def _value(spec: TableSpec, column: str, value: str, study: Study) -> str:
    """A cell as the view shows it: an allowed value by its label, an id by its name."""
    column_spec = next(c for c in spec.columns if c.name == column)
    if column_spec.allowed:
        return html.escape(column_spec.label(value))
    return rich_text(humanise(value, study) if column_spec.type == "id" else value)


def _corrections(study: Study) -> dict[tuple[str, int], str]:
    """What the data view says on a row an erratum replaced, and on the row that replaces it."""
    notes: dict[tuple[str, int], str] = {}
    for table, old, new, erratum in study.tables.corrections():
        notes[(table, old)] = (f'<p class="mismatch">Superseded by <a href="#row-{new}">row {new}</a>: a correction '
                               f"published {html.escape(erratum['date'])} ({html.escape(erratum['source'])}). "
                               "Pages and analyses use the corrected value; this row is its history.</p>")
        notes[(table, new)] = (f'<p>Corrects <a href="#row-{old}">row {old}</a> (correction published '
                               f"{html.escape(erratum['date'])}).</p>")
    return notes


def render_table_view(study: Study, name: str, spec: TableSpec, frame: pd.DataFrame,
                      findings: dict[tuple[str, int], list[dict]], site_root: str = "../../..",
                      corrections: dict[tuple[str, int], str] | None = None) -> str:
    """The HTML page of one study's table (see the module docstring); ``corrections`` marks the
    rows an erratum replaced and their replacements."""
    rows = []
    corrections = corrections or {}
    for row in frame.to_dict("records"):
        number = int(row["row"])
        apart = SHOWN_APART + (SIDES if name == FINDINGS_TABLE else ())
        values = "".join(f"<dt>{html.escape(humanise(column))}</dt><dd>{_value(spec, column, row[column], study)}</dd>"
                         for column in spec.column_names if column not in apart and row.get(column, ""))
        if name == FINDINGS_TABLE:  # a curator's finding is printed in two places: both sides, quoted
            where = " and ".join(html.escape(row[c]) for c in ("source_a", "source_b") if row.get(c))
            quote = "".join(f"<blockquote>{rich_text(row[c])}</blockquote>" for c in ("quote_a", "quote_b") if row.get(c))
        else:
            where = " · ".join(filter(None, [_value(spec, "source_type", row["source_type"], study)
                                             if row.get("source_type") else "", html.escape(row.get("source", ""))]))
            quote = f"<blockquote>{rich_text(row['quote'])}</blockquote>" if row.get("quote") else ""
        rows.append(f'<article id="row-{number}"><h2>Row {number} <small>(line {number + 1} of '
                    f'{html.escape(spec.file)})</small></h2>{corrections.get((name, number), "")}'
                    f'<p>Printed in: {where or "not stated"}</p>{quote}'
                    f"<dl>{values}</dl>{_verdicts_html(findings.get((name, number), []), study)}</article>")
    title = f"{study.name}: {humanise(name)} (data)"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{html.escape(title)}</title><style>{STYLE}</style></head><body>'
        f"<header><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(spec.description)}</p>"
        f'<p><a href="{site_root}/studies/{html.escape(study.study_id)}.html">Back to the study page</a> · '
        f'<a href="{html.escape(spec.file)}" download>Download {html.escape(spec.file)}</a> · '
        f"{len(frame)} rows, each as the paper prints it</p></header>"
        f"<main>{''.join(rows) or '<p>No rows.</p>'}</main></body></html>\n")


def write_data_views(data_dir: Path, target: Path) -> list[Path]:
    """Write the data view of every curated table of every study under ``target`` (the site's
    ``data/`` folder); returns the files written."""
    dictionary = load_dictionary()
    vocabulary = load_vocabulary(data_dir=data_dir)
    written = []
    for study in load_studies(data_dir):
        findings = _findings_by_row(audit_study(study, vocabulary))
        folder = Path(target) / "studies" / study.study_id
        corrections = _corrections(study)
        for name, spec in dictionary.study_tables.items():
            if not (study.folder / spec.file).is_file():
                continue
            path = folder / (spec.file.removesuffix(".csv") + ".html")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_table_view(study, name, spec, study.tables.raw(name), findings, corrections=corrections),
                            encoding="utf-8")
            written.append(path)
    return written
