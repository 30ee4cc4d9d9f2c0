"""The book build (``make book``): validate -> execute notebooks (papermill) -> compare results
-> assemble (Jupyter Book) -> publish.

One entry point, :func:`build_book`. Its steps:

1. **Validate** the curated data; a problem stops the build before anything is written. A
   study folder that passed before, with its files and everything it is checked against
   unchanged, is not checked again (:class:`~livingreview.build.validated.ValidatedStudies`).
   Before that, the build **plans** its runs (:mod:`livingreview.build.plan`) and finds the
   stale ones (:mod:`livingreview.build.staleness`), so that kernels are readied while the
   data are validated.
2. **Execute** the stale runs with papermill, in parallel, longest first, each in a kernel
   forked from a process that imported the notebooks' libraries
   (:mod:`livingreview.build.execute`).
3. **Compare results**: this build's results table is staged, and the pages that compare it
   with the last release (or the previous build) are executed, when stale, on it
   (:mod:`livingreview.build.staged_results`).
4. **Assemble** a source tree and build it with Jupyter Book's Sphinx build, unless
   everything the site is made from is unchanged (:mod:`livingreview.build.assemble`).
5. **Publish**: a copy of the new site replaces ``<build>/html`` only when everything above
   succeeded, so a failed build leaves the last good site in place. The manifest
   (:mod:`livingreview.build.manifest`) and ``results/results.csv`` are updated at the same
   moment.

The build writes only under the build folder; ``data/`` is never written.
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .. import paths
from ..search.schedule import search_schedule
from ..curated.studies import study_folders
from ..results.release import data_digest, release_status, releases_dir
from ..statistics.memo import MEMO_ENV
from ..validation.data_folder import data_warnings, validate_data_dir
from .assemble import assemble_source, publish, run_jupyter_book, site_digest
from .digests import DataSnapshot, code_digest
from .execute import execute_runs, notebook_imports
from .kernel import Forker
from .manifest import read_manifest, read_manifest_site, write_manifest
from .plan import BuildError, BuildLayout, Run, plan_runs
from .staged_results import current_release, publish_results, recorded, release_baseline, stage_results
from .staleness import run_inputs, stale_reason
from .validated import ValidatedStudies


@dataclass
class BuildReport:
    """What a build did."""

    executed: list[str]
    reused: list[str]
    site: Path
    results: Path
    seconds: dict[str, float]  # per stage: validate, execute, assemble
    run_seconds: dict[str, float] = field(default_factory=dict)  # per executed run, in its worker


def build_book(data_dir: Path = paths.DATA_DIR, build_dir: Path = paths.BUILD_DIR,
               jobs: int | None = None, log=print,
               notebooks_dir: Path = paths.NOTEBOOKS_DIR) -> BuildReport:
    """Validate, execute what changed, assemble and publish. Raises :class:`BuildError`."""
    data_dir, layout = Path(data_dir).resolve(), BuildLayout(Path(build_dir).resolve())
    forker = Forker(layout.cache, notebook_imports(sorted(Path(notebooks_dir).rglob("*.ipynb"))))
    build = _BookBuild(data_dir, layout, jobs, log, forker)
    seconds: dict[str, float] = {}
    try:
        with _timed(seconds, "validate"):
            build.plan(notebooks_dir)
            build.validate()
        with _timed(seconds, "execute"):
            build.execute_pages()
            build.compare_results()
        with _timed(seconds, "assemble"):
            build.assemble()
        build.publish()
    finally:
        forker.close()
        os.environ.pop(MEMO_ENV, None)
    return build.report(seconds)


@contextmanager
def _timed(seconds: dict[str, float], stage: str):
    """Record the wall-clock seconds of a stage that completes."""
    start = time.perf_counter()
    yield
    seconds[stage] = time.perf_counter() - start


@dataclass
class _Phase:
    """Runs executed together: those stale, with every run's inputs (as the manifest records
    them) and each stale run's reason."""

    runs: list[Run]
    stale: list[Run]
    inputs: dict[str, dict]
    reasons: dict[str, str]


