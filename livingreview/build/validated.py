"""Study folders that passed validation in an earlier build, so that a build validates only
the folders that changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import paths
from .digests import DataSnapshot
from .plan import BuildLayout


class ValidatedStudies:
    """Study folders that passed validation, each with the digest of everything it was checked
    against: its own files, the data outside the study folders (vocabularies, review), the
    schemas and dictionary, and the code. A folder whose digest is unchanged is not validated
    again; the file lives in the build cache and is written only after a valid build."""

    def __init__(self, layout: BuildLayout, snapshot: DataSnapshot, code: str):
        self.file = layout.cache / "validated.json"
        self.snapshot = snapshot
        shared = hashlib.sha256(code.encode())
        for path, digest in sorted(snapshot.files.items()):
            if not path.startswith(paths.STUDIES_DIRNAME + "/"):
                shared.update(f"{path}\0{digest}\n".encode())
        for path in sorted(paths.DATA_DIR.glob("*.yaml")):  # schemas and dictionary (project's own)
            shared.update(path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
        self.shared = shared.hexdigest()
        self._digests: dict[str, str] = {}
        try:
            self.passed = json.loads(self.file.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            self.passed = {}

    def digest(self, folder: Path) -> str:
        """The digest of everything the study folder was checked against."""
        name = Path(folder).name
        if name not in self._digests:  # asked once to compare and once to save
            prefix = f"{paths.STUDIES_DIRNAME}/{name}/"
            digest = hashlib.sha256(self.shared.encode())
            for path, file_digest in sorted(self.snapshot.files.items()):
                if path.startswith(prefix):
                    digest.update(f"{path}\0{file_digest}\n".encode())
            self._digests[name] = digest.hexdigest()
        return self._digests[name]

    def unchanged(self, folder: Path) -> bool:
        """Whether the folder passed validation with everything it is checked against as it is now."""
        return self.passed.get(Path(folder).name) == self.digest(folder)

    def save(self, folders: list[Path]) -> None:
        """Record ``folders`` as passed (after a valid build)."""
        self.file.parent.mkdir(parents=True, exist_ok=True)
        passed = {Path(folder).name: self.digest(folder) for folder in folders}
        self.file.write_text(json.dumps(passed, indent=1, sort_keys=True) + "\n", encoding="utf-8")
