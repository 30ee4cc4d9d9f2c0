"""A review of another intervention: the review's own data with the intervention renamed
throughout, and a check that a built site never names a given intervention.

Two pages are left out of the check because they show this repository's own history and
measurements, not the review's data: the changelog (``CHANGELOG.md``) and the Build performance
page (``book/performance/``, measured by ``make bench`` on this review).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .compare_builds import site_pages

# Pages whose text is the repository's, not the review's (see the module docstring).
REPOSITORY_PAGES = {"changelog.html", "performance.html"}


def renamed_review(source: Path, target: Path, old: str, new: str) -> Path:
    """A copy of the data folder ``source`` in which the intervention ``old`` is ``new``
    everywhere: in every file's text (lower case and capitalised) and in file and folder names."""
    shutil.copytree(source, target)
    for path in sorted(target.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            renamed = text.replace(old, new).replace(old.capitalize(), new.capitalize())
            if renamed != text:
                path.write_text(renamed, encoding="utf-8")
        if old in path.name:
            path.rename(path.with_name(path.name.replace(old, new)))
    return target


def other_intervention_named(site: Path, name: str) -> dict[str, list[str]]:
    """The lines of every page of ``site`` (but :data:`REPOSITORY_PAGES`) that name ``name``,
    by page; empty when none does."""
    pattern = re.compile(re.escape(name), re.IGNORECASE)
    return {page: hits for page, lines in site_pages(site).items() if page not in REPOSITORY_PAGES
            if (hits := [line for line in lines if pattern.search(line)])}
