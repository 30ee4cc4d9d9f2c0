"""Executing runs: each notebook with papermill, in parallel, in a kernel of its own.

Kernels are forked from a process that imported the notebooks' libraries while the data were
validated (:mod:`livingreview.build.kernel`); each kernel records the data files it opens and
the folders it lists. Executed notebooks are normalised (no timestamps, durations or paths;
stable cell ids; generic kernelspec) so that equal inputs give byte-identical files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
from tqdm import tqdm

from .. import paths
from .kernel import READS_ENV, READS_ROOT_ENV, Forker, read_record
from .plan import BuildLayout, Run

KERNEL_NAME = "livingreview-py"
GENERIC_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
INJECTED_CELL_ID = "injected-parameters"
KERNEL_START_ATTEMPTS = 3
IMPORT_PATTERN = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)


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
        # Written whole, then moved into place: builds running at once (the tests run in
        # parallel) never read half a kernelspec.
        partial = spec.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(wanted, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, spec)
    return KERNEL_NAME


def notebook_imports(notebooks) -> list[str]:
    """The modules the code cells of ``notebooks`` import (what the kernel forker preloads)."""
    modules = set()
    for notebook in notebooks:
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type == "code":
                modules.update(a or b for a, b in IMPORT_PATTERN.findall(cell.source))
    return sorted(modules)


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


def _is_kernel_start_error(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}".lower()
    return any(s in text for s in ("kernel died", "address already in use", "zmqerror",
                                   "kernel didn't respond", "timeout waiting for kernel"))


def _execute(run: Run, data_dir: Path, layout: BuildLayout, kernel_name: str) -> dict:
    """Execute one run (in a worker process); returns {'key', 'error', 'seconds'} (error None:
    success)."""
    started = time.perf_counter()
    # Imported in the worker, not at module level: the build's own process never executes a
    # notebook, and a build whose runs are all reused never needs papermill.
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


def execute_runs(runs: list[Run], data_dir: Path, layout: BuildLayout, jobs: int,
                 completed: dict[str, dict] | None = None, forker: Forker | None = None) -> dict[str, str]:
    """Execute runs in parallel; returns run key -> error message for each run that failed.

    ``completed``, when given, receives for each successful run its wall time in the worker
    (``seconds``) and the data files it opened and folders it listed (``opened``, ``listed``).
    Kernels are forked from ``forker`` when given, and started the ordinary way otherwise.
    Runs start in the order given."""
    if not runs:
        return {}
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

