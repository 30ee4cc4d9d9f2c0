"""The fixture book: built cold once per test run and shared by the build tests."""

from __future__ import annotations

import fcntl
import pickle
import shutil

import pytest

from livingreview.build.book import build_book

from .book_fixture import make_book_data, tree_digest


def _cold_build(root):
    """Build the fixture book cold under ``root``; returns (data dir, build dir, report)."""
    data = make_book_data(root / "data")
    build = root / "build"
    data_before = tree_digest(data)
    report = build_book(data, build, jobs=2, log=lambda *_: None)
    assert tree_digest(data) == data_before, "the build wrote into the data folder"
    return data, build, report


@pytest.fixture(scope="session")
def book(tmp_path_factory, worker_id):
    """A cold build of the fixture data; returns (data dir, build dir, report).

    Built once per run: when the tests run in parallel, the first worker to need it builds it
    (the others wait on a lock) and each worker works on its own copy, brought up to date in
    its place. Tests that edit it put it back; the others work on a copy (``built_copy``)."""
    if worker_id == "master":  # not in parallel
        return _cold_build(tmp_path_factory.mktemp("book"))
    shared = tmp_path_factory.getbasetemp().parent / "fixture-book"
    with open(f"{shared}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "report.pickle").is_file():
            report = _cold_build(shared)[2]
            (shared / "report.pickle").write_bytes(pickle.dumps(report))
    root = tmp_path_factory.mktemp("book")
    data, build = root / "data", root / "build"
    shutil.copytree(shared / "data", data)
    shutil.copytree(shared / "build", build)
    build_book(data, build, jobs=2, log=lambda *_: None)
    return data, build, pickle.loads((shared / "report.pickle").read_bytes())
