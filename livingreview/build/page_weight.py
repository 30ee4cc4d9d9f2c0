"""Page weight: what a reader's browser downloads to show each page of a built site.

Chromium (headless, driven by Playwright) opens every page of the site on a phone's screen,
over http from a local server, and records two weights per page:

- **first visit**: every file the page loads (its HTML, style sheets, scripts, fonts, images,
  the search index), all downloaded, as by a browser with an empty cache;
- **further page**: what the page downloads when the browser already holds what the pages of
  the book share (the theme's style sheets, scripts and fonts, and the search index, which
  pydata-sphinx-theme loads on every page): the files the search page loads, which are those
  and nothing else.

One visit of each page measures both. The server answers the search page's files as a static
host does (``Cache-Control: max-age``), so that the browser keeps them, and forbids keeping
anything else (``no-store``). The search page is opened first; then every file a page asks for,
whether the browser takes it from its cache or not, belongs to its first visit, and every file
that reaches the server belongs to its further visit.

Each file is weighed as stored and gzip-compressed, as a static host such as GitHub Pages sends
HTML, CSS, JavaScript, SVG and JSON (fonts and raster images are compressed already and are sent
as stored). HTTP headers are not counted, nor the page icon, which the browser fetches on its own
schedule.
"""

from __future__ import annotations

import functools
import gzip
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# What one page may cost a reader on a phone, in kB (1000 bytes) sent gzip-compressed: a first
# visit downloads the theme with the page, a further page only what the theme does not hold.
FIRST_VISIT_BUDGET_KB = 1500
FURTHER_PAGE_BUDGET_KB = 300

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-gpu"]
# A phone's screen: the figure a <picture> or srcset offers for this screen is the one weighed.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "color_scheme": "light"}
# The page whose files stand for what the pages share (see the module's docstring).
SHARED_FILES_PAGE = "search.html"
COMPRESSED = {".html", ".css", ".js", ".mjs", ".svg", ".json", ".txt", ".xml", ".csv", ".map"}
# A page has settled when nothing was asked of the server for this long (seconds).
QUIET_S = 0.05
# Run in the page once it has loaded: images a page loads lazily are loaded now (a reader who
# scrolls down gets them all), and MathJax, which fetches its fonts only after it has
# typeset the page (after the load event), has finished.
SETTLE_SCRIPT = """async () => {
  document.querySelectorAll('img[loading="lazy"]').forEach(img => { img.loading = 'eager'; });
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  document.body.getBoundingClientRect();
  await document.fonts.ready;
}"""

ICONS_SCRIPT = "() => Array.from(document.querySelectorAll('link[rel~=icon]'), link => link.href)"


@dataclass(frozen=True)
class PageWeight:
    """One page's weights in bytes, as stored and gzip-compressed."""

    page: str
    first_visit: int
    first_visit_gzip: int
    further_page: int
    further_page_gzip: int

    def over_budget(self) -> list[str]:
        """What exceeds its budget, said in words; empty when the page is within both."""
        found = []
        for name, size, budget in (("first visit", self.first_visit_gzip, FIRST_VISIT_BUDGET_KB),
                                   ("further page", self.further_page_gzip, FURTHER_PAGE_BUDGET_KB)):
            if size > budget * 1000:
                found.append(f"{name} {size / 1000:.0f} kB > {budget} kB")
        return found


