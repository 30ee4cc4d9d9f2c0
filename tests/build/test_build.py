"""End-to-end tests of the book build on fixture data: incremental re-execution, failures
that leave the published site alone, reproducible outputs, escaped text from data.

The fixture data hold two made-up studies; one study's title and one quote carry HTML
markup, which must reach the page as text.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from livingreview import paths
from livingreview.build.book import build_book
from livingreview.curated.review import load_intervention
from livingreview.build.plan import BuildError
from livingreview.results.table import RESULT_COLUMNS

from ..another_intervention import other_intervention_named, renamed_review
from ..compare_builds import site_pages
from ..conftest import COMPARISON_RUNS, FIXTURES, SYNTHESIS_RUNS, TEACHING_RUNS, VALID_DATA, edit_csv

# Every test here builds a site (the fixture review's, cold, once per module, then edits of it).
pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
MARKUP_TITLE = 'Doe 2024 <script>window.__injected = 1</script> & <b>bold</b>'
MARKUP_QUOTE = '<img src="x" onerror="window.__injected = 2">2 (5.3%) complete responses'
SECOND_STUDY = "roe2025"
# A filled copy of what `new-study` writes: the study a maintainer adds with data files only.
NEW_STUDY = FIXTURES / "new_study" / "poe2026"
# Where a first-line single-arm study belongs; the comparative chapter shows two-arm studies only.
CHAPTERS_OF_A_SINGLE_ARM_STUDY = ["evidence_map", "response", "survival", "safety", "bias_integrity_certainty"]


def make_book_data(target: Path) -> Path:
    """Fixture data with two studies, markup in a title and a quote."""
    shutil.copytree(VALID_DATA, target)
    study_yaml = target / "studies/doe2024/study.yaml"
    text = study_yaml.read_text(encoding="utf-8")
    text = text.replace('label: "Doe 2024: examplinib + chemotherapy (fixture)"',
                        f"label: '{MARKUP_TITLE}'")
    study_yaml.write_text(text, encoding="utf-8")
    edit_csv(target, "outcomes.csv", 1, "quote", MARKUP_QUOTE)
    second = target / "studies" / SECOND_STUDY
    shutil.copytree(target / "studies/doe2024", second)
    meta = (second / "study.yaml").read_text(encoding="utf-8")
    meta = meta.replace("study_id: doe2024", f"study_id: {SECOND_STUDY}").replace(
        MARKUP_TITLE, "Roe 2025: a second fixture study")
    (second / "study.yaml").write_text(meta, encoding="utf-8")
    return target


def tree_digest(folder: Path) -> str:
    """Hash of every file name and content under a folder."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """A cold build of the fixture data; returns (data dir, build dir, report)."""
    root = tmp_path_factory.mktemp("book")
    data = make_book_data(root / "data")
    build = root / "build"
    data_before = tree_digest(data)
    report = build_book(data, build, jobs=2, log=lambda *_: None)
    assert tree_digest(data) == data_before, "the build wrote into the data folder"
    return data, build, report


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
            "method", "printed"} <= set(RESULT_COLUMNS)


def test_text_from_data_is_escaped_on_the_page(book):
    _, build, _ = book
    page = (build / "html/studies/doe2024.html").read_text(encoding="utf-8")
    # The quotes are shown on the data view of each row, which the page's numbers link to.
    view = (build / "html/data/studies/doe2024/outcomes.html").read_text(encoding="utf-8")
    for html in (page, view):
        assert "<script>window.__injected" not in html
        assert '<img src="x" onerror' not in html
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
    import re

    return re.sub(r"\?v=[0-9a-f]+", "", page.read_text(encoding="utf-8"))


def article(page: Path) -> str:
    """A page's content without the navigation (which lists every study on every page)."""
    text = page.read_text(encoding="utf-8")
    return text.split('<article class="bd-article"')[1].split("</article>")[0]


