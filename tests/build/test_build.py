"""End-to-end tests of the book build on fixture data: incremental re-execution, failures
that leave the published site alone, reproducible outputs, escaped text from data.

The fixture book (``book``, in conftest) holds two made-up studies; one study's title and one
quote carry HTML markup, which must reach the page as text.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from livingreview.build.book import build_book
from livingreview.build.plan import BuildError
from livingreview.results.table import RESULT_COLUMNS

from ..another_intervention import other_intervention_named
from ..compare_builds import site_pages
from ..conftest import COMPARISON_RUNS, SYNTHESIS_RUNS, TEACHING_RUNS, edit_csv
from .book_fixture import NOTEBOOKS, SECOND_STUDY, page_text, tree_digest

# Every test here builds a site (the fixture book, cold, then edits of it).
pytestmark = pytest.mark.slow


def test_cold_build_executes_every_notebook_and_writes_one_page_per_study(book):
    data, build, report = book
    assert sorted(report.executed) == sorted(["index", "methods", "excluded_studies", "studies/doe2024", f"studies/{SECOND_STUDY}",
                                              *SYNTHESIS_RUNS, *TEACHING_RUNS, *COMPARISON_RUNS, "validation"])
    assert report.reused == []
    pages = sorted(p.name for p in (build / "html/studies").glob("*.html"))
    assert pages == ["doe2024.html", f"{SECOND_STUDY}.html"]


def test_no_page_of_the_fixture_review_names_another_intervention(book):
    """The fixture review is about examplinib (its review.yaml): the engine, the notebooks and
    the book's own pages name no other treatment, so no page of its site says "anlotinib"."""
    _, build, _ = book
    assert "examplinib" in " ".join(site_pages(build / "html")["index.html"]).lower()
    assert not other_intervention_named(build / "html", "anlotinib")


