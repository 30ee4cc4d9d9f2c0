"""Assemble the site from a source tree: Jupyter Book's Sphinx build, strict, incremental.

``python -m livingreview.build.sphinx_build <source>`` runs the function behind ``jupyter-book build``
with its configuration (``_config.yml``, ``_toc.yml``), warnings as errors (``-W
--keep-going``) and nit-picky references (``-n``). Unlike ``jupyter-book build --all``, which
starts from a fresh environment and so reads and writes every page, it keeps Sphinx's
environment from the last successful build: only the pages whose files changed are read and
written again. Every page is written again when the navigation changes (a page added or
removed, or a new title: see :mod:`livingreview.build.sphinx_fixes`), and the build starts from a
fresh environment and an empty output folder when anything but the executed pages and the
data changed (the book's own pages, its configuration, the bibliography), when a file was
removed, and whenever an assembly failed, so that a page whose warning failed one build is
read, and warns, again in the next.
"""

from __future__ import annotations

import sys
from pathlib import Path

STATE = Path("_build")  # everything Sphinx keeps between builds
OUTPUT = STATE / "html"
DOCTREES = STATE / ".doctrees"  # Sphinx's environment and parsed pages


def build(source: Path) -> int:
    """Build ``source`` into ``source/_build/html``; returns Sphinx's exit status."""
    from jupyter_book.sphinx import build_sphinx

    source = Path(source).resolve()
    result = build_sphinx(
        source, source / OUTPUT, use_external_toc=True, noconfig=True,
        path_config=str(source / "_config.yml"), doctreedir=str(source / DOCTREES),
        confoverrides={"external_toc_path": (source / "_toc.yml").as_posix(),
                       "latex_individualpages": False, "nitpicky": True},
        builder="html", warningiserror=True, keep_going=True, freshenv=False, force_all=False)
    return result if isinstance(result, int) else 1


if __name__ == "__main__":
    sys.exit(build(Path(sys.argv[1])))
