"""Validation of what a study's notes refer to: the data rows that claims.csv, findings.csv
and errata.csv name exist, each claim has what its rule needs, finding ids are used once, an
erratum replaces a row by a later one, and integrity.yaml cites existing findings.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import paths
from ..curated.dictionary import load_dictionary
from ..curated.integrity import INTEGRITY_FILE
from ..curated.rowrefs import parse_row_refs, ref_problems
from ..curated.studies import ROW_COLUMN, read_csv_text, read_yaml
from .problems import Problem


def validate_references(folder: Path) -> list[Problem]:
    """Row references of claims.csv and findings.csv name existing data rows; each claim has
    what its rule needs; finding ids are F1, F2, ... used once; a finding's second side has
    both its place and its quote."""
    problems = []
    sizes = _table_sizes(folder)
    claims_path, findings_path = folder / "claims.csv", folder / "findings.csv"
    if claims_path.is_file():
        file = paths.relative_to_root(claims_path)
        for row in read_csv_text(claims_path).to_dict("records"):
            number, wrong = int(row[ROW_COLUMN]), ref_problems(row["rows"], sizes)
            if wrong:
                problems.append(Problem(file, number, "rows", row["rows"], "; ".join(wrong)))
                continue
            needed, (least, most) = CLAIM_NEEDS[row["claim"]]
            problems += [Problem(file, number, column, None, f"a value (a {row['claim']} claim needs it)")
                         for column in needed if not row[column].strip()]
            n = len(parse_row_refs(row["rows"]))
            if n < least or (most is not None and n > most):
                count = {(2, 2): "two data rows (the larger rate first)", (1, None): "at least one data row",
                         (0, 0): "no data rows"}[(least, most)]
                problems.append(Problem(file, number, "rows", row["rows"] or None, f"{count} for a {row['claim']} claim"))
    if findings_path.is_file():
        file = paths.relative_to_root(findings_path)
        seen: dict[str, int] = {}
        for row in read_csv_text(findings_path).to_dict("records"):
            number = int(row[ROW_COLUMN])
            if not re.fullmatch(r"F[1-9][0-9]*", row["finding_id"]):
                problems.append(Problem(file, number, "finding_id", row["finding_id"], "an id F1, F2, ..."))
            elif row["finding_id"] in seen:
                problems.append(Problem(file, number, "finding_id", row["finding_id"],
                                        f"an id used once (row {seen[row['finding_id']]} has it)"))
            seen.setdefault(row["finding_id"], number)
            for column in ("rows_a", "rows_b"):
                wrong = ref_problems(row[column], sizes)
                if wrong:
                    problems.append(Problem(file, number, column, row[column], "; ".join(wrong)))
            if bool(row["source_b"].strip()) != bool(row["quote_b"].strip()):
                missing = "quote_b" if row["source_b"].strip() else "source_b"
                problems.append(Problem(file, number, missing, None,
                                        "both the place and the quote of the second side, or neither"))
    errata_path = folder / "errata.csv"
    if errata_path.is_file():
        problems += _errata_problems(errata_path, sizes)
    integrity_path = folder / INTEGRITY_FILE
    if integrity_path.is_file():
        known = set(read_csv_text(findings_path)["finding_id"]) if findings_path.is_file() else set()
        screen = read_yaml(integrity_path) or {}
        for i, check in enumerate(screen.get("checks") or []):
            for finding_id in check.get("findings") or []:
                if finding_id not in known:
                    problems.append(Problem(paths.relative_to_root(integrity_path), None, f"checks[{i}].findings",
                                            finding_id, "the finding_id of a row of findings.csv"))
    return problems


def _table_sizes(folder: Path) -> dict[str, int]:
    """Data rows of each curated table the study folder has."""
    return {name: len(read_csv_text(folder / spec.file)) for name, spec in load_dictionary().study_tables.items()
            if (folder / spec.file).is_file()}


# What each claim needs besides its quote: (columns that must be filled, number of data rows).
CLAIM_NEEDS = {"fold_change": (("stated",), (2, 2)), "all": ((), (1, None)), "none": ((), (1, None)),
               "schedule": (("stated", "range_start", "range_end"), (0, 0))}


def _errata_problems(path: Path, sizes: dict[str, int]) -> list[Problem]:
    """Each erratum replaces an existing row by a later row of the same table, once, on a date."""
    file, problems, replaced = paths.relative_to_root(path), [], {}
    for row in read_csv_text(path).to_dict("records"):
        number = int(row[ROW_COLUMN])
        wrong = {c: ref_problems(row[c], sizes) for c in ("superseded", "replaced_by")}
        problems += [Problem(file, number, c, row[c], "; ".join(w)) for c, w in wrong.items() if w]
        if any(wrong.values()):
            continue
        refs = {c: parse_row_refs(row[c]) for c in ("superseded", "replaced_by")}
        single = [c for c, r in refs.items() if len(r) != 1 or r[0][1] is None]
        problems += [Problem(file, number, c, row[c], "one data row, as table:row") for c in single]
        if single:
            continue
        (old_table, old_row), (new_table, new_row) = refs["superseded"][0], refs["replaced_by"][0]
        if new_table != old_table or new_row <= old_row:
            problems.append(Problem(file, number, "replaced_by", row["replaced_by"],
                                    f"a later row of the same table as {row['superseded']} (an appended row)"))
        if row["superseded"] in replaced:
            problems.append(Problem(file, number, "superseded", row["superseded"],
                                    f"a row replaced once (row {replaced[row['superseded']]} replaces it already)"))
        replaced.setdefault(row["superseded"], number)
        if not re.fullmatch(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", row["date"]):
            problems.append(Problem(file, number, "date", row["date"], "an ISO date as precise as printed"))
    return problems
