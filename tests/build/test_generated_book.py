"""The whole book builds on a generated review of three random valid studies (see
:mod:`tests.generated_studies`); the faster property-based test in
:mod:`tests.build.test_generated_studies` runs every page's code on many more."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from livingreview.build.book import build_book
from livingreview.validation.data_folder import validate_data_dir

from ..generated_studies import reviews, write_review


@pytest.mark.slow
@settings(max_examples=1, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plans=reviews(min_studies=3, max_studies=3))
def test_the_whole_book_builds_on_a_generated_review(plans, tmp_path_factory):
    root = tmp_path_factory.mktemp("generated_book")
    data = write_review(plans, root / "data")
    assert not validate_data_dir(data)
    report = build_book(data, root / "build", jobs=2, log=lambda *_: None)
    assert (root / "build/html/index.html").is_file()
    assert {f"studies/{p['study_id']}" for p in plans} <= set(report.executed)