class _BookBuild:
    """One build's state, carried from step to step (see the module's description)."""

    def __init__(self, data_dir: Path, layout: BuildLayout, jobs: int | None, log, forker: Forker):
        self.data_dir, self.layout, self.jobs, self.log, self.forker = data_dir, layout, jobs, log, forker
        self.entries: dict[str, dict] = {}  # the manifest this build leaves: its runs only
        self.executed: list[str] = []
        self.reused: list[str] = []
        self.completed: dict[str, dict] = {}
        self.sources_digest = None  # of everything the site is made from

    # ------------------------------------------------------------------------- 1. plan, validate

    def plan(self, notebooks_dir: Path) -> None:
        """The runs, which of the pages are stale (their inputs do not depend on what executes),
        and the kernels readied for them."""
        self.snapshot, self.code = DataSnapshot(self.data_dir), code_digest()
        self.runs = plan_runs(self.data_dir, notebooks_dir)
        self.manifest, self.published_digest = read_manifest(self.layout), read_manifest_site(self.layout)
        self.pages = [run for run in self.runs if not run.compares_results]
        self.comparing = [run for run in self.runs if run.compares_results]
        self.releases_folder = releases_dir(self.data_dir)
        for run in self.pages:
            if run.reads_releases:
                run.folder_parameters = {"releases_dir": self.releases_folder if self.releases_folder.is_dir()
                                         else None}
        self.page_phase = self._phase(self.pages)
        if self.page_phase.stale:
            self.forker.start()  # it imports the notebooks' libraries while the data are validated

    def validate(self) -> None:
        """Validate the data (a problem stops the build), read the release and the recorded
        releases, and log the warnings valid data may still carry (an overdue search, tables
        left empty)."""
        validated = ValidatedStudies(self.layout, self.snapshot, self.code)
        problems = validate_data_dir(self.data_dir, known_valid=validated.unchanged)
        if problems:
            raise BuildError(f"{len(problems)} problem(s) in {paths.relative_to_root(self.data_dir)}; "
                             "nothing was built:\n" + "\n".join(f"  - {p}" for p in problems))
        validated.save(study_folders(self.data_dir))
        self.release = current_release()  # an unreadable changelog stops the build before any work
        self.releases = recorded(self.data_dir)
        overdue = search_schedule(self.data_dir).warning(date.today())
        # Warnings, not failures: the review stays publishable.
        for warning in ([overdue] if overdue else []) + data_warnings(self.data_dir):
            self.log(f"book: warning: {warning}")

    # ------------------------------------------------------------------------- 2. execute

    def execute_pages(self) -> None:
        """Execute the stale pages, with the memo of shared computations of this code."""
        _use_memo(self.layout, self.code)
        self._execute(self.page_phase)

    def _phase(self, runs: list[Run]) -> _Phase:
        inputs = {run.key: run_inputs(run, self.code) for run in runs}
        reasons = {run.key: stale_reason(run, self.manifest.get(run.key), self.snapshot, self.code,
                                         self.layout.executed, inputs[run.key])
                   for run in runs}
        return _Phase(runs, [run for run in runs if reasons[run.key]], inputs, reasons)

    def _execute(self, phase: _Phase) -> None:
        """Execute a phase's stale runs and record them in the manifest; a BuildError when one
        failed (the runs that succeeded are recorded all the same)."""
        manifest, stale = self.manifest, phase.stale
        kept = [run.key for run in phase.runs if run not in stale]
        self.entries.update({key: manifest[key] for key in kept})
        if kept:
            self.log(f"book: reusing {len(kept)} notebook(s) whose inputs are unchanged: {', '.join(kept)}")
        if stale:
            self.log(f"book: executing {len(stale)} notebook(s):\n"
                     + "\n".join(f"  {run.key}: {phase.reasons[run.key]}" for run in stale))
        # Longest first (by the last build's times), so that no long run starts last.
        stale.sort(key=lambda run: -manifest.get(run.key, {}).get("seconds", float("inf")))
        errors = execute_runs(stale, self.data_dir, self.layout, self.jobs or os.cpu_count() or 1,
                              self.completed, self.forker)
        # A run that succeeded has a cached copy matching its inputs, whatever happens next.
        for run in stale:
            if run.key not in errors:
                outcome = self.completed[run.key]
                self.entries[run.key] = manifest[run.key] = {
                    **phase.inputs[run.key], "seconds": round(outcome["seconds"], 1),
                    "data": self.snapshot.dependencies(outcome["opened"], outcome["listed"])}
            else:  # kept as it was (still stale), marked so that the next log says why
                manifest[run.key] = {**manifest.get(run.key, {}), "failed": True}
        write_manifest(self.layout, manifest)
        if errors:
            raise BuildError("notebook execution failed; the published site is unchanged:\n"
                             + "\n".join(f"  - {e}" for e in errors.values()))
        self.executed.extend(r.key for r in stale)
        self.reused.extend(kept)

    # ------------------------------------------------------------------------- 3. compare results

    def compare_results(self) -> None:
        """Stage this build's results, find its release status and the baseline, then execute
        the stale pages that compare the two."""
        self.staged = stage_results(self.pages, self.data_dir, self.layout, self.release.version)
        self.digest = data_digest(self.data_dir)
        self.status = release_status(self.releases, self.digest, self.staged / paths.RESULTS_FILE_NAME)
        self.baseline = release_baseline(self.layout, self.releases, self.status)
        for run in self.comparing:
            run.parameters = {"site_status": self.status.label}
            run.folder_parameters = {"current_dir": self.staged, "previous_dir": self.baseline,
                                     "releases_dir": self.releases_folder if self.releases else None}
        self._execute(self._phase(self.comparing))

    # ------------------------------------------------------------------------- 4. assemble

    def assemble(self) -> None:
        """Assemble the site and put it in place, unless its sources are those of the published one."""
        self.sources_digest = site_digest(self.runs, self.layout, self.snapshot, self.code, self.status, self.releases)
        if self.sources_digest == self.published_digest and (self.layout.site / "index.html").is_file():
            self.log("book: the site's sources are unchanged; the published site is current")
        else:
            source = assemble_source(self.runs, self.data_dir, self.layout, self.staged / paths.RESULTS_FILE_NAME,
                                     self.status, self.releases)
            publish(run_jupyter_book(source), self.layout)

    # ------------------------------------------------------------------------- 5. publish

    def publish(self) -> None:
        """Publish the results with the site, and the manifest (which also forgets runs that no
        longer exist)."""
        publish_results(self.layout, self.baseline, self.digest)
        write_manifest(self.layout, self.entries, self.sources_digest)

    def report(self, seconds: dict[str, float]) -> BuildReport:
        run_seconds = {key: outcome["seconds"] for key, outcome in self.completed.items()}
        return BuildReport(self.executed, self.reused, self.layout.site, self.layout.results, seconds, run_seconds)


def _use_memo(layout: BuildLayout, code: str) -> None:
    """Point the kernels at this code version's memo folder (livingreview.statistics.memo); forget the
    others, whose results were computed by other code."""
    root = layout.cache / "memo"
    for folder in root.glob("*") if root.is_dir() else []:
        if folder.name != code[:16]:
            shutil.rmtree(folder, ignore_errors=True)
    os.environ[MEMO_ENV] = str(root / code[:16])
