"""This build's results table: staged beside the published one, the baseline the "What
changed" page compares it with (a recorded release, or the previous build), and its
publication with the site.

The release is the newest heading of CHANGELOG.md; the recorded releases live beside the data
folder (:mod:`livingreview.results.release`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .. import paths
from ..curated.studies import load_studies
from ..results.changes import Release
from ..results.release import (DATA_DIGEST_FILE_NAME, ChangelogError, ReleaseError, recorded_releases,
                               release_version, releases_dir)
from ..results.table import combine_results, write_results
from .plan import BuildError, BuildLayout, Run


def stage_results(runs: list[Run], data_dir: Path, layout: BuildLayout, version: str) -> Path:
    """Write this build's results table and release file to the staging folder; returns it."""
    staged = layout.staged_results
    if staged.exists():
        shutil.rmtree(staged)
    staged.mkdir(parents=True)
    write_results(combine_results([layout.executed / run.results_name for run in runs]),
                  staged / paths.RESULTS_FILE_NAME)
    studies = load_studies(data_dir)
    Release(version, [s.study_id for s in studies], names={s.study_id: s.name for s in studies}).write(
        staged / paths.RELEASE_FILE_NAME)
    return staged


def current_release():
    """The review's release (newest heading of CHANGELOG.md); a BuildError when unreadable."""
    try:
        return release_version()
    except (ChangelogError, FileNotFoundError) as exc:
        raise BuildError(str(exc)) from exc


def recorded(data_dir: Path) -> list:
    """The releases recorded beside the data folder; a BuildError when one is unreadable."""
    try:
        return recorded_releases(releases_dir(data_dir))
    except ReleaseError as exc:
        raise BuildError(str(exc)) from exc


def release_baseline(layout: BuildLayout, releases: list, status) -> Path | None:
    """What "What changed" compares with: with releases recorded, the newest one (or, when
    this build is that release, the one before it); without, the local previous build."""
    if not releases:
        return comparison_baseline(layout)
    if status.is_release:
        return releases[-2].folder if len(releases) > 1 else None
    return releases[-1].folder


def _same_results(a: Path, b: Path) -> bool:
    return all((a / name).is_file() and (b / name).is_file()
               and (a / name).read_bytes() == (b / name).read_bytes()
               for name in (paths.RESULTS_FILE_NAME, paths.RELEASE_FILE_NAME))


def comparison_baseline(layout: BuildLayout) -> Path | None:
    """The results the "What changed" page compares with: the published build's when they
    differ from this build's, else the ones that build itself was compared with (so that a
    rebuild without changes keeps the page); None before the first publication."""
    published = layout.published_results
    if not (published / paths.RESULTS_FILE_NAME).is_file():
        return None
    if not _same_results(published, layout.staged_results):
        return published
    previous = layout.previous_results
    return previous if (previous / paths.RESULTS_FILE_NAME).is_file() else None


def publish_results(layout: BuildLayout, baseline: Path | None, digest: str = "") -> None:
    """Publish the staged results; the results they replace become the comparison baseline.
    ``digest`` (of the data they were built from) is written beside them for `make release`;
    it is not part of the staged results, so that an edit no statistic reads (a note) does
    not re-execute the pages comparing results."""
    published, previous = layout.published_results, layout.previous_results
    published.mkdir(parents=True, exist_ok=True)
    if baseline == published:
        previous.mkdir(parents=True, exist_ok=True)
        for name in (paths.RESULTS_FILE_NAME, paths.RELEASE_FILE_NAME):
            if (published / name).is_file():
                os.replace(published / name, previous / name)
            else:
                (previous / name).unlink(missing_ok=True)
    for name in (paths.RESULTS_FILE_NAME, paths.RELEASE_FILE_NAME):
        os.replace(layout.staged_results / name, published / name)
    (published / DATA_DIGEST_FILE_NAME).write_text(digest + "\n", encoding="utf-8")
