"""The context chapter's benchmark trials in words: which trials lead (those with numbers
confirmed in their own publications), what each trial compares, how a number is written, and
the one line that names every value of a trial that could not be confirmed.

Everything here reads rows of ``data/context/benchmarks.csv`` as text (one dict per row) and
never changes a number: a value is printed as the table holds it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from ..display import lower_first

CONFIRMED = "confirmed"
CITED = "cited_by_included_paper"
UNCONFIRMED = "unconfirmed"
UNITS = {"percent": "%", "months": " months", "ratio": ""}
# Value tables' columns and the one-line list of unconfirmed values name each endpoint as readers
# abbreviate it: OS, PFS and ORR are their own codes, the adverse-event endpoint's label is a clause.
SHORT_ENDPOINTS = {"grade3plus_trae": "grade ≥3 TRAE"}
NOT_CONFIRMED = "Not confirmed (no value shown)"
# A trial's value table shows survival first, as the trials' primary endpoints; an endpoint or
# measure the vocabulary gains later follows these.
ENDPOINT_ORDER = ("OS", "PFS", "ORR", "grade3plus_trae")
MEASURE_ORDER = ("median", "hazard_ratio", "proportion")


def confirmed_count(rows: pd.DataFrame) -> int:
    """How many of ``rows`` are confirmed in the trial's own publication."""
    return int((rows["status"] == CONFIRMED).sum()) if not rows.empty else 0