def test_results_table_has_the_documented_columns(book):
    _, build, _ = book
    header = (build / "results/results.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == RESULT_COLUMNS
    assert {"scope", "arm", "population", "endpoint", "statistic", "estimate", "ci_low", "ci_high",
            "method", "printed", "analysis_id"} <= set(RESULT_COLUMNS)
    # Across every page of the built site, one analysis has one value for each statistic.
    results = pd.read_csv(build / "results/results.csv", dtype=str, keep_default_na=False)
    named = results[results["analysis_id"] != ""]
    assert not named.empty
    values = named.groupby(["analysis_id", "statistic"])[["estimate", "ci_low", "ci_high"]].nunique()
    assert (values <= 1).all().all(), values[(values > 1).any(axis=1)]


def test_text_from_data_is_escaped_on_the_page(book):
    _, build, _ = book
    page = (build / "html/studies/doe2024.html").read_text(encoding="utf-8")
    # The quotes are shown on the data view of each row, which the page's numbers link to.
    view = (build / "html/data/studies/doe2024/outcomes.html").read_text(encoding="utf-8")
    for shown in (page, view):
        assert "<script>window.__injected" not in shown
        assert '<img src="x" onerror' not in shown
    assert "&lt;script&gt;window.__injected = 1&lt;/script&gt;" in page
    assert "&lt;img src=&quot;x&quot; onerror=" in view or "&lt;img src=\"x\" onerror=" in view


def test_a_digitised_curve_is_rebuilt_by_the_guyot_algorithm_on_the_page(book):
    _, build, _ = book
    page = (build / "html/studies/doe2024.html").read_text(encoding="utf-8")
    km = page.split('id="kaplan-meier-curves-reconstructed"')[1].split('id="safety"')[0]
    assert "digitised curve" in km and "printed summaries" in km
    results = (build / "results/results.csv").read_text(encoding="utf-8")
    assert "Kaplan-Meier, reconstructed from a digitised curve by the algorithm of Guyot et al. 2012" in results


def readers_of(build: Path, data_file: str) -> list[str]:
    """The runs whose recorded reads (in the build's manifest) include a data file."""
    manifest = json.loads((build / "cache/manifest.json").read_text(encoding="utf-8"))
    return sorted(key for key, entry in manifest["runs"].items() if data_file in entry["data"]["opened"])


def test_noop_rebuild_then_one_study_edit_reexecutes_only_its_readers(book):
    data, build, _ = book
    site_before = tree_digest(build / "html")
    again = build_book(data, build, jobs=2, log=lambda *_: None)
    assert again.executed == [] and again.seconds["assemble"] < 1
    assert tree_digest(build / "html") == site_before  # not even re-assembled

    readers = readers_of(build, "studies/doe2024/outcomes.csv")
    # What reads the outcomes: the study's page, the chapters that use outcomes and the front
    # page (its key findings); not the pages that never open that table (the other study's,
    # methods, validation, or safety, which shows adverse events).
    assert {"studies/doe2024", "synthesis/response", "synthesis/survival", "synthesis/audit", "index",
            "synthesis/summary_of_findings"} <= set(readers)
    assert not set(readers) & {f"studies/{SECOND_STUDY}", "methods", "validation", "synthesis/safety"}
    edit_csv(data, "outcomes.csv", 2, "note", "edited by the test")
    edited = build_book(data, build, jobs=2, log=lambda *_: None)
    # A note is in no statistic, so the results and the "What changed" page stay as they were.
    assert sorted(edited.executed) == readers
    assert sorted(edited.reused) == sorted({r for r in again.reused} - set(readers))


def test_broken_data_stops_the_build_and_keeps_the_site(book):
    data, build, _ = book
    before = tree_digest(build / "html")
    original = (data / "studies/doe2024/outcomes.csv").read_text(encoding="utf-8")
    edit_csv(data, "outcomes.csv", 3, "denominator", "many")
    try:
        with pytest.raises(BuildError) as failure:
            build_book(data, build, jobs=2, log=lambda *_: None)
        message = str(failure.value)
        assert "studies/doe2024/outcomes.csv" in message
        assert "row 3" in message and "'denominator'" in message and "'many'" in message
        assert tree_digest(build / "html") == before
    finally:
        (data / "studies/doe2024/outcomes.csv").write_text(original, encoding="utf-8")


def test_book_command_exits_non_zero_with_the_problem_on_broken_data(data_copy, tmp_path):
    import subprocess
    import sys

    edit_csv(data_copy, "outcomes.csv", 1, "arm", "no_such_arm")
    completed = subprocess.run(
        [sys.executable, "-m", "livingreview", "--data-dir", str(data_copy), "book",
         "--build-dir", str(tmp_path / "build")], capture_output=True, text=True)
    assert completed.returncode == 1
    assert "outcomes.csv, row 1 (line 2), column 'arm': found 'no_such_arm'" in completed.stderr
    assert "the published site was left as it was" in completed.stderr
    assert not (tmp_path / "build" / "html").exists()


def test_failing_notebook_names_study_and_cell_and_keeps_the_site(book, tmp_path):
    import nbformat

    data, build, _ = book
    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, notebooks)
    template = nbformat.read(notebooks / "study.ipynb", as_version=4)
    failing = nbformat.v4.new_code_cell("raise RuntimeError('deliberate failure')")
    failing["id"] = "deliberate-failure"
    template.cells.insert(4, failing)
    nbformat.write(template, notebooks / "study.ipynb")
    before = tree_digest(build / "html")
    with pytest.raises(BuildError) as failure:
        build_book(data, build, jobs=2, log=lambda *_: None, notebooks_dir=notebooks)
    message = str(failure.value)
    assert "study doe2024" in message and f"study {SECOND_STUDY}" in message
    assert "RuntimeError: deliberate failure" in message
    assert "cell" in message
    assert tree_digest(build / "html") == before


