"""Small Sphinx fixes for the built book.

- Every page gets each script once. sphinx-thebe registers its inline configuration
  (``const THEBE_JS_URL = ...``) twice under jupyter-book 1.0.4, which makes the browser raise
  "Identifier 'THEBE_JS_URL' has already been declared" on every page.
- The theme's colour mode has a valid default ("auto"); an empty one makes the theme log
  "Got invalid theme mode" as a console error on a first visit.
- Pages with saved ipywidgets state get a small script before the widget renderer: (1) the
  renderer (``@jupyter-widgets/html-manager``) finds its icon fonts relative to its AMD module
  name, which requirejs would resolve next to the page; a ``paths`` entry points it at the
  book's copy. (2) The renderer typesets widget labels with the MathJax 2 call
  ``MathJax.Hub.Queue``, which MathJax 3 no longer has (jupyter-widgets/ipywidgets#3829); a
  ``Hub.Queue`` that calls MathJax 3's ``typesetPromise`` is added to whatever object
  ``window.MathJax`` holds. Without these every slider, dropdown or label of a saved widget logs
  a JavaScript error.
- Code fits the column: the house rule is 80 characters a line (CONTRIBUTING.md), and at a
  1280-px window the content column is about 690 px, where the theme's 14-px code font fits
  only 77 characters (a ``pre`` is 686 px wide, 32 px of it padding; 8.43 px a character). At
  0.8rem (12.8 px, 7.7 px a character) 80 characters take 616 px of the 654 available. Inside an
  admonition (a gated solution, an API docstring) a ``pre`` is only about 620 px wide, so code
  there is set at 0.75rem (12 px): 80 characters take 578 of 587 px. The rules are served as
  ``_static/steerlens-book.css``.
- Exercises are numbered per chapter: "Exercise 4.1" on the page of chapter 4, as in the notebook
  edition, the checks' feedback and the grader's columns. sphinx-exercise numbers them through
  the whole book ("Exercise 12"), because Sphinx numbers enumerable nodes per numbered toctree
  section and the book's toctree is not numbered (chapter titles carry their numbers). After
  Sphinx assigns its numbers, each ``book/NN_*`` page's exercises are renumbered ``(NN, k)`` in
  the order Sphinx found them; titles, solution headings and references all read those numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.builders.html._assets import _JavaScript

BOOK_CSS = "steerlens-book.css"
_CSS = """/* steerlens: 80-character code lines fit the content column at a 1280-px window */
div.highlight pre, .cell_output pre {
  font-size: 0.8rem;
}
div.admonition div.highlight pre, div.admonition .cell_output pre,
div.solution div.highlight pre, div.solution .cell_output pre,
dl.py dd div.highlight pre {
  font-size: 0.75rem;
}
"""

_WIDGET_LOADER = "widgets/require.min.js"
_WIDGET_SHIM = """
var require = {paths: {"@jupyter-widgets/html-manager/dist": new URL("%(manager)s", document.baseURI).href}};
(function () {
  function withHub(mj) {
    if (mj && typeof mj === "object" && !mj.Hub) {
      Object.defineProperty(mj, "Hub", {configurable: true, value: {Queue: function (job) {
        var element = job && job[2], current = window.MathJax;
        if (element && current && current.typesetPromise) {
          current.typesetPromise([element]).catch(function () {});
        }
      }}});
    }
    return mj;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {configurable: true, enumerable: true,
    get: function () { return current; }, set: function (value) { current = withHub(value); }});
})();
"""


def _fix_page_context(app, pagename, templatename, context, doctree):
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attrs = getattr(js, "attributes", None) or {}
        filename = str(getattr(js, "filename", js) or "")
        key = (filename or None, attrs.get("body"))
        if key in seen:
            continue
        seen.add(key)
        if filename.endswith(_WIDGET_LOADER):  # before requirejs loads: it reads `require` as config
            manager = context["pathto"]("widgets/html-manager", 1)
            unique.append(_JavaScript("", body=_WIDGET_SHIM % {"manager": manager}))
        unique.append(js)
    context["script_files"] = unique


def _write_css(app, exception):
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        (static / BOOK_CSS).write_text(_CSS, encoding="utf-8")


_CHAPTER = re.compile(r"(?:^|/)(\d\d)_[^/]*$")


def number_exercises_per_chapter(toc_fignumbers: dict) -> None:
    """Renumber, in place, each chapter page's exercises ``(chapter, 1)``, ``(chapter, 2)``, ..."""
    for docname, kinds in toc_fignumbers.items():
        match = _CHAPTER.search(docname)
        numbers = kinds.get("exercise")
        if match is None or not numbers:
            continue
        chapter = int(match.group(1))
        order = sorted(numbers, key=lambda ident: numbers[ident])
        kinds["exercise"] = {ident: (chapter, k) for k, ident in enumerate(order, start=1)}


def _patch_figure_numbers() -> None:
    from sphinx.environment.collectors.toctree import TocTreeCollector

    original = TocTreeCollector.assign_figure_numbers
    if getattr(original, "steerlens_per_chapter", False):
        return

    def assign_figure_numbers(self, env):
        old = env.toc_fignumbers
        original(self, env)
        number_exercises_per_chapter(env.toc_fignumbers)
        # pages to rewrite: those whose numbers differ from the last build's (renumbered) ones
        return [doc for doc, kinds in env.toc_fignumbers.items() if kinds != old.get(doc)]

    assign_figure_numbers.steerlens_per_chapter = True
    TocTreeCollector.assign_figure_numbers = assign_figure_numbers


def setup(app):
    _patch_figure_numbers()
    app.connect("html-page-context", _fix_page_context, priority=10_000)
    app.add_css_file(BOOK_CSS, priority=900)
    # The stylesheet's text as an html-rebuild config value: when it changes, Sphinx's build
    # info changes and every page is rewritten with the link (no notebook is re-executed).
    app.add_config_value("steerlens_book_css", _CSS, "html", types=[str])
    app.connect("build-finished", _write_css)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
