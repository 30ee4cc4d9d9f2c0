"""Digests of what a build reads: the package code, and the data as they were when the build
started (:class:`DataSnapshot`), against which what each run read is compared."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .. import paths


def add_to_digest(digest, name: str, content: bytes) -> None:
    """Add a named piece of content to a running digest."""
    digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())


def _code_files() -> list[Path]:
    return sorted(paths.PACKAGE_DIR.rglob("*.py")) + [paths.REQUIREMENTS_FILE]


def code_digest() -> str:
    """Digest of the package code and the pinned requirements (an input of every run)."""
    digest = hashlib.sha256()
    for path in _code_files():
        add_to_digest(digest, path.relative_to(paths.PROJECT_ROOT).as_posix(), path.read_bytes())
    return digest.hexdigest()


class DataSnapshot:
    """Digests of every file and folder listing under the data folder, taken once per build
    (before anything executes), against which recorded reads are compared."""

    ABSENT = "absent"

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.files: dict[str, str] = {}
        self.listings: dict[str, str] = {}
        for folder, subfolders, names in os.walk(self.data_dir):
            relative = Path(folder).relative_to(self.data_dir).as_posix()
            entries = sorted(subfolders) + sorted(names)
            self.listings[relative] = hashlib.sha256("\n".join(entries).encode()).hexdigest()
            for name in names:
                key = name if relative == "." else f"{relative}/{name}"
                self.files[key] = hashlib.sha256((Path(folder) / name).read_bytes()).hexdigest()

    def dependencies(self, opened: list[str], listed: list[str]) -> dict[str, dict[str, str]]:
        """The digests a run's result depends on: the files it opened, the folders it listed,
        and the folders it opened files in (a file added next to them may be one it looks
        for, e.g. an optional table)."""
        folders = set(listed) | {str(Path(path).parent.as_posix()) for path in opened}
        return {"opened": {path: self.files.get(path, self.ABSENT) for path in sorted(opened)},
                "listed": {folder: self.listings.get(folder, self.ABSENT) for folder in sorted(folders)}}

    def unchanged(self, dependencies: dict[str, dict[str, str]]) -> bool:
        """Whether every file and listing in ``dependencies`` has the digest recorded there."""
        return (all(self.files.get(path, self.ABSENT) == digest
                    for path, digest in dependencies.get("opened", {}).items())
                and all(self.listings.get(folder, self.ABSENT) == digest
                        for folder, digest in dependencies.get("listed", {}).items()))

    def changed(self, dependencies: dict[str, dict[str, str]]) -> list[str]:
        """The recorded files (first) and folder listings (then, with a trailing slash) whose
        digests differ here: exactly what makes :meth:`unchanged` false."""
        files = [path for path, digest in dependencies.get("opened", {}).items()
                 if self.files.get(path, self.ABSENT) != digest]
        folders = [folder + "/" for folder, digest in dependencies.get("listed", {}).items()
                   if self.listings.get(folder, self.ABSENT) != digest]
        return files + folders