def test_a_warning_while_assembling_keeps_the_site_and_the_next_build_reads_every_page(book, tmp_path):
    import nbformat

    from livingreview.build.sphinx_build import STATE

    data, build, _ = book
    build_book(data, build, jobs=2, log=lambda *_: None)  # up to date after the other tests' edits
    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, notebooks)
    methods = nbformat.read(notebooks / "methods.ipynb", as_version=4)
    methods.cells.append(nbformat.v4.new_markdown_cell("See {ref}`no-such-label`."))
    nbformat.write(methods, notebooks / "methods.ipynb")
    before = tree_digest(build / "html")
    with pytest.raises(BuildError) as failure:
        build_book(data, build, jobs=2, log=lambda *_: None, notebooks_dir=notebooks)
    assert "no-such-label" in str(failure.value)
    assert tree_digest(build / "html") == before
    # Sphinx's kept state is gone: the next build reads every page, and meets any warning again.
    assert not (build / "site-source" / STATE).exists()
    build_book(data, build, jobs=2, log=lambda *_: None)
    assert (build / "site-source" / STATE).is_dir()


def test_two_cold_builds_give_identical_results_and_notebooks(book, tmp_path):
    data, build, _ = book
    # A second cold build beside the first (same relative position to the data).
    other = build.parent / "build-again"
    if other.exists():
        shutil.rmtree(other)
    build_book(data, build, jobs=2, log=lambda *_: None)  # bring the first up to date
    build_book(data, other, jobs=2, log=lambda *_: None)
    assert (build / "results/results.csv").read_bytes() == (other / "results/results.csv").read_bytes()
    for executed in sorted((build / "cache/executed").rglob("*.ipynb")):
        twin = other / "cache/executed" / executed.relative_to(build / "cache/executed")
        assert executed.read_bytes() == twin.read_bytes(), executed.name
        notebook = json.loads(executed.read_text(encoding="utf-8"))
        text = executed.read_text(encoding="utf-8")
        assert "papermill" not in notebook["metadata"]
        assert all("execution" not in c["metadata"] and "papermill" not in c["metadata"]
                   for c in notebook["cells"])
        assert str(build.parent) not in text and str(Path.home()) not in text
    # The site assembled incrementally (after the other tests' edits) is the cold build's, page
    # for page: only the "What changed" page, which compares with earlier builds, differs, and
    # the cache-busting suffixes Sphinx adds to style sheets it finds already in place.
    site, cold_site = build / "html", other / "html"
    pages = sorted(p.relative_to(site) for p in site.rglob("*.html"))
    assert pages == sorted(p.relative_to(cold_site) for p in cold_site.rglob("*.html"))
    for page in pages:
        if page.name != "what_changed.html":
            assert _without_version_suffixes(site / page) == _without_version_suffixes(cold_site / page), page
    assert sorted(p.name for p in (site / "_images").iterdir()) == sorted(p.name for p in (cold_site / "_images").iterdir())


def _without_version_suffixes(page: Path) -> str:
    return re.sub(r"\?v=[0-9a-f]+", "", page.read_text(encoding="utf-8"))


def test_release_and_search_status_read_the_same_wherever_shown(book):
    """One source for the review's status: the release label of the footer is the one the front
    page, What changed and the changelog show; the search status of the front page is the
    methods page's."""
    data, build, _ = book
    site = build / "html"
    from livingreview.search.schedule import search_schedule

    searched = search_schedule(data).status
    footer = re.search(r'<span class="lr-release">([^<]+)\.</span>',
                       (site / "index.html").read_text(encoding="utf-8"))
    assert footer is not None
    release = html.unescape(footer[1])
    front, changes = page_text(site / "index.html"), page_text(site / "what_changed.html")
    assert release in front and searched in front
    assert searched in page_text(site / "methods.html")
    assert f"this build ({release[:1].lower()}{release[1:]};" in changes
    assert f"This site: {release}." in page_text(site / "changelog.html")
    for page in ("methods.html", "synthesis/response.html", "what_changed.html"):
        assert f'<span class="lr-release">{html.escape(release)}.</span>' in (site / page).read_text(encoding="utf-8")
