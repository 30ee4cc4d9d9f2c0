"""Sphinx extension: fixes for the pinned theme stack, so that pages are safe and clean.

- sphinx-book-theme 1.x writes the page title into its print header without escaping
  (``context["pagetitle"] = title.astext()``), so a study title holding ``<script>`` would
  become a script. The title is escaped after the theme has set it.
- sphinx-thebe registers its inline configuration script once per read phase, and Jupyter
  Book's build runs that phase twice, so every page declared ``THEBE_JS_URL`` twice (a
  JavaScript error in the browser; sphinx-togglebutton's selector is duplicated the same
  way). Identical script entries are kept once.
- Sphinx indexes raw HTML (the pages' tables) by deleting its tags, which glues the text of
  neighbouring cells into one word ("Hypertensionyes"), so search never finds it. A line break
  is put between block-level tags, which changes nothing on the page.
- pydata-sphinx-theme 0.17 binds its sidebar toggles to the first button of each kind only
  (pydata/pydata-sphinx-theme#2451); sphinx-book-theme 1.3 renders a second one, the one a phone
  shows, which then does nothing. ``lr-sidebar-toggle.js`` (book/_static) binds the others.
- sphinxcontrib-bibtex marks its bibliography ``role="list"`` with entries ``role="doc-biblioentry"``
  whose links axe-core reports as children a list may not have; the roles are dropped (the
  entries stay ordinary blocks, read in order).
- A table or figure box that scrolls sideways on a narrow screen must be reachable by the
  keyboard; ``lr-scroll-regions.js`` makes each such box focusable and names it.
- Sphinx 7.4 loads MathJax on a page that has mathematics, and also on any page whose table of
  contents includes one (sphinx-doc/sphinx#11597, so that a formula in a listed title renders).
  Jupyter Book's front page holds the book's whole table of contents, so the front page loaded
  MathJax (1.2 MB) for the teaching chapters' formulas. No title holds a formula, so MathJax is
  kept on the pages that have mathematics of their own; should a title ever hold one, every
  page keeps it, as every page's navigation shows every title.
- MathJax's combined ``tex-chtml.js``, which sphinx-mathjax-offline names (in its setup, over any
  configured ``mathjax_path``), carries MathJax's right-click menu, about 100 kB of its 264 kB
  gzip-compressed, which put each page with formulas over its further-page budget (see
  :mod:`livingreview.build.page_weight`). Its startup script loads only the parts a page
  needs: TeX input, HTML output and the hidden MathML that screen readers read.
- An incremental build (see :mod:`livingreview.build.sphinx_build`) reads and writes only the pages
  that changed. Every page's navigation shows every page's title, so when a page is added or
  removed, or a page read again has a new title, every page is written again.
"""

from __future__ import annotations

import html
import posixpath
import re

from docutils import nodes

# Run after the themes' own html-page-context handlers (default priority 500).
PRIORITY = 900
# MathJax 3 components, from the copy sphinx-mathjax-offline puts in _static/mathjax.
MATHJAX_STARTUP = "mathjax/startup.js"
MATHJAX_COMPONENTS = ["input/tex", "output/chtml", "a11y/assistive-mml"]


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


_BLOCK_END = re.compile(r"(</(?:td|th|tr|thead|tbody|table|li|ul|ol|p|div|dt|dd|dl|caption|h[1-6]|section|aside)>)(?=<)")


def _mathjax_without_menu(app, config) -> None:
    """MathJax's startup script, loading :data:`MATHJAX_COMPONENTS` only."""
    config.mathjax_path = MATHJAX_STARTUP
    config.mathjax3_config = {**(config.mathjax3_config or {}), "loader": {"load": MATHJAX_COMPONENTS}}


def _is_mathjax(script, mathjax_path: str) -> bool:
    attributes = getattr(script, "attributes", {}) or {}
    return (str(getattr(script, "filename", "")) == mathjax_path
            or attributes.get("type") == "text/x-mathjax-config"
            or str(attributes.get("body", "")).startswith("window.MathJax"))


def _mathjax_only_with_mathematics(app, pagename, templatename, context, doctree) -> None:
    """No MathJax (its script and configuration) on a page without mathematics of its own."""
    scripts = context.get("script_files")
    if not scripts or not app.config.mathjax_path:
        return
    env = app.env
    if env.get_domain("math").data["has_equations"].get(pagename):
        return
    if any(title.next_node(nodes.math) for title in env.titles.values()):
        return
    path = app.config.mathjax_path
    mathjax = path if "://" in path else posixpath.join("_static", path)
    context["script_files"] = [script for script in scripts if not _is_mathjax(script, mathjax)]


def _separate_block_tags(app, doctree, docname) -> None:
    """A line break after every block-level end tag in raw HTML, so the search index sees words."""
    for node in doctree.findall(nodes.raw):
        if "html" in node.get("format", "").split():
            text = node.astext()
            spaced = _BLOCK_END.sub("\\1\n", text)
            if spaced != text:
                node.children = [nodes.Text(spaced)]


def _plain_bibliography(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if body and 'class="citation-list"' in body:
        context["body"] = (body.replace('<div role="list" class="citation-list">', '<div class="citation-list">')
                           .replace(' role="doc-biblioentry"', ""))


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
    app.connect("html-page-context", _mathjax_only_with_mathematics, priority=PRIORITY)
    app.connect("config-inited", _mathjax_without_menu)
    app.connect("doctree-resolved", _separate_block_tags)
    app.add_js_file("lr-sidebar-toggle.js")
    app.add_js_file("lr-scroll-regions.js")
    app.connect("html-page-context", _plain_bibliography, priority=PRIORITY)
    app.connect("env-get-outdated", _remember_titles)
    app.connect("env-get-updated", _write_all_if_navigation_changed)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