def check_chromium() -> None:
    """Raise if the browser that weighs pages is not installed."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"weighing pages needs Chromium at {CHROMIUM} (apt-get install chromium)")


def site_pages(site: Path) -> list[str]:
    """Every page of a built site (the book's pages and the data views), as paths from its root."""
    return sorted(p.relative_to(site).as_posix() for p in Path(site).rglob("*.html")
                  if p.relative_to(site).parts[0] not in ("_static", "_sources", "_images"))


def file_sizes(path: Path) -> tuple[int, int]:
    """A file's size as stored and as a static host sends it (gzip-compressed if it is text)."""
    data = path.read_bytes()
    return len(data), len(gzip.compress(data, compresslevel=6)) if path.suffix in COMPRESSED else len(data)


class _Server(ThreadingHTTPServer):
    """The site over http, noting what it sends and letting browsers keep only ``cached``."""

    daemon_threads = True

    def __init__(self, site: Path):
        super().__init__(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
        self.lock = threading.Lock()
        self.sent: list[str] = []
        self.cached: set[str] = set()
        self.in_flight = 0
        self.last_request = time.monotonic()

    def handle_error(self, request, client_address):
        pass  # a request the browser gave up (a new page opened meanwhile) is no error of the site

    def quiet(self) -> bool:
        with self.lock:
            return self.in_flight == 0 and time.monotonic() - self.last_request > QUIET_S


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # what is sent is recorded in server.sent
        pass

    def handle_one_request(self):
        with self.server.lock:
            self.server.in_flight += 1
        try:
            super().handle_one_request()
        finally:
            with self.server.lock:
                self.server.in_flight -= 1
                self.server.last_request = time.monotonic()

    def send_head(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        with self.server.lock:
            self.server.sent.append(path)
        return super().send_head()

    def end_headers(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        self.send_header("Cache-Control", "max-age=600" if path in self.server.cached else "no-store")
        super().end_headers()


class _Scale:
    """Weighs sets of files of a site, each file read and compressed once."""

    def __init__(self, site: Path):
        self.site = site
        self.sizes: dict[str, tuple[int, int]] = {}

    def weigh(self, paths: set[str]) -> tuple[int, int]:
        for path in paths - self.sizes.keys():
            file = self.site / path.lstrip("/")
            file = file / "index.html" if file.is_dir() else file
            self.sizes[path] = file_sizes(file) if file.is_file() else (0, 0)
        return sum(self.sizes[p][0] for p in paths), sum(self.sizes[p][1] for p in paths)


def page_weights(site: Path, browser=None, pages: list[str] | None = None) -> list[PageWeight]:
    """Every page's weights (or those of ``pages``), measured by Chromium on ``site``; a
    Playwright ``browser`` is used if given, else Chromium is started and closed."""
    site = Path(site).resolve()
    pages = site_pages(site) if pages is None else pages
    server = _Server(site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        if browser is not None:
            return _measure(site, browser, base, server, pages)
        from playwright.sync_api import sync_playwright

        check_chromium()
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                  args=CHROMIUM_FLAGS)
            try:
                return _measure(site, chromium, base, server, pages)
            finally:
                chromium.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _measure(site: Path, browser, base: str, server: _Server, pages: list[str]) -> list[PageWeight]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    def visit(name: str) -> tuple[set[str], set[str]]:
        asked.clear()
        with server.lock:
            server.sent.clear()
        response = page.goto(f"{base}/{urllib.parse.quote(name)}", wait_until="load")
        if response is None or not response.ok:
            raise RuntimeError(f"{name}: the page did not load ({response and response.status})")
        page.evaluate(SETTLE_SCRIPT)
        while not server.quiet():
            time.sleep(0.01)
        page.wait_for_timeout(1)  # the browser's last request events reach this process
        # Inline data (figures drawn in the page) is part of the HTML, already weighed.
        outside = sorted(u for u in asked if not u.startswith((base, "data:", "blob:")))
        if outside:
            raise RuntimeError(f"{name} loads files from another host, which cannot be weighed here: {outside}")
        # The page icon is asked for by the browser on its own schedule, in this page or the next.
        icons = set(page.evaluate(ICONS_SCRIPT)) | {f"{base}/favicon.ico"}
        files = {urllib.parse.unquote(urllib.parse.urlsplit(u).path) for u in asked
                 if u.startswith(base) and u not in icons}
        with server.lock:
            sent = set(server.sent) & files
        return files, sent

    scale = _Scale(site)
    try:
        shared, _ = visit(SHARED_FILES_PAGE)
        with server.lock:
            server.cached = shared - {f"/{SHARED_FILES_PAGE}"}
        visit(SHARED_FILES_PAGE)  # the browser now holds them
        weights = []
        for name in pages:
            files, sent = visit(name)
            weights.append(PageWeight(name, *scale.weigh(files), *scale.weigh(sent)))
        return weights
    finally:
        context.close()


def weight_table(weights: list[PageWeight]) -> list[dict]:
    """The rows the "Build performance" page shows: the heaviest first visits first, in kB."""
    def kb(size: int) -> float:
        return round(size / 1000, 1)

    return [{"page": w.page,
             f"first visit, kB (budget {FIRST_VISIT_BUDGET_KB})": kb(w.first_visit_gzip),
             f"further page, kB (budget {FURTHER_PAGE_BUDGET_KB})": kb(w.further_page_gzip),
             "first visit, kB as stored": kb(w.first_visit),
             "further page, kB as stored": kb(w.further_page),
             "within budgets": "no" if w.over_budget() else "yes"}
            for w in sorted(weights, key=lambda w: (-w.first_visit_gzip, -w.further_page_gzip, w.page))]
