"""The site built from the curated data: one page per study with every section, and a real
browser (Playwright driving Debian's Chromium) visiting every page over http.

The browser tests need ``/usr/bin/chromium``; ``.ci/run`` installs it. Without it they skip,
unless ``LIVINGREVIEW_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes its absence a failure.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from livingreview import paths
from livingreview.build.book import build_book
from livingreview.build.page_weight import CHROMIUM, CHROMIUM_FLAGS
from livingreview.curated.studies import study_folders

from ..build.book_fixture import page_text
from ..conftest import COMPARISON_RUNS, SYNTHESIS_RUNS, TEACHING_RUNS

# Every test here builds the review's site or drives a browser on it; they share one build and
# one browser, so they run in one worker when the tests run in parallel.
pytestmark = pytest.mark.slow

STUDY_SECTIONS = ["study-at-a-glance", "baseline-characteristics", "response", "survival",
                  "kaplan-meier-curves-reconstructed", "safety", "subgroups-and-models",
                  "audit-of-the-printed-numbers", "risk-of-bias", "integrity-screen"]
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
    from livingreview.pages.plotting import RECONSTRUCTION_LABEL  # drawn inside each curve figure

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
    # Chromium fetches the page icon on its own schedule and may abort that fetch when the next
    # page is opened (net::ERR_ABORTED); a missing icon still shows as an HTTP 404 below.
    page.on("requestfailed", lambda r: None if (r.failure == "net::ERR_ABORTED" and r.url.endswith("favicon.svg"))
            else errors.append(f"request failed: {r.url} ({r.failure})"))
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
    # A study page's numbers link to the data views of their rows; each view links its CSV.
    for name in ["downloads.html", "studies/li2022.html", "studies/carter2022.html",
                 "data/studies/li2022/outcomes.html"]:
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


# ------------------------------------------------------------------ the reader's layer

DESKTOP = {"width": 1280, "height": 900}


def _left_out_studies() -> dict[str, str]:
    """Study id -> badge of every study whose integrity decision keeps it out of the main analyses."""
    from livingreview.curated.studies import load_studies
    from livingreview.curated.integrity import study_status

    return {s.study_id: study_status(s).badge for s in load_studies(paths.DATA_DIR) if not study_status(s).in_main}


def test_front_page_shows_findings_certainty_dates_and_left_out_studies_above_the_fold(served, browser):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{served}/index.html", wait_until="networkidle")

    def top(selector: str) -> float:
        box = page.locator(selector).first.bounding_box()
        assert box is not None, selector
        return box["y"]

    for selector in (".lr-status-line", ".lr-left-out-box", ".lr-key-findings table.lr-kf"):
        assert top(selector) < DESKTOP["height"], f"{selector} is below the fold"
    status = page.locator(".lr-status-line").inner_text()
    # The status in the words the footer, What changed and the methods page use.
    assert ("Last database search" in status or "No bibliographic database searched yet" in status)
    assert ("Release " in status or "Draft" in status) and "release" in status
    first_row = page.locator("table.lr-kf tr.lr-kf-row").first
    assert top("table.lr-kf tr.lr-kf-row") < DESKTOP["height"]
    # The first finding is a result with its certainty and a sentence: an estimate with its CI,
    # or, for two studies, both studies' rates side by side (not pooled) and their range.
    assert re.search(r"\d+\.\d% \((95% CrI \d|95% CI \d|[A-Z][a-z]+ \d{4}, \d+/\d+\))", first_row.inner_text())
    assert re.search(r"(High|Moderate|Low|Very low) [⊕◯]{4}", first_row.inner_text())
    sentence = page.locator("table.lr-kf tr.lr-kf-sentence").first.inner_text()
    assert ((sentence.startswith("About ") and "in 100 patients" in sentence)
            or re.search(r"studies report .+, from \d+% to \d+% of patients", sentence))
    left_out = page.locator(".lr-left-out-box").inner_text()
    for study_id, badge in _left_out_studies().items():
        assert badge in left_out, study_id
        assert page.locator(f".lr-left-out-box a[href$='studies/{study_id}.html']").count() == 1
    page.close()


def test_the_bottom_line_and_the_first_key_finding_are_on_the_first_screen_of_a_phone(served, browser):
    """At 390 x 844 the review's one-sentence bottom line (with its first result) is on the
    first screen, and the first key finding's row starts on it."""
    phone = {"width": 390, "height": 844}
    page = browser.new_page(viewport=phone)
    page.goto(f"{served}/index.html", wait_until="networkidle")
    line = page.locator("p.lr-bottom-line").first
    box = line.bounding_box()
    assert box is not None and box["y"] + box["height"] < phone["height"]
    assert line.inner_text().startswith("Bottom line:") and re.search(r"\d+\.\d%", line.inner_text())
    row = page.locator("table.lr-kf tr.lr-kf-row").first.bounding_box()
    assert row is not None and row["y"] < phone["height"], row
    page.close()


