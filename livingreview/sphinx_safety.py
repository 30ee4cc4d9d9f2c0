"""Sphinx extension: keep text from data out of the HTML as markup.

sphinx-book-theme 1.x writes the page title into its print header as plain text without
escaping (``context["pagetitle"] = title.astext()``), so a study title holding ``<script>``
would become a script. This handler escapes it after the theme has set it.
"""

from __future__ import annotations

import html

# Run after sphinx-book-theme's own html-page-context handler (default priority 500).
PRIORITY = 900


def _escape_page_title(app, pagename, templatename, context, doctree) -> None:
    if "pagetitle" in context:
        context["pagetitle"] = html.escape(str(context["pagetitle"]))


def setup(app):
    app.connect("html-page-context", _escape_page_title, priority=PRIORITY)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
