"""The fixture book the build tests share: the fixture review with a second study and markup
in a title and a quote, and helpers to read what a build published.

The fixture data hold two made-up studies; one study's title and one quote carry HTML
markup, which must reach the page as text.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import zipfile
from pathlib import Path

from livingreview.build.book import build_book

from ..conftest import FIXTURES, VALID_DATA, edit_csv

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

MARKUP_TITLE = 'Doe 2024 <script>window.__injected = 1</script> & <b>bold</b>'

MARKUP_QUOTE = '<img src="x" onerror="window.__injected = 2">2 (5.3%) complete responses'

SECOND_STUDY = "roe2025"

# A filled copy of what `new-study` writes: the study a maintainer adds with data files only.
NEW_STUDY = FIXTURES / "new_study" / "poe2026"

# A made-up randomised, double-blind, placebo-controlled trial of anlotinib alone in a setting
# the fixture review has no study in: added by data only, then removed.
RANDOMISED_STUDY = FIXTURES / "new_study" / "rct2027"


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


def article(page: Path) -> str:
    """A page's content without the navigation (which lists every study on every page)."""
    text = page.read_text(encoding="utf-8")
    return text.split('<article class="bd-article"')[1].split("</article>")[0]


def page_text(page: Path) -> str:
    """A page's content as a reader reads it: no tags, entities decoded, spaces folded."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", article(page))).split())
    return re.sub(r"\(\s+", "(", re.sub(r"\s+([.,;:)])", r"\1", text))


def data_package(site: Path) -> dict[str, bytes]:
    """The files of the site's downloadable data package, by name."""
    (package,) = site.glob("_downloads/*/curated-data.zip")
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def built_copy(book, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the fixture book's data and build, brought up to date after the other tests' edits."""
    original_data, original_build, _ = book
    data, build = tmp_path / "data", tmp_path / "build"
    shutil.copytree(original_data, data)
    shutil.copytree(original_build, build)
    build_book(data, build, jobs=2, log=lambda *_: None)
    return data, build
