"""Assembling the site and publishing it.

The source tree under ``<build>/site-source`` holds the book pages, the executed notebooks, the
bibliography of the included studies, the results table and a copy of the data for download;
Jupyter Book's Sphinx build turns it into HTML, strict and incremental
(:mod:`livingreview.build.sphinx_build`; Jupyter Book executes nothing: ``execute_notebooks:
"off"``). When everything the site is made from is unchanged (:func:`site_digest`), the build
skips this step. :func:`publish` puts a copy of the new site in place of ``<build>/html`` only
when everything before it succeeded, so a failed build leaves the last good site in place.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from .. import paths
from ..curated.review import load_review
from ..curated.studies import load_studies
from .bibliography import study_bibtex
from .digests import DataSnapshot, add_to_digest
from .plan import SOURCE_DIRNAME, BuildError, BuildLayout, Run
from .sphinx_build import OUTPUT as SPHINX_OUTPUT
from .sphinx_build import STATE as SPHINX_STATE

# Fixed timestamp for files in the data archive, so the archive is the same bytes every build.
ZIP_TIMESTAMP = (2020, 1, 1, 0, 0, 0)
WARNING_PATTERN = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b")


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "_build"))


def _data_archive(data_dir: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in Path(data_dir).rglob("*") if p.is_file()):
            info = zipfile.ZipInfo("data/" + path.relative_to(data_dir).as_posix(), ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())


def site_title(data_dir: Path) -> str:
    """The site's title: the review's, from data/review.yaml, as a living review."""
    return f"{load_review(data_dir)['title']}: a living evidence review"


def _write_config(target: Path, status, title: str) -> None:
    """The book's configuration, with the review's title and the release status in every page's
    footer."""
    config = yaml.safe_load(paths.BOOK_CONFIG_FILE.read_text(encoding="utf-8"))
    config["title"] = title
    footer = config.setdefault("html", {}).get("extra_footer", "")
    # A relative link would break on pages in sub-folders; the changelog is in the navigation.
    config["html"]["extra_footer"] = f'{footer} <span class="lr-release">{html.escape(status.label)}.</span>'.strip()
    target.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _write_changelog(target: Path, status) -> None:
    """The changelog page: CHANGELOG.md with the site's release status under its title."""
    text = paths.CHANGELOG_FILE.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    title = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    note = f"\n**This site: {status.label}.**\n"
    if title is None:
        target.write_text(note.lstrip() + "\n" + text, encoding="utf-8")
    else:
        target.write_text("".join(lines[:title + 1]) + note + "".join(lines[title + 1:]), encoding="utf-8")


def assemble_source(runs: list[Run], data_dir: Path, layout: BuildLayout, results: Path, status,
                    releases: list | None = None) -> Path:
    """Lay out the Jupyter Book source tree; returns its folder.

    The tree is laid out afresh beside the last one and then synchronised into it: files with
    the same content keep their modification time, so Sphinx re-reads only the pages that
    changed (see :mod:`livingreview.build.sphinx_build`)."""
    # Imported here: the data views need the audit and its statistics libraries, which a
    # build that does not assemble (nothing changed) would otherwise load for nothing.
    from ..pages.dataview import write_data_views

    source, staging = layout.source, layout.build_dir / (SOURCE_DIRNAME + ".next")
    if staging.exists():
        shutil.rmtree(staging)
    _copy_tree(paths.BOOK_DIR, staging)
    _write_config(staging / "_config.yml", status, site_title(data_dir))
    shutil.copy2(paths.BOOK_TOC_FILE, staging / "_toc.yml")
    _write_changelog(staging / "changelog.md", status)
    for run in runs:
        target = staging / run.executed_name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(layout.executed / run.executed_name, target)
    (staging / "studies.bib").write_text(study_bibtex(load_studies(data_dir)), encoding="utf-8")
    downloads = staging / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    shutil.copy2(results, downloads / paths.RESULTS_FILE_NAME)
    _data_archive(data_dir, downloads / "curated-data.zip")
    # Served as-is at <site>/data/, with a data view of each table beside its CSV, so that
    # pages can link each number to its data row.
    shutil.copytree(data_dir, staging / "_extra" / "data")
    write_data_views(data_dir, staging / "_extra" / "data")
    # Each recorded release's results stay downloadable at <site>/releases/<version>/.
    for recorded in releases or []:
        shutil.copytree(recorded.folder, staging / "_extra" / "releases" / recorded.version)
    changed, removed = _synchronise(staging, source)
    shutil.rmtree(staging)
    # Executed pages and data are what Sphinx tracks page by page. Any other change (the
    # book's own pages, configuration, table of contents, bibliography) starts it afresh, and
    # so does a removed file, whose page Sphinx would leave in its output.
    pages = {Path(run.executed_name) for run in runs}
    if removed or any(path not in pages and path.parts[0] not in ("_extra", "downloads") for path in changed):
        shutil.rmtree(source / SPHINX_STATE, ignore_errors=True)
    return source


