"""Build benchmark (``make bench``): what a build costs, measured as ratios in one run.

On a copy of a data folder (the review's ``data/`` unless told otherwise; never written) it
times, per stage (validate, execute, assemble):

- a **cold** build (no manifest, no ``_build``), run as ``make book`` runs it (a new Python
  process, timed whole);
- a **no-op** rebuild (nothing changed);
- a **one-study update**: one printed number of one study's ``outcomes.csv`` moves by one unit
  of its last printed decimal, as when a study publishes new data;
- the **reference**: the same notebooks, with the same parameters, executed by Jupyter Book
  itself (``execute_notebooks: force``) in one ``jupyter-book build``;
- the cold build and the one-study update again with the review grown to N studies, by adding
  copies of a fixture study (``tests/fixtures/new_study/poe2026``) to the studies of the data
  folder, each traced to the search record (:mod:`livingreview.build.bench_data`);
- the **floor**: starting one kernel and importing what the notebooks import, the ordinary way
  and forked from the build's warm parent (:mod:`livingreview.build.kernel`);
- the **page weights** of the site built from the data as it is, first visit and further
  page, as Chromium downloads them (:mod:`livingreview.build.page_weight`).

It writes ``benchmark.csv`` (every build), ``ratios.csv`` (the ratios the targets are about),
``floor.csv``, ``machine.csv``, ``page_weight.csv`` and ``benchmark.svg`` to an output folder,
by default ``book/performance/``, which the "Build performance" page shows.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import yaml

from .. import paths
from .assemble import assemble_source
from .bench_data import edit_one_study, synthetic_data
from .execute import KERNEL_NAME, ensure_kernel, notebook_imports, run_parameters
from .kernel import Forker
from .page_weight import check_chromium, page_weights, weight_table
from .plan import BuildLayout, plan_runs
from .staged_results import current_release

OUTPUT_DIR = paths.BOOK_DIR / "performance"
DEFAULT_STUDY = "li2022"  # the study whose data the update changes: one in the main analyses
DEFAULT_SIZES = (25, 50)
FLOOR_REPEATS = 5
# The targets the build is held to: ratio -> largest acceptable value.
TARGETS = {
    "cold / reference": 0.6,
    "one-study update / cold": 0.5,
    "no-op / cold": 0.1,
    "one-study update at 50 studies / at 5": 2.0,
}


@dataclass
class Timing:
    """One timed build."""

    studies: int
    scenario: str
    notebooks_executed: int
    notebooks: int
    validate_s: float
    execute_s: float
    assemble_s: float
    total_s: float


def timed_build(scenario: str, data_dir: Path, build_dir: Path, studies: int) -> Timing:
    """Run ``python -m livingreview book`` (what ``make book`` runs) on ``data_dir`` and time
    it: the whole process, wall clock, with the stages as the build reports them."""
    timings = Path(build_dir).parent / f"{Path(build_dir).name}.timings.json"
    command = [sys.executable, "-m", "livingreview", "--data-dir", str(data_dir), "book",
               "--build-dir", str(build_dir), "--timings", str(timings)]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    total = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f"the {scenario} build failed:\n{completed.stderr[-3000:]}")
    report = json.loads(timings.read_text(encoding="utf-8"))
    seconds = report["seconds"]
    return Timing(studies, scenario, len(report["executed"]), len(report["executed"]) + len(report["reused"]),
                  round(seconds["validate"], 2), round(seconds["execute"], 2), round(seconds["assemble"], 2),
                  round(total, 2))


# ----------------------------------------------------------------------------- reference


def reference_build(data_dir: Path, work: Path, results_dir: Path) -> float:
    """Seconds for Jupyter Book to execute and assemble the same runs itself.

    Each run's notebook gets the parameters the build would give it (papermill, prepare only,
    nothing executed), in the same source tree the build assembles; ``jupyter-book build
    --all`` then executes every notebook (``execute_notebooks: force``) while building, with
    the same strict flags.
    The "What changed" page compares with ``results_dir`` (the cold build's results)."""
    import papermill

    layout = BuildLayout(work)
    runs = plan_runs(data_dir)
    for run in runs:
        if run.compares_results:
            run.folder_parameters = {"current_dir": results_dir, "previous_dir": None}
        prepared = layout.executed / run.executed_name
        prepared.parent.mkdir(parents=True, exist_ok=True)
        working_dir = (layout.source / run.executed_name).parent
        parameters = run_parameters(run, data_dir, layout.executed / run.results_name, working_dir)
        papermill.execute_notebook(str(run.notebook), str(prepared), parameters=parameters,
                                   prepare_only=True, kernel_name=KERNEL_NAME, language="python",
                                   progress_bar=False)
    source = assemble_source(runs, data_dir, layout, results_dir / paths.RESULTS_FILE_NAME,
                             current_release())
    config_file = source / "_config.yml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    config["execute"] = {"execute_notebooks": "force", "timeout": 1800}
    config_file.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(source), "-W", "-n",
               "--keep-going", "--all"]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, cwd=source)
    seconds = round(time.perf_counter() - start, 2)
    if completed.returncode != 0:
        raise RuntimeError("the reference build failed:\n" + (completed.stdout + completed.stderr)[-3000:])
    return seconds


