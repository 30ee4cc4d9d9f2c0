"""The book build: validate -> execute notebooks (papermill) -> assemble (Jupyter Book) -> publish.

One entry point, :func:`build_book` (``make book``). Its steps:

1. **Validate** the curated data; a problem stops the build before anything is written. A
   study folder that passed before, with its files and everything it is checked against
   unchanged, is not checked again (:class:`ValidatedStudies`).
2. **Plan**: every notebook under ``notebooks/`` declares in its metadata (key
   ``livingreview``) where its page goes; a notebook marked ``per_study`` is run once per
   study folder. A run is reused when its notebook, parameters, the package code and the
   pinned requirements (hashed) are unchanged, and so is every data file it opened and every
   folder it listed or read from when it last ran (recorded by its kernel, see
   :mod:`livingreview.build.kernel`; compared with a :class:`DataSnapshot` taken before anything
   executes). :func:`stale_reason` decides this, and says why for the log, one line per run
   executed (never built, notebook changed, data changed naming the files, ...).
3. **Execute** the other runs with papermill, in parallel, longest first, each in a kernel
   forked from a process that imported the notebooks' libraries while the data were
   validated. Executed notebooks are normalised (no timestamps, durations or paths; stable
   cell ids; generic kernelspec) so that equal inputs give byte-identical files.
4. **Assemble** a source tree under ``<build>/site-source`` (the book pages, the executed
   notebooks, the bibliography of the included studies, the results table and a copy of the
   data for download) and build it with Jupyter Book's Sphinx build, strict and incremental
   (:mod:`livingreview.build.sphinx_build`; Jupyter Book executes nothing: ``execute_notebooks:
   "off"``). When everything the site is made from is unchanged (:func:`site_digest`), this
   step is skipped.
5. **Publish**: a copy of the new site replaces ``<build>/html`` only when everything above
   succeeded, so a failed build leaves the last good site in place. The manifest and
   ``results/results.csv`` are updated at the same moment.

The build writes only under the build folder; ``data/`` is never written.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import paths
from .bibliography import study_bibtex
from ..curated.studies import study_folders
from .kernel import READS_ENV, READS_ROOT_ENV, read_record
from .sphinx_build import OUTPUT as SPHINX_OUTPUT
from .sphinx_build import STATE as SPHINX_STATE
from ..results.release import DATA_DIGEST_FILE_NAME, data_digest, release_status, releases_dir

KERNEL_NAME = "livingreview-py"
METADATA_KEY = "livingreview"
GENERIC_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
INJECTED_CELL_ID = "injected-parameters"
MANIFEST_VERSION = 2
CACHE_DIRNAME = "cache"
SOURCE_DIRNAME = "site-source"
KERNEL_START_ATTEMPTS = 3
# Fixed timestamp for files in the data archive, so the archive is the same bytes every build.
ZIP_TIMESTAMP = (2020, 1, 1, 0, 0, 0)


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


# ----------------------------------------------------------------------------- plan


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
        return self.passed.get(Path(folder).name) == self.digest(folder)

    def save(self, folders: list[Path]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        passed = {Path(folder).name: self.digest(folder) for folder in folders}
        self.file.write_text(json.dumps(passed, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _code_files() -> list[Path]:
    return sorted(paths.PACKAGE_DIR.rglob("*.py")) + [paths.REQUIREMENTS_FILE]


def _add(digest, name: str, content: bytes) -> None:
    """Add a named piece of content to a running digest."""
    digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())


def code_digest() -> str:
    """Digest of the package code and the pinned requirements (an input of every run)."""
    digest = hashlib.sha256()
    for path in _code_files():
        _add(digest, path.relative_to(paths.PROJECT_ROOT).as_posix(), path.read_bytes())
    return digest.hexdigest()


def _input_pieces(run: Run, code: str):
    """What a run depends on besides the data it reads, as (part, name, content): the part
    says which kind of input the piece is (see :func:`input_parts`)."""
    yield "parameters", "run", json.dumps({"key": run.key, "parameters": run.parameters}, sort_keys=True).encode()
    yield "notebook", "notebook", run.notebook.read_bytes()
    yield "code", "code", code.encode()
    if run.reads_releases:
        yield "changelog", "changelog", paths.CHANGELOG_FILE.read_bytes()
    for name, folder in sorted(run.folder_parameters.items()):
        # Recursive: the releases folder holds one sub-folder per release.
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()) if folder else []:
            yield name, f"{name}:" + path.relative_to(folder).as_posix(), path.read_bytes()


def run_inputs(run: Run, code: str | None = None) -> dict:
    """What the manifest records of a run's inputs, from one read of them: ``inputs``, the
    content hash of everything a run depends on besides the data it reads (the notebook, its
    parameters, the package code, the pinned requirements and its folder parameters), and
    ``parts``, the same pieces digested by kind ("notebook", "parameters", "code",
    "changelog", and each folder parameter by its name) so that the build log can say which
    of them changed."""
    whole, parts = hashlib.sha256(), {}
    for part, name, content in _input_pieces(run, code or code_digest()):
        _add(whole, name, content)
        _add(parts.setdefault(part, hashlib.sha256()), name, content)
    for name in run.folder_parameters:  # an empty or absent folder is a part too
        parts.setdefault(name, hashlib.sha256())
    return {"inputs": whole.hexdigest(), "parts": {part: digest.hexdigest() for part, digest in sorted(parts.items())}}


def input_hash(run: Run, code: str | None = None) -> str:
    """The content hash of a run's inputs besides its data (see :func:`run_inputs`)."""
    return run_inputs(run, code)["inputs"]