def _built_copy(book, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the fixture book's data and build, brought up to date after the other tests' edits."""
    original_data, original_build, _ = book
    data, build = tmp_path / "data", tmp_path / "build"
    shutil.copytree(original_data, data)
    shutil.copytree(original_build, build)
    build_book(data, build, jobs=2, log=lambda *_: None)
    return data, build


def test_a_study_added_with_the_scaffold_and_data_files_appears_everywhere_it_belongs(book, tmp_path):
    from livingreview.results.changes import Release
    from livingreview.cli import main

    data, build = _built_copy(book, tmp_path)

    # The maintainer's steps: scaffold, fill the data files, build. No code changes.
    assert main(["--data-dir", str(data), "new-study", NEW_STUDY.name]) == 0
    for filled in NEW_STUDY.iterdir():
        shutil.copy2(filled, data / "studies" / NEW_STUDY.name / filled.name)
    report = build_book(data, build, jobs=2, log=lambda *_: None)

    assert "studies/poe2026" in report.executed and "what_changed" in report.executed
    assert {"studies/doe2024", f"studies/{SECOND_STUDY}"} <= set(report.reused)
    site = build / "html"
    assert "Poe 2026: anlotinib + chemotherapy" in article(site / "studies/poe2026.html")
    for chapter in CHAPTERS_OF_A_SINGLE_ARM_STUDY:
        assert "poe2026" in article(site / f"synthesis/{chapter}.html"), chapter
    assert "poe2026" not in article(site / "synthesis/comparative.html")

    changed = article(site / "what_changed.html")
    assert "Studies: 1 added, 0 removed." in changed
    assert re.search(r'<a href="studies/poe2026.html">poe2026</a></td>\s*<td>added</td>', changed)
    # The first-line pooled ORR now pools the new study, so it moved.
    assert ("first-line treatment of advanced or metastatic ESCC · examplinib arms, efficacy population · ORR · "
            "pooled percent") in changed
    assert Release.read(build / "results/release.json").studies == ["doe2024", "poe2026", SECOND_STUDY]
    assert Release.read(build / "results/previous/release.json").studies == ["doe2024", SECOND_STUDY]
    footer = (site / "index.html").read_text(encoding="utf-8")
    assert "Draft: no release recorded yet." in footer  # no releases/ beside these data
    # Pages not read again show the new study in their navigation: a page added rewrites all.
    assert "studies/poe2026.html" in (site / "methods.html").read_text(encoding="utf-8")

    # Removing the study removes its page from the published site, and from every navigation.
    shutil.rmtree(data / "studies" / NEW_STUDY.name)
    build_book(data, build, jobs=2, log=lambda *_: None)
    assert not (site / "studies/poe2026.html").exists()
    assert "studies/poe2026.html" not in (site / "methods.html").read_text(encoding="utf-8")


def test_a_cold_build_on_a_fresh_clone_lists_the_changes_since_the_latest_release(book, tmp_path, monkeypatch):
    """Two releases recorded in the repository, then a data edit: a cold build (no earlier
    build on the machine) compares with the newer release, and lists both releases."""
    from livingreview import paths
    from livingreview.results.release import ReleaseError, record_release

    original_data, original_build, _ = book
    repo = tmp_path / "r"  # short paths: the kernel server's socket lives in the build folder
    data, build = repo / "data", repo / "_build"
    shutil.copytree(original_data, data)
    shutil.copytree(original_build, build)
    changelog = repo / "CHANGELOG.md"
    monkeypatch.setattr(paths, "CHANGELOG_FILE", changelog)

    def release(version: str, date: str) -> None:
        changelog.write_text(f"# Changelog\n\n## [Unreleased]\n\n## [{version}] - {date}\n\n- Data.\n",
                             encoding="utf-8")
        build_book(data, build, jobs=2, log=lambda *_: None)
        record_release(data, build / "results", changelog=changelog)

    release("0.1.0", "2026-10-01")
    edit_csv(data, "outcomes.csv", 6, "estimate", "8.5")  # the PFS median, printed 8.4
    release("0.2.0", "2026-11-01")
    with pytest.raises(ReleaseError, match="already recorded"):
        record_release(data, build / "results", changelog=changelog)
    edit_csv(data, "outcomes.csv", 6, "estimate", "8.7")

    fresh = repo / "fresh"  # a clean clone's first build: nothing built before it
    report = build_book(data, fresh, jobs=2, log=lambda *_: None)
    assert "what_changed" in report.executed
    changed = article(fresh / "html" / "what_changed.html")
    assert "compared with release 0.2.0 (2026-11-01)" in changed
    assert re.search(r"Statistics: [1-9][0-9]* moved", changed)
    assert re.search(r"<td>8\.5 \(6\.6 to 10\.2\)</td>\s*<td>8\.7 \(6\.6 to 10\.2\)</td>", changed), \
        "the move since release 0.2.0, not since 0.1.0"
    assert "8.4 (6.6 to 10.2)" not in changed
    # Both releases are listed, newest first, each with its results to download.
    assert changed.index("<td>0.2.0</td>") < changed.index("<td>0.1.0</td>")
    assert "First recorded release." in changed
    for version in ("0.1.0", "0.2.0"):
        assert f'href="releases/{version}/results.csv"' in changed
        assert (fresh / "html" / "releases" / version / "results.csv").read_bytes() == \
            (repo / "releases" / version / "results.csv").read_bytes()
    index = (fresh / "html" / "index.html").read_text(encoding="utf-8")
    assert "Draft since release 0.2.0 (2026-11-01)." in index  # the footer
    assert "Draft since release 0.2.0 of 2026-11-01" in index  # the status line
    assert "This site: Draft since release 0.2.0 (2026-11-01)." in (fresh / "html" / "changelog.html").read_text(
        encoding="utf-8").replace("<strong>", "").replace("</strong>", "")


# A made-up randomised, double-blind, placebo-controlled trial of anlotinib alone in a setting
# the fixture review has no study in: added by data only, then removed.
RANDOMISED_STUDY = FIXTURES / "new_study" / "rct2027"


def _text(page: Path) -> str:
    """A page's content as a reader reads it: no tags, entities decoded, spaces folded."""
    import html

    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", article(page))).split())
    return re.sub(r"\(\s+", "(", re.sub(r"\s+([.,;:)])", r"\1", text))


def _data_package(site: Path) -> dict[str, bytes]:
    import zipfile

    (package,) = site.glob("_downloads/*/curated-data.zip")
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_randomised_monotherapy_trial_added_by_data_only_is_shown_as_what_it_is_and_removed_cleanly(book, tmp_path):
    import base64

    from livingreview.statistics import rate_tables
    from livingreview.curated.studies import load_studies

    data, build = _built_copy(book, tmp_path)
    site = build / "html"
    results_before = (build / "results/results.csv").read_bytes()
    package_before = _data_package(site)
    pages_before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))

    shutil.copytree(RANDOMISED_STUDY, data / "studies" / RANDOMISED_STUDY.name)
    build_book(data, build, jobs=2, log=lambda *_: None)

    page = _text(site / "studies/rct2027.html")
    assert "Randomised controlled trial, double-blind" in page and "journal article (abstract only)" in page
    assert "Judged with RoB 2; overall: High." in page
    for level in ("Low", "Some concerns", "High"):  # every level by its label, none by its code
        assert level in page
    assert "some_concerns" not in page and "score" not in page.split("Judged with RoB 2")[1][:60]
    # Its deaths (grade 5) are shown on its page and in the safety chapter.
    assert "Deaths from adverse events (grade 5)" in page
    assert re.search(r"Rct 2027 Anlotinib Any adverse event 1 60", _text(site / "synthesis/safety.html"))
    # The traffic lights colour each of its levels from the vocabulary, in a chart of RoB 2 alone.
    bias = article(site / "synthesis/bias_integrity_certainty.html")
    svgs = [base64.b64decode(src).decode() for src in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', bias)]
    rob2 = next(svg for svg in svgs if "Risk of bias: RoB 2" in svg)
    assert all(colour in rob2 for colour in ("#1a9850", "#fee08b", "#d73027"))
    # Anlotinib alone is not pooled with the combinations, and the chapters say so.
    studies = load_studies(data)
    assert "rct2027" not in set(rate_tables.arm_rates(studies, "ORR")["study_id"])
    assert "Rct 2027 (Anlotinib) is shown on its study page and in no pool below" in _text(site / "synthesis/response.html")
    # No row of another setting shows its estimates; no prose calls it non-randomised.
    summary = _text(site / "synthesis/summary_of_findings.html")
    first_line = summary.split("Later-line treatment")[0]
    assert "Rct 2027" not in first_line and "0.46" not in first_line
    for path in site.rglob("*.html"):
        if "data" in path.relative_to(site).parts or path.name in ("search.html", "genindex.html"):
            continue
        text = _text(path) if '<article class="bd-article"' in path.read_text(encoding="utf-8") else ""
        assert not re.search(r"Rct 2027[^.]{0,120}(non-randomised|did not randomise)"
                             r"|(non-randomised|did not randomise)[^.]{0,120}Rct 2027", text), path.name

    # Removing it again leaves the site, results.csv and the data package as they were.
    shutil.rmtree(data / "studies" / RANDOMISED_STUDY.name)
    build_book(data, build, jobs=2, log=lambda *_: None)
    assert (build / "results/results.csv").read_bytes() == results_before
    assert _data_package(site) == package_before
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")) == pages_before


def _all_or_nothing(data: Path, study: str) -> None:
    """Every patient of ``study`` has stable disease: objective response 0 of 38, disease
    control 38 of 38."""
    outcomes = data / "studies" / study / "outcomes.csv"
    with outcomes.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    values = {"CR": ("0", "0.0"), "PR": ("0", "0.0"), "SD": ("38", "100.0"), "PD": ("0", "0.0"),
              "ORR": ("0", "0.0")}
    for row in rows:
        if row["endpoint"] in values:
            row["count"], row["estimate"] = values[row["endpoint"]]
            row["ci_low"] = row["ci_high"] = row["ci_method_stated"] = row["ci_level"] = ""
    disease_control = next(dict(row) for row in rows if row["endpoint"] == "ORR")
    disease_control.update(endpoint="DCR", count="38", estimate="100.0", quote="disease control rate was 100%")
    rows.append(disease_control)
    with outcomes.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_rates_of_0_and_100_percent_build_and_each_pool_says_what_it_could_estimate(book, tmp_path):
    data, build = _built_copy(book, tmp_path)
    response = build / "html/synthesis/response.html"
    # A third study, so that the setting has a random-effects pool (two studies get none).
    third = data / "studies/moe2025"
    shutil.copytree(data / "studies" / SECOND_STUDY, third)
    meta = third / "study.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(f"study_id: {SECOND_STUDY}", "study_id: moe2025"),
                    encoding="utf-8")

    # One study at 0% and 100% beside two that are not: the GLMM pools them.
    _all_or_nothing(data, "doe2024")
    build_book(data, build, jobs=2, log=lambda *_: None)
    page = article(response)
    assert "0/38" in page and "38/38" in page
    assert "0.0 (0.0–9.3)" in page and "100.0 (90.7–100.0)" in page  # exact CIs of 0/38 and 38/38
    assert "binomial-normal GLMM" in page and "not pooled:" not in page
    assert "one study only (Doe 2024, 38/38, 100.0%), not pooled" in page  # DCR: the fixture's first

    # Every study at 0% (and at 100%): the GLMM has no finite estimate, and the page says so
    # beside the continuity-corrected inverse-variance pool, which still exists.
    _all_or_nothing(data, SECOND_STUDY)
    _all_or_nothing(data, "moe2025")
    build_book(data, build, jobs=2, log=lambda *_: None)
    page = article(response)
    assert "not pooled: no study has an event" in page
    assert "not pooled: every patient in every study had the event" in page
    assert "inverse variance, REML, Hartung-Knapp" in page and "1.3 (" in page  # 1/2 added to each 0/38
    results = (build / "results/results.csv").read_text(encoding="utf-8")
    assert "not pooled: no study has an event" in results


def test_the_review_with_its_intervention_renamed_builds_and_no_page_says_the_old_name(tmp_path):
    """The engine is apart from the review: the review's own data, with the intervention renamed
    throughout data/ (files and folder names), validate and build, and no page names the
    intervention of data/review.yaml any more."""
    old = load_intervention(paths.DATA_DIR).name
    data = renamed_review(paths.DATA_DIR, tmp_path / "data", old, "examplinib")
    report = build_book(data, tmp_path / "build", log=lambda *_: None)
    assert "Examplinib" in " ".join(site_pages(report.site)["synthesis/safety.html"])
    assert not other_intervention_named(report.site, old)