def test_a_left_out_study_says_so_on_its_first_screen_and_in_the_navigation(served, browser):
    left_out = _left_out_studies()
    assert left_out  # the curated data have an excluded and a sensitivity-only study
    page = browser.new_page(viewport=DESKTOP)
    for study_id, badge in left_out.items():
        page.goto(f"{served}/studies/{study_id}.html", wait_until="networkidle")
        banner = page.locator(".lr-key-message .lr-status").first
        box = banner.bounding_box()
        assert box is not None and box["y"] + box["height"] < DESKTOP["height"], study_id
        assert page.locator("h1").first.inner_text().find(f"({badge})") > 0, study_id
    page.goto(f"{served}/index.html", wait_until="networkidle")
    for study_id, badge in left_out.items():
        nav = page.locator(f".bd-docs-nav a[href$='studies/{study_id}.html']").first.inner_text()
        assert f"({badge})" in nav, (study_id, nav)
    page.close()


def test_every_table_link_to_a_left_out_study_carries_its_badge(site):
    from bs4 import BeautifulSoup

    left_out = _left_out_studies()
    seen = {s: 0 for s in left_out}
    for name in _pages(site):
        soup = BeautifulSoup((site / name).read_text(encoding="utf-8"), "html.parser")
        for cell in soup.select("table td, ul.lr-left-out li"):
            for link in cell.find_all("a", href=True):
                target = link["href"].rsplit("/", 1)[-1].removesuffix(".html")
                if target in left_out and "/studies/" in "/" + link["href"]:
                    badge = link.find_next_sibling("span", class_="lr-badge")
                    assert badge is not None and badge.get_text() == left_out[target], (name, target, str(cell)[:200])
                    seen[target] += 1
    assert all(seen.values()), seen


def _internal_codes() -> set[str]:
    """Codes pages must never show: the data dictionary's snake_case values and column names,
    the ids of settings, audit rules, integrity checks and decisions and risk-of-bias judgements,
    and the studies' arm and population ids (snake_case ones, and short abbreviations)."""
    import yaml

    from livingreview.audit.findings import RULES
    from livingreview.curated.studies import load_studies
    from livingreview.curated.dictionary import load_dictionary
    from livingreview.curated.integrity import ANALYSIS_SET_OF, load_checks
    from livingreview.curated.review import load_review
    from livingreview.curated.risk_of_bias import load_tools

    codes = set(load_dictionary().codes()) | set(RULES) | set(load_checks()) | set(ANALYSIS_SET_OF)
    codes |= set(load_review().get("setting_groups", {}))
    for tool in load_tools().values():
        codes |= {str(j) for j in tool["judgements"]}
    codes |= set(yaml.safe_load((paths.DATA_DIR / "certainty.schema.yaml").read_text())["$defs"]["domain"]
                 ["properties"])
    codes = {c for c in codes if "_" in c}
    for study in load_studies(paths.DATA_DIR):
        ids = [p["population_id"] for p in study.meta["populations"]] + [a["arm_id"] for a in study.meta["arms"]]
        codes |= {i for i in ids if "_" in i or len(i) <= 4}  # snake_case, or an abbreviation such as 'fas'
    return codes


