"""The context chapter leads with what is confirmed: trials with confirmed values first (the
most confirmed first), a trial's unconfirmed values named on one collapsed line, a trial with no
confirmed value one line at the end, and every value of the benchmark table still on the page."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from livingreview import paths
from livingreview.pages.chapters.benchmarks import (NOT_CONFIRMED, order_sentence, trial_order, unconfirmed_line,
                                                    value_lines, value_text)
from livingreview.pages.chapters.context import ContextChapter

BENCHMARKS = paths.DATA_DIR / "context" / "benchmarks.csv"
SETTING = "later_line_advanced"


def _row(trial: str, endpoint: str, measure: str, status: str, estimate: str = "", **values) -> dict:
    """A benchmark row of the later-line setting; a value only where it is not unconfirmed."""
    row = {"trial": trial, "citation": f"Author A, et al. {trial} results. J Test. 2024;1:1-2.",
           "doi": f"10.1000/{trial.lower()}", "pmid": "", "setting_group": SETTING, "population": "All randomised",
           "arm": f"{trial} drug", "comparator": "Placebo", "n": "100", "endpoint": endpoint, "measure": measure,
           "estimate": estimate, "ci_low": "", "ci_high": "", "ci_level": "",
           "unit": {"median": "months", "hazard_ratio": "ratio", "proportion": "percent"}[measure],
           "status": status, "source": "Abstract" if estimate else "",
           "quote": f"{endpoint} {estimate}" if estimate else "",
           "note": "" if estimate else f"Looked for {endpoint} {measure} in the abstract of {trial}."}
    return row | values


# FEW has one confirmed value, MANY three, NONE only an unconfirmed and a cited value.
ROWS = [
    _row("NONE", "OS", "median", "unconfirmed"),
    _row("NONE", "ORR", "proportion", "cited_by_included_paper", "12.5", source="doe2024 (included study), Intro"),
    _row("FEW", "OS", "median", "confirmed", "7.7"),
    _row("FEW", "PFS", "median", "unconfirmed"),
    _row("FEW", "PFS", "hazard_ratio", "unconfirmed"),
    _row("FEW", "OS", "median", "unconfirmed", arm="Placebo", comparator=""),
    _row("MANY", "OS", "median", "confirmed", "11.1"),
    _row("MANY", "OS", "median", "confirmed", "8.8", arm="Placebo", comparator=""),
    _row("MANY", "OS", "hazard_ratio", "confirmed", "0.66", ci_low="0.51", ci_high="0.85"),
]


@pytest.fixture
def chapter(tmp_path: Path) -> ContextChapter:
    """The chapter on a benchmarks table of the three trials of :data:`ROWS`."""
    folder = tmp_path / "data" / "context"
    folder.mkdir(parents=True)
    with (folder / "benchmarks.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ROWS[0]))
        writer.writeheader()
        writer.writerows(ROWS)
    return ContextChapter([], {}, pd.DataFrame(), tmp_path / "data")


def _trial_headings(page: str) -> list[str]:
    return re.findall(r"<h3>([^<]*)</h3>", page)


def test_trials_with_confirmed_values_lead_most_confirmed_first(chapter):
    assert trial_order(chapter.benchmarks) == (["MANY", "FEW"], ["NONE"])
    page = chapter.benchmark_table(SETTING).data
    assert _trial_headings(page) == ["MANY", "FEW"]


def test_ties_keep_the_curated_order_and_the_real_table_leads_with_a_confirmed_value():
    frame = pd.read_csv(BENCHMARKS, dtype=str, keep_default_na=False)
    for setting, group in frame.groupby("setting_group"):
        leading, rest = trial_order(group)
        confirmed = [int((group[group["trial"] == t]["status"] == "confirmed").sum()) for t in leading]
        assert confirmed == sorted(confirmed, reverse=True) and all(confirmed), setting
        assert set(leading) | set(rest) == set(group["trial"]), setting
    first = pd.DataFrame([_row("B", "OS", "median", "confirmed", "1.0"), _row("A", "OS", "median", "confirmed", "2.0")])
    assert trial_order(first) == (["B", "A"], [])


def test_a_trial_with_no_confirmed_value_is_one_collapsed_line_at_the_end(chapter):
    page = chapter.benchmark_table(SETTING).data
    assert "NONE" not in _trial_headings(page)
    group = page.index("1 trial with no confirmed value")
    assert group > page.index("<h3>FEW</h3>")  # after every full block
    assert page[:group].rfind("<details") > page.rfind("</section>")  # collapsed, outside the blocks
    summaries = re.findall(r"<summary>([^<]*)</summary>", page[group:])
    line = next(s for s in summaries if s.startswith("NONE"))
    assert "NONE drug vs placebo" in line and "Values not confirmed: 1 (OS median)" in line
    assert "values as an included paper cites them: 1" in line
    # What it holds is still on the page, behind that line: its cited value and its note.
    assert "12.5%" in page[group:] and "Looked for OS median in the abstract of NONE" in page[group:]
    assert "1 trial with no confirmed value is listed last in its setting" in order_sentence(chapter.benchmarks)


def test_a_review_without_benchmarks_says_so(tmp_path):
    chapter = ContextChapter([], {}, pd.DataFrame(), tmp_path)
    assert chapter.benchmark_table(SETTING).data == '<p class="lr-note">No benchmark table is curated.</p>'
    facts = chapter.context_facts()
    assert (facts["bench_n_trials"], facts["bench_n_rows"], facts["bench_order"]) == (0, 0, "")


def test_a_trials_unconfirmed_values_are_one_collapsed_line_not_rows(chapter):
    page = chapter.benchmark_table(SETTING).data
    block = page[page.index("<h3>FEW</h3>"):]
    block = block[:block.index("</section>")]
    line = f"{NOT_CONFIRMED}, 3 values: OS median, PFS median, PFS hazard ratio"
    assert f"<summary>{line}</summary>" in block
    tables, collapsed = block.split("<details", 1)
    assert NOT_CONFIRMED.lower() not in tables and "7.7 months" in tables
    assert collapsed.count("Looked for") == 3  # each still named, with where it was looked for
    assert unconfirmed_line(chapter.benchmarks[chapter.benchmarks["trial"] == "MANY"], str) == ""
    assert "Not confirmed" not in page[page.index("<h3>MANY</h3>"):page.index("<h3>FEW</h3>")]


def test_a_trials_values_share_a_line_per_arm_and_keep_their_publication_links(chapter):
    page = chapter.benchmark_table(SETTING).data
    block = page[page.index("<h3>MANY</h3>"):page.index("<h3>FEW</h3>")]
    assert block.count("<tbody><tr>") == 1 and block.count("<tr>") == 3  # a header and one line per arm
    assert '<td data-label="OS hazard ratio">0.66 (0.51–0.85, 95% CI)</td>' in block
    assert 'href="https://doi.org/10.1000/many"' in block
    for cell in re.findall(r"<td ([^>]*)>", block):
        assert cell.startswith('data-label="')  # a card on a phone
    assert re.findall(r"<th [^>]*>", block) == ['<th scope="col">'] * 4


def test_every_value_of_the_benchmark_table_lands_in_one_cell_of_one_line():
    frame = pd.read_csv(BENCHMARKS, dtype=str, keep_default_na=False)
    shown = frame[frame["status"] != "unconfirmed"]
    lines = [line for _, group in shown.groupby(["trial", "population"], sort=False) for line in value_lines(group)]
    assert sum(len(line.values) for line in lines) == len(shown)
    assert len(lines) < len(shown)  # an arm's values share its line
    # The same number cited by two included papers: two lines, not one value overwriting the other.
    cited_twice = pd.DataFrame([_row("T", "ORR", "proportion", "cited_by_included_paper", "7.3", source=s)
                                for s in ("a (included study)", "b (included study)")])
    assert [len(line.values) for line in value_lines(cited_twice)] == [1, 1]


def test_the_real_page_names_every_number_and_every_unconfirmed_value():
    chapter = ContextChapter.load()
    frame = chapter.benchmarks
    page = "".join(chapter.benchmark_table(s).data for s in frame["setting_group"].unique())
    for row in frame[frame["status"] != "unconfirmed"].to_dict("records"):
        assert value_text(row) in page, row
    for doi in frame["doi"][frame["doi"] != ""].unique():
        assert f'href="https://doi.org/{doi}"' in page, doi
    missing = frame[frame["status"] == "unconfirmed"]
    assert page.count(f"<summary>{NOT_CONFIRMED}, ") == missing["trial"].nunique()
    assert NOT_CONFIRMED.lower() not in page  # no row per unconfirmed value
    notes = re.findall(r'data-label="Where it was looked for">', page)
    assert len(notes) == len(missing)
