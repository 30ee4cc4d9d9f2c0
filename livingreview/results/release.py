"""The review's release: its version is the newest release heading of ``CHANGELOG.md``.

Headings follow Keep a Changelog: ``## [1.2.0] - 2026-11-23``. An ``## [Unreleased]``
section above the newest release collects changes not yet released; when it lists anything,
the site says that it shows the newest release plus unreleased changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import paths

RELEASE_HEADING = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+)\] - (?P<date>\d{4}-\d{2}-\d{2})\s*$", re.M)
UNRELEASED_HEADING = re.compile(r"^## \[Unreleased\]\s*$", re.M)


class ChangelogError(Exception):
    """CHANGELOG.md has no release heading the version can be read from."""


@dataclass(frozen=True)
class ReleaseVersion:
    """The newest release, and whether unreleased changes are listed above it."""

    version: str
    date: str
    unreleased_changes: bool

    @property
    def label(self) -> str:
        """How the site names the release, e.g. ``1.2.0 (2026-11-23)``."""
        text = f"{self.version} ({self.date})"
        return text + " with unreleased changes" if self.unreleased_changes else text


def release_version(changelog: Path | None = None) -> ReleaseVersion:
    """Read the newest release from the changelog (default: the project's CHANGELOG.md)."""
    changelog = paths.CHANGELOG_FILE if changelog is None else changelog
    text = Path(changelog).read_text(encoding="utf-8")
    newest = RELEASE_HEADING.search(text)
    if newest is None:
        raise ChangelogError(f"{paths.relative_to_root(Path(changelog))}: no release heading "
                             "like '## [1.0.0] - 2026-01-31'")
    unreleased = UNRELEASED_HEADING.search(text, 0, newest.start())
    pending = bool(unreleased) and any(
        line.strip().startswith(("-", "*")) for line in text[unreleased.end():newest.start()].splitlines())
    return ReleaseVersion(newest["version"], newest["date"], pending)


# ----------------------------------------------------------------------------- recorded releases
#
# A release is recorded in the repository, beside the data folder, as ``releases/<version>/``:
# the results table the site of that release showed and a manifest (release, date, data
# digest, search date, studies). The folder is append-only: a release is never overwritten, so
# a build on a fresh clone can tell its readers what changed since the last release.

RELEASES_DIRNAME = "releases"
MANIFEST_NAME = "release.json"  # the same file name (and keys) a build writes beside its results
DATA_DIGEST_FILE_NAME = "data.sha256"  # beside a build's published results: the data they came from


class ReleaseError(Exception):
    """A release cannot be recorded; the message says why."""


def releases_dir(data_dir: Path = paths.DATA_DIR) -> Path:
    """Where a review's releases are recorded: ``releases/`` beside its data folder."""
    return Path(data_dir).resolve().parent / RELEASES_DIRNAME


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def data_digest(data_dir: Path) -> str:
    """SHA-256 over every file under the data folder (relative path and content), so that two
    builds from the same data have the same digest wherever they run."""
    import hashlib

    digest = hashlib.sha256()
    root = Path(data_dir)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return digest.hexdigest()


@dataclass(frozen=True)
class RecordedRelease:
    """One release recorded under ``releases/``."""

    version: str
    date: str
    data_digest: str
    search_date: str
    studies: tuple[str, ...]
    folder: Path

    @property
    def results(self) -> Path:
        return self.folder / paths.RESULTS_FILE_NAME

    @property
    def label(self) -> str:
        return f"{self.version} ({self.date})"


def read_release(folder: Path) -> RecordedRelease:
    """The release recorded in ``folder``; a ReleaseError when its manifest is unreadable."""
    import json

    manifest = Path(folder) / MANIFEST_NAME
    try:
        content = json.loads(manifest.read_text(encoding="utf-8"))
        return RecordedRelease(str(content["version"]), str(content["date"]), str(content["data_digest"]),
                               str(content.get("search_date") or ""), tuple(content.get("studies", [])),
                               Path(folder))
    except (OSError, ValueError, KeyError) as exc:
        raise ReleaseError(f"{paths.relative_to_root(manifest)}: not a readable release manifest ({exc})") from exc


def recorded_releases(folder: Path | None) -> list[RecordedRelease]:
    """Every release recorded in ``folder``, oldest first (by version number)."""
    if folder is None or not Path(folder).is_dir():
        return []
    found = [read_release(sub) for sub in Path(folder).iterdir()
             if sub.is_dir() and re.fullmatch(r"\d+\.\d+\.\d+", sub.name)]
    return sorted(found, key=lambda r: _version_key(r.version))


@dataclass(frozen=True)
class ReleaseStatus:
    """Whether a build is a recorded release or a draft since one."""

    latest: RecordedRelease | None  # the newest recorded release
    is_release: bool  # this build's data and results are those of ``latest``

    @property
    def label(self) -> str:
        """How the footer and the changelog page name the build."""
        if self.latest is None:
            return "Draft: no release recorded yet"
        if self.is_release:
            return f"Release {self.latest.label}"
        return f"Draft since release {self.latest.label}"


def release_status(releases: list[RecordedRelease], digest: str, results: Path | None = None) -> ReleaseStatus:
    """The status of a build from data with ``digest`` (and, when given, results table
    ``results``): a release when both equal the newest recorded release's."""
    if not releases:
        return ReleaseStatus(None, False)
    latest = releases[-1]
    same = digest == latest.data_digest and (
        results is None or (Path(results).is_file() and Path(results).read_bytes() == latest.results.read_bytes()))
    return ReleaseStatus(latest, same)


def record_release(data_dir: Path, results_dir: Path, search_date: str = "",
                   changelog: Path | None = None, folder: Path | None = None) -> RecordedRelease:
    """Record the release named by the newest changelog heading from a build's published
    results (``results_dir``: its results.csv and release.json).

    Refuses when the release exists, when the changelog still lists unreleased changes, or
    when the build is not of the current data and release. Writes only inside the new
    release's folder (staged beside it, then renamed into place)."""
    import json
    import os
    import shutil

    version = release_version(changelog)
    if version.unreleased_changes:
        raise ReleaseError(f"{paths.relative_to_root(Path(changelog or paths.CHANGELOG_FILE))}: the [Unreleased] "
                           "section lists changes; "
                           "move them under a new release heading first")
    folder = Path(folder) if folder is not None else releases_dir(data_dir)
    target = folder / version.version
    if target.exists():
        raise ReleaseError(f"release {version.version} is already recorded in {paths.relative_to_root(target)}; "
                           "a release is never overwritten: add a new heading to the changelog")
    results_dir = Path(results_dir)
    try:
        built = json.loads((results_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        built_digest = (results_dir / DATA_DIGEST_FILE_NAME).read_text(encoding="utf-8").strip()
    except (OSError, ValueError) as exc:
        raise ReleaseError(f"no successful build to release in {paths.relative_to_root(results_dir)}: "
                           "run `make book` first") from exc
    digest = data_digest(data_dir)
    if built.get("version") != version.version or built_digest != digest:
        raise ReleaseError("the last build is not of the current data and release "
                           f"{version.version}: run `make book` first")
    staging = folder / f".{version.version}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    shutil.copy2(results_dir / paths.RESULTS_FILE_NAME, staging / paths.RESULTS_FILE_NAME)
    manifest = {"version": version.version, "date": version.date, "data_digest": digest,
                "search_date": search_date, "studies": sorted(built.get("studies", []))}
    (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    os.replace(staging, target)
    return read_release(target)
