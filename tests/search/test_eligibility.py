"""The review's eligibility criteria checked on each study folder: validation names the
criterion a study fails."""

from __future__ import annotations

import shutil

import yaml

from livingreview.validation.data_folder import validate_data_dir

from ..conftest import VALID_DATA


def _data(tmp_path, edit):
    data = tmp_path / "data"
    shutil.copytree(VALID_DATA, data)
    review = yaml.safe_load((data / "review.yaml").read_text(encoding="utf-8"))
    review["eligibility_checks"] = {"intervention_combination": True, "min_patients": 10}
    (data / "review.yaml").write_text(yaml.safe_dump(review, sort_keys=False), encoding="utf-8")
    path = data / "studies/doe2024/study.yaml"
    meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(meta)
    path.write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return data


def test_the_fixture_studies_meet_the_criteria(tmp_path):
    assert validate_data_dir(_data(tmp_path, lambda meta: None)) == []


def test_the_intervention_alone_is_named_as_the_failed_criterion(tmp_path):
    def monotherapy(meta):
        for arm in meta["arms"]:
            arm["partners"] = []

    problems = [str(p) for p in validate_data_dir(_data(tmp_path, monotherapy))]
    assert len(problems) == 1
    assert "studies/doe2024/study.yaml" in problems[0] and "key 'arms'" in problems[0]
    assert "examplinib alone is excluded" in problems[0]
    assert "recorded as excluded in search/screening.csv" in problems[0]


def test_a_study_below_the_minimum_size_is_named(tmp_path):
    def tiny(meta):
        for population in meta["populations"]:
            population["n"] = 6

    problems = [str(p) for p in validate_data_dir(_data(tmp_path, tiny))]
    assert any("key 'populations'" in p and "found '6'" in p and "at least 10 patients" in p for p in problems)
