"""A maintainer adds a study by adding data, and removes it by deleting its folder: a
single-arm study made with the scaffold, and a randomised placebo-controlled monotherapy trial
in a setting the fixture review has no study in. Both are added to a copy of the fixture book
in one build (each build of the site costs the suite half a minute), then removed in another.
"""

from __future__ import annotations

import base64
import re
import shutil

import pytest

from livingreview.build.book import build_book
from livingreview.cli import main
from livingreview.curated.studies import load_studies
from livingreview.results.changes import Release
from livingreview.statistics import rate_tables

from .book_fixture import (NEW_STUDY, RANDOMISED_STUDY, SECOND_STUDY, article, built_copy, data_package,
                           page_text)

pytestmark = pytest.mark.slow

# Where a first-line single-arm study belongs; the comparative chapter shows two-arm studies only.
CHAPTERS_OF_A_SINGLE_ARM_STUDY = ["evidence_map", "response", "survival", "safety", "bias_integrity_certainty"]


def _check_the_scaffolded_study(site, report) -> None:
    """The single-arm study made with the scaffold appears everywhere it belongs."""
    assert "studies/poe2026" in report.executed and "what_changed" in report.executed
    assert {"studies/doe2024", f"studies/{SECOND_STUDY}"} <= set(report.reused)
    assert "Poe 2026: anlotinib + chemotherapy" in article(site / "studies/poe2026.html")
    for chapter in CHAPTERS_OF_A_SINGLE_ARM_STUDY:  # linked to its page, or named
        page = site / f"synthesis/{chapter}.html"
        assert "poe2026" in article(page) or "Poe 2026" in page_text(page), chapter
    assert "poe2026" not in article(site / "synthesis/comparative.html")

    changed = article(site / "what_changed.html")
    assert "Studies: 2 added, 0 removed." in changed
    assert re.search(r'<a href="studies/poe2026.html">Poe 2026</a></td>\s*<td[^>]*>added</td>', changed)
    # The first-line pooled ORR now pools the new study, so it moved.
    assert ("first-line treatment of advanced or metastatic ESCC · examplinib arms, efficacy population · ORR · "
            "pooled percent") in changed
    footer = (site / "index.html").read_text(encoding="utf-8")
    assert "Draft: no release recorded yet." in footer  # no releases/ beside these data
    # Pages not read again show the new study in their navigation: a page added rewrites all.
    assert "studies/poe2026.html" in (site / "methods.html").read_text(encoding="utf-8")


def _check_the_randomised_trial(data, site) -> None:
    """The placebo-controlled monotherapy trial is shown as what it is, and pooled with no
    combination."""
    page = page_text(site / "studies/rct2027.html")
    assert "Randomised controlled trial, double-blind" in page and "journal article (abstract only)" in page
    assert "Judged with RoB 2; overall: High." in page
    for level in ("Low", "Some concerns", "High"):  # every level by its label, none by its code
        assert level in page
    assert "some_concerns" not in page and "score" not in page.split("Judged with RoB 2")[1][:60]
    # Its deaths (grade 5) are shown on its page and in the safety chapter.
    assert "Deaths from adverse events (grade 5)" in page
    assert re.search(r"Rct 2027 Anlotinib Any adverse event 1 60", page_text(site / "synthesis/safety.html"))
    # The traffic lights colour each of its levels from the vocabulary, in a chart of RoB 2 alone.
    bias = article(site / "synthesis/bias_integrity_certainty.html")
    svgs = [base64.b64decode(src).decode() for src in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', bias)]
    rob2 = next(svg for svg in svgs if "Risk of bias: RoB 2" in svg)
    assert all(colour in rob2 for colour in ("#1a9850", "#fee08b", "#d73027"))
    # The intervention alone is not pooled with the combinations, and the chapters say so.
    assert "rct2027" not in set(rate_tables.arm_rates(load_studies(data), "ORR")["study_id"])
    assert "Rct 2027 (Anlotinib) is shown on its study page and in no pool below" in page_text(
        site / "synthesis/response.html")
    # No row of another setting shows its estimates; no prose calls it non-randomised.
    summary = page_text(site / "synthesis/summary_of_findings.html")
    first_line = summary.split("Later-line treatment")[0]
    assert "Rct 2027" not in first_line and "0.46" not in first_line
    for path in site.rglob("*.html"):
        if "data" in path.relative_to(site).parts or path.name in ("search.html", "genindex.html"):
            continue
        text = page_text(path) if '<article class="bd-article"' in path.read_text(encoding="utf-8") else ""
        assert not re.search(r"Rct 2027[^.]{0,120}(non-randomised|did not randomise)"
                             r"|(non-randomised|did not randomise)[^.]{0,120}Rct 2027", text), path.name


def test_studies_added_by_data_only_appear_where_they_belong_and_leave_no_trace_when_removed(book, tmp_path):
    data, build = built_copy(book, tmp_path)
    site = build / "html"
    results_before = (build / "results/results.csv").read_bytes()
    package_before = data_package(site)
    pages_before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))

    # The maintainer's steps: scaffold, fill the data files, build. No code changes.
    assert main(["--data-dir", str(data), "new-study", NEW_STUDY.name]) == 0
    for filled in NEW_STUDY.iterdir():
        shutil.copy2(filled, data / "studies" / NEW_STUDY.name / filled.name)
    # A made-up randomised, double-blind, placebo-controlled trial of the intervention alone.
    shutil.copytree(RANDOMISED_STUDY, data / "studies" / RANDOMISED_STUDY.name)
    report = build_book(data, build, jobs=2, log=lambda *_: None)

    _check_the_scaffolded_study(site, report)
    _check_the_randomised_trial(data, site)
    assert Release.read(build / "results/release.json").studies == ["doe2024", "poe2026", "rct2027", SECOND_STUDY]
    assert Release.read(build / "results/previous/release.json").studies == ["doe2024", SECOND_STUDY]

    # Removing them removes their pages from the published site and from every navigation, and
    # leaves the site, results.csv and the data package as they were.
    shutil.rmtree(data / "studies" / NEW_STUDY.name)
    shutil.rmtree(data / "studies" / RANDOMISED_STUDY.name)
    build_book(data, build, jobs=2, log=lambda *_: None)
    assert not (site / "studies/poe2026.html").exists()
    assert "studies/poe2026.html" not in (site / "methods.html").read_text(encoding="utf-8")
    assert (build / "results/results.csv").read_bytes() == results_before
    assert data_package(site) == package_before
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")) == pages_before