def _synchronise(new: Path, target: Path) -> tuple[list[Path], list[Path]]:
    """Make ``target`` hold exactly the files of ``new`` (besides its ``_build``), copying only
    files whose content differs; returns the files added or changed, and those removed
    (relative paths)."""
    changed, removed = [], []
    wanted = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    if target.exists():
        for path in sorted(target.rglob("*"), reverse=True):
            relative = path.relative_to(target)
            if relative.parts[0] == "_build":
                continue
            if path.is_file() and relative not in wanted:
                path.unlink()
                removed.append(relative)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for relative in sorted(wanted):
        source_file, target_file = new / relative, target / relative
        if target_file.is_file() and target_file.read_bytes() == source_file.read_bytes():
            continue
        target_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_file, target_file)  # a new modification time: Sphinx reads it
        changed.append(relative)
    return changed, removed


def run_jupyter_book(source: Path) -> Path:
    """Build the HTML with Jupyter Book's Sphinx build (strict, see
    :mod:`livingreview.build.sphinx_build`); returns the folder of the built site."""
    command = [sys.executable, "-m", "livingreview.build.sphinx_build", str(source)]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=source)
    output = completed.stdout + completed.stderr
    problems = [line for line in output.splitlines() if WARNING_PATTERN.search(line)]
    if completed.returncode != 0:
        # The next build must read every page again, and so meet this build's warnings again.
        shutil.rmtree(source / SPHINX_STATE, ignore_errors=True)
        shown = "\n".join(f"    {line}" for line in problems[:40]) or output[-3000:]
        raise BuildError(f"jupyter-book build failed (exit {completed.returncode}):\n{shown}")
    _prune_images(source / SPHINX_OUTPUT)
    return source / SPHINX_OUTPUT


def _prune_images(site: Path) -> None:
    """Remove the images no page shows any more (Sphinx keeps those of earlier builds)."""
    folder = site / "_images"
    if not folder.is_dir():
        return
    shown = set()
    for page in site.rglob("*.html"):
        shown.update(re.findall(r"_images/([^\"'?#\s)]+)", page.read_text(encoding="utf-8", errors="replace")))
    for image in folder.iterdir():
        if image.is_file() and image.name not in shown:
            image.unlink()


def site_digest(runs: list[Run], layout: BuildLayout, snapshot: DataSnapshot, code: str,
                status, releases: list | None = None) -> str:
    """Digest of everything the assembled site is made from: the book's pages and
    configuration, the changelog, the executed notebooks, this build's results, the data
    (served with the site), the release and the package code (Sphinx extensions). Equal
    digests give the same site, so a build whose digest matches the published one's skips
    assembling."""
    digest = hashlib.sha256()

    def add(name: str, content: bytes) -> None:
        add_to_digest(digest, name, content)

    add("code", code.encode())
    add("release", status.label.encode())
    for recorded in releases or []:
        for path in sorted(p for p in recorded.folder.rglob("*") if p.is_file()):
            add(f"releases:{recorded.version}/" + path.relative_to(recorded.folder).as_posix(), path.read_bytes())
    for path in sorted(p for p in paths.BOOK_DIR.rglob("*") if p.is_file()):
        add("book:" + path.relative_to(paths.BOOK_DIR).as_posix(), path.read_bytes())
    for path in (paths.BOOK_CONFIG_FILE, paths.BOOK_TOC_FILE, paths.CHANGELOG_FILE):
        add(path.name, path.read_bytes())
    for run in sorted(runs, key=lambda r: r.key):
        add("page:" + run.key, (layout.executed / run.executed_name).read_bytes())
    for path in sorted(p for p in layout.staged_results.glob("*") if p.is_file()):
        add("results:" + path.name, path.read_bytes())
    add("data", json.dumps([snapshot.files, snapshot.listings], sort_keys=True).encode())
    return digest.hexdigest()


def publish(site: Path, layout: BuildLayout) -> None:
    """Put a copy of the new site in place of the published one (the old one is kept until
    then)."""
    new = layout.build_dir / (paths.SITE_DIRNAME + ".new")
    old = layout.build_dir / (paths.SITE_DIRNAME + ".old")
    for leftover in (new, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    # A copy: Sphinx's output stays where it is, so the next build writes only what changed.
    shutil.copytree(site, new)
    if layout.site.exists():
        os.replace(layout.site, old)
    os.replace(new, layout.site)
    if old.exists():
        shutil.rmtree(old)
