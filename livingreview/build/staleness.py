"""Whether a run must execute again, and why.

A run is reused when its notebook, parameters, the package code and the pinned requirements
(hashed, :func:`run_inputs`) are unchanged, and so is every data file it opened and every
folder it listed or read from when it last ran (recorded by its kernel, see
:mod:`livingreview.build.kernel`; compared with a :class:`~livingreview.build.digests.DataSnapshot`
taken before anything executes). :func:`stale_reason` decides this, and says why for the log,
one line per run executed (never built, notebook changed, data changed naming the files, ...).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import paths
from .digests import DataSnapshot, add_to_digest, code_digest
from .plan import Run

# How many changed data files and folders a reason names before "+N more".
REASON_NAMES = 3
PART_REASONS = {"notebook": "notebook changed", "parameters": "parameters changed",
                "code": "package code or requirements changed", "changelog": "changelog changed"}


def _input_pieces(run: Run, code: str):
    """What a run depends on besides the data it reads, as (part, name, content): the part
    says which kind of input the piece is (see :func:`input_parts`)."""
    yield "parameters", "run", json.dumps({"key": run.key, "parameters": run.parameters}, sort_keys=True).encode()
    yield "notebook", "notebook", run.notebook.read_bytes()
    yield "code", "code", code.encode()
    if run.reads_releases:
        yield "changelog", "changelog", paths.CHANGELOG_FILE.read_bytes()
    for name, folder in sorted(run.folder_parameters.items()):
        # Recursive: the releases folder holds one sub-folder per release.
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()) if folder else []:
            yield name, f"{name}:" + path.relative_to(folder).as_posix(), path.read_bytes()


def run_inputs(run: Run, code: str | None = None) -> dict:
    """What the manifest records of a run's inputs, from one read of them: ``inputs``, the
    content hash of everything a run depends on besides the data it reads (the notebook, its
    parameters, the package code, the pinned requirements and its folder parameters), and
    ``parts``, the same pieces digested by kind ("notebook", "parameters", "code",
    "changelog", and each folder parameter by its name) so that the build log can say which
    of them changed."""
    whole, parts = hashlib.sha256(), {}
    for part, name, content in _input_pieces(run, code or code_digest()):
        add_to_digest(whole, name, content)
        add_to_digest(parts.setdefault(part, hashlib.sha256()), name, content)
    for name in run.folder_parameters:  # an empty or absent folder is a part too
        parts.setdefault(name, hashlib.sha256())
    return {"inputs": whole.hexdigest(), "parts": {part: digest.hexdigest() for part, digest in sorted(parts.items())}}


def input_hash(run: Run, code: str | None = None) -> str:
    """The content hash of a run's inputs besides its data (see :func:`run_inputs`)."""
    return run_inputs(run, code)["inputs"]


def input_parts(run: Run, code: str | None = None) -> dict[str, str]:
    """The pieces of :func:`input_hash` digested by kind (see :func:`run_inputs`). Not used to
    decide what runs."""
    return run_inputs(run, code)["parts"]


def _changed_inputs(run: Run, recorded: dict | None, current: dict) -> list[str]:
    """Which kinds of input changed, from the ``parts`` recorded and the current ones."""
    if recorded is None:  # recorded by a build that did not keep the parts
        return ["notebook, parameters or code changed"]
    reasons = []
    for part in sorted(set(recorded) | set(current), key=lambda p: (p not in PART_REASONS, p)):
        if recorded.get(part) != current.get(part):
            reason = PART_REASONS.get(part, f"{part} changed")
            if part == "notebook":
                reason += f" ({paths.relative_to_root(run.notebook)})"
            reasons.append(reason)
    # The parts agree but the hash does not: say so rather than nothing.
    return reasons or ["inputs changed"]


def stale_reason(run: Run, entry: dict | None, snapshot: DataSnapshot, code: str,
                 executed: Path | None = None, current: dict | None = None) -> str:
    """Why ``run`` must execute, given its manifest ``entry`` from the last build, the data
    ``snapshot`` and the ``code`` digest; "" when it can be reused. This decides what runs:
    a run is stale when its inputs (:func:`input_hash`) or a data file or folder listing it
    read differ from the recorded ones, or (with ``executed``, the folder of executed copies)
    when its executed notebook or results are missing. ``current`` is the run's
    :func:`run_inputs` when the caller has them. Reasons that apply are joined by "; "."""
    entry = entry or {}
    failed = ["previous run failed"] if entry.get("failed") else []
    if "inputs" not in entry:
        return "; ".join(["never built", *failed])
    reasons = []
    current = current or run_inputs(run, code)
    if entry["inputs"] != current["inputs"]:
        reasons += _changed_inputs(run, entry.get("parts"), current["parts"])
    changed = snapshot.changed(entry.get("data", {}))
    if changed:
        shown = changed[:REASON_NAMES]
        more = [f"+{len(changed) - len(shown)} more"] if len(changed) > len(shown) else []
        reasons.append(f"data changed ({', '.join(shown + more)})")
    if executed is not None and not all((Path(executed) / name).is_file()
                                        for name in (run.executed_name, run.results_name)):
        reasons.append(failed.pop() if failed else "executed copy missing")
    return "; ".join(reasons + (failed if reasons else []))
