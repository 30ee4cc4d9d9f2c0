"""Property-based tests: data that pass validation always build.

``hypothesis`` generates reviews of one to three random valid studies (see
:mod:`tests.generated_studies`: any of the fixture designs, populations of 1 to 400 patients,
counts from 0 to n, medians not reached, optional tables missing, dates in any valid order).
Each must pass validation, and then every page's code must run on it without raising: the
code cells of every notebook are executed in this process, as papermill would run them, with
figures drawn but not rendered (rendering is the slow part and never reads the data). The
whole book is built on a generated review in :mod:`tests.build.test_generated_book`.

The number of examples is bounded so that the suite keeps its time budget; a failing example
that hypothesis shrinks becomes a regular test below.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

import matplotlib
import nbformat
from hypothesis import HealthCheck, given, settings

from livingreview.build.execute import run_parameters
from livingreview.build.plan import plan_runs
from livingreview.validation.data_folder import validate_data_dir

from ..generated_studies import reviews, write_review

# Examples per run of the suite: each runs every notebook's code on a new review (10 to 20 s).
# Two keep `make test` within its time (each review builds every page, Bayesian pools
# included; the browser weighs every page); LIVINGREVIEW_FUZZ_EXAMPLES=50 searches further.
EXAMPLES = int(os.environ.get("LIVINGREVIEW_FUZZ_EXAMPLES", "2"))


@contextlib.contextmanager
def _pages_without_rendering():
    """Figures are built and closed, not rendered; glue is a no-op (outside a kernel)."""
    import matplotlib.pyplot as plt

    from livingreview.pages import display

    matplotlib.use("Agg")
    saved = display.show_figure, display.glue_facts
    display.show_figure = lambda figure: figure is not None and plt.close(figure)
    display.glue_facts = lambda facts: dict(facts)
    try:
        yield
    finally:
        display.show_figure, display.glue_facts = saved
        plt.close("all")


# Pages that read none of the review's data (the harness page simulates its own trials): a
# generated review cannot change them, and the build tests run them.
PAGES_WITHOUT_DATA = {"validation"}


def run_every_page(data: Path, work: Path) -> list[str]:
    """Execute the code cells of every notebook run of the book on ``data``, in this process;
    returns the pages run. Raises whatever a page raises, naming the page and cell."""
    ran = []
    with _pages_without_rendering():
        for run in plan_runs(data):
            if run.compares_results:
                continue  # the changes page compares two builds' results; the build test covers it
            if run.key in PAGES_WITHOUT_DATA:
                continue
            folder = work / run.key
            folder.mkdir(parents=True, exist_ok=True)
            parameters = run_parameters(run, data, folder / "results.csv", folder)
            notebook = nbformat.read(run.notebook, as_version=4)
            namespace: dict = {"__name__": "__page__", "display": lambda *objects, **options: None}
            cwd = os.getcwd()
            os.chdir(folder)
            try:
                for index, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
                    source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
                    try:
                        exec(compile(source, f"{run.key}, cell {index}", "exec"), namespace)
                    except Exception as error:
                        raise AssertionError(f"page {run.key}, code cell {index}: {error!r}") from error
                    if "parameters" in cell.metadata.get("tags", []):
                        namespace.update(parameters)
            finally:
                os.chdir(cwd)
            ran.append(run.key)
    return ran


def check_review(plans, root: Path) -> None:
    data = write_review(plans, root / "data")
    problems = validate_data_dir(data)
    assert not problems, "a generated review does not validate:\n" + "\n".join(map(str, problems))
    with warnings.catch_warnings():
        # A warning a kernel prints reaches the page's stderr and fails the strict build; a
        # DeprecationWarning raised inside a library is one a kernel does not show.
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        ran = run_every_page(data, root / "pages")
    assert {f"studies/{p['study_id']}" for p in plans} <= set(ran)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plans=reviews())
def test_every_page_runs_on_any_valid_review(plans, tmp_path_factory):
    check_review(plans, tmp_path_factory.mktemp("review"))


# Examples the property-based test found (shrunk by hand to what matters), kept as regular tests.
def _plan(**changes) -> dict:
    plan = {"study_id": "gen0s", "template": "single_arm", "setting": "first_line_advanced",
            "sizes": {"enrolled": 40, "efficacy": 38}, "fractions": [0.5] * 40, "extremes": ["any"] * 40,
            "median_not_reached": False, "dropped": set(), "enrolment_months": 12, "cutoff_days": 100,
            "published": True}
    return {**plan, **changes}


def test_a_study_without_adverse_event_rows_builds(tmp_path):
    # Stacking its empty safety table with the others made pandas warn on the page (a
    # FutureWarning, which fails the strict build).
    check_review([_plan(dropped={"adverse_events.csv"}),
                  _plan(study_id="gen1r", template="randomised", sizes={"itt_anlotinib": 60, "itt_placebo": 30})],
                 tmp_path)


def test_a_review_in_which_no_arm_can_be_rebuilt_builds(tmp_path):
    # With every median not reached and no digitised curve there is no rebuilt arm, and the
    # Kaplan-Meier teaching chapter divided by its zero patients.
    check_review([_plan(study_id="gen0r", template="randomised", sizes={"itt_anlotinib": 41, "itt_placebo": 204},
                        median_not_reached=True)], tmp_path)