def input_parts(run: Run, code: str | None = None) -> dict[str, str]:
    """The pieces of :func:`input_hash` digested by kind (see :func:`run_inputs`). Not used to
    decide what runs."""
    return run_inputs(run, code)["parts"]


# How many changed data files and folders a reason names before "+N more".
REASON_NAMES = 3
PART_REASONS = {"notebook": "notebook changed", "parameters": "parameters changed",
                "code": "package code or requirements changed", "changelog": "changelog changed"}


def _changed_data(snapshot: DataSnapshot, dependencies: dict[str, dict[str, str]]) -> list[str]:
    """The recorded files (first) and folder listings (then, with a trailing slash) whose
    digests differ in ``snapshot``: exactly what makes :meth:`DataSnapshot.unchanged` false."""
    files = [path for path, digest in dependencies.get("opened", {}).items()
             if snapshot.files.get(path, snapshot.ABSENT) != digest]
    folders = [folder + "/" for folder, digest in dependencies.get("listed", {}).items()
               if snapshot.listings.get(folder, snapshot.ABSENT) != digest]
    return files + folders


def stale_reason(run: Run, entry: dict | None, snapshot: DataSnapshot, code: str,
                 executed: Path | None = None, current: dict | None = None) -> str:
    """Why ``run`` must execute, given its manifest ``entry`` from the last build, the data
    ``snapshot`` and the ``code`` digest; "" when it can be reused. This decides what runs:
    a run is stale when its inputs (:func:`input_hash`) or a data file or folder listing it
    read differ from the recorded ones, or (with ``executed``, the folder of executed copies)
    when its executed notebook or results are missing. ``current`` is the run's
    :func:`run_inputs` when the caller has them. Reasons that apply are joined by "; "."""
    entry = entry or {}
    failed = ["previous run failed"] if entry.get("failed") else []
    if "inputs" not in entry:
        return "; ".join(["never built", *failed])
    reasons = []
    current = current or run_inputs(run, code)
    if entry["inputs"] != current["inputs"]:
        recorded, current = entry.get("parts"), current["parts"]
        if recorded is None:  # recorded by a build that did not keep the parts
            reasons.append("notebook, parameters or code changed")
        else:
            for part in sorted(set(recorded) | set(current), key=lambda p: (p not in PART_REASONS, p)):
                if recorded.get(part) != current.get(part):
                    reason = PART_REASONS.get(part, f"{part} changed")
                    if part == "notebook":
                        reason += f" ({paths.relative_to_root(run.notebook)})"
                    reasons.append(reason)
            if not reasons:  # the parts agree but the hash does not: say so rather than nothing
                reasons.append("inputs changed")
    changed = _changed_data(snapshot, entry.get("data", {}))
    if changed:
        shown = changed[:REASON_NAMES]
        more = [f"+{len(changed) - len(shown)} more"] if len(changed) > len(shown) else []
        reasons.append(f"data changed ({', '.join(shown + more)})")
    if executed is not None and not all((Path(executed) / name).is_file()
                                        for name in (run.executed_name, run.results_name)):
        reasons.append(failed.pop() if failed else "executed copy missing")
    return "; ".join(reasons + (failed if reasons else []))


