"""Sphinx extension: fixes for the pinned theme stack, so that pages are safe and clean.

- sphinx-book-theme 1.x writes the page title into its print header without escaping
  (``context["pagetitle"] = title.astext()``), so a study title holding ``<script>`` would
  become a script. The title is escaped after the theme has set it.
- sphinx-thebe registers its inline configuration script once per read phase, and Jupyter
  Book's build runs that phase twice, so every page declared ``THEBE_JS_URL`` twice (a
  JavaScript error in the browser; sphinx-togglebutton's selector is duplicated the same
  way). Identical script entries are kept once.
- An incremental build (see :mod:`livingreview.sphinx_build`) reads and writes only the pages
  that changed. Every page's navigation shows every page's title, so when a page is added or
  removed, or a page read again has a new title, every page is written again.
"""

from __future__ import annotations

import html

# Run after the themes' own html-page-context handlers (default priority 500).
PRIORITY = 900


def _escape_page_title(app, pagename, templatename, context, doctree) -> None:
    if "pagetitle" in context:
        context["pagetitle"] = html.escape(str(context["pagetitle"]))


def _script_key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    # An inline script is registered with filename None by some extensions and '' by others.
    return (str(getattr(script, "filename", script) or ""), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _remember_titles(app, env, added, changed, removed) -> list:
    """Before pages are read again: note whether the set of pages changes, and their titles."""
    # Jupyter Book's build may read twice: what the first read saw is kept.
    app.lr_pages_changed = getattr(app, "lr_pages_changed", False) or bool(added or removed)
    titles = getattr(app, "lr_titles", {})
    for doc in changed:
        if doc in env.titles:
            titles.setdefault(doc, env.titles[doc].astext())
    app.lr_titles = titles
    return []


def _write_all_if_navigation_changed(app, env) -> list:
    """After reading: every page, if the navigation every page shows has changed."""
    renamed = any(env.titles[doc].astext() != title
                  for doc, title in getattr(app, "lr_titles", {}).items() if doc in env.titles)
    return sorted(env.found_docs) if getattr(app, "lr_pages_changed", False) or renamed else []


def setup(app):
    app.connect("html-page-context", _escape_page_title, priority=PRIORITY)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=PRIORITY)
    app.connect("env-get-outdated", _remember_titles)
    app.connect("env-get-updated", _write_all_if_navigation_changed)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
