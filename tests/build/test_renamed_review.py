"""The engine is apart from the review it carries: the review's own data, with its
intervention renamed, build into a site that never names the old one."""

from __future__ import annotations

import pytest

from livingreview import paths
from livingreview.build.book import build_book
from livingreview.curated.review import load_intervention

from ..another_intervention import other_intervention_named, renamed_review
from ..compare_builds import site_pages

pytestmark = pytest.mark.slow


def test_the_review_with_its_intervention_renamed_builds_and_no_page_says_the_old_name(tmp_path):
    """The engine is apart from the review: the review's own data, with the intervention renamed
    throughout data/ (files and folder names), validate and build, and no page names the
    intervention of data/review.yaml any more."""
    old = load_intervention(paths.DATA_DIR).name
    data = renamed_review(paths.DATA_DIR, tmp_path / "data", old, "examplinib")
    report = build_book(data, tmp_path / "build", log=lambda *_: None)
    assert "Examplinib" in " ".join(site_pages(report.site)["synthesis/safety.html"])
    assert not other_intervention_named(report.site, old)
