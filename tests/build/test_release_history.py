"""The living review's history on a fresh clone: releases recorded in the repository, then a
cold build that compares with the newest of them."""

from __future__ import annotations

import re
import shutil

import pytest

from livingreview.build.book import build_book

from ..conftest import edit_csv
from .book_fixture import article

pytestmark = pytest.mark.slow


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
    assert re.search(r"<td[^>]*>8\.5 \(6\.6 to 10\.2\)</td>\s*<td[^>]*>8\.7 \(6\.6 to 10\.2\)</td>", changed), \
        "the move since release 0.2.0, not since 0.1.0"
    assert "8.4 (6.6 to 10.2)" not in changed
    # Both releases are listed, newest first, each with its results to download.
    assert changed.index(">0.2.0</td>") < changed.index(">0.1.0</td>")
    assert "First recorded release." in changed
    for version in ("0.1.0", "0.2.0"):
        assert f'href="releases/{version}/results.csv"' in changed
        assert (fresh / "html" / "releases" / version / "results.csv").read_bytes() == \
            (repo / "releases" / version / "results.csv").read_bytes()
    index = (fresh / "html" / "index.html").read_text(encoding="utf-8")
    assert "Draft since release 0.2.0 (2026-11-01)." in index  # the footer
    # The status line says it in the footer's words (one source for the release status).
    assert '<span class="lr-status-item">Draft since release 0.2.0 (2026-11-01)</span>' in index
    assert "This site: Draft since release 0.2.0 (2026-11-01)." in (fresh / "html" / "changelog.html").read_text(
        encoding="utf-8").replace("<strong>", "").replace("</strong>", "")