# ----------------------------------------------------------------------------- floor


def kernel_floor(work: Path, repeats: int = FLOOR_REPEATS) -> dict[str, float]:
    """Median seconds to execute a notebook that only imports what the book's notebooks
    import: kernel start + imports + papermill's own work, started the ordinary way and
    forked from a warm parent."""
    import papermill

    modules = notebook_imports(sorted(paths.NOTEBOOKS_DIR.rglob("*.ipynb")))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("\n".join(f"import {m}" for m in modules))]
    notebook.metadata["kernelspec"] = {"name": ensure_kernel(), "display_name": "Python",
                                       "language": "python"}
    work.mkdir(parents=True, exist_ok=True)
    source, output = work / "imports.ipynb", work / "imports.out.ipynb"
    nbformat.write(notebook, source)

    def median_seconds() -> float:
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            papermill.execute_notebook(str(source), str(output), kernel_name=KERNEL_NAME,
                                       progress_bar=False, cwd=str(work))
            seconds.append(time.perf_counter() - start)
        return round(statistics.median(seconds), 3)

    ordinary = median_seconds()
    with Forker(work, modules):
        forked = median_seconds()
    return {"ordinary start": ordinary, "forked start": forked}


# ----------------------------------------------------------------------------- report


def measured_code() -> str:
    """The commit of the code measured ("1624656"), "with uncommitted changes" when the working
    tree differs from it; "unknown" outside a git checkout."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=paths.PROJECT_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short=7", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} with uncommitted changes" if changed else commit


def machine(code: str | None = None) -> dict[str, str]:
    """What the benchmark ran on, when, and on which code (``code``, as :func:`measured_code`
    said it before the run wrote its tables; now if not given)."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        memory = "unknown"
    return {"processor": model, "cores": str(os.cpu_count()), "memory": memory,
            "system": f"{platform.system()} {platform.machine()}",
            "python": platform.python_version(),
            "measured on": datetime.now(timezone.utc).date().isoformat(),
            "code measured": measured_code() if code is None else code}


def ratios(timings: list[Timing], reference_s: float | None) -> list[dict]:
    """The ratios the targets are about, each with its target and whether it is met (without
    a reference build, none against it)."""
    by = {(t.studies, t.scenario): t for t in timings}
    base = min(t.studies for t in timings)
    cold, update = by[(base, "cold")], by[(base, "one-study update")]
    rows = [("cold / reference", cold.total_s, reference_s)] if reference_s is not None else []
    rows += [("one-study update / cold", update.total_s, cold.total_s),
            ("no-op / cold", by[(base, "no-op")].total_s, cold.total_s)]
    for studies in sorted({t.studies for t in timings} - {base}):
        rows.append((f"one-study update at {studies} studies / at {base}",
                     by[(studies, "one-study update")].total_s, update.total_s))
        rows.append((f"one-study update / cold, at {studies} studies",
                     by[(studies, "one-study update")].total_s, by[(studies, "cold")].total_s))
    out = []
    for name, numerator, denominator in rows:
        value = round(numerator / denominator, 3)
        target = TARGETS.get(name)
        out.append({"ratio": name, "value": value, "target": "" if target is None else f"<= {target}",
                    "met": "" if target is None else ("yes" if value <= target else "no")})
    return out


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


REFERENCE_SCENARIO = "reference (Jupyter Book executes)"


def plot(timings: list[Timing], reference_s: float | None, ax=None):
    """Seconds per build, stacked by stage, with the Jupyter Book reference (when measured)
    beside the builds of the same size; returns the axes."""
    import matplotlib.pyplot as plt

    base = min(t.studies for t in timings)
    rows = [(f"{t.scenario}, {t.studies} studies", t) for t in timings if t.studies == base]
    if reference_s is not None:
        rows.append((f"reference, {base} studies", None))
    rows += [(f"{t.scenario}, {t.studies} studies", t) for t in timings if t.studies != base]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    labels = [label for label, _ in rows]
    left = [0.0] * len(rows)
    for stage, colour in (("validate", "#9ecae1"), ("execute", "#3182bd"), ("assemble", "#fd8d3c")):
        values = [getattr(t, f"{stage}_s") if t else 0.0 for _, t in rows]
        ax.barh(labels, values, left=left, color=colour, label=stage)
        left = [a + b for a, b in zip(left, values)]
    if reference_s is not None:
        ax.barh([labels[len([t for t in timings if t.studies == base])]], [reference_s], color="#bdbdbd",
                label="Jupyter Book executes and assembles")
    ax.invert_yaxis()
    ax.set_xlabel("seconds (wall clock)")
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    ax.figure.tight_layout()
    return ax


