"""The living-update workflow without a build: comparing two results tables, choosing what
the "What changed" page compares with, the release read from the changelog, and the
new-study scaffold."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import livingreview
from livingreview import paths
from livingreview.build.plan import BuildLayout
from livingreview.build.staged_results import comparison_baseline, publish_results
from livingreview.results.changes import Release, compare_results, identified
from livingreview.cli import main
from livingreview.results.release import ChangelogError, release_version
from livingreview.results.table import CERTAINTY_STATISTIC, RESULT_COLUMNS
from livingreview.curated.scaffold import PLACEHOLDER, ScaffoldError, scaffold_study
from livingreview.validation.data_folder import validate_data_dir

from ..conftest import FIXTURES

NEW_STUDY = FIXTURES / "new_study" / "poe2026"


def results(*rows: dict) -> pd.DataFrame:
    """A results table from partial rows (other columns empty)."""
    base = {c: "" for c in RESULT_COLUMNS} | {"estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    return pd.DataFrame([base | r for r in rows], columns=RESULT_COLUMNS)


def pooled(estimate, low, high, studies="a, b", statistic="pooled_percent") -> dict:
    return {"scope": "synthesis/response", "arm": "first_line_advanced", "population": "anlotinib arms",
            "endpoint": "ORR", "statistic": statistic, "estimate": estimate, "ci_low": low, "ci_high": high,
            "method": f"binomial-normal GLMM; studies: {studies}"}


def ratio(estimate, low, high) -> dict:
    return {"scope": "synthesis/comparative", "arm": "anlotinib vs control", "population": "fas",
            "endpoint": "PFS (x2025)", "statistic": "hazard_ratio", "estimate": estimate, "ci_low": low,
            "ci_high": high, "method": "printed, adjusted"}


def certainty(level: int) -> dict:
    return {"scope": "synthesis/bias_integrity_certainty", "arm": "first_line_advanced",
            "population": "anlotinib arms", "endpoint": "ORR", "statistic": CERTAINTY_STATISTIC,
            "estimate": level, "method": "GRADE, judged in certainty.yaml; studies: a, b"}


BEFORE = Release("1.0.0", ["a", "b"])
AFTER = Release("1.1.0", ["a", "b", "c"])


def test_identical_tables_show_no_change():
    table = results(pooled(60.0, 50.0, 70.0), ratio(0.8, 0.6, 1.1))
    changes = compare_results(table, table.copy(), BEFORE, BEFORE)
    assert changes.nothing_changed and not changes.first_build


def test_no_previous_build_is_the_first_build():
    changes = compare_results(None, results(pooled(60.0, 50.0, 70.0)), None, AFTER)
    assert changes.first_build and not changes.nothing_changed


def test_an_added_study_moves_the_pool_and_changes_its_study_list():
    before = results(pooled(60.0, 50.0, 70.0, "a, b"))
    after = results(pooled(55.5, 47.0, 64.0, "a, b, c"),
                    {"scope": "c", "arm": "x", "population": "p", "endpoint": "ORR",
                     "statistic": "proportion_percent", "estimate": 50.0, "method": "exact"})
    changes = compare_results(before, after, BEFORE, AFTER)
    assert changes.studies_added == ["c"] and changes.studies_removed == []
    # One statistic, matched across the change of its study list, moved by -4.5 points.
    assert len(changes.moved) == 1
    assert changes.moved["change"].iloc[0] == pytest.approx(-4.5, abs=1e-12)
    assert changes.pooled_studies[["studies_before", "studies_after"]].values.tolist() == [["a, b", "a, b, c"]]
    assert changes.appeared["scope"].tolist() == ["c"]
    assert changes.disappeared.empty


def test_a_moved_interval_alone_counts_as_moved():
    changes = compare_results(results(pooled(60.0, 50.0, 70.0)), results(pooled(60.0, 49.0, 70.0)),
                              BEFORE, BEFORE)
    assert len(changes.moved) == 1 and changes.moved["change"].iloc[0] == 0


def test_differences_below_the_stored_precision_are_not_moves():
    # results.csv keeps 10 significant digits; a difference in the 12th is the same value.
    changes = compare_results(results(pooled(60.0, 50.0, 70.0)), results(pooled(60.000000000001, 50.0, 70.0)),
                              BEFORE, BEFORE)
    assert changes.moved.empty


@pytest.mark.parametrize("after, what, was, now", [
    ((1.2, 0.9, 1.5), "direction", "below 1", "above 1"),
    ((0.7, 0.55, 0.9), "significance", "interval includes 1", "interval excludes 1"),
])
def test_a_ratio_that_crosses_1_or_becomes_significant_is_a_changed_conclusion(after, what, was, now):
    changes = compare_results(results(ratio(0.8, 0.6, 1.1)), results(ratio(*after)), BEFORE, BEFORE)
    found = changes.conclusions[changes.conclusions["what"] == what]
    assert found[["before", "after"]].values.tolist() == [[was, now]]


def test_a_ratio_that_moves_on_its_side_of_1_changes_no_conclusion():
    changes = compare_results(results(ratio(0.8, 0.6, 1.1)), results(ratio(0.85, 0.62, 1.16)), BEFORE, BEFORE)
    assert len(changes.moved) == 1 and changes.conclusions.empty


def test_a_grade_certainty_that_changes_level_is_a_changed_conclusion():
    changes = compare_results(results(certainty(2)), results(certainty(1)), BEFORE, BEFORE)
    assert changes.conclusions[["what", "before", "after"]].values.tolist() == [["certainty (GRADE)", "low", "very low"]]


def test_the_same_number_printed_twice_is_one_statistic_and_distinct_values_are_matched_in_order():
    row = {"scope": "s", "arm": "x", "population": "p", "endpoint": "PR", "statistic": "proportion_percent",
           "method": "exact"}
    table = results(row | {"estimate": 58.8, "data_row": 1}, row | {"estimate": 58.8, "data_row": 22},
                    row | {"estimate": 40.0, "data_row": 30})
    assert identified(table)["occurrence"].tolist() == [0, 1]
    later = results(row | {"estimate": 58.8, "data_row": 1}, row | {"estimate": 41.0, "data_row": 30})
    changes = compare_results(table, later, BEFORE, BEFORE)
    assert changes.moved[["estimate_before", "estimate_after"]].values.tolist() == [[40.0, 41.0]]


# ----------------------------------------------------------------------------- baseline


def _write(folder: Path, text: str, version: str = "1.0.0") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / paths.RESULTS_FILE_NAME).write_text(text, encoding="utf-8")
    Release(version, ["a"]).write(folder / paths.RELEASE_FILE_NAME)


def test_the_comparison_follows_the_last_published_results_that_differ(tmp_path):
    layout = BuildLayout(tmp_path)
    _write(layout.staged_results, "first")
    assert comparison_baseline(layout) is None  # nothing published yet
    publish_results(layout, None)

    _write(layout.staged_results, "first")  # a rebuild that changes nothing
    assert comparison_baseline(layout) is None
    publish_results(layout, None)

    _write(layout.staged_results, "second")  # results moved: compare with the published ones
    baseline = comparison_baseline(layout)
    assert baseline == layout.published_results
    publish_results(layout, baseline)
    assert (layout.previous_results / paths.RESULTS_FILE_NAME).read_text(encoding="utf-8") == "first"
    assert layout.results.read_text(encoding="utf-8") == "second"

    _write(layout.staged_results, "second")  # no change: keep comparing with "first"
    assert comparison_baseline(layout) == layout.previous_results
    publish_results(layout, layout.previous_results)
    assert (layout.previous_results / paths.RESULTS_FILE_NAME).read_text(encoding="utf-8") == "first"


def test_a_new_release_with_the_same_numbers_is_compared_with_the_last(tmp_path):
    layout = BuildLayout(tmp_path)
    _write(layout.staged_results, "same", "1.0.0")
    publish_results(layout, None)
    _write(layout.staged_results, "same", "1.1.0")
    assert comparison_baseline(layout) == layout.published_results


# ----------------------------------------------------------------------------- release


def test_the_package_version_is_the_newest_release_in_the_changelog():
    assert release_version().version == livingreview.__version__


def test_unreleased_changes_are_named_and_a_changelog_without_release_is_an_error(tmp_path):
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## [Unreleased]\n\n- a new study\n\n## [1.2.0] - 2026-11-23\n\n- x\n",
                         encoding="utf-8")
    release = release_version(changelog)
    assert (release.version, release.date, release.unreleased_changes) == ("1.2.0", "2026-11-23", True)
    assert release.label == "1.2.0 (2026-11-23) with unreleased changes"
    changelog.write_text("# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2026-11-23\n", encoding="utf-8")
    assert release_version(changelog).label == "1.2.0 (2026-11-23)"
    changelog.write_text("# Changelog\n\nNothing yet.\n", encoding="utf-8")
    with pytest.raises(ChangelogError, match="no release heading"):
        release_version(changelog)


# ----------------------------------------------------------------------------- scaffold


def _key_paths(content, prefix: str = "") -> set[str]:
    """Every key path of a YAML document, list positions written as []."""
    if isinstance(content, dict):
        return {p for k, v in content.items() for p in {f"{prefix}{k}"} | _key_paths(v, f"{prefix}{k}.")}
    if isinstance(content, list):
        return {p for v in content for p in _key_paths(v, prefix.rstrip(".") + "[].")}
    return set()


def test_a_scaffolded_study_fails_validation_on_each_placeholder(data_copy):
    scaffold_study("smith2026", data_copy)
    problems = validate_data_dir(data_copy)
    assert problems, "an unfilled template must not pass validation"
    assert all(PLACEHOLDER in (p.value or "") for p in problems)
    files = {Path(p.file).name for p in problems}
    assert files == {"study.yaml", "risk_of_bias.yaml", "integrity.yaml"}
    assert any(p.column == "citation.year" and p.file.endswith("smith2026/study.yaml") for p in problems)
    assert "expected the extracted value, not the new-study placeholder" in str(problems[0])


def test_a_filled_scaffold_passes_validation(data_copy):
    written = scaffold_study("poe2026", data_copy)
    folder = written[0].parent
    for path in written:
        filled = NEW_STUDY / path.name
        if path.suffix == ".csv":
            # The template's header is the table's header.
            assert filled.read_text(encoding="utf-8").splitlines()[0] == path.read_text(encoding="utf-8").strip()
        else:
            # Every key of the filled file was in the template (optional ones may be deleted).
            template = yaml.safe_load(path.read_text(encoding="utf-8"))
            assert _key_paths(yaml.safe_load(filled.read_text(encoding="utf-8"))) <= _key_paths(template), path.name
        shutil.copy2(filled, folder / path.name)
    assert validate_data_dir(data_copy) == []


def test_the_scaffold_lists_every_domain_of_the_chosen_tool_and_every_integrity_check(data_copy):
    folder = scaffold_study("roe2026", data_copy, rob_tool="robins_i")[0].parent
    tools = yaml.safe_load((data_copy / paths.ROB_TOOLS_FILE_NAME).read_text(encoding="utf-8"))
    judgement = yaml.safe_load((folder / "risk_of_bias.yaml").read_text(encoding="utf-8"))
    assert [d["domain"] for d in judgement["domains"]] == [d["id"] for d in tools["robins_i"]["domains"]]
    checks = yaml.safe_load((data_copy / paths.INTEGRITY_CHECKS_FILE_NAME).read_text(encoding="utf-8"))
    screen = yaml.safe_load((folder / "integrity.yaml").read_text(encoding="utf-8"))
    assert [c["check"] for c in screen["checks"]] == list(checks)


@pytest.mark.parametrize("study_id, rob_tool, message", [
    ("Smith2026", "minors", "must be lowercase"),
    ("doe2024", "minors", "already exists"),
    ("smith2026", "cochrane", "unknown risk-of-bias tool 'cochrane'"),
])
def test_the_scaffold_refuses_a_bad_id_an_existing_folder_or_an_unknown_tool(data_copy, study_id, rob_tool, message):
    before = sorted(p.name for p in (data_copy / "studies").iterdir())
    with pytest.raises(ScaffoldError, match=message):
        scaffold_study(study_id, data_copy, rob_tool=rob_tool)
    assert sorted(p.name for p in (data_copy / "studies").iterdir()) == before


def test_the_new_study_command_exits_non_zero_on_an_existing_folder(data_copy, capsys):
    assert main(["--data-dir", str(data_copy), "new-study", "smith2026"]) == 0
    assert re.search(r"created .*smith2026/ with study\.yaml", capsys.readouterr().out)
    assert main(["--data-dir", str(data_copy), "new-study", "smith2026"]) == 1
    assert "already exists" in capsys.readouterr().err
