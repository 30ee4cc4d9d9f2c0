"""Compare two builds of the site: the results table and the text of every page.

A change that should not alter what readers see (moving code, renaming internals) is checked
by building before and after it and comparing the two build folders::

    python -m tests.compare_builds OLD_BUILD_DIR NEW_BUILD_DIR [--renamed OLD NEW ...]

Compared: ``results/results.csv`` byte for byte, and for every HTML page of the site its
visible text (navigation, headings, prose, tables, the alternative text of images) and the
text drawn inside each SVG figure it shows. Exits 0 when both are identical, else prints the
differences and exits 1. ``--renamed OLD NEW`` declares a text the change renames on purpose
(a module path a page cites): the old build's text is read with OLD replaced by NEW.
"""

from __future__ import annotations

import argparse
import base64
import difflib
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from bs4 import BeautifulSoup

# Pages Sphinx writes that are not the review's (the index of terms and the search form).
SKIPPED_PAGES = {"genindex.html", "search.html"}
# Elements that sit inside a line of text: their text joins the text around them, so that a
# value glued into a sentence reads as the sentence, whatever element carries it.
INLINE = ["a", "abbr", "b", "bdi", "cite", "code", "data", "em", "i", "kbd", "mark", "q", "s", "samp", "small",
          "span", "strong", "sub", "sup", "time", "u", "var"]


SVG_TEXT = "{http://www.w3.org/2000/svg}text"
SVG_DATA = "data:image/svg+xml;base64,"


def svg_text(svg: bytes) -> list[str]:
    """The text drawn in an SVG figure, one line per text element, in document order."""
    root = ElementTree.fromstring(svg)
    return [" ".join("".join(element.itertext()).split()) for element in root.iter(SVG_TEXT)
            if "".join(element.itertext()).strip()]


def figure_svg(page: Path, source: str) -> bytes | None:
    """The SVG of an image shown on a page: inline (a data URI) or a file of the site."""
    if source.startswith(SVG_DATA):
        return base64.b64decode(source[len(SVG_DATA):])
    if source.endswith(".svg") and ":" not in source:
        path = (page.parent / source).resolve()
        return path.read_bytes() if path.is_file() else b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    return None


def page_text(page: Path) -> list[str]:
    """The visible text of a page, one line per block, then its figures' alternative and drawn text."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    for hidden in soup(["script", "style", "noscript", "template"]):
        hidden.decompose()
    for inline in soup(INLINE):
        inline.unwrap()
    soup.smooth()
    lines = [" ".join(line.split()) for line in soup.get_text("\n").splitlines()]
    lines = [line for line in lines if line]
    for image in soup.find_all("img"):
        lines.append(f"[image] {image.get('alt', '')}")
        svg = figure_svg(page, image.get("src", ""))
        if svg is not None:
            lines += [f"[figure text] {text}" for text in svg_text(svg)]
    return lines


def site_pages(site: Path) -> dict[str, list[str]]:
    """The text of every page of a built site, by its path in the site."""
    return {page.relative_to(site).as_posix(): page_text(page)
            for page in sorted(site.rglob("*.html"))
            if page.name not in SKIPPED_PAGES and "_static" not in page.parts}


def compare(old_build: Path, new_build: Path, out=sys.stdout, renamed: list[tuple[str, str]] = ()) -> bool:
    """Print every difference between two build folders; True when there is none. ``renamed``:
    (old, new) texts replaced in the old build's pages before comparing."""
    same = True
    old_results = (old_build / "results" / "results.csv").read_bytes()
    new_results = (new_build / "results" / "results.csv").read_bytes()
    if old_results != new_results:
        same = False
        out.writelines(difflib.unified_diff(old_results.decode().splitlines(True), new_results.decode().splitlines(True),
                                            "old/results.csv", "new/results.csv"))
    old_pages, new_pages = site_pages(old_build / "html"), site_pages(new_build / "html")
    for old_text, new_text in renamed:
        old_pages = {name: [line.replace(old_text, new_text) for line in lines] for name, lines in old_pages.items()}
    for name in sorted(set(old_pages) | set(new_pages)):
        old, new = old_pages.get(name), new_pages.get(name)
        if old == new:
            continue
        same = False
        if old is None or new is None:
            print(f"{name}: only in the {'new' if old is None else 'old'} build", file=out)
            continue
        out.writelines(line + "\n" for line in difflib.unified_diff(old, new, f"old/{name}", f"new/{name}", lineterm=""))
    print(f"{len(new_pages)} pages and results.csv compared: {'identical' if same else 'they differ'}", file=out)
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old_build", type=Path, help="the build folder before the change (holds html/ and results/)")
    parser.add_argument("new_build", type=Path, help="the build folder after it")
    parser.add_argument("--renamed", nargs=2, action="append", default=[], metavar=("OLD", "NEW"),
                        help="a text renamed on purpose: OLD in the old build's pages reads as NEW")
    args = parser.parse_args(argv)
    return 0 if compare(args.old_build, args.new_build, renamed=[tuple(pair) for pair in args.renamed]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