def test_no_internal_code_appears_in_what_a_reader_sees(site):
    """Text of every page, code blocks aside (the teaching chapters show their code)."""
    from bs4 import BeautifulSoup

    codes = _internal_codes()
    assert {"after_psm", "fas", "grade3plus_trae", "percent_attainable", "ci_low"} <= codes
    pattern = re.compile(r"(?<![\w/.-])(" + "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
                         + r")(?![\w/-])")
    found: dict[str, set[str]] = {}
    for name in _pages(site):
        if name == "search.html":
            continue
        soup = BeautifulSoup((site / name).read_text(encoding="utf-8"), "html.parser")
        for hidden in soup(["script", "style", "pre", "code"]):
            hidden.decompose()
        for match in pattern.finditer(soup.get_text(" ")):
            found.setdefault(name, set()).add(match.group(1))
    assert not found, found


# Pages for maintainers, where study ids, data file names and commands are what the reader needs.
MAINTAINER_PAGES = {"how_to_update.html", "performance.html", "downloads.html", "changelog.html"}
# A data file or a command named on a page: 'outcomes.csv', 'study.yaml', 'make audit' (any target
# of the Makefile), 'livingreview/statistics/reconstruct.py'.
MAKE_TARGETS = re.findall(r"^([a-z][a-z-]*):", (paths.PROJECT_ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
FILE_OR_COMMAND = re.compile(r"(?<![\w/.-])(?:[\w-]+\.(?:csv|yaml|yml|ipynb|py|ris)|make (?:"
                             + "|".join(MAKE_TARGETS) + r")|livingreview/[\w/.]+)(?![\w-])")


def internal_names(site: Path) -> dict[str, set[str]]:
    """Per reader page (maintainer pages, data views and code blocks aside), the study ids, data
    file names and commands its text shows."""
    from bs4 import BeautifulSoup

    from livingreview.curated.studies import study_folders

    ids = sorted((f.name for f in study_folders(paths.DATA_DIR)), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w/.-])(" + "|".join(map(re.escape, ids)) + r")(?![\w/-])|" + FILE_OR_COMMAND.pattern)
    found: dict[str, set[str]] = {}
    for name in _pages(site):
        if name in MAINTAINER_PAGES or name == "search.html":
            continue
        soup = BeautifulSoup((site / name).read_text(encoding="utf-8"), "html.parser")
        for hidden in soup(["script", "style", "pre", "code", "nav"]):
            hidden.decompose()
        for match in pattern.finditer(soup.get_text(" ")):
            found.setdefault(name, set()).add(match.group(0))
    return found


def test_reader_pages_name_no_study_id_data_file_or_command(site):
    """Reader pages speak the reader's language: studies by their short names, never by id; no
    data file or command (those are for the maintainer pages of :data:`MAINTAINER_PAGES`)."""
    found = internal_names(site)
    assert not found, found


def _target_exists(site: Path, page: Path, href: str) -> bool:
    """Whether a relative link from ``page`` reaches an existing page and, if it names one, an
    element with that id."""
    address, _, fragment = href.partition("#")
    target = (page.parent / address).resolve() if address else page
    if not target.is_file():
        return False
    return not fragment or f'id="{fragment}"' in target.read_text(encoding="utf-8")


def test_every_number_of_the_front_page_and_the_summary_of_findings_links_to_how_it_was_made(site):
    """Each result of the key findings and of the summary of findings links to its data row (a
    single study's printed value) or to its analysis; the link reaches an existing anchor."""
    from bs4 import BeautifulSoup

    for name, cells in (("index.html", "table.lr-kf tr.lr-kf-row td"), ("synthesis/summary_of_findings.html",
                                                                       "table.lr-sof-table tr.lr-sof-row td")):
        page = site / name
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        numbers = [c for c in soup.select(cells) if re.search(r"\d", c.get_text()) and "lr-certainty" not in str(c)]
        assert numbers, name
        for cell in numbers:
            links = cell.select("a.lr-number-link")
            assert links, (name, cell.get_text(" ", strip=True))
            for link in links:
                assert _target_exists(site, page, link["href"]), (name, link["href"])


def test_the_front_page_and_the_summary_of_findings_say_what_the_analysis_model_says(site):
    """Every reported finding's result reads the same on the front page, in the summary of
    findings and on the page that shows how it was computed, and a result from several studies
    says "not pooled" exactly when its analysis made no pool."""
    from livingreview.pages.chapters.summary_of_findings import SummaryOfFindingsChapter

    findings = [f for f in SummaryOfFindingsChapter.load(paths.DATA_DIR).findings.all_findings() if f.reported]
    front, summary = page_text(site / "index.html"), page_text(site / "synthesis/summary_of_findings.html")
    analyses = page_text(site / "synthesis/analyses.html")
    assert findings
    for finding in findings:
        assert all(finding.result in text for text in (front, summary, analyses)), finding.analysis_id
        several = len(finding.studies) > 1
        assert ("not pooled" in finding.result) == (several and not finding.pooled), finding.analysis_id


# A missing number shown as if it were one: "nan", "NaN", "inf" or Python's "None" in a cell.
MISSING_AS_VALUE = re.compile(r"(?<![\w-])(?:nan|NaN|-?inf)(?![\w-])|(?<![\w-])None(?=\s*(?:[–%(),;]|$))")


def test_no_missing_number_is_shown_as_a_value(site):
    """Text of every page and of every figure on it, code blocks aside: a number that does not
    exist is said in words ("not pooled: …", "—"), never printed as nan, inf or None."""
    import base64

    from bs4 import BeautifulSoup

    found: dict[str, list[str]] = {}
    for name in _pages(site):
        if name == "search.html":
            continue
        html = (site / name).read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        for hidden in soup(["script", "style", "pre", "code"]):
            hidden.decompose()
        texts = [soup.get_text(" ")]
        for svg in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html):
            texts += re.findall(r"<text[^>]*>([^<]*)</text>|<!-- (.*?) -->", base64.b64decode(svg).decode())
        for text in texts:
            text = " ".join(text) if isinstance(text, tuple) else text
            for match in MISSING_AS_VALUE.finditer(text):
                found.setdefault(name, []).append(text[max(0, match.start() - 40):match.end() + 20])
    assert not found, found