def _manifest(layout: BuildLayout) -> dict:
    """The manifest of the last build, or {} when there is none of this version."""
    try:
        content = json.loads(layout.manifest.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return content if content.get("version") == MANIFEST_VERSION else {}


def read_manifest(layout: BuildLayout) -> dict[str, dict]:
    """Run key -> {"inputs": hash, "parts": {kind: digest}, "seconds": time, "data":
    dependencies} of the last successful run of each notebook (empty when there is none); a
    run whose last execution failed is marked ``"failed": true`` (see :func:`stale_reason`)."""
    return dict(_manifest(layout).get("runs", {}))


def read_manifest_site(layout: BuildLayout) -> str | None:
    """The digest of the published site's sources (see :func:`site_digest`), if recorded."""
    return _manifest(layout).get("site")


def _write_manifest(layout: BuildLayout, runs: dict[str, dict], site: str | None = None) -> None:
    layout.manifest.parent.mkdir(parents=True, exist_ok=True)
    content = {"version": MANIFEST_VERSION, "runs": dict(sorted(runs.items()))}
    if site:
        content["site"] = site
    text = json.dumps(content, indent=1)
    tmp = layout.manifest.with_suffix(".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, layout.manifest)


# ----------------------------------------------------------------------------- execute


def ensure_kernel() -> str:
    """Install (once) a kernelspec inside this environment that runs this interpreter.

    A kernel named ``python3`` elsewhere on the machine could otherwise be chosen and run a
    different Python; this name is ours alone.
    """
    spec = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json"
    wanted = {
        # Log level ERROR: the kernel's start-up notices would otherwise fill the build log.
        "argv": [sys.executable, "-m", "livingreview.build.kernel", "-f", "{connection_file}",
                 "--IPKernelApp.log_level=ERROR"],
        "display_name": "Python (living review)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    try:
        current = json.loads(spec.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        current = None
    if current != wanted:
        spec.parent.mkdir(parents=True, exist_ok=True)
        spec.write_text(json.dumps(wanted, indent=1) + "\n", encoding="utf-8")
    return KERNEL_NAME


def _is_kernel_start_error(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}".lower()
    return any(s in text for s in ("kernel died", "address already in use", "zmqerror",
                                   "kernel didn't respond", "timeout waiting for kernel"))


def run_parameters(run: Run, data_dir: Path, results_file: Path, working_dir: Path) -> dict:
    """The parameters papermill gives a run's notebook executed in ``working_dir``: paths are
    relative to that folder, so executed notebooks hold no absolute paths."""

    def relative(path: Path) -> str:
        return os.path.relpath(Path(path).resolve(), Path(working_dir).resolve())

    parameters = dict(run.parameters)
    parameters["results_file"] = relative(results_file)
    if Path(data_dir).resolve() != paths.DATA_DIR.resolve():
        parameters["data_dir"] = relative(data_dir)
    for name, folder in run.folder_parameters.items():
        parameters[name] = "" if folder is None else relative(folder)
    return parameters


def _execute(run: Run, data_dir: Path, layout: BuildLayout, kernel_name: str) -> dict:
    """Execute one run (in a worker process); returns {'key', 'error', 'seconds'} (error None:
    success)."""
    started = time.perf_counter()
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output = layout.cache / "partial" / run.executed_name
    output.parent.mkdir(parents=True, exist_ok=True)
    results_file = layout.executed / run.results_name
    results_file.unlink(missing_ok=True)
    results_file.parent.mkdir(parents=True, exist_ok=True)
    parameters = run_parameters(run, data_dir, results_file, output.parent)
    # The kernel records the data files it opens and the folders it lists (livingreview.build.kernel);
    # a worker runs one notebook at a time, so its environment is this run's.
    record = layout.cache / "reads" / run.reads_name
    record.parent.mkdir(parents=True, exist_ok=True)
    record.unlink(missing_ok=True)
    os.environ[READS_ENV], os.environ[READS_ROOT_ENV] = str(record), str(Path(data_dir).resolve())
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            papermill.execute_notebook(
                str(run.notebook), str(output), parameters=parameters, kernel_name=kernel_name,
                progress_bar=False, cwd=str(output.parent), language="python")
            break
        except PapermillExecutionError as exc:
            failed = layout.failed / run.executed_name
            failed.parent.mkdir(parents=True, exist_ok=True)
            if output.exists():
                shutil.move(output, failed)
            first_line = next((line for line in exc.source.splitlines() if line.strip()), "")
            return {"key": run.key, "error": (
                f"{run.label}: {paths.relative_to_root(run.notebook)} failed in cell {exc.cell_index} "
                f"(execution count {exc.exec_count}, starting `{first_line.strip()}`): "
                f"{exc.ename}: {exc.evalue}\n    the executed notebook with the traceback is "
                f"{paths.relative_to_root(failed)}")}
        except Exception as exc:  # noqa: BLE001 - a kernel that fails to start is retried
            if attempt < KERNEL_START_ATTEMPTS and _is_kernel_start_error(exc):
                time.sleep(attempt)
                continue
            return {"key": run.key, "error": f"{run.label}: could not execute "
                                             f"{paths.relative_to_root(run.notebook)}: "
                                             f"{type(exc).__name__}: {exc}"}
    normalise_notebook(output)
    os.replace(output, layout.executed / run.executed_name)
    opened, listed = read_record(record) if record.is_file() else ([], [])
    return {"key": run.key, "error": None, "seconds": time.perf_counter() - started,
            "opened": opened, "listed": listed}


def normalise_notebook(path: Path) -> None:
    """Remove run-specific noise from an executed notebook, in place.

    Drops papermill's metadata (times, paths, parameters), per-cell execution timings,
    merges consecutive prints to one stream, gives the injected parameters cell a fixed id
    and hides it from the page, and writes a generic kernelspec (the private kernel name
    means nothing to a reader who downloads).
    """
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    nb.metadata["kernelspec"] = dict(GENERIC_KERNELSPEC)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _merged_streams(cell.outputs)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = INJECTED_CELL_ID
            if "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, path)


def _merged_streams(outputs: list) -> list:
    """Consecutive prints to the same stream as one output: the kernel sends them in as many
    messages as timing dictates, which would make equal runs differ."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    return merged


IMPORT_PATTERN = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)


def notebook_imports(notebooks) -> list[str]:
    """The modules the code cells of ``notebooks`` import (what the kernel forker preloads)."""
    modules = set()
    for notebook in notebooks:
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type == "code":
                modules.update(a or b for a, b in IMPORT_PATTERN.findall(cell.source))
    return sorted(modules)


def execute_runs(runs: list[Run], data_dir: Path, layout: BuildLayout, jobs: int,
                 completed: dict[str, dict] | None = None, forker=None) -> dict[str, str]:
    """Execute runs in parallel; returns run key -> error message for each run that failed.

    ``completed``, when given, receives for each successful run its wall time in the worker
    (``seconds``) and the data files it opened and folders it listed (``opened``, ``listed``).
    Kernels are forked from ``forker`` (a :class:`livingreview.build.kernel.Forker`) when given, and
    started the ordinary way otherwise. Runs start in the order given."""
    if not runs:
        return {}
    from tqdm import tqdm

    kernel_name = ensure_kernel()
    errors = {}
    workers = max(1, min(jobs, len(runs)))
    if forker is not None:
        forker.use()  # before the workers start: they inherit the route to it
    with ProcessPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(runs), desc="executing", unit="notebook", file=sys.stderr,
                 dynamic_ncols=True) as progress:
        futures = {pool.submit(_execute, run, data_dir, layout, kernel_name): run for run in runs}
        for future in as_completed(futures):
            run = futures[future]
            outcome = future.result()
            progress.set_postfix_str(f"{run.key} {'failed' if outcome['error'] else 'done'}")
            progress.update(1)
            if outcome["error"]:
                errors[run.key] = outcome["error"]
            elif completed is not None:
                completed[run.key] = outcome
    return dict(sorted(errors.items()))


# ----------------------------------------------------------------------------- assemble


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "_build"))


def _data_archive(data_dir: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in Path(data_dir).rglob("*") if p.is_file()):
            info = zipfile.ZipInfo("data/" + path.relative_to(data_dir).as_posix(), ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())


def _write_config(target: Path, status) -> None:
    """The book's configuration, with the release status in every page's footer."""
    import html

    import yaml

    config = yaml.safe_load(paths.BOOK_CONFIG_FILE.read_text(encoding="utf-8"))
    footer = config.setdefault("html", {}).get("extra_footer", "")
    # A relative link would break on pages in sub-folders; the changelog is in the navigation.
    config["html"]["extra_footer"] = f'{footer} <span class="lr-release">{html.escape(status.label)}.</span>'.strip()
    target.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def assemble_source(runs: list[Run], data_dir: Path, layout: BuildLayout, results: Path, status,
                    releases: list | None = None) -> Path:
    """Lay out the Jupyter Book source tree; returns its folder.

    The tree is laid out afresh beside the last one and then synchronised into it: files with
    the same content keep their modification time, so Sphinx re-reads only the pages that
    changed (see :mod:`livingreview.build.sphinx_build`)."""
    from ..curated.studies import load_studies
    from ..pages.dataview import write_data_views

    source, staging = layout.source, layout.build_dir / (SOURCE_DIRNAME + ".next")
    if staging.exists():
        shutil.rmtree(staging)
    _copy_tree(paths.BOOK_DIR, staging)
    _write_config(staging / "_config.yml", status)
    shutil.copy2(paths.BOOK_TOC_FILE, staging / "_toc.yml")
    _write_changelog(staging / "changelog.md", status)
    for run in runs:
        target = staging / run.executed_name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(layout.executed / run.executed_name, target)
    (staging / "studies.bib").write_text(study_bibtex(load_studies(data_dir)), encoding="utf-8")
    downloads = staging / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    shutil.copy2(results, downloads / paths.RESULTS_FILE_NAME)
    _data_archive(data_dir, downloads / "curated-data.zip")
    # Served as-is at <site>/data/, with a data view of each table beside its CSV, so that
    # pages can link each number to its data row.
    shutil.copytree(data_dir, staging / "_extra" / "data")
    write_data_views(data_dir, staging / "_extra" / "data")
    # Each recorded release's results stay downloadable at <site>/releases/<version>/.
    for recorded in releases or []:
        shutil.copytree(recorded.folder, staging / "_extra" / "releases" / recorded.version)
    changed, removed = _synchronise(staging, source)
    shutil.rmtree(staging)
    # Executed pages and data are what Sphinx tracks page by page. Any other change (the
    # book's own pages, configuration, table of contents, bibliography) starts it afresh, and
    # so does a removed file, whose page Sphinx would leave in its output.
    pages = {Path(run.executed_name) for run in runs}
    if removed or any(path not in pages and path.parts[0] not in ("_extra", "downloads") for path in changed):
        shutil.rmtree(source / SPHINX_STATE, ignore_errors=True)
    return source


def _synchronise(new: Path, target: Path) -> tuple[list[Path], list[Path]]:
    """Make ``target`` hold exactly the files of ``new`` (besides its ``_build``), copying only
    files whose content differs; returns the files added or changed, and those removed
    (relative paths)."""
    changed, removed = [], []
    wanted = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    if target.exists():
        for path in sorted(target.rglob("*"), reverse=True):
            relative = path.relative_to(target)
            if relative.parts[0] == "_build":
                continue
            if path.is_file() and relative not in wanted:
                path.unlink()
                removed.append(relative)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for relative in sorted(wanted):
        source_file, target_file = new / relative, target / relative
        if target_file.is_file() and target_file.read_bytes() == source_file.read_bytes():
            continue
        target_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_file, target_file)  # a new modification time: Sphinx reads it
        changed.append(relative)
    return changed, removed


WARNING_PATTERN = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b")


def run_jupyter_book(source: Path) -> Path:
    """Build the HTML with Jupyter Book's Sphinx build (strict, see
    :mod:`livingreview.build.sphinx_build`); returns the folder of the built site."""
    command = [sys.executable, "-m", "livingreview.build.sphinx_build", str(source)]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=source)
    output = completed.stdout + completed.stderr
    problems = [line for line in output.splitlines() if WARNING_PATTERN.search(line)]
    if completed.returncode != 0:
        # The next build must read every page again, and so meet this build's warnings again.
        shutil.rmtree(source / SPHINX_STATE, ignore_errors=True)
        shown = "\n".join(f"    {line}" for line in problems[:40]) or output[-3000:]
        raise BuildError(f"jupyter-book build failed (exit {completed.returncode}):\n{shown}")
    _prune_images(source / SPHINX_OUTPUT)
    return source / SPHINX_OUTPUT


def _prune_images(site: Path) -> None:
    """Remove the images no page shows any more (Sphinx keeps those of earlier builds)."""
    folder = site / "_images"
    if not folder.is_dir():
        return
    shown = set()
    for page in site.rglob("*.html"):
        shown.update(re.findall(r"_images/([^\"'?#\s)]+)", page.read_text(encoding="utf-8", errors="replace")))
    for image in folder.iterdir():
        if image.is_file() and image.name not in shown:
            image.unlink()


def site_digest(runs: list[Run], layout: BuildLayout, snapshot: DataSnapshot, code: str,
                status, releases: list | None = None) -> str:
    """Digest of everything the assembled site is made from: the book's pages and
    configuration, the changelog, the executed notebooks, this build's results, the data
    (served with the site), the release and the package code (Sphinx extensions). Equal
    digests give the same site, so a build whose digest matches the published one's skips
    assembling."""
    digest = hashlib.sha256()
    add = functools.partial(_add, digest)
    add("code", code.encode())
    add("release", status.label.encode())
    for recorded in releases or []:
        for path in sorted(p for p in recorded.folder.rglob("*") if p.is_file()):
            add(f"releases:{recorded.version}/" + path.relative_to(recorded.folder).as_posix(), path.read_bytes())
    for path in sorted(p for p in paths.BOOK_DIR.rglob("*") if p.is_file()):
        add("book:" + path.relative_to(paths.BOOK_DIR).as_posix(), path.read_bytes())
    for path in (paths.BOOK_CONFIG_FILE, paths.BOOK_TOC_FILE, paths.CHANGELOG_FILE):
        add(path.name, path.read_bytes())
    for run in sorted(runs, key=lambda r: r.key):
        add("page:" + run.key, (layout.executed / run.executed_name).read_bytes())
    for path in sorted(p for p in layout.staged_results.glob("*") if p.is_file()):
        add("results:" + path.name, path.read_bytes())
    add("data", json.dumps([snapshot.files, snapshot.listings], sort_keys=True).encode())
    return digest.hexdigest()


def publish(site: Path, layout: BuildLayout) -> None:
    """Put a copy of the new site in place of the published one (the old one is kept until
    then)."""
    new = layout.build_dir / (paths.SITE_DIRNAME + ".new")
    old = layout.build_dir / (paths.SITE_DIRNAME + ".old")
    for leftover in (new, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    # A copy: Sphinx's output stays where it is, so the next build writes only what changed.
    shutil.copytree(site, new)
    if layout.site.exists():
        os.replace(layout.site, old)
    os.replace(new, layout.site)
    if old.exists():
        shutil.rmtree(old)


# ----------------------------------------------------------------------------- results


def stage_results(runs: list[Run], data_dir: Path, layout: BuildLayout, version: str) -> Path:
    """Write this build's results table and release file to the staging folder; returns it."""
    from ..results.changes import Release
    from ..results.table import combine_results, write_results

    staged = layout.staged_results
    if staged.exists():
        shutil.rmtree(staged)
    staged.mkdir(parents=True)
    write_results(combine_results([layout.executed / run.results_name for run in runs]),
                  staged / paths.RESULTS_FILE_NAME)
    Release(version, [f.name for f in study_folders(data_dir)]).write(staged / paths.RELEASE_FILE_NAME)
    return staged


def _write_changelog(target: Path, status) -> None:
    """The changelog page: CHANGELOG.md with the site's release status under its title."""
    text = paths.CHANGELOG_FILE.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    title = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    note = f"\n**This site: {status.label}.**\n"
    if title is None:
        target.write_text(note.lstrip() + "\n" + text, encoding="utf-8")
    else:
        target.write_text("".join(lines[:title + 1]) + note + "".join(lines[title + 1:]), encoding="utf-8")


def recorded(data_dir: Path) -> list:
    """The releases recorded beside the data folder; a BuildError when one is unreadable."""
    from ..results.release import ReleaseError, recorded_releases, releases_dir

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


def current_release():
    """The review's release (newest heading of CHANGELOG.md); a BuildError when unreadable."""
    from ..results.release import ChangelogError, release_version

    try:
        return release_version()
    except (ChangelogError, FileNotFoundError) as exc:
        raise BuildError(str(exc)) from exc


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


# ----------------------------------------------------------------------------- all


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
    from .kernel import Forker
    from ..statistics.memo import MEMO_ENV

    data_dir, layout = Path(data_dir).resolve(), BuildLayout(Path(build_dir).resolve())
    forker = Forker(layout.cache, notebook_imports(sorted(Path(notebooks_dir).rglob("*.ipynb"))))
    try:
        return _build(data_dir, layout, jobs, log, notebooks_dir, forker)
    finally:
        forker.close()
        os.environ.pop(MEMO_ENV, None)


def _use_memo(layout: BuildLayout, code: str) -> None:
    """Point the kernels at this code version's memo folder (livingreview.statistics.memo); forget the
    others, whose results were computed by other code."""
    from ..statistics.memo import MEMO_ENV

    root = layout.cache / "memo"
    for folder in root.glob("*") if root.is_dir() else []:
        if folder.name != code[:16]:
            shutil.rmtree(folder, ignore_errors=True)
    os.environ[MEMO_ENV] = str(root / code[:16])


def _build(data_dir: Path, layout: BuildLayout, jobs: int | None, log, notebooks_dir: Path,
           forker) -> BuildReport:
    from ..validation.data_folder import data_warnings, validate_data_dir

    seconds: dict[str, float] = {}
    start = time.perf_counter()
    snapshot, code = DataSnapshot(data_dir), code_digest()
    runs = plan_runs(data_dir, notebooks_dir)
    manifest, published_site = read_manifest(layout), read_manifest_site(layout)

    def stale_runs(phase: list[Run]) -> tuple[list[Run], dict[str, dict], dict[str, str]]:
        """The runs of ``phase`` to execute, with every run's inputs (as the manifest records
        them) and each stale run's reason."""
        inputs = {run.key: run_inputs(run, code) for run in phase}
        reasons = {run.key: stale_reason(run, manifest.get(run.key), snapshot, code, layout.executed, inputs[run.key])
                   for run in phase}
        return [run for run in phase if reasons[run.key]], inputs, reasons

    pages = [run for run in runs if not run.compares_results]
    comparing = [run for run in runs if run.compares_results]
    releases_folder = releases_dir(data_dir)
    for run in pages:
        if run.reads_releases:
            run.folder_parameters = {"releases_dir": releases_folder if releases_folder.is_dir() else None}
    stale_pages = stale_runs(pages)  # the pages' inputs do not depend on what executes
    if stale_pages[0]:
        forker.start()  # it imports the notebooks' libraries while the data are validated
    validated = ValidatedStudies(layout, snapshot, code)
    problems = validate_data_dir(data_dir, known_valid=validated.unchanged)
    if problems:
        raise BuildError(f"{len(problems)} problem(s) in {paths.relative_to_root(data_dir)}; "
                         "nothing was built:\n" + "\n".join(f"  - {p}" for p in problems))
    validated.save(study_folders(data_dir))
    release = current_release()  # an unreadable changelog stops the build before any work
    releases = recorded(data_dir)
    from datetime import date

    from ..search.schedule import search_schedule

    overdue = search_schedule(data_dir).warning(date.today())
    # Warnings, not failures: the review stays publishable.
    for warning in ([overdue] if overdue else []) + data_warnings(data_dir):
        log(f"book: warning: {warning}")
    seconds["validate"] = time.perf_counter() - start

    start = time.perf_counter()
    _use_memo(layout, code)
    entries: dict[str, dict] = {}
    executed: list[str] = []
    reused: list[str] = []
    completed: dict[str, dict] = {}

    def execute_stale(phase: list[Run], stale: list[Run], inputs: dict[str, dict], reasons: dict[str, str]) -> None:
        kept = [run.key for run in phase if run not in stale]
        entries.update({key: manifest[key] for key in kept})
        if kept:
            log(f"book: reusing {len(kept)} notebook(s) whose inputs are unchanged: {', '.join(kept)}")
        if stale:
            log(f"book: executing {len(stale)} notebook(s):\n"
                + "\n".join(f"  {run.key}: {reasons[run.key]}" for run in stale))
        # Longest first (by the last build's times), so that no long run starts last.
        stale.sort(key=lambda run: -manifest.get(run.key, {}).get("seconds", float("inf")))
        errors = execute_runs(stale, data_dir, layout, jobs or os.cpu_count() or 1, completed, forker)
        # A run that succeeded has a cached copy matching its inputs, whatever happens next.
        for run in stale:
            if run.key not in errors:
                outcome = completed[run.key]
                entries[run.key] = manifest[run.key] = {
                    **inputs[run.key], "seconds": round(outcome["seconds"], 1),
                    "data": snapshot.dependencies(outcome["opened"], outcome["listed"])}
            else:  # kept as it was (still stale), marked so that the next log says why
                manifest[run.key] = {**manifest.get(run.key, {}), "failed": True}
        _write_manifest(layout, manifest)
        if errors:
            raise BuildError("notebook execution failed; the published site is unchanged:\n"
                             + "\n".join(f"  - {e}" for e in errors.values()))
        executed.extend(r.key for r in stale)
        reused.extend(kept)

    # Pages first, then the pages that compare their results with the previous build's.
    execute_stale(pages, *stale_pages)
    staged = stage_results(pages, data_dir, layout, release.version)
    digest = data_digest(data_dir)
    status = release_status(releases, digest, staged / paths.RESULTS_FILE_NAME)
    baseline = release_baseline(layout, releases, status)
    for run in comparing:
        run.parameters = {"site_status": status.label}
        run.folder_parameters = {"current_dir": staged, "previous_dir": baseline,
                                 "releases_dir": releases_folder if releases else None}
    execute_stale(comparing, *stale_runs(comparing))
    seconds["execute"] = time.perf_counter() - start

    start = time.perf_counter()
    site = site_digest(runs, layout, snapshot, code, status, releases)
    if site == published_site and (layout.site / "index.html").is_file():
        log("book: the site's sources are unchanged; the published site is current")
    else:
        source = assemble_source(runs, data_dir, layout, staged / paths.RESULTS_FILE_NAME, status, releases)
        publish(run_jupyter_book(source), layout)
    seconds["assemble"] = time.perf_counter() - start

    publish_results(layout, baseline, digest)
    _write_manifest(layout, entries, site)  # also forgets runs that no longer exist
    run_seconds = {key: outcome["seconds"] for key, outcome in completed.items()}
    return BuildReport(executed, reused, layout.site, layout.results, seconds, run_seconds)
