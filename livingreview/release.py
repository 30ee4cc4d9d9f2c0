"""The review's release: its version is the newest release heading of ``CHANGELOG.md``.

Headings follow Keep a Changelog: ``## [1.2.0] - 2026-11-23``. An ``## [Unreleased]``
section above the newest release collects changes not yet released; when it lists anything,
the site says that it shows the newest release plus unreleased changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import paths

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


def release_version(changelog: Path = paths.CHANGELOG_FILE) -> ReleaseVersion:
    """Read the newest release from the changelog."""
    text = Path(changelog).read_text(encoding="utf-8")
    newest = RELEASE_HEADING.search(text)
    if newest is None:
        raise ChangelogError(f"{paths.relative_to_root(Path(changelog))}: no release heading "
                             "like '## [1.0.0] - 2026-01-31'")
    unreleased = UNRELEASED_HEADING.search(text, 0, newest.start())
    pending = bool(unreleased) and any(
        line.strip().startswith(("-", "*")) for line in text[unreleased.end():newest.start()].splitlines())
    return ReleaseVersion(newest["version"], newest["date"], pending)
