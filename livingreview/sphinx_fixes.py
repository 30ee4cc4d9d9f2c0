"""Sphinx extension: fixes for the pinned theme stack, so that pages are safe and clean.

- sphinx-book-theme 1.x writes the page title into its print header without escaping
  (``context["pagetitle"] = title.astext()``), so a study title holding ``<script>`` would
  become a script. The title is escaped after the theme has set it.
- sphinx-thebe registers its inline configuration script once per read phase, and Jupyter
  Book's build runs that phase twice, so every page declared ``THEBE_JS_URL`` twice (a
  JavaScript error in the browser; sphinx-togglebutton's selector is duplicated the same
  way). Identical script entries are kept once.
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


def setup(app):
    app.connect("html-page-context", _escape_page_title, priority=PRIORITY)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=PRIORITY)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