# ------------------------------------------------------------------ every page, every screen

SCREENS = [("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})]
MODES = ["light", "dark"]
# One page of each kind, photographed for a reviewer at both widths (under _build/screenshots).
SCREENSHOT_PAGES = {"front": "index.html", "study": "studies/li2022.html", "summary": "synthesis/summary_of_findings.html",
                    "chapter": "synthesis/response.html", "teaching": "teaching/kaplan_meier.html",
                    "methods": "methods.html", "excluded": "excluded_studies.html", "data-view": "data/studies/li2022/outcomes.html"}
SCREENSHOTS = paths.BUILD_DIR / "screenshots"
# Text a reader must never see: markdown emphasis, inline LaTeX or HTML tags shown as text.
RAW_MARKUP = re.compile(r"\$[^$\s][^$]{0,80}\$|</?(?:sup|sub|em|i|b|strong|br|script|div|span|p)\b[^>]*>|\*\*\w"
                        r"|(?<!\w)\*\w[^*]{0,60}\*(?!\w)|\\\\(?:leq|geq|text|mathrm|frac)\b")
PAGE_CHECKS = """() => {
  const root = document.documentElement;
  const wide = Array.from(document.querySelectorAll('main table, article table, body > main table'))
    .filter(t => !t.closest('details:not([open])') && t.offsetParent !== null)
    .filter(t => { let box = t.parentElement;
      while (box && box !== document.body) { const s = getComputedStyle(box);
        if (['auto', 'scroll'].includes(s.overflowX)) return false; box = box.parentElement; }
      return t.getBoundingClientRect().right > root.clientWidth + 1; })
    .map(t => (t.querySelector('th') || t).textContent.trim().slice(0, 40));
  const images = Array.from(document.images).filter(i => i.closest('article, main'))
    .map(i => i.getAttribute('alt') || '');
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('script, style, noscript, template, pre, code, .math, mjx-container').forEach(n => n.remove());
  return {scroll: root.scrollWidth - root.clientWidth, wide, images, text: clone.textContent};
}"""


def _all_pages(site: Path) -> list[str]:
    """Every page a reader can open: the book's pages and the data views."""
    return _pages(site) + sorted(p.relative_to(site).as_posix() for p in (site / "data").rglob("*.html"))


# What each screen and mode checks. Dark mode changes colours, not layout: the layout checks
# (sideways scrolling, wide tables, image descriptions, raw markup) run in light mode, on every
# page and data view, at both widths. axe-core checks every page on the desktop in light mode
# (a data view, one template filled with rows, once per table); where a page's kind decides
# what changes (the colours of dark mode, one style sheet for all pages; the markup of the
# phone layout, one template per kind), it checks one page of each kind (SCREENSHOT_PAGES):
# colour contrast in dark mode, the other rules at phone width.
AXE_RULES = {("desktop", "light"): "all", ("desktop", "dark"): "contrast", ("phone", "light"): "no-contrast",
             ("phone", "dark"): None}


def _axe(page, rules: str | None) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the page."""
    import axe_playwright_python

    if rules is None:
        return []
    page.add_script_tag(path=str(Path(axe_playwright_python.__file__).parent / "axe.min.js"))
    if rules == "contrast":
        options = "{runOnly: {type: 'rule', values: ['color-contrast']}"
    else:
        options = "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}" + (
            ", rules: {'color-contrast': {enabled: false}}" if rules == "no-contrast" else "")
    # Only violations are read: axe then skips collecting what passed (faster on long pages).
    options += ", resultTypes: ['violations']}"
    result = page.evaluate(f"async () => await axe.run(document, {options})")
    return [f"{v['id']} ({len(v['nodes'])}): {v['nodes'][0]['target']}" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("screen", "viewport"), SCREENS, ids=[s for s, _ in SCREENS])
def test_every_page_reads_on_every_screen(site, served, browser, screen, viewport, mode):
    context = browser.new_context(viewport=viewport, color_scheme=mode)
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sampled_views = {}
    for view in sorted((site / "data").rglob("*.html")):
        sampled_views.setdefault(view.name, view.relative_to(site).as_posix())
    layout, rules = mode == "light", AXE_RULES[(screen, mode)]
    for name in _all_pages(site):
        if (screen, mode) != ("desktop", "light"):
            sampled = name in SCREENSHOT_PAGES.values()
        else:
            sampled = not name.startswith("data/") or name in sampled_views.values()
        if not layout and not (rules and sampled):
            continue
        page.goto(f"{served}/{name}", wait_until="load")
        issues = []
        if layout:
            found = page.evaluate(PAGE_CHECKS)
            if found["scroll"] > 0:
                issues.append(f"the page scrolls sideways by {found['scroll']} px")
            issues += [f"table wider than the page, outside a scrolling box: {t}" for t in found["wide"]]
            issues += [f"image without a description: {alt!r}" for alt in found["images"]
                       if len(alt) < 20 or re.search(r"\.(png|svg|jpe?g)\b|^_images/|/", alt[:40])]
            issues += [f"raw markup shown as text: {m.group(0)!r}" for m in RAW_MARKUP.finditer(found["text"])][:3]
        if sampled:
            issues += _axe(page, rules)
        if issues:
            problems[name] = issues
    for kind, name in SCREENSHOT_PAGES.items():
        page.goto(f"{served}/{name}", wait_until="networkidle")
        page.screenshot(path=str(SCREENSHOTS / f"{kind}-{screen}-{mode}.png"))
    context.close()
    assert not problems, problems


def test_the_phone_navigation_opens(served, browser):
    """pydata-sphinx-theme#2451: the visible toggle on a phone must open the sidebar."""
    page = browser.new_page(viewport=dict(SCREENS)["phone"])
    for name in ("index.html", "studies/li2022.html", "synthesis/response.html"):
        page.goto(f"{served}/{name}", wait_until="networkidle")
        toggle = page.locator(".primary-toggle:visible").first
        toggle.click()
        page.wait_for_function("document.getElementById('pst-primary-sidebar-modal').open", timeout=5000)
        assert page.locator("#pst-primary-sidebar-modal a[href$='methods.html']").first.is_visible(), name
        page.keyboard.press("Escape")
    page.close()


def test_number_links_lead_to_their_row_with_its_value_and_quote(site):
    """For every study, a sample of the links beside numbers: each opens the row's data view,
    which shows a number of the page's row and the paper's words."""
    import random

    from bs4 import BeautifulSoup

    from livingreview.curated.studies import study_folders

    rng = random.Random(2026)
    number = re.compile(r"\d+(?:\.\d+)?")
    for folder in study_folders(paths.DATA_DIR):
        page = BeautifulSoup((site / "studies" / f"{folder.name}.html").read_text(encoding="utf-8"), "html.parser")
        pairs = []
        for row in page.select("table tr"):
            links = [a["href"] for a in row.select("a[href*='/data/studies/']") if "#row-" in a["href"]]
            cells = " ".join(td.get_text(" ") for td in row.find_all("td")[:-1])
            if links and number.search(cells):  # a link beside a number (not e.g. a check's findings)
                pairs.append((row, links))
        assert len(pairs) >= 5, folder.name
        for row, links in rng.sample(pairs, min(12, len(pairs))):
            cells = " ".join(td.get_text(" ") for td in row.find_all("td")[:-1])
            shown = {float(n) for n in number.findall(cells)}
            seen, quotes = set(), 0
            for href in links:
                path, anchor = href.split("#")
                view = BeautifulSoup((site / "studies" / path).resolve().read_text(encoding="utf-8"), "html.parser")
                article = view.find(id=anchor)
                assert article is not None, href
                quotes += article.find("blockquote") is not None and bool(article.find("blockquote").get_text(strip=True))
                seen |= {float(n) for n in number.findall(article.get_text(" "))}
            assert quotes, (folder.name, links)
            assert shown & seen, (folder.name, cells[:120], links)


def test_search_finds_every_study_page_that_reports_an_adverse_event(served, browser):
    from livingreview.curated.studies import load_studies, load_vocabulary

    vocabulary = load_vocabulary()
    hypertension = set(vocabulary.loc[vocabulary["harmonised_term"] == "Hypertension", "printed_term"])
    expected = {s.study_id for s in load_studies(paths.DATA_DIR)
                if s.table("adverse_events", as_typed=False)["term"].isin(hypertension).any()}
    assert len(expected) >= 3
    page = browser.new_page()
    page.goto(f"{served}/search.html?q=hypertension")
    page.wait_for_selector("#search-results ul.search li", timeout=20000)
    page.wait_for_timeout(1000)  # the results list grows as the index is read
    links = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
    found = {link.split("?")[0].rsplit("/", 1)[-1].removesuffix(".html") for link in links if "/studies/" in link}
    assert expected <= found, (expected, found)
    snippets = page.eval_on_selector_all("#search-results ul.search li p.context", "els => els.map(e => e.textContent)")
    assert snippets and not any(s.lstrip().startswith("{") for s in snippets), snippets[:2]
    page.close()


def test_mathjax_loads_only_on_pages_with_mathematics(site):
    with_math, loading = set(), set()
    for name in _pages(site):
        html = (site / name).read_text(encoding="utf-8")
        if 'class="math' in html:
            with_math.add(name)
        if re.search(r'<script[^>]+src="[^"]*_static/mathjax/', html):
            loading.add(name)
    assert with_math and loading == with_math


def test_one_search_field_on_every_page(site):
    """A wide screen shows the sidebar's search field only; a narrow one its search button."""
    for name in _pages(site):
        html = (site / name).read_text(encoding="utf-8")
        assert html.count("search-button-field") == 1, name


def test_every_page_is_within_its_weight_budget(site, browser):
    """Chromium weighs every page as `make bench` does: its first visit and a further page."""
    from livingreview.build.page_weight import page_weights, site_pages

    weights = {w.page: w for w in page_weights(site, browser=browser)}
    assert list(weights) == site_pages(site)
    front = weights["index.html"]
    assert front.first_visit_gzip > front.further_page_gzip > 0  # the theme is held after a first visit
    heavy = {name: w.over_budget() for name, w in weights.items() if w.over_budget()}
    assert not heavy, heavy
