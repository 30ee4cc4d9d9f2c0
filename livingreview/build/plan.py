"""What a build is made of: its folders, and one run per page a notebook makes.

Every notebook under ``notebooks/`` declares in its metadata (key ``livingreview``) where its
page goes; a notebook marked ``per_study`` is run once per study folder, one marked
``compares_results`` runs after the others on their combined results, and one marked
``reads_releases`` shows the release status (:func:`plan_runs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import paths
from ..curated.studies import study_folders

METADATA_KEY = "livingreview"
CACHE_DIRNAME = "cache"
SOURCE_DIRNAME = "site-source"


class BuildError(Exception):
    """A build step failed; the message says which and why."""


@dataclass
class Run:
    """One execution of a notebook: the page it makes and what it depends on."""

    key: str  # page path in the site, without suffix, e.g. "studies/li2022"
    notebook: Path
    parameters: dict = field(default_factory=dict)
    label: str = ""  # how messages name the run, e.g. "study li2022"
    # Runs after the others, on their combined results (the "What changed" page).
    compares_results: bool = False
    # Folders passed to the notebook as paths relative to it (so not part of the run's identity);
    # their files' contents are inputs of the run.
    folder_parameters: dict[str, Path | None] = field(default_factory=dict)
    # Shows the release status: the recorded releases and the changelog are its inputs.
    reads_releases: bool = False

    @property
    def executed_name(self) -> str:
        return self.key + ".ipynb"

    @property
    def results_name(self) -> str:
        return self.key + ".results.csv"

    @property
    def reads_name(self) -> str:
        return self.key + ".reads.tsv"


@dataclass
class BuildLayout:
    """Folders of one build."""

    build_dir: Path

    @property
    def cache(self) -> Path:
        return self.build_dir / CACHE_DIRNAME

    @property
    def executed(self) -> Path:
        return self.cache / "executed"

    @property
    def failed(self) -> Path:
        return self.cache / "failed"

    @property
    def manifest(self) -> Path:
        return self.cache / "manifest.json"

    @property
    def source(self) -> Path:
        return self.build_dir / SOURCE_DIRNAME

    @property
    def site(self) -> Path:
        return self.build_dir / paths.SITE_DIRNAME

    @property
    def results(self) -> Path:
        return self.published_results / paths.RESULTS_FILE_NAME

    @property
    def published_results(self) -> Path:
        """The published build's results.csv and release.json."""
        return self.build_dir / paths.RESULTS_DIRNAME

    @property
    def previous_results(self) -> Path:
        """The results of the last published build whose results differed from the current one."""
        return self.published_results / paths.PREVIOUS_DIRNAME

    @property
    def staged_results(self) -> Path:
        """This build's results, published with the site."""
        return self.cache / paths.RESULTS_DIRNAME


def notebook_settings(notebook: Path) -> dict:
    """The ``livingreview`` metadata of a notebook (output page, per_study, compares_results)."""
    nb = nbformat.read(notebook, as_version=4)
    settings = nb.metadata.get(METADATA_KEY)
    if not settings or "output" not in settings:
        raise BuildError(f"{paths.relative_to_root(notebook)}: metadata '{METADATA_KEY}' with an "
                         "'output' page path is required")
    return dict(settings)


def plan_runs(data_dir: Path = paths.DATA_DIR, notebooks_dir: Path = paths.NOTEBOOKS_DIR) -> list[Run]:
    """Every notebook run of the book: per-study notebooks once per study folder."""
    runs = []
    studies = [folder.name for folder in study_folders(data_dir)]
    for notebook in sorted(Path(notebooks_dir).rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        settings = notebook_settings(notebook)
        if settings.get("per_study"):
            for study_id in studies:
                runs.append(Run(settings["output"].format(study_id=study_id), notebook,
                                {"study_id": study_id}, f"study {study_id}"))
        else:
            runs.append(Run(settings["output"], notebook, {}, f"page {settings['output']}",
                            compares_results=bool(settings.get("compares_results")),
                            reads_releases=bool(settings.get("reads_releases"))))
    keys = [r.key for r in runs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise BuildError(f"two notebooks write the same page: {', '.join(duplicates)}")
    return runs
