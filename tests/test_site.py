"""The site built from the curated data: one page per study with every section, and a real
browser (Playwright driving Debian's Chromium) visiting every page over http.

The browser tests need ``/usr/bin/chromium``; ``.ci/run`` installs it. Without it they skip,
unless ``LIVINGREVIEW_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes its absence a failure.
"""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from livingreview import paths
from livingreview.build import build_book
from livingreview.data import study_folders

from .conftest import COMPARISON_RUNS, SYNTHESIS_RUNS, TEACHING_RUNS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-gpu"]
STUDY_SECTIONS = ["study-at-a-glance", "baseline-characteristics", "response", "survival",
                  "kaplan-meier-curves-reconstructed", "safety", "subgroups-and-models",
                  "audit-of-the-printed-numbers", "risk-of-bias"]
# Pages Sphinx writes that are not content (their own tests would add nothing).
SKIPPED_PAGES = {"genindex.html"}


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The book built from data/ into a temporary build folder; returns the site folder."""
    build = tmp_path_factory.mktemp("site")
    report = build_book(paths.DATA_DIR, build, log=lambda *_: None)
    return report.site


def test_one_page_per_study_with_every_section(site):
    studies = [folder.name for folder in study_folders(paths.DATA_DIR)]
    pages = sorted(p.stem for p in (site / "studies").glob("*.html"))
    assert pages == sorted(studies)
    for study in studies:
        page = (site / "studies" / f"{study}.html").read_text(encoding="utf-8")
        missing = [s for s in STUDY_SECTIONS if f'id="{s}"' not in page]
        assert not missing, f"{study}: sections missing: {missing}"
        assert "<img" in page, f"{study}: no figure"
        assert "Reconstructed data, not patient records." in page, f"{study}: no reconstruction label"


def test_reconstructed_curves_on_every_study_that_prints_enough(site):
    from livingreview.plotting import RECONSTRUCTION_LABEL  # drawn inside each curve figure

    assert RECONSTRUCTION_LABEL
    for study, curves in {"li2022": 3, "xu2025": 2, "carter2022": 4, "zzu_anlotinib_pd1": 2}.items():
        page = (site / "studies" / f"{study}.html").read_text(encoding="utf-8")
        km_section = page.split('id="kaplan-meier-curves-reconstructed"')[1].split('id="safety"')[0]
        assert km_section.count("<img") == curves, study
    zhu = (site / "studies" / "zhu2025.html").read_text(encoding="utf-8")
    assert "censoring is unknown" in zhu


def test_front_methods_synthesis_teaching_update_references_and_downloads_exist(site):
    for page in ["index.html", "methods.html", "validation.html", "references.html", "downloads.html",
                 "how_to_update.html", "changelog.html",
                 *[f"{run}.html" for run in [*SYNTHESIS_RUNS, *TEACHING_RUNS, *COMPARISON_RUNS]], "search.html"]:
        assert (site / page).is_file(), page
    audit = (site / "synthesis/audit.html").read_text(encoding="utf-8")
    assert audit.count("<tr>") > 68  # every finding that is not ok, plus the rule counts
    references = (site / "references.html").read_text(encoding="utf-8")
    assert "Anlotinib plus camrelizumab and chemotherapy" in references
    assert "ROBINS-I" in references


@pytest.fixture(scope="session")
def served(site):
    """The site on http://127.0.0.1:<port>/ for the duration of the session."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test output is not a server log
        pass


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("LIVINGREVIEW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not p.relative_to(site).parts[0].startswith("_")
                  and p.relative_to(site).parts[0] != "data" and p.name not in SKIPPED_PAGES)


def test_every_page_loads_without_console_errors_and_with_every_image(site, served, browser):
    pages = _pages(site)
    assert len(pages) >= 10
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    broken: dict[str, list[str]] = {}
    for name in pages:
        errors_before = len(errors)
        # networkidle: every request of the page (the icon included) has finished, so none
        # is cut off by the next navigation.
        response = page.goto(f"{served}/{name}", wait_until="networkidle")
        assert response is not None and response.ok, name
        missing = page.evaluate(
            "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        if missing:
            broken[name] = missing
        assert len(errors) == errors_before, f"{name}: {errors[errors_before:]}"
        assert page.evaluate("window.__injected === undefined"), name
    assert not broken
    page.close()


def test_search_finds_a_study_by_its_drug_name(served, browser):
    page = browser.new_page()
    page.goto(f"{served}/search.html?q=camrelizumab")
    page.wait_for_selector("#search-results ul.search li", timeout=20000)
    links = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
    assert any(link.split("?")[0].endswith("studies/xu2025.html") for link in links), links
    page.close()


def test_download_links_resolve(site, served, browser):
    page = browser.new_page()
    checked = []
    for name in ["downloads.html", "studies/li2022.html", "studies/carter2022.html"]:
        page.goto(f"{served}/{name}")
        hrefs = page.eval_on_selector_all(
            "a.download, a[href*='/data/studies/'], a[href$='.ipynb'], a[href$='.csv'], a[href$='.zip']",
            "els => [...new Set(els.map(e => e.href))]")
        for href in hrefs:
            response = page.request.get(href)
            assert response.ok, f"{name}: {href} -> {response.status}"
            checked.append(href)
    assert any(h.endswith("results.csv") for h in checked)
    assert any(h.endswith("curated-data.zip") for h in checked)
    assert any("/data/studies/li2022/outcomes.csv" in h for h in checked)
    assert any(h.endswith(".ipynb") for h in checked), "no notebook download link"
    page.close()


def test_every_percentage_in_the_results_lies_between_0_and_100(site):
    import pandas as pd

    results = pd.read_csv(site.parent / paths.RESULTS_DIRNAME / paths.RESULTS_FILE_NAME)
    percent = results[results["statistic"].str.contains("percent") | results["statistic"].str.startswith("landmark")]
    assert len(percent) > 100
    for column in ("estimate", "ci_low", "ci_high"):
        values = percent[column].dropna()
        outside = percent.loc[values[(values < 0) | (values > 100)].index]
        assert outside.empty, outside[["scope", "endpoint", "statistic", column]].to_string()


def test_teaching_solutions_stay_hidden_until_opened(site, served, browser):
    page = browser.new_page()
    for run in TEACHING_RUNS:
        page.goto(f"{served}/{run}.html", wait_until="networkidle")
        exercises = page.locator("div.exercise")
        solutions = page.locator("div.solution.dropdown")
        assert exercises.count() >= 2 and solutions.count() == exercises.count(), run
        first = solutions.first
        body = first.locator("> :not(.admonition-title)").first
        assert not body.is_visible(), f"{run}: a solution shows before it is opened"
        first.locator(".admonition-title").click()
        body.wait_for(state="visible", timeout=5000)
    # The download button offers each teaching chapter as a notebook to run locally.
    assert (site / "_sources" / "teaching" / "kaplan_meier.ipynb").is_file()
    page.close()