def redraw(output_dir: Path = OUTPUT_DIR) -> Path:
    """Draw ``benchmark.svg`` from ``benchmark.csv`` (written by :func:`run_benchmark`)."""
    import matplotlib.pyplot as plt

    with (output_dir / "benchmark.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    timings = [Timing(int(r["studies"]), r["scenario"], int(r["notebooks_executed"]), int(r["notebooks"]),
                      float(r["validate_s"]), float(r["execute_s"]), float(r["assemble_s"]), float(r["total_s"]))
               for r in rows if r["scenario"] != REFERENCE_SCENARIO]
    reference_s = next((float(r["total_s"]) for r in rows if r["scenario"] == REFERENCE_SCENARIO), None)
    # A fixed salt and no date: the same table draws the same file, byte for byte.
    with plt.rc_context({"svg.hashsalt": "livingreview-bench"}):
        ax = plot(timings, reference_s)
        path = output_dir / "benchmark.svg"
        ax.figure.savefig(path, metadata={"Date": None})
    plt.close(ax.figure)
    return path


def _write_placeholders(folder: Path) -> None:
    """Tables and a figure that say "not measured yet", for a build before the first benchmark."""
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("benchmark", "ratios", "floor", "machine", "page_weight"):
        (folder / f"{name}.csv").write_text("status\nnot measured yet: run make bench\n", encoding="utf-8")
    figure = plt.figure(figsize=(4, 1))
    figure.text(0.5, 0.5, "not measured yet", ha="center")
    figure.savefig(folder / "benchmark.svg", metadata={"Date": None})
    plt.close(figure)


def run_benchmark(sizes=DEFAULT_SIZES, study: str = DEFAULT_STUDY, output_dir: Path = OUTPUT_DIR,
                  log=print, data_dir: Path = paths.DATA_DIR, floor_repeats: int = FLOOR_REPEATS,
                  reference: bool = True) -> Path:
    """Run every measurement in one go on copies of ``data_dir`` (as it is, then grown to each
    of ``sizes`` studies; ``study`` is the one the update changes) and write the tables and the
    figure to ``output_dir``; returns it. Without ``reference``, Jupyter Book's own build of the
    same notebooks (the slowest measurement, one kernel started per notebook) is left out."""
    import matplotlib

    matplotlib.use("Agg")
    check_chromium()  # before minutes of builds, not after them
    # The builds measured include the page that shows these files: it needs them to exist.
    if not (OUTPUT_DIR / "benchmark.svg").is_file():
        _write_placeholders(OUTPUT_DIR)
    work = Path(tempfile.mkdtemp(prefix="livingreview-bench-"))
    timings: list[Timing] = []
    reference_s = None
    # Before anything is written: the tables written below are files of the checkout too.
    code = measured_code()
    try:
        base_studies = len([p for p in paths.studies_dir(data_dir).iterdir() if p.is_dir()])
        for studies in (base_studies, *sizes):
            data = synthetic_data(work / f"data-{studies}", studies, source=data_dir)
            build = work / f"build-{studies}"
            log(f"bench: {studies} studies: cold build")
            timings.append(timed_build("cold", data, build, studies))
            log(f"bench: {studies} studies: no-op rebuild")
            timings.append(timed_build("no-op", data, build, studies))
            change = edit_one_study(data, study)
            log(f"bench: {studies} studies: one-study update ({change})")
            timings.append(timed_build("one-study update", data, build, studies))
            if studies == base_studies:
                log("bench: page weights: Chromium opens every page of the site")
                weights = page_weights(build / paths.SITE_DIRNAME)
            if studies == base_studies and reference:
                log("bench: reference: Jupyter Book executes the same notebooks")
                reference_data = synthetic_data(work / "data-reference", studies, source=data_dir)
                reference_s = reference_build(reference_data, work / "reference",
                                              build / paths.RESULTS_DIRNAME)
        log("bench: floor: kernel start and imports")
        floor = kernel_floor(work / "floor", floor_repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    output_dir.mkdir(parents=True, exist_ok=True)
    cold = next(t for t in timings if t.scenario == "cold")
    cores = os.cpu_count() or 1
    floor_rows = [{"measure": f"one notebook, {name}", "seconds": seconds} for name, seconds in floor.items()]
    floor_rows += [{"measure": f"{cold.notebooks} notebooks x floor ({name}) / {cores} cores + assembly",
                    "seconds": round(cold.notebooks * seconds / cores + cold.assemble_s, 2)}
                   for name, seconds in floor.items()]
    floor_rows.append({"measure": f"cold build, {cold.studies} studies", "seconds": cold.total_s})
    measured_reference = [] if reference_s is None else [
        asdict(Timing(cold.studies, REFERENCE_SCENARIO, cold.notebooks, cold.notebooks, 0.0, 0.0, 0.0, reference_s))]
    _write_csv(output_dir / "benchmark.csv", [asdict(t) for t in timings] + measured_reference)
    _write_csv(output_dir / "ratios.csv", ratios(timings, reference_s))
    _write_csv(output_dir / "floor.csv", floor_rows)
    _write_csv(output_dir / "machine.csv", [{"item": k, "value": v} for k, v in machine(code).items()])
    _write_csv(output_dir / "page_weight.csv", weight_table(weights))
    redraw(output_dir)
    return output_dir
