"""Recorded releases: what ``make release`` writes, what it refuses, and the release status a
build shows (a release, or a draft since one)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from livingreview.results.changes import Release
from livingreview.results.release import (ReleaseError, data_digest, record_release, recorded_releases,
                                  release_status, releases_dir)

from ..conftest import VALID_DATA

CHANGELOG = """# Changelog

## [Unreleased]

## [{version}] - {date}

### Added
- Something.
"""


def _changelog(folder: Path, version: str, date: str = "2026-12-01", unreleased: str = "") -> Path:
    path = folder / "CHANGELOG.md"
    text = CHANGELOG.format(version=version, date=date)
    if unreleased:
        text = text.replace("## [Unreleased]\n", f"## [Unreleased]\n\n- {unreleased}\n")
    path.write_text(text, encoding="utf-8")
    return path


def _built(repo: Path, version: str) -> Path:
    """A repository with fixture data and the published results of a build of them."""
    data = repo / "data"
    if not data.exists():
        shutil.copytree(VALID_DATA, data)
    results = repo / "_build" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "results.csv").write_text("scope,estimate\ndoe2024,1.5\n", encoding="utf-8")
    Release(version, ["doe2024"]).write(results / "release.json")
    (results / "data.sha256").write_text(data_digest(data) + "\n", encoding="utf-8")
    return results


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_release_is_recorded_beside_the_data_with_results_and_manifest(tmp_path):
    results = _built(tmp_path, "0.3.0")
    recorded = record_release(tmp_path / "data", results, search_date="2026-11-30",
                              changelog=_changelog(tmp_path, "0.3.0", "2026-12-01"))
    assert recorded.folder == releases_dir(tmp_path / "data") / "0.3.0" == (tmp_path / "releases" / "0.3.0").resolve()
    assert sorted(_tree(tmp_path / "releases")) == ["0.3.0/release.json", "0.3.0/results.csv"]
    manifest = json.loads((recorded.folder / "release.json").read_text(encoding="utf-8"))
    assert manifest == {"version": "0.3.0", "date": "2026-12-01", "data_digest": data_digest(tmp_path / "data"),
                        "search_date": "2026-11-30", "studies": ["doe2024"]}
    assert recorded.results.read_bytes() == (results / "results.csv").read_bytes()
    assert [r.version for r in recorded_releases(tmp_path / "releases")] == ["0.3.0"]


def test_an_existing_release_is_never_overwritten(tmp_path):
    results = _built(tmp_path, "0.3.0")
    changelog = _changelog(tmp_path, "0.3.0")
    record_release(tmp_path / "data", results, changelog=changelog)
    before = _tree(tmp_path / "releases")
    (results / "results.csv").write_text("scope,estimate\ndoe2024,9.9\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match="already recorded"):
        record_release(tmp_path / "data", results, changelog=changelog)
    assert _tree(tmp_path / "releases") == before


@pytest.mark.parametrize("problem, match", [
    ("unreleased", "Unreleased"),
    ("other_version", "not of the current data and release"),
    ("data_edited", "not of the current data and release"),
    ("no_build", "no successful build"),
])
def test_a_release_is_refused_unless_the_last_build_is_of_the_current_data(tmp_path, problem, match):
    results = _built(tmp_path, "0.2.0" if problem == "other_version" else "0.3.0")
    changelog = _changelog(tmp_path, "0.3.0", unreleased="A change." if problem == "unreleased" else "")
    if problem == "data_edited":
        (tmp_path / "data" / "review.yaml").write_text(
            (tmp_path / "data" / "review.yaml").read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    if problem == "no_build":
        shutil.rmtree(results)
    with pytest.raises(ReleaseError, match=match):
        record_release(tmp_path / "data", results, changelog=changelog)
    assert not (tmp_path / "releases").exists() or not any((tmp_path / "releases").iterdir())


def test_the_status_is_a_release_only_when_data_and_results_are_the_newest_releases(tmp_path):
    results = _built(tmp_path, "0.1.0")
    record_release(tmp_path / "data", results, changelog=_changelog(tmp_path, "0.1.0", "2026-10-01"))
    _built(tmp_path, "0.2.0")
    record_release(tmp_path / "data", results, changelog=_changelog(tmp_path, "0.2.0", "2026-11-01"))
    releases = recorded_releases(tmp_path / "releases")
    assert [r.version for r in releases] == ["0.1.0", "0.2.0"]
    digest = data_digest(tmp_path / "data")
    assert release_status(releases, digest, results / "results.csv").label == "Release 0.2.0 (2026-11-01)"
    assert release_status(releases, "other", results / "results.csv").label == \
        "Draft since release 0.2.0 (2026-11-01)"
    (results / "results.csv").write_text("scope,estimate\ndoe2024,2.5\n", encoding="utf-8")
    assert not release_status(releases, digest, results / "results.csv").is_release
    assert release_status([], digest).label == "Draft: no release recorded yet"


def test_versions_sort_as_numbers_not_text(tmp_path):
    for version in ("0.9.0", "0.10.0", "0.2.0"):
        folder = tmp_path / "releases" / version
        folder.mkdir(parents=True)
        (folder / "release.json").write_text(json.dumps({"version": version, "date": "2026-01-01",
                                                         "data_digest": "x"}), encoding="utf-8")
    assert [r.version for r in recorded_releases(tmp_path / "releases")] == ["0.2.0", "0.9.0", "0.10.0"]
