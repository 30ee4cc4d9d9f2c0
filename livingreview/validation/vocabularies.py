"""Validation of the tables the whole review shares (the data dictionary's vocabularies): the
adverse-event vocabulary and the context benchmarks."""

from __future__ import annotations

import re
from pathlib import Path

from .. import paths
from ..curated.dictionary import load_dictionary
from ..curated.studies import read_csv_text
from .problems import Problem
from .tables import validate_table


def validate_vocabulary(data_dir: Path) -> tuple[list[str] | None, list[Problem]]:
    """Problems of the AE vocabulary; returns its printed terms."""
    spec = load_dictionary().vocabularies["ae_terms"]
    path = Path(data_dir) / spec.file
    problems = validate_table(path, spec, {}, set())
    if problems:
        return None, problems
    return read_csv_text(path)["printed_term"].tolist(), []


# The only addresses a benchmark may carry: its DOI or its PubMed record (the pages link there).
BENCHMARK_HOSTS = ("doi.org", "pubmed.ncbi.nlm.nih.gov")
URL_PATTERN = re.compile(r"https?://([^/\s]+)")


def validate_benchmarks(data_dir: Path) -> list[Problem]:
    """Problems of the context benchmarks table (absent: no context shown, no problem). A
    number needs its quote and a citation of the publication it is confirmed in; an unconfirmed
    row has no number; no cell holds an address other than a DOI or PubMed link."""
    spec = load_dictionary().vocabularies["benchmarks"]
    path = Path(data_dir) / spec.file
    if not path.exists():
        return []
    problems = validate_table(path, spec, {}, set())
    if problems:
        return problems
    file = paths.relative_to_root(path)
    for number, row in enumerate(read_csv_text(path).to_dict("records"), start=1):
        unconfirmed = row["status"] == "unconfirmed"
        if unconfirmed and row["estimate"]:
            problems.append(Problem(file, number, "estimate", row["estimate"], "no value on an unconfirmed row"))
        if not unconfirmed and not (row["estimate"] and row["quote"] and row["source"]):
            problems.append(Problem(file, number, "quote", row["quote"] or None,
                                    "a value, its source and a verbatim quote (or status 'unconfirmed')"))
        for column, value in row.items():
            for host in URL_PATTERN.findall(str(value)):
                if host.lower().removeprefix("www.") not in BENCHMARK_HOSTS:
                    problems.append(Problem(file, number, column, value,
                                            "no address but a DOI (doi column) or a PubMed link: cite the "
                                            "trial's own publication"))
    return problems
