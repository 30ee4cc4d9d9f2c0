"""Command line: ``python -m livingreview <command>`` (the Makefile calls these)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import paths


def _check_data(args: argparse.Namespace) -> int:
    from .validation.data_folder import data_warnings, validate_data_dir

    problems = validate_data_dir(args.data_dir)
    if not problems:
        for warning in data_warnings(args.data_dir):
            print(f"check-data: warning: {warning}", file=sys.stderr)
    if problems:
        print(f"check-data: {len(problems)} problem(s) in {paths.relative_to_root(args.data_dir)}:",
              file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"check-data: {paths.relative_to_root(args.data_dir)} is valid")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from .audit.run import audit_data_dir, summary
    from .validation.data_folder import require_valid
    from .validation.problems import DataValidationError

    try:
        require_valid(args.data_dir)
    except DataValidationError as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 1
    findings = audit_data_dir(args.data_dir)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        findings.to_csv(args.output, index=False)
        print(f"audit: {len(findings)} checks written to {paths.relative_to_root(args.output)}")
    print(summary(findings))
    return 0


def _datapackage(args: argparse.Namespace) -> int:
    from .curated.datapackage import write_datapackage

    path = write_datapackage(args.data_dir)
    print(f"datapackage: wrote {paths.relative_to_root(path)}")
    return 0


def _book(args: argparse.Namespace) -> int:
    from .build.book import build_book
    from .build.plan import BuildError

    try:
        report = build_book(args.data_dir, args.build_dir, args.jobs)
        if args.timings:
            args.timings.write_text(json.dumps({"executed": report.executed, "reused": report.reused,
                                                "seconds": report.seconds}, indent=1), encoding="utf-8")
    except BuildError as exc:
        print(f"book: {exc}", file=sys.stderr)
        print("book: build failed; the published site was left as it was.", file=sys.stderr)
        return 1
    timings = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in report.seconds.items())
    print(f"book: executed {len(report.executed)}, reused {len(report.reused)} notebook(s) ({timings})")
    print(f"book: results table: {paths.relative_to_root(report.results)}")
    print(f"book: the site is in {paths.relative_to_root(report.site)}; open "
          f"{(report.site / 'index.html').as_uri()} or run `make serve`")
    return 0


def _release(args: argparse.Namespace) -> int:
    """Build, record the release named by the changelog's newest heading, then rebuild so that
    the site names itself the release (only the pages showing the release status re-run)."""
    from .build.book import build_book
    from .build.plan import BuildError, BuildLayout
    from .results.release import ChangelogError, ReleaseError, record_release, release_version, releases_dir
    from .search.schedule import last_search_date

    try:
        version = release_version()
        target = releases_dir(args.data_dir) / version.version
        if target.exists():
            raise ReleaseError(f"release {version.version} is already recorded in "
                               f"{paths.relative_to_root(target)}; a release is never overwritten: add a new "
                               "heading to the changelog")
        build_book(args.data_dir, args.build_dir)
        recorded = record_release(args.data_dir, BuildLayout(args.build_dir).published_results,
                                  search_date=last_search_date(args.data_dir))
        build_book(args.data_dir, args.build_dir)
    except (BuildError, ChangelogError, ReleaseError) as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    print(f"release: recorded release {recorded.label} in {paths.relative_to_root(recorded.folder)}; "
          "commit that folder")
    return 0


def _import_search(args: argparse.Namespace) -> int:
    from .search.importing import import_run
    from .search.records import SearchError

    try:
        report = import_run(args.data_dir, args.run_id)
    except SearchError as exc:  # includes a malformed export, named by file and record
        print(f"import-search: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def _harness(args: argparse.Namespace) -> int:
    from .statistics.simulation import run_harness, summarise

    errors = run_harness(replicates=args.replicates)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    errors.to_csv(args.output, index=False)
    print(f"harness: {errors['seed'].nunique()} simulated trials; errors written to "
          f"{paths.relative_to_root(args.output)}")
    print(summarise(errors, by="n").to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def _metafor_inputs(args: argparse.Namespace) -> int:
    from .statistics.reference import analysis_inputs

    inputs = analysis_inputs(args.data_dir)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    inputs.to_csv(args.output, index=False, float_format="%.17g", lineterminator="\n")
    print(f"metafor-inputs: {len(inputs)} rows of {inputs.groupby(['analysis', 'group', 'endpoint']).ngroups} "
          f"analyses written to {paths.relative_to_root(args.output)}")
    return 0


def _new_study(args: argparse.Namespace) -> int:
    from .curated.scaffold import ScaffoldError, scaffold_study

    try:
        written = scaffold_study(args.study_id, args.data_dir, rob_tool=args.rob_tool)
    except ScaffoldError as exc:
        print(f"new-study: {exc}", file=sys.stderr)
        return 1
    folder = paths.relative_to_root(written[0].parent)
    print(f"new-study: created {folder}/ with " + ", ".join(p.name for p in written))
    print("next: replace every FILL IN in the YAML files, add one row per printed number to the "
          "tables, then run `make check-data` until it passes (it lists what is still to fill), "
          "and `make book`")
    return 0


def _bench(args: argparse.Namespace) -> int:
    import csv

    from .build.bench import run_benchmark

    output = run_benchmark(args.sizes, args.study, args.output, data_dir=args.data_dir,
                           floor_repeats=args.floor_repeats)
    with (output / "ratios.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            print(f"bench: {row['ratio']}: {row['value']} {row['target']} {row['met']}".rstrip())
    print(f"bench: tables and figure written to {paths.relative_to_root(output)}/")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livingreview", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=paths.DATA_DIR,
                        help="curated data folder (default: data/)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check-data", help="validate data/ against the data dictionary").set_defaults(
        run=_check_data)
    audit = commands.add_parser("audit", help="recompute printed numbers and list mismatches")
    audit.add_argument("--output", type=Path, help="write the full audit table (CSV) here")
    audit.set_defaults(run=_audit)
    commands.add_parser("datapackage", help="regenerate data/datapackage.json").set_defaults(
        run=_datapackage)
    book = commands.add_parser("book", help="build the site: validate, execute, assemble, publish")
    book.add_argument("--build-dir", type=Path, default=paths.BUILD_DIR,
                      help="build folder; the site goes to <build-dir>/html (default: _build/)")
    book.add_argument("--jobs", type=int, default=None,
                      help="notebooks executed in parallel (default: number of cores)")
    book.add_argument("--timings", type=Path, default=None,
                      help="also write the stage times and the notebooks executed and reused, as JSON "
                           "(make bench reads it)")
    book.set_defaults(run=_book)
    release = commands.add_parser("release", help="build, then record the release named by the newest "
                                                  "CHANGELOG heading in releases/<version>/ (never overwritten)")
    release.add_argument("--build-dir", type=Path, default=paths.BUILD_DIR, help="build folder (default: _build/)")
    release.set_defaults(run=_release)
    search = commands.add_parser("import-search", help="import a search run's export (RIS or nbib) into "
                                                       "data/search/records.csv, marking duplicates")
    search.add_argument("run_id", help="the run's run_id in data/search/searches.yaml")
    search.set_defaults(run=_import_search)
    new_study = commands.add_parser("new-study", help="create a study folder from templates, ready to fill")
    new_study.add_argument("study_id", help="first author's surname and year, lowercase (e.g. li2022)")
    new_study.add_argument("--rob-tool", default="minors",
                           help="risk-of-bias tool whose domains the template lists, an id of "
                                "data/vocabulary/rob_tools.yaml: minors (single arm), robins_i "
                                "(non-randomised comparison) or rob_2 (randomised trial); default minors")
    new_study.set_defaults(run=_new_study)
    harness = commands.add_parser("harness", help="validate the survival reconstruction by simulation")
    harness.add_argument("--replicates", type=int, default=20, help="simulated trials per design")
    harness.add_argument("--output", type=Path, default=paths.BUILD_DIR / "harness" / "errors.csv",
                         help="where to write every data set's errors")
    harness.set_defaults(run=_harness)
    inputs = commands.add_parser("metafor-inputs", help="write the inputs of every pooled analysis (for the R reference)")
    inputs.add_argument("--output", type=Path, default=paths.PROJECT_ROOT / "tests/fixtures/metafor/inputs.csv",
                        help="where to write them")
    inputs.set_defaults(run=_metafor_inputs)
    bench = commands.add_parser("bench", help="time cold, no-op and one-study-update builds against "
                                              "Jupyter Book's own execution, at several review sizes")
    bench.add_argument("--sizes", type=int, nargs="*", default=[25, 50],
                       help="numbers of studies to grow the review to with fixture copies (default 25 50)")
    bench.add_argument("--study", default="li2022", help="the study whose data the update changes")
    bench.add_argument("--output", type=Path, default=paths.BOOK_DIR / "performance",
                       help="where the tables and the figure go (default: book/performance/)")
    bench.add_argument("--floor-repeats", type=int, default=5,
                       help="times the kernel floor is measured each way; the median is kept (default 5)")
    bench.set_defaults(run=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