def trial_order(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The trials of ``frame`` as the chapter shows them: first those with at least one
    confirmed value, the most confirmed values first (ties keep the table's order), then those
    with none, in the table's order. Returns the two lists."""
    if frame.empty:
        return [], []
    trials = list(dict.fromkeys(frame["trial"]))
    counts = {t: confirmed_count(frame[frame["trial"] == t]) for t in trials}
    # sorted() is stable: trials with as many confirmed values stay in the order curated.
    leading = sorted((t for t in trials if counts[t]), key=lambda t: -counts[t])
    return leading, [t for t in trials if not counts[t]]


def value_text(row: dict) -> str:
    """A benchmark's number as the table holds it, with its unit and printed interval
    ('12.6 months', '0.72 (0.62–0.84, 95% CI)'); unconfirmed rows carry no value."""
    if row["status"] == UNCONFIRMED:
        return NOT_CONFIRMED.lower()
    ci = f" ({row['ci_low']}–{row['ci_high']}, {row['ci_level'] or '95'}% CI)" if row["ci_low"] else ""
    return f"{row['estimate']}{UNITS[row['unit']]}{ci}"


def arm_text(row: dict) -> str:
    """An arm with its number of patients where the row gives it ('Placebo, n = 55')."""
    return row["arm"] + (f", n = {row['n']}" if row["n"] else "")


def trial_description(rows: pd.DataFrame) -> str:
    """What a trial compares, from its rows: each experimental arm against its comparator
    ('Nivolumab + cisplatin/5-FU vs cisplatin/5-FU'), or its arms when no row names a comparator."""
    pairs = list(dict.fromkeys((r["arm"], r["comparator"]) for r in rows.to_dict("records") if r["comparator"]))
    if pairs:
        return "; ".join(f"{arm} vs {lower_first(comparator)}" for arm, comparator in pairs)
    arms = list(dict.fromkeys(rows["arm"]))
    return " vs ".join([arms[0]] + [lower_first(a) for a in arms[1:]]) if arms else ""


def endpoint_short(row: dict, endpoint_label) -> str:
    """'OS median', 'PFS hazard ratio', 'ORR', 'grade ≥3 TRAE': a value's kind named in a few
    words (a rate is named by its endpoint alone). ``endpoint_label`` labels a code that has no
    short name."""
    code = row["endpoint"]
    name = SHORT_ENDPOINTS.get(code) or (code if code.isupper() else endpoint_label(code))
    return name if row["measure"] == "proportion" else f"{name} {row['measure'].replace('_', ' ')}"


def abbreviations(endpoint_label) -> str:
    """The endpoints' short names as the value tables use them, each with its label:
    'OS, overall survival; PFS, progression-free survival; ...'."""
    names = {code: SHORT_ENDPOINTS.get(code, code) for code in ENDPOINT_ORDER}
    return "; ".join(f"{name}, {endpoint_label(code)}" for code, name in names.items())


def kind_order(kind: tuple[str, str]) -> tuple[int, int]:
    """Where a value's kind, (endpoint, measure), stands among a table's columns: survival
    first (the trials' primary endpoints), each median before its hazard ratio."""
    endpoint, measure = kind
    return (ENDPOINT_ORDER.index(endpoint) if endpoint in ENDPOINT_ORDER else len(ENDPOINT_ORDER),
            MEASURE_ORDER.index(measure) if measure in MEASURE_ORDER else len(MEASURE_ORDER))


@dataclass
class ValueLine:
    """One line of a trial's value table: an arm's values as one publication prints them
    (``first`` is its first row: arm, n, publication, status), by (endpoint, measure)."""

    first: dict
    values: dict[tuple[str, str], dict] = field(default_factory=dict)


def value_lines(rows: pd.DataFrame) -> list[ValueLine]:
    """The values of ``rows`` (one population of a trial) as lines of a table whose columns
    are the values' kinds: one line per arm, publication and status, in the order they first
    appear. Every row lands in exactly one cell; a second value of a kind already on the line
    (the same number cited by two included papers) starts a line of its own."""
    def key(row: dict) -> tuple:
        return row["arm"], row["n"], row["citation"], row["status"]

    lines: list[ValueLine] = []
    for row in rows.to_dict("records"):
        kind = (row["endpoint"], row["measure"])
        line = next((line for line in lines if key(line.first) == key(row) and kind not in line.values), None)
        if line is None:
            line = ValueLine(row)
            lines.append(line)
        line.values[kind] = row
    return lines


def unconfirmed_kinds(rows: pd.DataFrame, endpoint_label) -> str:
    """The unconfirmed values of ``rows`` named in a few words, each kind once with how many
    there are, in the order of the value tables' columns: 'OS median ×2, OS hazard ratio, ORR'."""
    missing = rows[rows["status"] == UNCONFIRMED]
    kinds = Counter(zip(missing["endpoint"], missing["measure"]))
    return ", ".join(endpoint_short({"endpoint": e, "measure": m}, endpoint_label) + (f" ×{n}" if n > 1 else "")
                     for (e, m), n in sorted(kinds.items(), key=lambda item: kind_order(item[0])))


def unconfirmed_line(rows: pd.DataFrame, endpoint_label) -> str:
    """Every unconfirmed value of a trial on one line: 'Not confirmed (no value shown),
    11 values: OS median ×2, OS hazard ratio, ...'. Empty when no value is unconfirmed."""
    n = int((rows["status"] == UNCONFIRMED).sum())
    if not n:
        return ""
    return f"{NOT_CONFIRMED}, {n} value{'s' if n > 1 else ''}: {unconfirmed_kinds(rows, endpoint_label)}"


def shown_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of a trial that carry a value, by population (in the order the populations
    first appear), confirmed values before those an included paper cites."""
    shown = rows[rows["status"] != UNCONFIRMED]
    if shown.empty:
        return shown
    populations = {p: i for i, p in enumerate(dict.fromkeys(shown["population"]))}
    rank = shown["population"].map(populations) * 2 + (shown["status"] != CONFIRMED)
    return shown.iloc[rank.argsort(kind="stable")]


def order_sentence(frame: pd.DataFrame) -> str:
    """How the chapter lists the trials, in words with the table's counts."""
    if frame.empty:
        return ""
    rest = trial_order(frame)[1]
    sentence = ("Within each setting, the trials with the most numbers confirmed in their own publications come "
                "first; under each trial, its values that could not be confirmed are named on one line that opens "
                "to where each was looked for.")
    if rest:
        sentence += (f" {len(rest)} trial{'s' if len(rest) > 1 else ''} with no confirmed value "
                     f"{'are' if len(rest) > 1 else 'is'} listed last in {'their' if len(rest) > 1 else 'its'} "
                     "setting, one line each.")
    else:
        sentence += " Every trial has at least one confirmed number."
    return sentence
